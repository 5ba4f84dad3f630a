"""Circuits (netlist files, Python builders, built-ins) into the gate IR, gate by gate."""

from __future__ import annotations

from ...core.gate_ops import majority_threshold
from ...core.ir import GateCircuit
from ...core.models import Circuit, Netlist


def lower(model: Circuit, circuit: GateCircuit, outputs: str, style: str = "adder", rewrite: bool = True) -> list:
    """IR nodes of the output bits at length `circuit.length`."""
    return lower_netlist(model.netlist(circuit.length), circuit)


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
