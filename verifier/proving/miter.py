"""The miter of a case at one length: both models lowered into one gate
circuit over shared inputs, `diff = OR_i (left_i XOR right_i)`, plus the input
constraint "exactly one symbol per position". The CNF is satisfiable iff some
string of that length separates the models. An output bit that either model
leaves undefined (a "don't care", `kinds.lower_model_care`) is left out of the
difference: `diff = OR_i (NOT undefined_i AND (left_i XOR right_i))`."""

from __future__ import annotations

from dataclasses import dataclass

from pysat.formula import IDPool

from ..core.models import Case
from ..encodings.cnf import EncodingOptions, encode
from ..core.ir import GateCircuit
from ..kinds import lower_model_care


@dataclass
class Miter:
    circuit: GateCircuit
    left: list  # output nodes
    right: list
    diff: int  # node: 1 iff some output bit differs
    undefined: list = None  # per output bit, the node: 1 iff it is not compared (None: all compared)


@dataclass
class MiterCnf:
    clauses: list
    input_lits: dict  # (position, symbol) -> variable
    nvars: int
    lits: dict = None  # node -> literal, for every node in the encoded cone

    def decode(self, model, alphabet, n) -> list:
        """The string a satisfying assignment (list of literals) encodes."""
        return decode_word({lit for lit in model if lit > 0}, self.input_lits, alphabet, n)


def decode_word(true_vars, input_lits, alphabet, n) -> list:
    """The string of length n whose one-hot input variables (`input_lits`,
    (position, symbol) -> variable) are the ones in `true_vars`; ValueError
    naming the position if not exactly one symbol is set there."""
    word = []
    for i in range(n):
        chosen = [a for a in alphabet if input_lits.get((i, a)) in true_vars]
        if len(chosen) != 1:
            raise ValueError(f"the model sets {len(chosen)} symbols at position {i}")
        word.append(chosen[0])
    return word


def build_miter(case: Case, n: int, style: str = "adder", rewrite: bool = True, deadline=None,
                counts: bool = True) -> Miter:
    """Both models lowered at length n; past `deadline` (if given) `ir.OutOfTime`."""
    circuit = GateCircuit(n, case.alphabet, deadline)
    left, left_undef = lower_model_care(case.left, circuit, case.outputs, style, rewrite, counts)
    right, right_undef = lower_model_care(case.right, circuit, case.outputs, style, rewrite, counts)
    assert len(left) == len(right), (len(left), len(right))
    undefined = [circuit.or_(u, v) for u, v in zip(left_undef, right_undef)]
    diff = circuit.or_(*(circuit.and_(circuit.not_(u), circuit.xor(a, b)) for a, b, u in zip(left, right, undefined)))
    circuit.deadline = None  # built: whatever uses it next is not bounded by the lowering's time
    return Miter(circuit, left, right, diff, undefined)


def dont_care_bits(miter: Miter) -> int:
    """How many output bits may be left undefined (not compared) on some string: those
    whose undefined node is not the constant 0 (an upper bound)."""
    return sum(miter.circuit.const_value(u) != 0 for u in miter.undefined or ())


def miter_cnf(miter: Miter, options: EncodingOptions = EncodingOptions()) -> MiterCnf:
    """Clauses of `diff = 1` and exactly one symbol per position."""
    cnf = constrained_cnf(miter.circuit, [miter.diff], options)
    cnf.clauses.append([cnf.lits[miter.diff]])
    return cnf


def constrained_cnf(circuit: GateCircuit, roots, options: EncodingOptions = EncodingOptions()) -> MiterCnf:
    """Clauses defining every node in the cone of `roots` (and every input),
    plus the input constraint: exactly one symbol per position."""
    pool = IDPool()
    inputs = list(circuit.inputs.items())
    encoding = encode(circuit, list(roots) + [node for _, node in inputs], pool, options)
    clauses = list(encoding.clauses)
    input_lits = {key: encoding.lit(node) for key, node in inputs}
    for i in range(circuit.length):
        lits = [input_lits[i, a] for a in circuit.alphabet]
        clauses.append(lits)
        clauses.extend([-a, -b] for k, a in enumerate(lits) for b in lits[k + 1:])
    return MiterCnf(clauses, input_lits, pool.top, encoding.lits)
