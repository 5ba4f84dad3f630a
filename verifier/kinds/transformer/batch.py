"""Batch evaluator of a transformer: the semantics of `evaluate.py` on many strings
of one length at once, with exact integer numpy arithmetic.

Values are grid indices k (value k * 2^-F); parameters are integers on their 2^-P
grid, so R(W x + b) is `round_k(W_int @ k + b_int * 2^F, 2^P)`, scores R(Q.K) are
`round_k(Q @ K^T, 2^F)`, a softmax output is `round_k(sum e V, sum e)` with e on
the 2^-E grid; layer norm as in `evaluate.layer_norm`, with the format's
`sqrt_k` on arrays. Float formats (spec 2.1) change only R (`round_k`), S and X.
Every product is `products.matmul` (float64 BLAS, exact by a bound
from the data, limbs above it); arrays are int64 wherever their values fit, Python
ints only where a value itself is beyond int64. The maps applied position by
position (Q, K, V, the MLP, layer norm) run once per distinct residual row of
the batch.
"""

from __future__ import annotations

import numpy as np

from ...core.models import Attention, LayerNorm, Transformer
from ...core.number_format import INT64_SAFE
from ...semantics.activations import activation_k, softmax_k
from . import sequence
from .products import add, magnitude, matmul, narrow


def _ints(values, shift: int = 0) -> np.ndarray:
    """Grid indices (a tuple, or a tuple of rows) times 2^shift as an integer array
    (int64 when every entry fits, else Python ints)."""
    try:
        array = np.array(values, dtype=np.int64)
    except OverflowError:
        return narrow(np.array(values, dtype=object) * (1 << shift))
    if shift and magnitude(array) >= INT64_SAFE >> shift:
        return narrow(array.astype(object) * (1 << shift))
    return array << shift if shift else array


def _norm_dtype(model: Transformer):
    """int64 if every intermediate integer of layer norm provably stays below 2^62, else object:
    sum c^2 (|c| <= 2A); the root's argument a and its tests 4a, ((2q + 1) b)^2 with
    b = 2^P (times the float shift, below sqrt(a)); (gamma c + beta s) 2^F and s 2^P."""
    fmt, pfmt = model.number_format, model.param_format
    A, Pm = max(-fmt.kmin, fmt.kmax), max(-pfmt.kmin, pfmt.kmax)
    F, P, d = fmt.frac_bits, pfmt.frac_bits, model.d_model
    root = (A << (F + 2 * P)) + (Pm << (2 * F + P))
    bound = max(4 * d * A * A, 8 * root + (2 << 2 * P), (3 * Pm * A) << F, A << P)
    return np.int64 if bound < INT64_SAFE else object


class _Rows:
    """A [B, N, d] array as its distinct rows: `rows` [U, d] and `inverse` [B, N],
    the array being rows[inverse]. The residual stream stays in this form, so the
    maps applied position by position (Q, K, V, the MLP, the residual sum) run once
    per distinct row."""

    def __init__(self, rows: np.ndarray, inverse: np.ndarray):
        self.rows, self.inverse = rows, inverse

    @classmethod
    def of(cls, h: np.ndarray) -> "_Rows":
        """Group the rows of h by a hash, checked entry for entry (Python-int arrays,
        or a failed check, keep every row)."""
        flat = h.reshape(-1, h.shape[-1])
        if flat.dtype == np.int64 and flat.shape[0] > 1:
            multipliers = np.random.default_rng(flat.shape[1]).integers(1, 2 ** 63, size=flat.shape[1], dtype=np.uint64)
            keys = flat.view(np.uint64) @ multipliers  # wraps modulo 2^64
            _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
            if np.array_equal(flat[first][inverse.reshape(-1)], flat):
                return cls(flat[first], inverse.reshape(h.shape[:-1]))
        return cls(flat, np.arange(flat.shape[0]).reshape(h.shape[:-1]))

    def map(self, fn) -> "_Rows":
        """fn (row-wise on [U, d]) applied to every row."""
        return _Rows(fn(self.rows), self.inverse)

    def combine(self, other: "_Rows", fn) -> "_Rows":
        """fn(x_rows, y_rows) row-wise on the pairs of rows that occur together."""
        if other.inverse is self.inverse:
            return _Rows(fn(self.rows, other.rows), self.inverse)
        pairs = self.inverse.astype(np.int64) * len(other.rows) + other.inverse
        keys, inverse = np.unique(pairs, return_inverse=True)
        left, right = np.divmod(keys, len(other.rows))
        return _Rows(fn(self.rows[left], other.rows[right]), inverse.reshape(pairs.shape))

    def full(self) -> np.ndarray:
        return self.rows[self.inverse]


