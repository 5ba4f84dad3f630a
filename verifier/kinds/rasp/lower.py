"""A RASP program lowered to the gate IR at one length: every S-Op value one-hot over
its domain (`program.py`), with one more bit per position for *undefined*.

- tokens, indices, length, full, constants: input bits and constants;
- map / sequence_map / linear_sequence_map: the table, an OR over the inputs (pairs)
  that give each result;
- select: per (query, key) the predicate bit, an OR over the query's values of
  (query is v) AND (the key is one that v selects); selector and/or/not are gates;
  a causal program's keys after the query are 0;
- selector_width: the count of selected keys, one-hot by threshold gates
  (count >= c AND NOT count >= c + 1);
- aggregate: `rasp._mean` of the selected values. Over values 0/1 (Tracr's numerical
  aggregate) the mean is s/m for the counts s of selected ones and m of selected keys,
  both one-hot by threshold gates: O(n^2) small gates per query. Over any other
  numbers the indicator of each value v is the linear equation
  sum_k sel_k * (val_k - v) = 0 (two threshold gates) with a non-empty selection.
  Non-numbers are passed on when exactly one key is selected; two or more selected
  non-numbers are undefined, as is anything selected that is undefined.

An undefined bit is carried beside every value: a gate that reads an undefined value
is undefined (the value bits are then of no meaning). The cost is polynomial: per
position the table sizes, per (query, key) pair the value-set sizes.
"""

from __future__ import annotations

import math
from fractions import Fraction

from .load import check_length
from .program import POSITION_OPS, Program, is_number, linear, same


def lower_care(model, circuit, outputs: str, style: str = "adder", rewrite: bool = True, counts: bool = True):
    """(output bits, their undefined nodes) at length `circuit.length`: a bit whose
    undefined node is 1 is not compared."""
    check_length(model, circuit.length, outputs)
    values = lower_program(model.program, circuit, model.symbols)[model.program.output]
    read = values if outputs == "every" else values[-1:]
    bits, undefined = [], []
    for v in read:
        if model.readout == "classes":
            wanted = [[c] for c in model.classes]
        elif model.readout == "accept":
            wanted = [list(model.accept)]
        else:
            wanted = [None]
        for accepted in wanted:
            if accepted is None:  # threshold
                bit = circuit.or_(*(b for x, b in v.bits.items() if is_number(x) and x > model.threshold))
                broken = circuit.or_(v.undef, *(b for x, b in v.bits.items() if not is_number(x)))
            else:
                bit = circuit.or_(*(b for x, b in v.bits.items() if any(same(x, a) for a in accepted)))
                broken = v.undef
            bits.append(circuit.and_(bit, circuit.not_(broken)))
            undefined.append(broken)
    return bits, undefined


def lower(model, circuit, outputs: str, style: str = "adder", rewrite: bool = True, counts: bool = True) -> list:
    """IR nodes of the output bits (0 where undefined; `lower_care` gives which those are)."""
    return lower_care(model, circuit, outputs, style, rewrite, counts)[0]


class Value:
    """One S-Op at one position: `bits` value -> node (one-hot when defined), `undef` node."""

    __slots__ = ("bits", "undef")

    def __init__(self, bits: dict, undef: int):
        self.bits = bits
        self.undef = undef


def lower_program(program: Program, circuit, token_of_symbol: dict) -> dict:
    """node id -> per position a `Value` (S-Op) or per [query][key] a (bit, undef) pair (selector)."""
    c = circuit
    n = c.length
    out = {}
    for node in program.nodes:
        op = node.op
        arg = lambda name: out[node.refs[name]]  # noqa: E731
        if op == "tokens":
            vals = []
            for i in range(n):
                bits = {}
                for symbol, token in token_of_symbol.items():
                    bits[token] = c.or_(bits.get(token, c.false), c.input(i, symbol))
                vals.append(Value(bits, c.false))
        elif op in POSITION_OPS:
            vals = [Value({} if v is None else {v: c.true}, c.true if v is None else c.false)
                    for v in node.position_values(n)]
        elif op == "map":
            vals = [_tabulate(c, [(x, [b]) for x, b in v.bits.items()], lambda x: node.table[x], [v.undef])
                    for v in arg("inner")]
        elif op in ("sequence_map", "linear_sequence_map"):
            f = (lambda xy: node.table[xy]) if op == "sequence_map" else (lambda xy: linear(node.factors, *xy))
            vals = [_tabulate(c, [((x, y), [bx, by]) for x, bx in a.bits.items() for y, by in b.bits.items()],
                              f, [a.undef, b.undef])
                    for a, b in zip(arg("fst"), arg("snd"))]
        elif op == "select":
            keys, queries = arg("keys"), arg("queries")
            rows = []
            for q in range(n):
                row = []
                for k in range(n):
                    if program.causal and k > q:
                        row.append((c.false, c.false))
                        continue
                    hits, undefs = [], [keys[k].undef, queries[q].undef]
                    for qv, qb in queries[q].bits.items():
                        chosen = [kb for kv, kb in keys[k].bits.items() if node.table[kv, qv] is True]
                        broken = [kb for kv, kb in keys[k].bits.items() if node.table[kv, qv] is None]
                        hits.append(c.and_(qb, c.or_(*chosen)))
                        undefs.append(c.and_(qb, c.or_(*broken)))
                    row.append((c.or_(*hits), c.or_(*undefs)))
                rows.append(row)
            vals = rows
        elif op in ("selector_and", "selector_or", "selector_not"):
            gate = {"selector_and": c.and_, "selector_or": c.or_, "selector_not": None}[op]
            if op == "selector_not":
                vals = [[(c.false, c.false) if program.causal and k > q else (c.not_(b), u)
                         for k, (b, u) in enumerate(row)] for q, row in enumerate(arg("inner"))]
            else:
                vals = [[(gate(a[0], b[0]), c.or_(a[1], b[1])) for a, b in zip(ra, rb)]
                        for ra, rb in zip(arg("fst"), arg("snd"))]
        elif op == "selector_width":
            vals = []
            for row in arg("selector"):
                sel = [b for b, _ in row]
                vals.append(Value(_count(c, sel), c.or_(*(u for _, u in row))))
        elif op == "aggregate":
            sop = arg("sop")
            inner = out_domain(program, node.refs["sop"])
            vals = [_aggregate(c, row, sop, inner, node.fill, node.domain) for row in arg("selector")]
        else:  # pragma: no cover
            raise AssertionError(op)
        out[node.id] = vals
    return out


