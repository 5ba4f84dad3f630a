"""The intermediate representation every model lowers to: a circuit of gates in
topological order over the one-hot inputs x[i][a] (spec section 4).

Gates are `threshold` (integer weights of any sign, 1 iff sum w_k in_k >= t),
`and`, `or`, `not`, `xor`, `const` and `input` (`core/gate_ops.py`). Nodes are integers indexing
`GateCircuit.gates`; a gate's inputs always have smaller indices. Building a
gate hashes it structurally (an identical gate is built once) and propagates
constants, so lowerings can be written naively.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Optional

import numpy as np

from .gate_ops import IrOp
from .number_format import INT64_SAFE
from .walker import IrWalker


@dataclass(frozen=True)
class IrGate:
    op: IrOp
    inputs: tuple = ()  # node ids
    weights: tuple = ()  # threshold only, aligned with inputs
    t: int = 0  # threshold only
    value: object = None  # const: 0/1; input: (position, symbol)


class OutOfTime(Exception):
    """The circuit's `deadline` passed while gates were being added to it."""


DEADLINE_EVERY = 1024  # gates added between two looks at the clock


class GateCircuit:
    """Gates over the inputs x[i][a] of one length; see the module docstring. With a
    `deadline` (time.monotonic()), building past it raises OutOfTime (`--method auto`
    bounds a lowering by the enumeration's estimate)."""

    def __init__(self, length: int, alphabet, deadline: Optional[float] = None):
        self.length = length
        self.alphabet = tuple(alphabet)
        self.deadline = deadline
        self.gates: list[IrGate] = []
        self._index: dict[IrGate, int] = {}
        self.false = self._add(IrGate("const", value=0))
        self.true = self._add(IrGate("const", value=1))
        self.inputs = {}
        for i in range(length):
            for a in self.alphabet:
                self.inputs[i, a] = self._add(IrGate("input", value=(i, a)))

    # -- construction ---------------------------------------------------------

    def _add(self, gate: IrGate) -> int:
        node = self._index.get(gate)
        if node is None:
            node = len(self.gates)
            if self.deadline is not None and node % DEADLINE_EVERY == 0 and time.monotonic() > self.deadline:
                raise OutOfTime
            self.gates.append(gate)
            self._index[gate] = node
        return node

    def input(self, i: int, a) -> int:
        return self.inputs[i, a]

    def const(self, value) -> int:
        return self.true if value else self.false

    def const_value(self, node: int):
        """0 or 1 for a constant node, else None."""
        gate = self.gates[node]
        return gate.value if gate.op == "const" else None

    def not_(self, a: int) -> int:
        gate = self.gates[a]
        if gate.op == "const":
            return self.const(1 - gate.value)
        if gate.op == "not":
            return gate.inputs[0]
        return self._add(IrGate("not", (a,)))

    def _complement(self, a: int):
        gate = self.gates[a]
        return gate.inputs[0] if gate.op == "not" else self._index.get(IrGate("not", (a,)))

    def and_(self, *nodes) -> int:
        return self._and_or("and", nodes)

    def or_(self, *nodes) -> int:
        return self._and_or("or", nodes)

    def _and_or(self, op, nodes) -> int:
        absorbing, neutral = (0, 1) if op == "and" else (1, 0)
        kept = set()
        for a in _flatten(nodes):
            value = self.const_value(a)
            if value == absorbing:
                return self.const(absorbing)
            if value is None:
                kept.add(a)
        for a in kept:
            if self._complement(a) in kept:
                return self.const(absorbing)
        if not kept:
            return self.const(neutral)
        if len(kept) == 1:
            return kept.pop()
        return self._add(IrGate(op, tuple(sorted(kept))))

    def xor(self, *nodes) -> int:
        parity = 0
        odd = set()
        for a in _flatten(nodes):
            value = self.const_value(a)
            if value is not None:
                parity ^= value
                continue
            if self.gates[a].op == "not":
                parity ^= 1
                a = self.gates[a].inputs[0]
            odd ^= {a}
        if not odd:
            return self.const(parity)
        node = next(iter(odd)) if len(odd) == 1 else self._add(IrGate("xor", tuple(sorted(odd))))
        return self.not_(node) if parity else node

    def threshold(self, nodes, weights, t: int) -> int:
        """1 iff sum(w * in) >= t. Constants are folded, repeated inputs merged,
        negated inputs rewritten (w * not a = w - w * a), weights divided by their
        gcd, trivial gates decided."""
        merged: dict[int, int] = {}
        t = int(t)
        for a, w in zip(nodes, weights):
            w = int(w)
            value = self.const_value(a)
            if value is not None:
                t -= w * value
                continue
            if self.gates[a].op == "not":
                t -= w
                a, w = self.gates[a].inputs[0], -w
            merged[a] = merged.get(a, 0) + w
        merged = {a: w for a, w in merged.items() if w != 0}
        divisor = math.gcd(*merged.values()) if merged else 1
        if divisor > 1:  # sum w * in is a multiple of the gcd: divide, rounding t up
            merged = {a: w // divisor for a, w in merged.items()}
            t = -(-t // divisor)
        lowest = sum(w for w in merged.values() if w < 0)
        highest = sum(w for w in merged.values() if w > 0)
        if lowest >= t:
            return self.true
        if highest < t:
            return self.false
        items = sorted(merged.items())
        if all(w == 1 for _, w in items):
            if t == 1:
                return self.or_(*(a for a, _ in items))
            if t == len(items):
                return self.and_(*(a for a, _ in items))
        if len(items) == 1:
            (a, w), = items
            # one input, not trivial: the gate is a or not a
            return a if w > 0 else self.not_(a)
        return self._add(IrGate("threshold", tuple(a for a, _ in items), tuple(w for _, w in items), t))

    def mux(self, select: int, if_one: int, if_zero: int) -> int:
        return self.or_(self.and_(select, if_one), self.and_(self.not_(select), if_zero))

    # -- reading --------------------------------------------------------------

    def evaluate(self, words_onehot: np.ndarray, outputs=None) -> np.ndarray:
        """Values of all gates (or of `outputs`) on a batch of strings.

        `words_onehot[b, i, s]` is 1 iff string b has alphabet symbol s at position i.
        Returns a bool array [batch, nodes] (or [batch, len(outputs)]).
        """
        batch = words_onehot.shape[0]
        values = np.zeros((len(self.gates), batch), dtype=bool)
        rows = {(i, a): words_onehot[:, i, s].astype(bool) for i in range(self.length) for s, a in enumerate(self.alphabet)}
        BatchEvaluator(rows).walk(self, range(len(self.gates)), values)
        if outputs is not None:
            return values[list(outputs)].T
        return values.T

    def cone(self, outputs) -> list[int]:
        """The nodes that `outputs` depend on, in topological order."""
        needed = set()
        stack = list(outputs)
        while stack:
            node = stack.pop()
            if node not in needed:
                needed.add(node)
                stack.extend(self.gates[node].inputs)
        return sorted(needed)

    def depths(self) -> list[int]:
        """Depth of each node: inputs and constants 0; `not` is free (it is a
        negated wire, as in threshold circuits); every other gate adds 1."""
        return _Depth().walk(self, range(len(self.gates)), [0] * len(self.gates))


def _flatten(nodes):
    for a in nodes:
        if isinstance(a, (list, tuple)):
            yield from _flatten(a)
        else:
            yield a


class _Depth(IrWalker):
    """Each gate's depth (see `GateCircuit.depths`)."""

    def walk_input(self, gate, ins) -> int:
        return 0

    def walk_const(self, gate, ins) -> int:
        return 0

    def walk_not(self, gate, ins) -> int:
        return ins[0]

    def walk_and(self, gate, ins) -> int:
        return max(ins, default=-1) + 1

    def walk_or(self, gate, ins) -> int:
        return max(ins, default=-1) + 1

    def walk_xor(self, gate, ins) -> int:
        return max(ins, default=-1) + 1

    def walk_threshold(self, gate, ins) -> int:
        return max(ins, default=-1) + 1


class BatchEvaluator(IrWalker):
    """Each gate's values on a batch of strings, as rows: bool (one entry per
    string; `GateCircuit.evaluate`) or, in a subclass whose `pack` and `unpack`
    convert, any bitwise type (sweeping's uint64 words of 64 strings).
    `inputs[(i, a)]` is the row of the input x[i][a]."""

    ONES = np.True_  # the row entry of a constant 1

    def __init__(self, inputs: dict):
        self.inputs = inputs

    @staticmethod
    def pack(bits: np.ndarray) -> np.ndarray:
        """A row of bools (one per string) as a row."""
        return bits

    @staticmethod
    def unpack(rows: np.ndarray) -> np.ndarray:
        """Rows as rows of 0/1, one entry per string."""
        return rows

    def walk_input(self, gate, ins):
        return self.inputs[gate.value]

    def walk_const(self, gate, ins):
        return self.ONES if gate.value else ~self.ONES

    def walk_not(self, gate, ins):
        return ~ins[0]

    def walk_and(self, gate, ins):
        return np.bitwise_and.reduce(ins, axis=0)

    def walk_or(self, gate, ins):
        return np.bitwise_or.reduce(ins, axis=0)

    def walk_xor(self, gate, ins):
        return np.bitwise_xor.reduce(ins, axis=0)

    def walk_threshold(self, gate, ins):
        big = sum(abs(w) for w in gate.weights) >= INT64_SAFE
        weights = np.array(gate.weights, dtype=object if big else np.int64)
        return self.pack(weights @ self.unpack(np.array(ins)).astype(weights.dtype) >= gate.t)