class Runner:
    """The exact array arithmetic of one run at N positions (also the SAT lowering's, on
    vectors of tables folded into arrays: `lower.py`)."""

    def __init__(self, model: Transformer, N: int):
        self.model, self.fmt = model, model.number_format
        self.P = model.param_format.frac_bits
        self.F = self.fmt.frac_bits
        self.N = N
        self.norm_dtype = _norm_dtype(model)
        self._arrays = {}

    def ints(self, values, shift: int = 0) -> np.ndarray:
        """`_ints` of a parameter tuple, converted once per run."""
        key = (id(values), shift)
        if key not in self._arrays:
            self._arrays[key] = (values, _ints(values, shift))  # the tuple is kept alive with its id
        return self._arrays[key][1]

    def affine(self, x, matrix, bias):
        """R(W x + b) on the last axis of x (grid indices)."""
        total = add(matmul(x, self.ints(matrix).T), self.ints(bias, self.F))
        return narrow(self.fmt.round_k(total, 1 << self.P))

    def softmax_weights(self, delta: np.ndarray, scores: np.ndarray, exp_frac_bits: int) -> np.ndarray:
        """X(delta) (on the 2^-E grid) for score differences delta <= 0, by a table over
        the differences of the distinct values of the score table `scores` (a superset
        of the differences that occur; the occurring ones when the table is large)."""
        values = np.unique(scores)
        if len(values) <= 1024:
            levels = np.unique(values[:, None] - values[None, :])
            levels = levels[levels <= 0]
        else:
            levels = np.unique(delta)
        table = _ints(tuple(softmax_k(int(d), self.fmt, exp_frac_bits) for d in levels))
        return table[np.searchsorted(levels, delta)]

    def head(self, head, h: _Rows, visible, used):
        """One head's outputs a [B, N, len(used)] in the value dims `used`: Q, K, V
        and the rounded scores are computed on the distinct rows of h (a [U, U]
        table of scores), then gathered."""
        fmt = self.fmt
        wv, bv = tuple(head.wv[j] for j in used), tuple(head.bv[j] for j in used)
        Q, K, V = (self.affine(h.rows, w, b) for w, b in ((head.wq, head.bq), (head.wk, head.bk), (wv, bv)))
        table = narrow(fmt.round_k(matmul(Q, K.T), 1 << self.F))
        s = table[h.inverse[:, :, None], h.inverse[:, None, :]]
        if len(s) > 1 and (s == s[:1]).all():
            s = s[:1]  # scores that depend on positions alone: one [N, N] pattern for every string
        V = V[h.inverse]
        m = np.where(visible, s, s.min() - 1).max(axis=-1, keepdims=True)  # below every score, in s's dtype
        best = visible & (s == m)
        if head.type == "softmax":
            e = np.where(visible, self.softmax_weights(np.where(visible, s - m, 0), table, head.exp_frac_bits), 0)
            e = narrow(e) if e.dtype == object else e
            return narrow(fmt.round_k(matmul(e, V), e.sum(axis=-1, keepdims=True)))
        if head.type == "hard":
            if head.tie == "leftmost":
                chosen = best.argmax(axis=-1)
            else:
                chosen = self.N - 1 - best[..., ::-1].argmax(axis=-1)
            return V[np.arange(V.shape[0])[:, None], chosen]
        count = best.sum(axis=-1, keepdims=True).astype(np.int64)
        return narrow(fmt.round_k(matmul(best.astype(np.int64), V), count))

    def attention(self, block: Attention, h: _Rows) -> _Rows:
        """R(sum over heads wo a + bo), computed once per distinct row of the heads' outputs."""
        N = self.N
        outputs, wo = [], []
        for head in block.heads:
            if head.mask == "causal":
                visible = np.tril(np.ones((N, N), dtype=bool))
            else:
                visible = np.ones((N, N), dtype=bool)
            # a value dim whose column of wo is zero never reaches the output
            used = [j for j in range(len(head.wv)) if any(row[j] for row in head.wo)] or [0]
            outputs.append(self.head(head, h, visible, used))
            wo.append(self.ints(head.wo)[:, used])
        a = _Rows.of(np.concatenate(outputs, axis=-1) if len(outputs) > 1 else outputs[0])
        wo = np.concatenate(wo, axis=1) if len(wo) > 1 else wo[0]
        bo = self.ints(block.bo, self.F)
        return a.map(lambda x: narrow(self.fmt.round_k(add(matmul(x, wo.T), bo), 1 << self.P)))

    def layer_norm(self, norm: LayerNorm, x):
        """Layer norm on the last axis of the rows x (spec 3.3; `evaluate.layer_norm`),
        in Python ints when its bound (`_norm_dtype`) is beyond int64."""
        fmt, F, P = self.fmt, self.F, self.P
        x = x.astype(self.norm_dtype)
        mu = fmt.round_k(x.sum(axis=-1, keepdims=True), x.shape[-1])
        c = x - mu
        v = fmt.round_k((c * c).sum(axis=-1, keepdims=True), x.shape[-1] << F)
        s = fmt.sqrt_k((v * (1 << (F + 2 * P)) + (norm.epsilon << (2 * F + P))).astype(self.norm_dtype), 1 << P)
        gamma, beta = np.array(norm.gamma, dtype=self.norm_dtype), np.array(norm.beta, dtype=self.norm_dtype)
        scaled = fmt.round_k((gamma * c + beta * s) * (1 << F), np.where(s == 0, 1, s) * (1 << P))
        return narrow(np.where(s == 0, fmt.round_k(beta * (1 << F), 1 << P), scaled).astype(self.norm_dtype))

    def mlp_rows(self, block, x: np.ndarray) -> np.ndarray:
        """The MLP on the last axis of x (grid indices)."""
        z = self.affine(x, block.w1, block.b1)
        levels, inverse = np.unique(z, return_inverse=True)
        table = _ints(tuple(activation_k(block.activation, int(k), self.fmt) for k in levels))
        return self.affine(table[inverse.reshape(z.shape)], block.w2, block.b2)

    def mlp(self, block, h: _Rows) -> _Rows:
        return h.map(lambda x: self.mlp_rows(block, x))


