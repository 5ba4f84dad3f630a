"""The token sequence of a transformer run (spec 3.1-3.2), shared by the exact
evaluator, the batch evaluator and the SAT lowering, so that all three agree on
where `w_i` sits, where outputs are read and what the embedding layer gives."""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

from ...core.models import Transformer
from ...errors import UserError


@dataclass(frozen=True)
class Layout:
    """Positions of one run over a string of length n."""

    n: int
    N: int  # length of t = (bos, w_0 .. w_{n-1}, eos)
    offset: int  # position of w_0 (1 with bos, else 0)
    read: tuple  # the positions whose readout bits are the outputs, in order


def layout(model: Transformer, n: int, outputs: str) -> Layout:
    offset = 1 if model.bos is not None else 0
    N = n + offset + (1 if model.eos is not None else 0)
    if N == 0:
        raise UserError("the transformer has no bos or eos, so it gives no output on the empty string (length 0)", model.path, "lengths")
    if outputs == "every":
        read = tuple(offset + i for i in range(n))
    else:
        read = (N - 1,)
    return Layout(n, N, offset, read)


def tokens(model: Transformer, word) -> list:
    """t = (bos, w_0 .. w_{n-1}, eos) with the optional tokens the model names."""
    head = [model.bos] if model.bos is not None else []
    tail = [model.eos] if model.eos is not None else []
    return head + list(word) + tail


def row_frac_bits(model: Transformer) -> int:
    """The grid 2^-G of the positional rows: G = max(P, F), fine enough for table
    rows (param grid) and expr rows (number format) alike."""
    return max(model.param_format.frac_bits, model.number_format.frac_bits)


def positional_rows(model: Transformer, n: int) -> list:
    """P[p] for p < N as tuples of grid indices on the 2^-G grid of `row_frac_bits`
    (exact; `expr` rows already R-ed to the number format, from float64 as the spec
    says). Errors at this length are UserErrors."""
    N = n + (model.bos is not None) + (model.eos is not None)
    pos = model.positional
    G = row_frac_bits(model)
    if pos.kind == "none":
        return [(0,) * model.d_model] * N
    if pos.kind == "table":
        if len(pos.table) < N:
            raise UserError(f"the positional table has {len(pos.table)} rows, but length {n} needs {N}", model.path, pos.key)
        shift = G - model.param_format.frac_bits
        return [tuple(k << shift for k in row) for row in pos.table[:N]]
    fmt = model.number_format
    shift = G - fmt.frac_bits
    rows = []
    for p in range(N):
        row = []
        for d, (expr, text) in enumerate(zip(pos.exprs, pos.sources)):
            try:
                value = float(expr(p, n, N))
            except (ZeroDivisionError, ValueError, OverflowError) as exc:
                raise UserError(f"expression {text!r} fails at i={p}, n={n}: {exc}", model.path, f"positional.expr[{d}]") from None
            if not math.isfinite(value):
                raise UserError(f"expression {text!r} is not finite at i={p}, n={n}", model.path, f"positional.expr[{d}]")
            row.append(fmt.R(Fraction(value)) << shift)
        rows.append(tuple(row))
    return rows


def embed(model: Transformer, token, row) -> tuple:
    """Grid indices (number format) of h_p = R(E[t_p] + P[p]), `row` from `positional_rows`."""
    fmt = model.number_format
    G = row_frac_bits(model)
    shift = G - model.param_format.frac_bits
    return tuple(fmt.round_k((e << shift) + p, 1 << (G - fmt.frac_bits)) for e, p in zip(model.embedding[token], row))
