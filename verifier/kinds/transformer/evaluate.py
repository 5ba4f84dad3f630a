"""Exact evaluator of a transformer (spec 3): the reference semantics, on integer
grid indices (Python ints, so nothing overflows), for fixed-point and float
number formats alike (spec 2.1: `round_k` is the format's R, `S` is R for floats).

Every matrix-vector product plus bias is exact and rounded once by R; attention
scores R(Q.K); softmax weights X(s - m) from the exact, unsaturated difference;
a_p = R(sum e V / sum e) with one rounding; o_p = R(sum over heads wo a + bo);
residual S(h + o); layer norm with an exactly rounded square root; readout exact.
"""

from __future__ import annotations

import operator
from fractions import Fraction

from ...core.models import Attention, LayerNorm, Readout, Transformer
from ...semantics.activations import activation_k, softmax_k
from . import sequence

# -- transformer ------------------------------------------------------------------
#
# Values are grid indices: h, Q, K, V, a, o on the number format's 2^-F grid, the
# parameters on the param grid 2^-P, softmax weights on 2^-E. An exact sum of
# products of a parameter and a value is an integer on the 2^-(P+F) grid, so its
# one rounding R is `round_k(sum, 2^P)`; a score Q.K is on 2^-2F, R is
# `round_k(., 2^F)`; a softmax output sum e V / sum e is already in 2^-F units.


def _dot(row, x) -> int:
    return sum(map(operator.mul, row, x))


def _affine(model: Transformer, matrix, bias, x) -> list:
    """R(W x + b) elementwise, exact before the one rounding."""
    fmt, F, P = model.number_format, model.number_format.frac_bits, model.param_format.frac_bits
    return [fmt.round_k(_dot(row, x) + (b << F), 1 << P) for row, b in zip(matrix, bias)]


def _visible(mask: str, p: int, N: int) -> range:
    return range(p + 1) if mask == "causal" else range(N)


def _head(model: Transformer, head, h: list) -> dict:
    """One attention head over the whole sequence; returns its outputs a_p and details."""
    fmt = model.number_format
    F = fmt.frac_bits
    N = len(h)
    Q = [_affine(model, head.wq, head.bq, x) for x in h]
    K = [_affine(model, head.wk, head.bk, x) for x in h]
    V = [_affine(model, head.wv, head.bv, x) for x in h]
    scores, maxima, weights, chosen, outputs = [], [], [], [], []
    for p in range(N):
        seen = _visible(head.mask, p, N)
        s = {q: fmt.round_k(_dot(Q[p], K[q]), 1 << F) for q in seen}
        m = max(s.values())
        best = [q for q in seen if s[q] == m]
        if head.type == "softmax":
            e = {q: softmax_k(s[q] - m, fmt, head.exp_frac_bits) for q in seen}
            total = sum(e.values())
            a = [fmt.round_k(sum(e[q] * V[q][j] for q in seen), total) for j in range(len(head.wv))]
            weights.append([e.get(q) for q in range(N)])
            chosen.append(best)
        elif head.type == "hard":
            q_star = best[0] if head.tie == "leftmost" else best[-1]
            a = list(V[q_star])
            chosen.append([q_star])
        else:
            a = [fmt.round_k(sum(V[q][j] for q in best), len(best)) for j in range(len(head.wv))]
            chosen.append(best)
        scores.append([s.get(q) for q in range(N)])
        maxima.append(m)
        outputs.append(a)
    detail = {"type": head.type, "mask": head.mask, "scores": scores, "max": maxima, "chosen": chosen, "output": outputs}
    if head.type == "softmax":
        detail["weights"] = weights
    return detail


def _attention(model: Transformer, block: Attention, h: list) -> tuple:
    fmt, F, P = model.number_format, model.number_format.frac_bits, model.param_format.frac_bits
    heads = [_head(model, head, h) for head in block.heads]
    out = []
    for p in range(len(h)):
        rows = []
        for i, bo in enumerate(block.bo):
            total = (bo << F) + sum(_dot(head.wo[i], detail["output"][p]) for head, detail in zip(block.heads, heads))
            rows.append(fmt.round_k(total, 1 << P))
        out.append(rows)
    return out, {"kind": "attention", "residual": block.residual, "heads": heads, "output": out}


def _mlp(model: Transformer, block, h: list) -> tuple:
    fmt = model.number_format
    pre = [_affine(model, block.w1, block.b1, x) for x in h]
    hidden = [[activation_k(block.activation, z, fmt) for z in row] for row in pre]
    out = [_affine(model, block.w2, block.b2, u) for u in hidden]
    return out, {"kind": "mlp", "residual": block.residual, "activation": block.activation,
                 "pre": pre, "hidden": hidden, "output": out}


