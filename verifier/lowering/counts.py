"""Count forms (issue 21): values that are functions of one small-range integer linear
form T over IR bits, computed pointwise, and one shared unary sum per form.

Where attention scores depend on positions alone (Tracr's select-all and prefix heads),
every value of the first layers at a position is a function of prefix counts of the
token bits: a function of ONE linear form L = sum c * bit + const whose range is small
(at most n + 1 values). A `Counted` holds such a value as its table over the integer
range of the *canonical* form T of L (`canonical`):

- per input position, the coefficients of its symbols' bits are shifted so that the
  least is 0 (exactly one symbol is set: one-hot elimination, c_a x_a summed over a
  equals min c + sum (c_a - min c) x_a);
- a negative coefficient of any other node x becomes a positive one of NOT x
  (c x = c + |c| NOT x);
- the coefficients are divided by their gcd g, and of T and its mirror (hi - T, the
  same form with every position's coefficients mirrored and every node negated) the
  one with the smaller key is taken; so L = a T + b with a = +-g, and two forms that are
  affine images of each other (o_i and c_i = i - o_i) have the same T.

Values over the same T combine pointwise (sums, products, roundings, MLP activations,
comparisons: the exact integer functions of `semantics/` at each point), so a numerical
MLP of hundreds of ReLUs is one table. Only where a value leaves T (a word, a 0/1 node)
are gates built, and all of them read one unary sum per form (`CountSums`): a
sequential counter (Sinz 2005) in and/or gates of the IR, registers [T_p >= k] over the
first p digits in position order, built on demand; forms that are prefixes of each other
(the prefix counts of every position) share their registers by the IR's structural
hashing, and every comparison of T is one register, every word bit an OR of intervals
[k1 <= T < k2]. Two comparisons of the same sum are thus related by propagation through
the shared registers, not by search. A value's table holds None at the integers T cannot
take (`CountForm.reach`; for other nodes than inputs an over-approximation, so a table
entry where the exact function is undefined, such as a division by zero, is also None:
that point cannot occur).
"""

from __future__ import annotations

import math
import weakref
from dataclasses import dataclass, field
from typing import Callable, Optional

from ..core.ir import GateCircuit
from .arithmetic import Word, width_of

RANGE_LIMIT = 64  # the largest range of T kept as a count form (T in [0, hi]): its counter has about hi^2 / 2 cells


@dataclass(frozen=True)
class CountForm:
    """T = sum over `positions` of coefs[symbol at p] + sum over `nodes` of coef * node, with
    every coefficient >= 0, each position's least coefficient 0, and gcd 1; T in [0, hi].
    `reach[t]` says whether T can be t (exact for inputs; nodes taken as independent)."""

    positions: tuple  # ((p, coefs aligned with the alphabet), ...) sorted by p
    nodes: tuple  # ((node, coef), ...) sorted by node
    hi: int = field(compare=False)
    reach: tuple = field(compare=False)

    def digits(self, circuit: GateCircuit) -> list:
        """Per position and per node, its unary digit: bits [digit >= j] for j = 1..max."""
        out = []
        for p, coefs in self.positions:
            out.append([circuit.or_(*(circuit.input(p, a) for a, c in zip(circuit.alphabet, coefs) if c >= j))
                        for j in range(1, max(coefs) + 1)])
        for node, coef in self.nodes:
            out.append([node] * coef)
        return out


def _make_form(positions, nodes) -> CountForm:
    hi = sum(max(c) for _, c in positions) + sum(c for _, c in nodes)
    reach = {0}
    for options in [set(c) for _, c in positions] + [{0, c} for _, c in nodes]:
        reach = {r + d for r in reach for d in options}
    return CountForm(tuple(positions), tuple(nodes), hi, tuple(t in reach for t in range(hi + 1)))


