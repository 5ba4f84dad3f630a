"""Lowering of every model kind into the gate IR (`ir.GateCircuit`) at one length.

Circuits (netlist files, Python builders, built-ins) lower gate by gate; a DFA
is unrolled over the positions as a one-hot state vector; transformers lower
through `lower_transformer.py`.
"""

from __future__ import annotations

from ..casefile.models import Circuit, Dfa, Netlist, Transformer
from ..semantics.gate_ops import majority_threshold
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
        node[gate.id] = _LOWER[gate.op](circuit, gate, [node[name] for name in gate.inputs])
    return [node[name] for name in netlist.outputs]


# netlist op -> (circuit, gate, input nodes) -> IR node
_LOWER = {
    "threshold": lambda circuit, gate, ins: circuit.threshold(ins, gate.weights, gate.t),
    "majority": lambda circuit, gate, ins: circuit.threshold(ins, [1] * len(ins), majority_threshold(len(ins))),
    "and": lambda circuit, gate, ins: circuit.and_(*ins),
    "or": lambda circuit, gate, ins: circuit.or_(*ins),
    "xor": lambda circuit, gate, ins: circuit.xor(*ins),
    "not": lambda circuit, gate, ins: circuit.not_(ins[0]),
    "const": lambda circuit, gate, ins: circuit.const(gate.value),
}


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
