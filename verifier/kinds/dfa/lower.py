"""A DFA into the gate IR: the run unrolled over the positions as a one-hot state vector."""

from __future__ import annotations

from ...core.ir import GateCircuit
from ...core.models import Dfa


def lower(model: Dfa, circuit: GateCircuit, outputs: str, style: str = "adder", rewrite: bool = True,
          counts: bool = True) -> list:
    """IR nodes of the output bits at length `circuit.length`."""
    return lower_dfa(model, circuit, outputs)


def lower_dfa(dfa: Dfa, circuit: GateCircuit, outputs: str) -> list:
    """The run unrolled: `state[q]` is 1 iff the prefix read so far leads to q
    (all 0 once a missing transition sent the run to the implicit sink)."""
    state = {dfa.start: circuit.true}
    accepted = []
    for i in range(circuit.length):
        incoming: dict = {}
        for q, reached in state.items():
            for a, target in dfa.delta.get(q, {}).items():
                incoming.setdefault(target, []).append(circuit.and_(reached, circuit.input(i, a)))
        state = {q: circuit.or_(*edges) for q, edges in incoming.items()}
        accepted.append(circuit.or_(*(state.get(q, circuit.false) for q in dfa.accept)))
    if outputs == "every":
        return accepted
    if circuit.length == 0:
        return [circuit.const(dfa.start in dfa.accept)]
    return accepted[-1:]
