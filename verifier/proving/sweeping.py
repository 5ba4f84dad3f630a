"""SAT sweeping ("fraiging") of a miter before the final solve.

After Mishchenko, Chatterjee, Jiang, Brayton, "FRAIGs: A unifying
representation for logic synthesis and verification" (UCB TR 2005),
Mishchenko et al., "Improvements to combinational equivalence checking"
(ICCAD 2006), and, on CNF, Biere et al., "Clausal Congruence Closure" /
SAT sweeping in Kissat (FMCAD 2024):

1. Bit-parallel random simulation of the miter's cone on valid one-hot
   strings (64 strings per uint64 word) splits the nodes into classes of
   candidate equivalences, each node equal or complementary to its class's
   first node (signatures normalised by the first pattern). The constants are
   in a class too, so a node that is always 0 or 1 is a candidate.
2. In topological order each candidate `b == r` (or `b == not r`) is proved on
   ONE incremental CaDiCaL holding the cone's CNF and the one-hot constraint
   (equivalences need only hold on strings): both `b and not r` and
   `not b and r` must be UNSAT under a small conflict limit. A proved pair
   adds its two equivalence clauses to the solver; a satisfying assignment is
   an input that separates the pair, and its node values refine every class;
   an exhausted budget skips the pair (sound: only proved pairs merge).
3. The circuit is rebuilt with every merged node replaced by its
   representative; structural hashing in the new `GateCircuit` cascades the
   merges. A pattern or an assignment with `diff = 1` is a counterexample.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Optional

import numpy as np

from ..encodings.cnf import EncodingOptions
from ..core.ir import BatchEvaluator, GateCircuit
from ..core.walker import IrWalker
from .miter import Miter, constrained_cnf
from .solver import DEFAULT_SOLVER, Engine, SolveResult

PATTERNS = 1024  # simulated strings (a multiple of 64)
CONFLICTS_PER_QUERY = 1000  # per SAT call on one candidate pair (100 left compiled-vs-source n=32 unproved)
TOTAL_CONFLICTS = 100_000  # per sweep; past it the remaining candidates are skipped


@dataclass
class SweepResult:
    miter: Miter  # equal to the input miter on every one-hot string
    merged: int  # nodes replaced by an equal or complementary earlier node
    time_s: float
    counterexample: Optional[list] = None  # a string with diff = 1
    found_by: Optional[str] = None  # "simulation" | "sat"


def random_words(alphabet_size: int, n: int, count: int, rng) -> np.ndarray:
    """`count` strings (symbol indices): the constant strings first, then half
    uniform, half drawn from a random symbol distribution per string (so
    counts far from the mean, e.g. all-but-one, are hit too)."""
    constant = np.repeat(np.arange(alphabet_size)[:, None], n, axis=1)
    rest = count - alphabet_size
    uniform = rng.integers(0, alphabet_size, size=(rest // 2, n))
    skew = rng.dirichlet(np.ones(alphabet_size), size=rest - rest // 2)
    cumulative = np.cumsum(skew, axis=1)
    draws = rng.random((rest - rest // 2, n, 1))
    skewed = np.minimum((draws > cumulative[:, None, :]).sum(axis=2), alphabet_size - 1)
    return np.concatenate([constant, uniform, skewed])[:count]


def simulate(circuit: GateCircuit, nodes, words: np.ndarray) -> np.ndarray:
    """Packed values `[len(circuit.gates), len(words) // 64]` (uint64, bit b of
    word w is string 64 w + b) of `nodes` (a topologically ordered cone) on
    the strings `words[b, i]` (symbol indices); other rows stay 0."""
    count = words.shape[0]
    assert count % 64 == 0, count
    values = np.zeros((len(circuit.gates), count // 64), dtype=np.uint64)
    inputs = {(i, a): _pack(words[:, i] == s) for i in range(circuit.length) for s, a in enumerate(circuit.alphabet)}
    return _Simulator(inputs).walk(circuit, nodes, values)


class _Simulator(BatchEvaluator):
    """The IR's batch evaluation on packed rows: uint64 words of 64 strings."""

    ONES = ~np.uint64(0)

    @staticmethod
    def pack(bits: np.ndarray) -> np.ndarray:
        return _pack(bits)

    @staticmethod
    def unpack(rows: np.ndarray) -> np.ndarray:
        return _unpack(rows)


