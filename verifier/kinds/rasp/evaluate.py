"""The exact semantics of a RASP program: Tracr's `rasp.evaluate` (`causal_eval` for a
causal export) on exact values, position by position.

`None` is an *undefined* value: where `rasp.evaluate` gives None (an empty Aggregate
with default None, a Map of None, a table entry None) and where it would raise (a
predicate on None, a function that raised when the export tabulated it, an Aggregate
over two or more selected values that are not all numbers). An undefined value makes
everything computed from it undefined; a position whose output is undefined is not
compared with the other model. An Aggregate is `rasp._mean`: the default on an empty
selection, the one selected value, else the mean of numbers, exact (a Fraction; when
the selected values are all equal, the first of them, so `True` stays `True`).
"""

from __future__ import annotations

from fractions import Fraction

from .load import check_length, read_values
from .program import POSITION_OPS, Program, is_number, linear, normal


def run(model, word, alphabet, outputs: str) -> list:
    """The output bits of one string (None: undefined, not compared)."""
    check_length(model, len(word), outputs)
    tokens = [model.symbols[symbol] for symbol in word]
    return read_values(model, evaluate(model.program, tokens)[model.program.output], outputs)


def trace_values(model, word) -> dict:
    """Every S-Op's value per position (for messages and simulate)."""
    values = evaluate(model.program, [model.symbols[symbol] for symbol in word])
    return {node.id: values[node.id] for node in model.program.nodes if node.is_sop}


def evaluate(program: Program, tokens: list) -> dict:
    """Every node's value on the input `tokens` (program values, BOS not included):
    an S-Op a list of n values, a selector an n x n list of rows [query][key] of
    True/False/None. None is undefined."""
    n = len(tokens)
    values = {}
    for node in program.nodes:
        arg = lambda name: values[node.refs[name]]  # noqa: E731
        op = node.op
        if op == "tokens":
            out = list(tokens)
        elif op in POSITION_OPS:
            out = node.position_values(n)
        elif op == "map":
            out = [None if x is None else node.table[x] for x in arg("inner")]
        elif op == "sequence_map":
            out = [None if x is None or y is None else node.table[x, y] for x, y in zip(arg("fst"), arg("snd"))]
        elif op == "linear_sequence_map":
            out = [None if x is None or y is None else linear(node.factors, x, y)
                   for x, y in zip(arg("fst"), arg("snd"))]
        elif op == "selector_width":
            out = [None if None in row else sum(row) for row in arg("selector")]
        elif op == "aggregate":
            sop = arg("sop")
            out = [aggregate_row(row, sop, node.fill) for row in arg("selector")]
        elif op == "select":
            keys, queries = arg("keys"), arg("queries")
            out = [[None if k is None or q is None else node.table[k, q] for k in keys] for q in queries]
        elif op == "selector_and":
            out = [[None if a is None or b is None else a and b for a, b in zip(ra, rb)]
                   for ra, rb in zip(arg("fst"), arg("snd"))]
        elif op == "selector_or":
            out = [[None if a is None or b is None else a or b for a, b in zip(ra, rb)]
                   for ra, rb in zip(arg("fst"), arg("snd"))]
        elif op == "selector_not":
            out = [[None if a is None else not a for a in row] for row in arg("inner")]
        elif op == "constant_selector":
            out = [list(row) for row in node.constant] if len(node.constant) == n else [[None] * n for _ in range(n)]
        else:  # pragma: no cover - the reader admits no other op
            raise AssertionError(op)
        if node.is_sop:  # each value as its domain keeps it (True and 1 are one value)
            canon = node.canon
            out = [None if v is None else canon[v] for v in out]
        if program.causal and not node.is_sop:  # causal_eval: a query sees the keys up to itself
            out = [[entry if k <= q else False for k, entry in enumerate(row)] for q, row in enumerate(out)]
        values[node.id] = out
    return values


def aggregate_row(row, sop, default):
    """rasp._mean of the values the selector row selects (None: undefined)."""
    if None in row:
        return None
    chosen = [v for selected, v in zip(row, sop) if selected]
    if not chosen:
        return default
    if None in chosen:
        return None
    if len(chosen) == 1 or all(v == chosen[0] for v in chosen[1:]):
        return chosen[0] if len(chosen) == 1 or all(is_number(v) for v in chosen) else None
    if not all(is_number(v) for v in chosen):
        return None
    return normal(Fraction(sum(chosen)) / len(chosen))


def outputs(program: Program, tokens: list) -> list:
    """The program's output S-Op on `tokens`, per position (None: undefined)."""
    return evaluate(program, tokens)[program.output]
