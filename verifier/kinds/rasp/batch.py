"""The exact semantics of `evaluate.py` on many strings at once (numpy, exact).

Every S-Op is an int array [B, n] of indices into its domain (-1: undefined); every
selector an int8 array [B, query, key] of 1 / 0 / -1 (undefined). Tables are lookup
arrays; a mean is a pair of integers (sum over a common denominator, count), reduced
by their gcd and looked up among the domain's values: no float anywhere.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

from .load import check_length
from .program import POSITION_OPS, Program, is_number, linear, same

UNDEFINED = 2  # an output bit that is not compared (kinds/kind.py)


def run_batch(model, words: np.ndarray, alphabet, outputs: str) -> np.ndarray:
    """Output bits [B, bits] (uint8: 0, 1 or UNDEFINED) on the strings `words` [B, n]."""
    program = model.program
    check_length(model, np.shape(words)[1], outputs)
    table = np.array([program.vocab.index(model.symbols[a]) for a in alphabet], dtype=np.int64)
    words = np.asarray(words, dtype=np.int64)
    if words.shape[1] == 0:
        return np.zeros((words.shape[0], 0), dtype=np.uint8)
    values = evaluate_batch(program, table[words])  # [B, n] indices into the sink's domain
    read = values if outputs == "every" else values[:, -1:]
    domain = program.sink.domain
    if model.readout == "classes":
        hits = np.array([[same(v, c) for c in model.classes] for v in domain] + [[False] * len(model.classes)],
                        dtype=np.uint8)
    elif model.readout == "accept":
        hits = np.array([[any(same(v, a) for a in model.accept)] for v in domain] + [[False]], dtype=np.uint8)
    else:
        hits = np.array([[UNDEFINED if not is_number(v) else int(v > model.threshold)] for v in domain] + [[0]],
                        dtype=np.uint8)
    bits = hits[read]  # [B, positions, bits per position]; index -1 (undefined) reads the last row
    bits[read < 0] = UNDEFINED
    return bits.reshape(words.shape[0], -1)


def evaluate_batch(program: Program, tokens: np.ndarray) -> np.ndarray:
    """The output S-Op [B, n] as indices into the sink's domain (-1: undefined), for
    `tokens` [B, n] given as indices into `program.vocab`."""
    tokens = np.asarray(tokens, dtype=np.int64)
    batch, n = tokens.shape
    vals = {}
    for node in program.nodes:
        op = node.op
        arg = lambda name: vals[node.refs[name]]  # noqa: E731
        index = {v: i for i, v in enumerate(node.domain)} if node.is_sop else None
        if op == "tokens":
            table = np.array([index[v] for v in program.vocab], dtype=np.int64)
            out = table[tokens]
        elif op in POSITION_OPS:
            row = np.array([-1 if v is None else index[v] for v in node.position_values(n)], dtype=np.int64)
            out = np.broadcast_to(row, (batch, n)).copy()
        elif op == "map":
            inner = program.node(node.refs["inner"]).domain
            table = np.array([_at(index, node.table[x]) for x in inner] + [-1], dtype=np.int64)
            out = table[arg("inner")]  # -1 indexes the last entry: undefined
        elif op in ("sequence_map", "linear_sequence_map"):
            fst, snd = (program.node(node.refs[name]).domain for name in ("fst", "snd"))
            f = (lambda x, y: node.table[x, y]) if op == "sequence_map" else (lambda x, y: linear(node.factors, x, y))
            table = np.full((len(fst) + 1, len(snd) + 1), -1, dtype=np.int64)
            for i, x in enumerate(fst):
                for j, y in enumerate(snd):
                    table[i, j] = _at(index, f(x, y))
            out = table[arg("fst"), arg("snd")]
        elif op == "select":
            keys, queries = (program.node(node.refs[name]).domain for name in ("keys", "queries"))
            table = np.full((len(keys) + 1, len(queries) + 1), -1, dtype=np.int8)
            for i, k in enumerate(keys):
                for j, q in enumerate(queries):
                    entry = node.table[k, q]
                    table[i, j] = -1 if entry is None else int(entry)
            out = table[arg("keys")[:, None, :], arg("queries")[:, :, None]]  # [B, query, key]
        elif op in ("selector_and", "selector_or"):
            a, b = arg("fst"), arg("snd")
            both = (a & b) if op == "selector_and" else (a | b)
            out = np.where((a < 0) | (b < 0), -1, both).astype(np.int8)
        elif op == "selector_not":
            a = arg("inner")
            out = np.where(a < 0, -1, 1 - a).astype(np.int8)
        elif op == "constant_selector":
            if len(node.constant) == n:
                out = np.broadcast_to(np.array(node.constant, dtype=np.int8), (batch, n, n)).copy()
            else:
                out = np.full((batch, n, n), -1, dtype=np.int8)
        elif op == "selector_width":
            sel = arg("selector")
            count = (sel == 1).sum(axis=2)
            out = np.where((sel < 0).any(axis=2), -1, np.array([index[m] for m in range(n + 1)])[count])
        elif op == "aggregate":
            out = _aggregate(program, node, index, arg("selector"), arg("sop"))
        else:  # pragma: no cover
            raise AssertionError(op)
        if program.causal and not node.is_sop:  # causal_eval
            out = np.where(np.tril(np.ones((n, n), dtype=bool))[None], out, 0).astype(np.int8)
        vals[node.id] = out
    return vals[program.output]


def _at(index, value) -> int:
    return -1 if value is None else index[value]


def _aggregate(program, node, index, sel, sop) -> np.ndarray:
    inner = program.node(node.refs["sop"]).domain
    batch, n, _ = sel.shape
    chosen = sel == 1
    count = chosen.sum(axis=2)
    undefined = (sel < 0).any(axis=2) | (chosen & (sop[:, None, :] < 0)).any(axis=2)
    default = -1 if node.fill is None else index[node.fill]
    out = np.full((batch, n), default, dtype=np.int64)
    # exactly one selected: its value (as this node's domain keeps it)
    single = np.array([index[v] for v in inner] + [-1], dtype=np.int64)
    first = np.where(count > 0, np.argmax(chosen, axis=2), 0)
    picked = np.take_along_axis(sop, first, axis=1) if n else first
    out = np.where(count == 1, single[picked], out)
    several = count >= 2
    if several.any():
        numeric = np.array([is_number(v) for v in inner] + [True], dtype=bool)
        nonnumber = (chosen & ~numeric[sop][:, None, :]).any(axis=2)
        scale = math.lcm(*(Fraction(v).denominator for v in inner if is_number(v))) if any(map(is_number, inner)) else 1
        nums = np.array([int(Fraction(v) * scale) if is_number(v) else 0 for v in inner] + [0], dtype=np.int64)
        total = np.where(chosen, nums[sop][:, None, :], 0).sum(axis=2)  # the sum times scale
        low, high = n * min(0, int(nums.min())), n * max(0, int(nums.max()))
        if (n + 1) * (high - low + 1) <= 1 << 22:  # a table [count, total - low] -> index
            means = np.full((n + 1, high - low + 1), -1, dtype=np.int64)
            for m in range(2, n + 1):
                for t in range(m * min(0, int(nums.min())), m * max(0, int(nums.max())) + 1):
                    value = Fraction(t, m * scale)
                    if value in index:
                        means[m, t - low] = index[value]
            mean = means[np.minimum(count, n), total - low]
        else:  # wide values: each mean on its own
            mean = np.full((batch, n), -1, dtype=np.int64)
            for b, q in zip(*np.nonzero(several)):
                mean[b, q] = index.get(Fraction(int(total[b, q]), int(count[b, q]) * scale), -1)
        out = np.where(several, np.where(nonnumber, -1, mean), out)
    return np.where(undefined, -1, out)