def canonical(circuit: GateCircuit, terms, const: int, inputs_only: bool = False):
    """(T, a, b) with sum c * node + const = a * T + b on one-hot inputs, for terms (c, node);
    None if the sum is constant, T's range exceeds RANGE_LIMIT, or (`inputs_only`) a node
    is not an input."""
    per_position, others = {}, {}
    for coef, node in terms:
        value = circuit.const_value(node)
        if value is not None:
            const += coef * value
            continue
        gate = circuit.gates[node]
        if gate.op == "input":
            p, symbol = gate.value
            row = per_position.setdefault(p, {})
            row[symbol] = row.get(symbol, 0) + coef
            continue
        if inputs_only:
            return None
        if gate.op == "not":  # c NOT x = c - c x
            const += coef
            node, coef = gate.inputs[0], -coef
        others[node] = others.get(node, 0) + coef
    positions, nodes = [], []
    for p in sorted(per_position):
        coefs = [per_position[p].get(a, 0) for a in circuit.alphabet]
        least = min(coefs)
        const += least
        if any(c != least for c in coefs):
            positions.append((p, tuple(c - least for c in coefs)))
    for node in sorted(others):
        coef = others[node]
        if coef < 0:  # c x = c + |c| NOT x
            const += coef
            node, coef = circuit.not_(node), -coef
        if coef:
            nodes.append((node, coef))
    g = math.gcd(*(c for _, cs in positions for c in cs), *(c for _, c in nodes))
    if g == 0:
        return None
    positions = [(p, tuple(c // g for c in cs)) for p, cs in positions]
    nodes = [(node, c // g) for node, c in nodes]
    hi = sum(max(cs) for _, cs in positions) + sum(c for _, c in nodes)
    if hi > RANGE_LIMIT:
        return None
    mirror_positions = [(p, tuple(max(cs) - c for c in cs)) for p, cs in positions]
    mirror_nodes = sorted((circuit.not_(node), c) for node, c in nodes)
    if (tuple(mirror_positions), tuple(mirror_nodes)) < (tuple(positions), tuple(nodes)):
        # L = g T + const = g (hi - T') + const
        return _make_form(mirror_positions, mirror_nodes), -g, g * hi + const
    return _make_form(positions, nodes), g, const


@dataclass(frozen=True)
class Counted:
    """A value as a function of a count form: `values[t]` at T = t (None where T cannot be t
    or the value is undefined there); lo and hi bound the defined values."""

    form: CountForm
    values: tuple

    @property
    def lo(self) -> int:
        return min(v for v in self.values if v is not None)

    @property
    def hi(self) -> int:
        return max(v for v in self.values if v is not None)


def _at(form: CountForm, fn, args):
    """fn(*args) at one point of T. Over inputs alone every point of `reach` occurs, so an
    error there is raised; over other nodes `reach` is an over-approximation, and a point
    where the exact function is undefined (a division by zero, the root of a negative)
    does not occur: None."""
    if not form.nodes:
        return fn(*args)
    try:
        return fn(*args)
    except (ZeroDivisionError, ValueError):
        return None


def tabulate(form: CountForm, fn: Callable[[int], int]) -> tuple:
    """fn(t) at every t T can take (see `_at`); None elsewhere."""
    return tuple(_at(form, fn, (t,)) if reachable else None for t, reachable in enumerate(form.reach))


def pointwise(values, fn) -> Optional[tuple]:
    """(form, table of fn over the values) when every value is a Counted over one form or a
    constant (`constant(v)` not None), at least one Counted; else None."""
    forms = {v.form for v in values if isinstance(v, Counted)}
    if len(forms) != 1:
        return None
    form, = forms
    columns = []
    for v in values:
        if isinstance(v, Counted):
            columns.append(v.values)
        else:
            k = getattr(v, "constant", None)
            if k is None:
                return None
            columns.append((k,) * (form.hi + 1))
    out = []
    for t, reachable in enumerate(form.reach):
        args = [column[t] for column in columns]
        out.append(_at(form, fn, args) if reachable and None not in args else None)
    return form, tuple(out)


class CountSums:
    """The shared unary sum of every count form of one circuit: [T >= k] as a register of a
    sequential counter over T's digits in order (and/or gates of the IR)."""

    def __init__(self, circuit: GateCircuit):
        self._circuit = weakref.ref(circuit)  # `_SUMS` is keyed weakly by the circuit: no strong cycle
        self.digits = {}  # form -> (digits, prefix maxima, {(p, k): register node})
        self.words = {}  # Counted -> Word

    @property
    def circuit(self) -> GateCircuit:
        return self._circuit()

    def _digits(self, form: CountForm):
        if form not in self.digits:
            digits = form.digits(self.circuit)
            maxima = [0]
            for d in digits:
                maxima.append(maxima[-1] + len(d))
            self.digits[form] = (digits, maxima, {})
        return self.digits[form]

    def at_least(self, form: CountForm, k: int) -> int:
        """Node [T >= k]."""
        digits, maxima, memo = self._digits(form)
        c = self.circuit

        def register(p: int, k: int) -> int:  # [sum of the first p digits >= k]
            if k <= 0:
                return c.true
            if k > maxima[p]:
                return c.false
            if (p, k) not in memo:
                digit = digits[p - 1]
                memo[p, k] = c.or_(register(p - 1, k),
                                   *(c.and_(register(p - 1, k - j), digit[j - 1]) for j in range(1, len(digit) + 1)))
            return memo[p, k]

        return register(len(digits), k)

    def predicate(self, v: Counted, pred: Callable[[int], bool]) -> int:
        """Node [pred(value)]: an OR over the runs of t where it holds, each [k1 <= T < k2]
        (the points T cannot take join either side)."""
        c = self.circuit
        points = [(t, pred(value)) for t, value in enumerate(v.values) if value is not None]
        runs, start = [], None
        for i, (t, holds) in enumerate(points):
            if holds and start is None:
                start = i
            if start is not None and (not holds or i == len(points) - 1):
                runs.append((start, i if holds else i - 1))
                start = None
        ors = []
        for first, last in runs:
            low = c.true if first == 0 else self.at_least(v.form, points[first][0])
            high = c.true if last == len(points) - 1 else c.not_(self.at_least(v.form, points[last + 1][0]))
            ors.append(c.and_(low, high))
        return c.or_(*ors)

    def word(self, v: Counted) -> Word:
        """The two's complement word of the value, each bit an OR of intervals of T."""
        if v not in self.words:
            lo, hi = v.lo, v.hi
            bits = tuple(self.predicate(v, lambda k, j=j: (k >> j) & 1) for j in range(width_of(lo, hi)))
            self.words[v] = Word(bits, lo, hi)
        return self.words[v]


_SUMS = weakref.WeakKeyDictionary()


def sums_of(circuit: GateCircuit) -> CountSums:
    """The one CountSums of a circuit, shared by both sides of a miter (their comparisons of
    the same form meet in the same registers)."""
    if circuit not in _SUMS:
        _SUMS[circuit] = CountSums(circuit)
    return _SUMS[circuit]


def threshold(circuit: GateCircuit, nodes, weights, t: int) -> Optional[int]:
    """[sum w * node >= t] as a register of the shared sum when the sum is a count form over
    inputs; else None."""
    found = canonical(circuit, list(zip(weights, nodes)), 0, inputs_only=True)
    if found is None:
        return None
    form, a, b = found
    return sums_of(circuit).predicate(Counted(form, tabulate(form, lambda x: a * x + b)), lambda k: k >= t)
