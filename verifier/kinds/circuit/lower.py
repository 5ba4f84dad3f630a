"""Circuits (netlist files, Python builders, built-ins) into the gate IR, gate by gate."""

from __future__ import annotations

from ...core.gate_ops import majority_threshold
from ...core.ir import GateCircuit
from ...core.models import Circuit, Netlist
from ...core.walker import NetlistWalker


def lower(model: Circuit, circuit: GateCircuit, outputs: str, style: str = "adder", rewrite: bool = True) -> list:
    """IR nodes of the output bits at length `circuit.length`."""
    return lower_netlist(model.netlist(circuit.length), circuit)


def lower_netlist(netlist: Netlist, circuit: GateCircuit) -> list:
    """Gate by gate; `majority` is the threshold gate sum >= floor(m/2) + 1."""
    node = {f"x[{i}][{a}]": circuit.input(i, a) for (i, a) in circuit.inputs}
    _GateLowering(circuit).walk(netlist, node)
    return [node[name] for name in netlist.outputs]


class _GateLowering(NetlistWalker):
    """Each netlist gate as an IR node of `circuit` over its inputs' nodes."""

    def __init__(self, circuit: GateCircuit):
        self.circuit = circuit

    def walk_threshold(self, gate, ins) -> int:
        return self.circuit.threshold(ins, gate.weights, gate.t)

    def walk_majority(self, gate, ins) -> int:
        return self.circuit.threshold(ins, [1] * len(ins), majority_threshold(len(ins)))

    def walk_and(self, gate, ins) -> int:
        return self.circuit.and_(*ins)

    def walk_or(self, gate, ins) -> int:
        return self.circuit.or_(*ins)

    def walk_xor(self, gate, ins) -> int:
        return self.circuit.xor(*ins)

    def walk_not(self, gate, ins) -> int:
        return self.circuit.not_(ins[0])

    def walk_const(self, gate, ins) -> int:
        return self.circuit.const(gate.value)