def out_domain(program, node_id):
    return program.node(node_id).domain


def _tabulate(c, cases, f, undefs) -> Value:
    """A table applied to one-hot inputs: cases [(input, [bits])], f(input) -> result (None: undefined)."""
    bits, broken = {}, list(undefs)
    for x, conj in cases:
        if c.false in conj:  # an impossible input: skip before building anything
            continue
        term = c.and_(*conj)
        if term == c.false:
            continue
        y = f(x)
        if y is None:
            broken.append(term)
        else:
            bits[y] = c.or_(bits.get(y, c.false), term)  # a dict keeps the first of equal keys
    return Value(bits, c.or_(*broken))


def _count(c, sel) -> dict:
    """count -> bit, one-hot, for the number of true bits in `sel` (constants counted
    directly, thresholds only over the others)."""
    ones = sum(c.const_value(b) == 1 for b in sel)
    free = [b for b in sel if c.const_value(b) is None]
    ge = [c.true] + [c.threshold(free, [1] * len(free), t) for t in range(1, len(free) + 1)] + [c.false]
    out = {m: c.false for m in range(len(sel) + 1)}
    for m in range(len(free) + 1):
        out[ones + m] = c.and_(ge[m], c.not_(ge[m + 1]))
    return out


def _aggregate(c, row, sop, inner, default, domain) -> Value:
    n = len(row)
    domain = {v: v for v in domain}
    sel = [b for b, _ in row]
    undefs = [u for _, u in row]
    undefs += [c.and_(b, v.undef) for b, v in zip(sel, sop)]  # a selected undefined value
    count = _count(c, sel)
    empty, single = count[0], count.get(1, c.false)
    several = c.not_(c.or_(empty, single))
    bits = {}

    def add(v, node):
        if node == c.false:
            return
        if v not in domain:  # unreachable (the domain holds every value rasp.evaluate can give)
            undefs.append(node)
            return
        v = domain[v]
        bits[v] = c.or_(bits.get(v, c.false), node)

    if default is None:
        undefs.append(empty)
    else:
        add(default, empty)
    numbers = [u for u in inner if is_number(u)]
    others = [u for u in inner if not is_number(u)]
    for u in others:  # exactly one selected, holding u
        add(u, c.and_(single, c.or_(*(c.and_(b, v.bits.get(u, c.false)) for b, v in zip(sel, sop)))))
    if others:  # two or more selected, one of them not a number: rasp._mean raises
        nonnum = [c.and_(b, c.or_(*(v.bits.get(u, c.false) for u in others))) for b, v in zip(sel, sop)]
        undefs.append(c.and_(several, c.or_(*nonnum)))
        all_numbers = c.not_(c.or_(*nonnum))
    else:
        all_numbers = c.true
    if numbers:
        picked = c.and_(c.not_(empty), all_numbers)
        if all(u in (0, 1) for u in numbers):  # s ones among m selected: the mean is s / m
            ones = [c.and_(b, c.or_(*(bit for u, bit in v.bits.items() if is_number(u) and u == 1)))
                    for b, v in zip(sel, sop)]
            s_count = _count(c, ones)
            for m in range(1, n + 1):
                if count[m] == c.false:
                    continue
                for s in range(m + 1):
                    if s_count[s] == c.false:
                        continue
                    term = c.and_(picked, count[m], s_count[s])
                    if term == c.false:
                        continue
                    mean = _single_value(numbers, s, m)
                    add(mean, term)
        else:
            for v in [u for u in domain if is_number(u)]:
                terms, weights = [], []
                scale = math.lcm(*(Fraction(x).denominator for x in numbers + [v]))
                for b, val in zip(sel, sop):
                    for u, bit in val.bits.items():
                        if is_number(u) and u != v:
                            terms.append(c.and_(b, bit))
                            weights.append(int((Fraction(u) - Fraction(v)) * scale))
                ge = c.threshold(terms, weights, 0)
                le = c.threshold(terms, [-w for w in weights], 0)
                add(v, c.and_(picked, ge, le))
    return Value(bits, c.or_(*undefs))


def _single_value(numbers, s, m):
    """The value rasp._mean gives for s ones among m selected 0/1 values (the value itself
    when all selected are equal: True stays True)."""
    mean = Fraction(s, m)
    for u in numbers:
        if u == mean:
            return u
    return int(mean) if mean.denominator == 1 else mean
