"""Circuits (netlist files, Python builders, built-ins) into the gate IR, gate by gate."""

from __future__ import annotations

from ...core.gate_ops import majority_threshold
from ...core.ir import GateCircuit
from ...core.models import Circuit, Netlist
from ...core.walker import NetlistWalker
from ...lowering import counts as count_forms


def lower(model: Circuit, circuit: GateCircuit, outputs: str, style: str = "adder", rewrite: bool = True,
          counts: bool = True) -> list:
    """IR nodes of the output bits at length `circuit.length`; with `counts` (and `rewrite`,
    in the adder style, as the transformer lowering) a threshold gate over inputs is a
    register of its count form's shared sum (`lowering/counts.py`), where a transformer's
    comparisons of the same form meet it."""
    return lower_netlist(model.netlist(circuit.length), circuit, counts and rewrite and style == "adder")


def lower_netlist(netlist: Netlist, circuit: GateCircuit, counts: bool = False) -> list:
    """Gate by gate; `majority` is the threshold gate sum >= floor(m/2) + 1."""
    node = {f"x[{i}][{a}]": circuit.input(i, a) for (i, a) in circuit.inputs}
    _GateLowering(circuit, counts).walk(netlist, node)
    return [node[name] for name in netlist.outputs]


class _GateLowering(NetlistWalker):
    """Each netlist gate as an IR node of `circuit` over its inputs' nodes."""

    def __init__(self, circuit: GateCircuit, counts: bool):
        self.circuit = circuit
        self.counts = counts

    def walk_threshold(self, gate, ins) -> int:
        return self._threshold(ins, gate.weights, gate.t)

    def walk_majority(self, gate, ins) -> int:
        return self._threshold(ins, [1] * len(ins), majority_threshold(len(ins)))

    def _threshold(self, ins, weights, t: int) -> int:
        node = count_forms.threshold(self.circuit, ins, weights, t) if self.counts else None
        return self.circuit.threshold(ins, weights, t) if node is None else node

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