def _pack(bits: np.ndarray) -> np.ndarray:
    return np.packbits(bits.astype(bool), bitorder="little").view(np.uint64)


def _unpack(packed: np.ndarray) -> np.ndarray:
    """Rows of uint64 words -> rows of bits (uint8), string order."""
    return np.unpackbits(np.ascontiguousarray(packed).view(np.uint8), axis=-1, bitorder="little")


def sweep(miter: Miter, encoding: EncodingOptions = EncodingOptions(), seed: int = 0,
          deadline: Optional[float] = None, solver: str = DEFAULT_SOLVER) -> SweepResult:
    """The miter with SAT-proved equivalent nodes merged (see the module docstring)."""
    with Sweeper(miter, encoding, solver) as sweeper:
        return sweeper.sweep(seed, deadline)


class Sweeper:
    """One incremental solver holding the CNF of a miter's cone and the one-hot
    constraint, without `diff = 1`: it can try the miter (`solve_diff`, under the
    assumption diff), sweep it (which adds the proved equalities), and try it
    again, keeping what it learnt."""

    def __init__(self, miter: Miter, encoding: EncodingOptions = EncodingOptions(), solver: str = DEFAULT_SOLVER):
        circuit = miter.circuit
        self.miter = miter
        roots = [miter.diff, circuit.false] + list(miter.left) + list(miter.right)
        self.cone = circuit.cone(roots + list(circuit.inputs.values()))
        self.cnf = constrained_cnf(circuit, roots, encoding)
        self.solver = solver
        self.engine = Engine(solver, self.cnf.clauses)
        self.sweep_conflicts = 0  # those of sweeping's own solver

    def __enter__(self) -> "Sweeper":
        return self

    def __exit__(self, *exc):
        self.engine.close()

    def conflicts(self) -> int:
        """Every conflict of this length so far: attempts and sweeping."""
        return self.engine.conflicts() + self.sweep_conflicts

    def solve_diff(self, deadline: Optional[float] = None, max_conflicts: Optional[int] = None) -> SolveResult:
        """Is there a string with diff = 1? (`Engine.solve` under the assumption diff)"""
        return self.engine.solve([self.cnf.lits[self.miter.diff]], deadline, max_conflicts)

    def sweep(self, seed: int = 0, deadline: Optional[float] = None, time_limit: Optional[float] = None) -> SweepResult:
        """Merge the nodes proved equal, in topological order, and add each merge's
        equivalence clauses to this solver too. The candidates are proved on a
        fresh solver of the same CNF (one that has learnt much answers each
        small query far slower: 17 ms a call against 0.7 ms, measured on
        Dyck-1 at n = 24). Stops at `deadline` (time.monotonic()), after
        `time_limit` seconds, or after `TOTAL_CONFLICTS` conflicts."""
        start = time.monotonic()
        stops = [t for t in (deadline, None if time_limit is None else start + time_limit) if t is not None]
        stop = min(stops, default=float("inf"))
        miter, cone, cnf = self.miter, self.cone, self.cnf
        circuit = miter.circuit
        n, alphabet = circuit.length, circuit.alphabet
        words = random_words(len(alphabet), n, PATTERNS, np.random.default_rng([seed, n]))
        values = simulate(circuit, cone, words)
        diff_bits = _unpack(values[miter.diff])
        if diff_bits.any():
            word = words[int(np.argmax(diff_bits))]
            return SweepResult(miter, 0, time.monotonic() - start, [alphabet[s] for s in word], "simulation")
        classes = Classes(values[cone])
        cone_lits = np.array([cnf.lits[node] for node in cone], dtype=np.int64)
        diff_position = cone.index(miter.diff)
        replaced = {}  # node -> (representative, complemented)
        with Engine(self.solver, cnf.clauses) as prover:

            def exhausted() -> bool:
                return prover.conflicts() >= TOTAL_CONFLICTS or time.monotonic() >= stop

            try:
                for k, node in enumerate(cone):
                    while classes.rep[k] != k and not exhausted():
                        r, complemented = int(classes.rep[k]), bool(classes.phase[k])
                        b_lit, r_lit = int(cone_lits[k]), int(cone_lits[r])
                        target = -r_lit if complemented else r_lit
                        answer = _separate(prover, b_lit, target)
                        if answer is True:
                            for engine in (prover, self.engine):
                                engine.add_clause([-b_lit, target])
                                engine.add_clause([b_lit, -target])
                            replaced[node] = (cone[r], complemented)
                        if answer is True or answer is None:
                            break
                        node_values = (answer[np.abs(cone_lits) - 1] > 0) == (cone_lits > 0)
                        if node_values[diff_position]:
                            return SweepResult(miter, 0, time.monotonic() - start,
                                               cnf.decode(answer.tolist(), alphabet, n), "sat")
                        classes.refine(node_values)
            finally:
                self.sweep_conflicts += prover.conflicts()
        return SweepResult(rebuild(miter, cone, replaced), len(replaced), time.monotonic() - start)