def layer_norm(model: Transformer, norm: LayerNorm, x: list) -> tuple:
    """(y, (mu, v, s)) for one position (spec 3.3): mu = R(sum x / d), c = x - mu
    exact, v = R(sum c^2 / d), s = R(sqrt(v + epsilon)) exactly rounded, y_i =
    R(gamma_i c_i / s + beta_i), or R(beta_i) where s = 0. Grid indices: x, c, mu,
    v, s on 2^-F; gamma, beta, epsilon on the param grid 2^-P."""
    fmt, F, P = model.number_format, model.number_format.frac_bits, model.param_format.frac_bits
    mu = fmt.round_k(sum(x), len(x))
    c = [xi - mu for xi in x]
    v = fmt.round_k(sum(ci * ci for ci in c), len(x) << F)  # sum c^2 on 2^-2F, over d, to 2^-F
    # (v + epsilon) * 2^2F = (v 2^(F+P) + epsilon 2^2F) / 2^P, so s * 2^F = sqrt(that * 2^P) / 2^P
    s = fmt.sqrt_k(((v << (F + P)) + (norm.epsilon << 2 * F)) << P, 1 << P)
    if s == 0:
        y = [fmt.round_k(b << F, 1 << P) for b in norm.beta]
    else:  # gamma c / s + beta = (gamma c + beta s) / (s 2^P) in values; times 2^F for the grid
        y = [fmt.round_k((g * ci + b * s) << F, s << P) for g, b, ci in zip(norm.gamma, norm.beta, c)]
    return y, (mu, v, s)


def _normed(model: Transformer, norm: LayerNorm, h: list) -> tuple:
    """Layer norm at every position: (y per position, detail for the trace)."""
    runs = [layer_norm(model, norm, x) for x in h]
    y = [row for row, _ in runs]
    return y, {"kind": "layer_norm", "mean": [r[1][0] for r in runs], "variance": [r[1][1] for r in runs],
               "root": [r[1][2] for r in runs], "output": y}


def readout_bits(readout: Readout, scores: list) -> list:
    """The output bits of one read position from its exact readout scores (models.Readout)."""
    if readout.kind == "threshold":
        return [int(scores[0] > 0)]
    winner = scores.index(max(scores))  # the first maximum, as jnp.argmax
    if readout.accept is not None:
        return [int(winner in readout.accept)]
    return [int(c == winner) for c in range(len(scores))]


def forward(model: Transformer, word, outputs: str) -> dict:
    """Run a transformer on one string (spec 3) with every intermediate value as an
    integer grid index: `stages[k][p][d]` is h after the embedding (k = 0) and after
    block k; `blocks[k]` holds each head's scores, maxima, softmax weights, chosen
    positions and outputs (attention), pre-activations and activations (mlp), or
    means, variances, roots and outputs (layer norm, also as `norm` of a pre-norm block);
    `scores[r][c]` the exact readout value c at the r-th read position on the
    2^-(P+F) grid; `bits` the output bits."""
    fmt = model.number_format
    n = len(word)
    lay = sequence.layout(model, n, outputs)
    toks = sequence.tokens(model, word)
    rows = sequence.positional_rows(model, n)
    h = [list(sequence.embed(model, t, row)) for t, row in zip(toks, rows)]
    stages, blocks = [h], []
    for block in model.blocks:
        if isinstance(block, LayerNorm):
            h, detail = _normed(model, block, h)
            stages.append(h)
            blocks.append(detail)
            continue
        y, norm = _normed(model, block.norm, h) if block.norm is not None else (h, None)
        out, detail = (_attention if isinstance(block, Attention) else _mlp)(model, block, y)
        if norm is not None:
            detail["norm"] = norm
        if block.residual:
            h = [[fmt.S(a + b) for a, b in zip(x, o)] for x, o in zip(h, out)]
        else:
            h = out
        stages.append(h)
        blocks.append(detail)
    F = fmt.frac_bits
    readout = model.readout
    scores = [[_dot(w, h[p]) + (b << F) for w, b in zip(readout.weights, readout.bias)] for p in lay.read]
    bits = [bit for row in scores for bit in readout_bits(readout, row)]
    return {"tokens": toks, "read": list(lay.read), "stages": stages, "blocks": blocks, "scores": scores, "bits": bits}


def _values(tree, den: int):
    """Grid indices (nested in lists and dicts) as the exact Fractions k / den; None
    and strings (a detail's `kind`) kept."""
    if isinstance(tree, list):
        return [_values(v, den) for v in tree]
    if isinstance(tree, dict):
        return {k: _values(v, den) for k, v in tree.items()}
    return tree if tree is None or isinstance(tree, str) else Fraction(tree, den)


def trace(model: Transformer, word, alphabet, outputs: str) -> dict:
    """`forward` with every value as an exact Fraction: stages and block details on
    the number grid (softmax weights on their 2^-E grid), `logits` the readout
    values (one list per read position)."""
    run = forward(model, list(word), outputs)
    scale = model.number_format.scale
    blocks = []
    for block, detail in zip(model.blocks, run["blocks"]):
        detail = dict(detail)
        if "norm" in detail:
            detail["norm"] = _values(detail["norm"], scale)
        if detail["kind"] == "layer_norm":
            detail = _values(detail, scale)
        elif detail["kind"] == "attention":
            heads = []
            for head, info in zip(block.heads, detail["heads"]):
                info = dict(info)
                for name in ("scores", "max", "output"):
                    info[name] = _values(info[name], scale)
                if "weights" in info:
                    info["weights"] = _values(info["weights"], 1 << head.exp_frac_bits)
                heads.append(info)
            detail["heads"] = heads
            detail["output"] = _values(detail["output"], scale)
        else:
            for name in ("pre", "hidden", "output"):
                detail[name] = _values(detail[name], scale)
        blocks.append(detail)
    logits = _values(run["scores"], scale << model.param_format.frac_bits)
    return {"tokens": run["tokens"], "read": run["read"], "stages": _values(run["stages"], scale),
            "blocks": blocks, "logits": logits, "bits": run["bits"]}


def run(model: Transformer, word, alphabet, outputs: str) -> list:
    """The output bits of one string."""
    return forward(model, list(word), outputs)["bits"]
