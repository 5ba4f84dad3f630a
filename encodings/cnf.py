"""The gate IR (`tcverify.ir.GateCircuit`) as CNF over one `pysat.formula.IDPool`.

Every gate in the cone of the roots is encoded as an equivalence, so fixing
the inputs fixes every gate's literal: inputs get fresh variables, the
constants share one variable fixed by a unit clause, `not` is a negated literal,
and/or/xor are Tseitin gates (`gates.py`). A threshold gate is normalized
(`pseudo_boolean.normalize`); if it is constant or a single literal it gets
that literal, if all its weights are 1 it is a cardinality gate
(`cardinality.py`; gates whose binomial encoding has at most `DIRECT_LIMIT`
clauses, e.g. the carry of a full adder, use it: no auxiliary variables), else
a pseudo-Boolean gate (`pseudo_boolean.py`). The defaults of `EncodingOptions`
were chosen by measurement (`bench/encodings.py`, `docs/encodings.md`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..core.walker import IrWalker
from ..errors import UserError
from . import cardinality, pseudo_boolean
from .gates import and_clauses, const_clauses, or_clauses, xor_clauses

CARDINALITY_ENCODINGS = tuple(cardinality.ENCODINGS)
PB_ENCODINGS = tuple(pseudo_boolean.ENCODINGS)
DIRECT_LIMIT = 20


@dataclass(frozen=True)
class EncodingOptions:
    cardinality: str = "sortnet"
    pb: str = "pysat-binmerge"

    def check(self) -> "EncodingOptions":
        if self.cardinality not in cardinality.ENCODINGS:
            raise UserError(f"unknown cardinality encoding {self.cardinality!r}; choose one of: {', '.join(CARDINALITY_ENCODINGS)}", key="cardinality")
        if self.pb not in pseudo_boolean.ENCODINGS:
            raise UserError(f"unknown pseudo-Boolean encoding {self.pb!r}; choose one of: {', '.join(PB_ENCODINGS)}", key="pb")
        return self


@dataclass
class Encoding:
    clauses: list
    lits: dict = field(default_factory=dict)  # node -> literal
    variables: int = 0  # fresh variables this encoding took from the pool

    def lit(self, node: int) -> int:
        """The literal of `node` (any node in the cone of the roots)."""
        return self.lits[node]

    def stats(self) -> dict:
        return {"variables": self.variables, "clauses": len(self.clauses)}


def threshold_value(lits, weights, t, pool, options: EncodingOptions, clauses: list):
    """The value (literal or bool) of `sum w·lits >= t`, appending the clauses of
    a fresh output variable when the gate is neither constant nor a literal."""
    normal = pseudo_boolean.normalize(lits, weights, t)
    if normal is True or normal is False:
        return normal
    lits, weights, t = normal
    if len(lits) == 1:
        return lits[0]
    y = pool.id()
    if all(w == 1 for w in weights):
        if cardinality.direct_size(len(lits), t) <= DIRECT_LIMIT:
            clauses.extend(cardinality.direct(lits, t, y, pool))
        else:
            clauses.extend(cardinality.ENCODINGS[options.cardinality](lits, t, y, pool))
    else:
        clauses.extend(pseudo_boolean.ENCODINGS[options.pb](lits, weights, t, y, pool))
    return y


def encode(circuit, roots, pool, options: EncodingOptions = EncodingOptions()) -> Encoding:
    """Clauses defining a literal for every node in the cone of `roots`."""
    options.check()
    start = pool.top
    encoder = _Encoder(pool, options)
    encoding = Encoding(encoder.clauses)
    encoder.walk(circuit, circuit.cone(roots), encoding.lits)
    encoding.variables = pool.top - start
    return encoding


class _Encoder(IrWalker):
    """Each IR op's literal and clauses; the state one `encode` call shares between its gates."""

    def __init__(self, pool, options: EncodingOptions):
        self.pool, self.options = pool, options
        self.clauses = []
        self.true_lit = 0  # 0 until a constant is needed

    def constant(self, value: bool) -> int:
        if not self.true_lit:
            self.true_lit = self.pool.id()
            self.clauses.extend(const_clauses(self.true_lit, True))
        return self.true_lit if value else -self.true_lit

    def gate(self, clauses_of, ins, *extra) -> int:
        """A fresh literal y with the Tseitin clauses `clauses_of(y, ins, *extra)`."""
        y = self.pool.id()
        self.clauses.extend(clauses_of(y, ins, *extra))
        return y

    def walk_input(self, gate, ins) -> int:
        return self.pool.id()

    def walk_const(self, gate, ins) -> int:
        return self.constant(gate.value)

    def walk_not(self, gate, ins) -> int:
        return -ins[0]

    def walk_and(self, gate, ins) -> int:
        return self.gate(and_clauses, ins)

    def walk_or(self, gate, ins) -> int:
        return self.gate(or_clauses, ins)

    def walk_xor(self, gate, ins) -> int:
        return self.gate(xor_clauses, ins, self.pool)

    def walk_threshold(self, gate, ins) -> int:
        value = threshold_value(ins, gate.weights, gate.t, self.pool, self.options, self.clauses)
        return self.constant(value) if value is True or value is False else value