def _separate(engine: Engine, a: int, b: int):
    """True if `a == b` is proved (`a and not b`, `not a and b` both UNSAT within
    `CONFLICTS_PER_QUERY` each), None if a query ran out of conflicts, else a
    model (array of literals) on which they differ."""
    for assumptions in ([a, -b], [-a, b]):
        answer = engine.solve_within(assumptions, CONFLICTS_PER_QUERY)
        if answer is None:
            return None
        if answer is not False:
            return np.array(answer, dtype=np.int64)
    return True


class Classes:
    """Candidate-equivalence classes over the positions of a cone: `rep[k]` is
    the first position of k's class, `phase[k]` whether k is its complement."""

    def __init__(self, signatures: np.ndarray):
        first_bit = (signatures[:, 0] & np.uint64(1)).astype(bool)
        normal = np.where(first_bit[:, None], ~signatures, signatures)
        _, first, inverse = np.unique(normal, axis=0, return_index=True, return_inverse=True)
        self.rep = first[inverse.reshape(-1)]
        self.phase = first_bit ^ first_bit[self.rep]

    def refine(self, values: np.ndarray):
        """Split every class by one more input: the nodes whose `values`
        disagree with their representative's form a class of their own."""
        moved = np.flatnonzero(values != (values[self.rep] ^ self.phase))
        if moved.size == 0:
            return
        old = self.rep[moved]
        reps, first = np.unique(old, return_index=True)
        new_rep = moved[first][np.searchsorted(reps, old)]
        self.phase[moved] = self.phase[moved] ^ self.phase[new_rep]
        self.rep[moved] = new_rep


def rebuild(miter: Miter, cone, replaced: dict) -> Miter:
    """A new circuit of the cone with each replaced node taken from its
    representative (negated when complementary), re-hashed structurally."""
    circuit = miter.circuit
    copier = Copier(GateCircuit(circuit.length, circuit.alphabet))
    image = {}
    for node in cone:
        if node in replaced:
            rep, complemented = replaced[node]
            image[node] = copier.new.not_(image[rep]) if complemented else image[rep]
        else:
            gate = circuit.gates[node]
            image[node] = copier.visit(gate, [image[a] for a in gate.inputs])
    return Miter(copier.new, [image[a] for a in miter.left], [image[b] for b in miter.right], image[miter.diff])


class Copier(IrWalker):
    """Each gate built again in the circuit `new` over its inputs' new nodes
    (structural hashing and constant folding apply again)."""

    def __init__(self, new: GateCircuit):
        self.new = new

    def walk_input(self, gate, ins):
        return self.new.input(*gate.value)

    def walk_const(self, gate, ins):
        return self.new.const(gate.value)

    def walk_not(self, gate, ins):
        return self.new.not_(ins[0])

    def walk_and(self, gate, ins):
        return self.new.and_(*ins)

    def walk_or(self, gate, ins):
        return self.new.or_(*ins)

    def walk_xor(self, gate, ins):
        return self.new.xor(*ins)

    def walk_threshold(self, gate, ins):
        return self.new.threshold(ins, gate.weights, gate.t)