def embedding_rows(model: Transformer, tokens, rows) -> np.ndarray:
    """[len(rows), len(tokens), d]: `sequence.embed` of every token at every position (rows
    from `sequence.positional_rows`), h_p = R(E[t] + P[p]) as one exact integer array."""
    fmt = model.number_format
    G = sequence.row_frac_bits(model)
    E = _ints(tuple(model.embedding[t] for t in tokens), G - model.param_format.frac_bits)
    P = _ints(tuple(rows))
    return narrow(fmt.round_k(add(P[:, None, :], E[None, :, :]), 1 << (G - fmt.frac_bits)))


def _embedding(model: Transformer, words, alphabet, lay) -> _Rows:
    """h after the embedding: one row per (position, symbol) and one per bos/eos."""
    B, n = words.shape
    special = [(p, token) for p, token in ((0, model.bos), (lay.N - 1, model.eos)) if token is not None]
    h = embedding_rows(model, tuple(alphabet) + tuple(token for _, token in special), sequence.positional_rows(model, n))
    A = len(alphabet)
    table, inverse = [], np.empty((B, lay.N), dtype=np.int64)
    for k, (p, _) in enumerate(special):
        inverse[:, p] = k
        table.append(h[p, A + k:A + k + 1])
    for i in range(n):
        p = lay.offset + i
        inverse[:, p] = len(special) + A * i + words[:, i]
        table.append(h[p, :A])
    return _Rows(np.concatenate(table), inverse)


def _transformer(model: Transformer, words, alphabet, outputs):
    B = words.shape[0]
    lay = sequence.layout(model, words.shape[1], outputs)
    run = Runner(model, lay.N)
    h = _embedding(model, words, alphabet, lay)
    fmt = model.number_format
    both = 2 * max(-fmt.kmin, fmt.kmax)  # |h| + |out|: both are on the grid
    for block in model.blocks:
        if isinstance(block, LayerNorm):
            h = h.map(lambda x, norm=block: run.layer_norm(norm, x))
            continue
        y = h.map(lambda x, norm=block.norm: run.layer_norm(norm, x)) if block.norm is not None else h
        out = run.attention(block, y) if isinstance(block, Attention) else run.mlp(block, y)
        h = h.combine(out, lambda x, o: narrow(fmt.S(add(x, o, both)))) if block.residual else out
    readout = model.readout
    weights, bias = run.ints(readout.weights), run.ints(readout.bias, run.F)
    read = _Rows(h.rows, h.inverse[:, list(lay.read)])
    scores = read.map(lambda x: add(matmul(x, weights.T), bias)).full()
    if readout.kind == "threshold":
        return scores[..., 0] > 0
    winner = scores.argmax(axis=-1)  # the first maximum, as jnp.argmax
    if readout.accept is not None:
        return np.isin(winner, readout.accept)
    return (winner[..., None] == np.arange(len(readout.weights))).reshape(B, -1)


def run_batch(model: Transformer, words: np.ndarray, alphabet, outputs: str) -> np.ndarray:
    """Output bits [B, bits] (bool) on the strings `words` [B, n] (symbol indices)."""
    return _transformer(model, words, tuple(alphabet), outputs)
