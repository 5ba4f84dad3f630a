"""Batch evaluator of a transformer: the semantics of `evaluate.py` on many strings
of one length at once, with exact integer numpy arithmetic.

Values are grid indices k (value k * 2^-F); parameters are integers on their 2^-P
grid, so R(W x + b) is `round_k(W_int @ k + b_int * 2^F, 2^P)`, scores R(Q.K) are
`round_k(Q @ K^T, 2^F)`, a softmax output is `round_k(sum e V, sum e)` with e on
the 2^-E grid; layer norm as in `evaluate.layer_norm`, with the format's
`sqrt_k` on arrays. Float formats (spec 2.1) change only R (`round_k`), S and X.
Arrays are int64 when a bound on every intermediate sum shows that it fits, else
Python ints (dtype object).
"""

from __future__ import annotations

import numpy as np

from ...core.models import Attention, LayerNorm, Transformer
from ...core.number_format import INT64_SAFE
from ...semantics.activations import activation_k, softmax_k
from . import sequence


def _dtype(model: Transformer, N: int):
    """int64 if every intermediate integer provably stays below 2^62, else object."""
    fmt, pfmt = model.number_format, model.param_format
    A, Pm = -fmt.kmin, -pfmt.kmin  # largest magnitudes of a value and a parameter grid index
    terms, key_dims, exp_bits = model.d_model, 1, 0
    F, P, d = fmt.frac_bits, pfmt.frac_bits, model.d_model
    normed = any(isinstance(block, LayerNorm) or block.norm is not None for block in model.blocks)
    for block in model.blocks:
        if isinstance(block, LayerNorm):
            continue
        if isinstance(block, Attention):
            terms = max(terms, sum(len(head.wv) for head in block.heads))
            for head in block.heads:
                key_dims = max(key_dims, len(head.wq))
                exp_bits = max(exp_bits, head.exp_frac_bits or 0)
        else:
            terms = max(terms, len(block.w1))
    # affine maps and the readout: terms products Pm * A plus a bias below Pm * 2^F <= Pm * A;
    # scores: key_dims products A * A; softmax numerators: N weights <= 2^E times A
    bound = max((terms + 1) * Pm * A, key_dims * A * A, N * (1 << exp_bits) * A)
    if normed:
        # layer norm: sum c^2 (|c| <= 2A); the root's argument a and its tests 4a, ((2q + 1) b)^2
        # with b = 2^P (times the float shift, below sqrt(a)); (gamma c + beta s) 2^F and s 2^P
        root = (A << (F + 2 * P)) + (Pm << (2 * F + P))
        bound = max(bound, 4 * d * A * A, 8 * root + (2 << 2 * P), (3 * Pm * A) << F, A << P)
    return np.int64 if bound < INT64_SAFE else object


def _ints(values, dtype, shift: int = 0) -> np.ndarray:
    """Grid indices (a tuple, or a tuple of rows) times 2^shift as an integer array."""
    array = np.array(values, dtype=dtype)
    return array * (1 << shift) if shift else array


