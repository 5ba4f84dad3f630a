"""The gate IR as a spec netlist (spec 4.1; written by `tcverify compile`, read
back by the circuit kind's loader), and the statistics of that netlist."""

from __future__ import annotations

import json
from dataclasses import dataclass

from ..core.gate_ops import SOURCE_OPS
from ..core.ir import GateCircuit
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
    for node in circuit.cone(outputs):
        gate = circuit.gates[node]
        if gate.op == "input":
            name[node] = "x[{}][{}]".format(*gate.value)
        else:
            name[node] = f"g{node}"
            gates.append({"id": name[node], "op": gate.op, **_NETLIST_FIELDS[gate.op](gate, name)})
    return {"tcverify_netlist": 1, "alphabet": list(circuit.alphabet), "length": circuit.length,
            "gates": gates, "outputs": [name[o] for o in outputs]}


def _inputs(gate, name) -> dict:
    return {"in": [name[a] for a in gate.inputs]}


# IR op (but `input`, a wire) -> (gate, names of the nodes so far) -> the netlist gate's fields beside id and op
_NETLIST_FIELDS = {
    "const": lambda gate, name: {"value": gate.value},
    "not": _inputs,
    "and": _inputs,
    "or": _inputs,
    "xor": _inputs,
    "threshold": lambda gate, name: {**_inputs(gate, name), "w": list(gate.weights), "t": gate.t},
}


def write_netlist(circuit: GateCircuit, outputs, path: str):
    """The netlist of `outputs` as a JSON file."""
    try:
        with open(path, "w") as handle:
            json.dump(to_netlist(circuit, outputs), handle)
    except OSError as exc:
        raise UserError(f"cannot write: {exc.strerror}", path) from None
