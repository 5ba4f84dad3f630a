"""The gate IR as a spec netlist (spec 4.1; written by `tcverify compile`, read
back by the circuit kind's loader), and the statistics of that netlist."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass

from ..core.gate_ops import SOURCE_OPS
from ..core.ir import GateCircuit
from ..core.walker import IrWalker
from ..errors import UserError


@dataclass
class CircuitStats:
    n: int
    depth: int  # longest path in gates; `not` counts 0 (a negated wire)
    gates: int  # threshold/and/or/xor/not gates
    wires: int  # sum of fan-ins
    max_fanin: int
    max_weight: int  # largest |weight| or |threshold| of a threshold gate


def stats(circuit: GateCircuit, outputs) -> CircuitStats:
    """The statistics of the cone of `outputs` (depths by `GateCircuit.depths`)."""
    cone = [node for node in circuit.cone(outputs) if circuit.gates[node].op not in SOURCE_OPS]
    depths = circuit.depths()
    fanins = [len(circuit.gates[node].inputs) for node in cone]
    weights = [max(max(map(abs, g.weights)), abs(g.t)) for g in (circuit.gates[node] for node in cone) if g.op == "threshold"]
    return CircuitStats(circuit.length, max((depths[o] for o in outputs), default=0), len(cone), sum(fanins),
                        max(fanins, default=0), max(weights, default=0))


def to_netlist(circuit: GateCircuit, outputs) -> dict:
    """The cone of `outputs` as a spec netlist mapping (gates in topological order);
    inputs are the wires x[i][a], every other IR op is the netlist op of its name."""
    name = {}
    gates = []
    fields_of = _NetlistFields()
    for node in circuit.cone(outputs):
        gate = circuit.gates[node]
        fields = fields_of.visit(gate, [name[a] for a in gate.inputs])
        if fields is None:
            name[node] = "x[{}][{}]".format(*gate.value)
        else:
            name[node] = f"g{node}"
            gates.append({"id": name[node], "op": gate.op, **fields})
    return {"tcverify_netlist": 1, "alphabet": list(circuit.alphabet), "length": circuit.length,
            "gates": gates, "outputs": [name[o] for o in outputs]}


class _NetlistFields(IrWalker):
    """Each IR gate's netlist fields beside id and op, from its inputs' names;
    None for an input (a wire x[i][a], no gate)."""

    def walk_input(self, gate, ins):
        return None

    def walk_const(self, gate, ins) -> dict:
        return {"value": gate.value}

    def walk_not(self, gate, ins) -> dict:
        return {"in": ins}

    def walk_and(self, gate, ins) -> dict:
        return {"in": ins}

    def walk_or(self, gate, ins) -> dict:
        return {"in": ins}

    def walk_xor(self, gate, ins) -> dict:
        return {"in": ins}

    def walk_threshold(self, gate, ins) -> dict:
        return {"in": ins, "w": list(gate.weights), "t": gate.t}


def write_netlist(circuit: GateCircuit, outputs, path: str):
    """The netlist of `outputs` as a JSON file (its folders created)."""
    try:
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        with open(path, "w") as handle:
            json.dump(to_netlist(circuit, outputs), handle)
    except OSError as exc:
        raise UserError(f"cannot write: {exc.strerror}", path) from None