class _Runner:
    def __init__(self, model: Transformer, N: int):
        self.model, self.fmt = model, model.number_format
        self.P = model.param_format.frac_bits
        self.F = self.fmt.frac_bits
        self.dtype = _dtype(model, N)
        self.N = N

    def affine(self, x, matrix, bias):
        """R(W x + b) on the last axis of x (grid indices)."""
        W = _ints(matrix, self.dtype)
        b = _ints(bias, self.dtype, self.F)
        return self.fmt.round_k(x @ W.T + b, 1 << self.P)

    def head(self, head, h, visible):
        fmt = self.fmt
        Q, K, V = (self.affine(h, w, b) for w, b in ((head.wq, head.bq), (head.wk, head.bk), (head.wv, head.bv)))
        s = fmt.round_k(Q @ K.transpose(0, 2, 1), 1 << self.F)
        m = np.where(visible, s, fmt.kmin - 1).max(axis=-1, keepdims=True)
        best = visible & (s == m)
        if head.type == "softmax":
            delta = np.where(visible, s - m, 0)
            levels, inverse = np.unique(delta, return_inverse=True)
            table = np.array([softmax_k(int(d), fmt, head.exp_frac_bits) for d in levels], dtype=self.dtype)
            e = np.where(visible, table[inverse.reshape(delta.shape)], 0).astype(self.dtype)
            return fmt.round_k(e @ V, e.sum(axis=-1, keepdims=True))
        if head.type == "hard":
            if head.tie == "leftmost":
                chosen = best.argmax(axis=-1)
            else:
                chosen = self.N - 1 - best[..., ::-1].argmax(axis=-1)
            return V[np.arange(V.shape[0])[:, None], chosen]
        return fmt.round_k(best.astype(self.dtype) @ V, best.sum(axis=-1, keepdims=True).astype(self.dtype))

    def attention(self, block: Attention, h):
        N = self.N
        total = _ints(block.bo, self.dtype, self.F)
        for head in block.heads:
            if head.mask == "causal":
                visible = np.tril(np.ones((N, N), dtype=bool))
            else:
                visible = np.ones((N, N), dtype=bool)
            a = self.head(head, h, visible)
            total = total + a @ _ints(head.wo, self.dtype).T
        return self.fmt.round_k(total, 1 << self.P)

    def layer_norm(self, norm: LayerNorm, h):
        """Layer norm on the last axis of h (spec 3.3; `evaluate.layer_norm`)."""
        fmt, F, P = self.fmt, self.F, self.P
        mu = fmt.round_k(h.sum(axis=-1, keepdims=True), h.shape[-1])
        c = h - mu
        v = fmt.round_k((c * c).sum(axis=-1, keepdims=True), h.shape[-1] << F)
        s = fmt.sqrt_k((v * (1 << (F + 2 * P)) + (norm.epsilon << (2 * F + P))).astype(self.dtype), 1 << P)
        gamma, beta = _ints(norm.gamma, self.dtype), _ints(norm.beta, self.dtype)
        scaled = fmt.round_k((gamma * c + beta * s) * (1 << F), np.where(s == 0, 1, s) * (1 << P))
        return np.where(s == 0, fmt.round_k(beta * (1 << F), 1 << P), scaled).astype(self.dtype)

    def mlp(self, block, h):
        z = self.affine(h, block.w1, block.b1)
        levels, inverse = np.unique(z, return_inverse=True)
        table = np.array([activation_k(block.activation, int(k), self.fmt) for k in levels], dtype=self.dtype)
        u = table[inverse.reshape(z.shape)]
        return self.affine(u, block.w2, block.b2)


def _transformer(model: Transformer, words, alphabet, outputs):
    B, n = words.shape
    lay = sequence.layout(model, n, outputs)
    run = _Runner(model, lay.N)
    rows = sequence.positional_rows(model, n)
    # h after the embedding: a table [symbol, position, dim] for the w positions
    h = np.zeros((B, lay.N, model.d_model), dtype=run.dtype)
    if model.bos is not None:
        h[:, 0] = np.array(sequence.embed(model, model.bos, rows[0]), dtype=run.dtype)
    if model.eos is not None:
        h[:, lay.N - 1] = np.array(sequence.embed(model, model.eos, rows[lay.N - 1]), dtype=run.dtype)
    for i in range(n):
        p = lay.offset + i
        table = np.array([sequence.embed(model, a, rows[p]) for a in alphabet], dtype=run.dtype)
        h[:, p] = table[words[:, i]]
    fmt = model.number_format
    for block in model.blocks:
        if isinstance(block, LayerNorm):
            h = run.layer_norm(block, h)
            continue
        y = run.layer_norm(block.norm, h) if block.norm is not None else h
        out = run.attention(block, y) if isinstance(block, Attention) else run.mlp(block, y)
        h = fmt.S(h + out) if block.residual else out
    readout = model.readout
    scores = h[:, list(lay.read)] @ _ints(readout.weights, run.dtype).T + _ints(readout.bias, run.dtype, run.F)
    if readout.kind == "threshold":
        return scores[..., 0] > 0
    winner = scores.argmax(axis=-1)  # the first maximum, as jnp.argmax
    if readout.accept is not None:
        return np.isin(winner, readout.accept)
    return (winner[..., None] == np.arange(len(readout.weights))).reshape(B, -1)


def run_batch(model: Transformer, words: np.ndarray, alphabet, outputs: str) -> np.ndarray:
    """Output bits [B, bits] (bool) on the strings `words` [B, n] (symbol indices)."""
    return _transformer(model, words, tuple(alphabet), outputs)
