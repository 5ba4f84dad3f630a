"""Lowering of every model kind into the gate IR (`ir.GateCircuit`) at one length.

Circuits (netlist files, Python builders, built-ins) lower gate by gate; a DFA
is unrolled over the positions as a one-hot state vector; transformers lower
through `lower_transformer.py`.
"""

from __future__ import annotations

from ..casefile.models import Circuit, Dfa, Netlist, Transformer
from .ir import GateCircuit


def lower_model(model, circuit: GateCircuit, outputs: str, style: str = "adder", rewrite: bool = True) -> list:
    """IR nodes of the model's output bits at length `circuit.length`; `rewrite`: keep
    a transformer's linear forms linear (see `lower_transformer`)."""
    if isinstance(model, Transformer):
        from .lower_transformer import lower_transformer

        return lower_transformer(model, circuit, outputs, style, rewrite=rewrite)
    if isinstance(model, Circuit):
        return lower_netlist(model.netlist(circuit.length), circuit)
    if isinstance(model, Dfa):
        return lower_dfa(model, circuit, outputs)
    raise TypeError(f"not a model: {model!r}")


def lower_netlist(netlist: Netlist, circuit: GateCircuit) -> list:
    """Gate by gate; `majority` is the threshold gate sum >= floor(m/2) + 1."""
    node = {f"x[{i}][{a}]": circuit.input(i, a) for (i, a) in circuit.inputs}
    for gate in netlist.gates:
        ins = [node[name] for name in gate.inputs]
        if gate.op == "threshold":
            node[gate.id] = circuit.threshold(ins, gate.weights, gate.t)
        elif gate.op == "majority":
            node[gate.id] = circuit.threshold(ins, [1] * len(ins), len(ins) // 2 + 1)
        elif gate.op == "and":
            node[gate.id] = circuit.and_(*ins)
        elif gate.op == "or":
            node[gate.id] = circuit.or_(*ins)
        elif gate.op == "xor":
            node[gate.id] = circuit.xor(*ins)
        elif gate.op == "not":
            node[gate.id] = circuit.not_(ins[0])
        elif gate.op == "const":
            node[gate.id] = circuit.const(gate.value)
        else:  # pragma: no cover - the loader admits no other op
            raise AssertionError(gate.op)
    return [node[name] for name in netlist.outputs]


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
