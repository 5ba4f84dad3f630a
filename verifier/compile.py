"""`tcverify compile`: a transformer at one length into a constant-depth threshold
circuit, written as a netlist (spec 4.1).

This is the construction of Merrill & Sabharwal (TACL 2023, Theorems 1-2): every
position-local function of few bits is a depth-2 circuit (their Lemma 1), and
every sum over positions is iterated addition, which threshold gates do in
constant depth. The lowering is `lower_transformer` with the "threshold" style
of `encodings/fixedpoint.py`; the netlist is then proved equivalent to its
transformer by `tcverify prove`, so each compilation is translation-validated.
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import UserError
from .ir import GateCircuit
from .lower_transformer import lower_transformer
from .models import Case, Transformer


@dataclass
class CircuitStats:
    n: int
    depth: int  # longest path in gates; `not` counts 0 (a negated wire)
    gates: int  # threshold/and/or/xor/not gates
    wires: int  # sum of fan-ins
    max_fanin: int
    max_weight: int  # largest |weight| or |threshold| of a threshold gate


def compile_side(case: Case, side: str, n: int) -> tuple:
    """(GateCircuit, output nodes) of the transformer on `side` at length n."""
    model = getattr(case, side)
    if not isinstance(model, Transformer):
        raise UserError(f"the {side} model is a {type(model).__name__.lower()}, not a transformer", case.path, side)
    circuit = GateCircuit(n, case.alphabet)
    return circuit, lower_transformer(model, circuit, case.outputs, style="threshold")


def stats(circuit: GateCircuit, outputs) -> CircuitStats:
    cone = [node for node in circuit.cone(outputs) if circuit.gates[node].op not in ("input", "const")]
    depths = circuit.depths()
    fanins = [len(circuit.gates[node].inputs) for node in cone]
    weights = [max(max(map(abs, g.weights)), abs(g.t)) for g in (circuit.gates[node] for node in cone) if g.op == "threshold"]
    return CircuitStats(circuit.length, max((depths[o] for o in outputs), default=0), len(cone), sum(fanins),
                        max(fanins, default=0), max(weights, default=0))


def to_netlist(circuit: GateCircuit, outputs) -> dict:
    """The cone of `outputs` as a spec netlist mapping (gates in topological order)."""
    name = {}
    gates = []
    for node in circuit.cone(outputs):
        gate = circuit.gates[node]
        if gate.op == "input":
            i, a = gate.value
            name[node] = f"x[{i}][{a}]"
            continue
        name[node] = f"g{node}"
        entry = {"id": name[node], "op": gate.op, "in": [name[a] for a in gate.inputs]}
        if gate.op == "const":
            entry = {"id": name[node], "op": "const", "value": gate.value}
        elif gate.op == "threshold":
            entry["w"], entry["t"] = list(gate.weights), gate.t
        gates.append(entry)
    return {"tcverify_netlist": 1, "alphabet": list(circuit.alphabet), "length": circuit.length,
            "gates": gates, "outputs": [name[o] for o in outputs]}


def paper_depth_bound(layers: int, iterated_addition_depth: int = 2) -> int:
    """Merrill & Sabharwal's depth bound 3 + (9 + 2 d_sum) L for L layers, with
    d_sum the depth of iterated addition (2 for the construction used here)."""
    return 3 + (9 + 2 * iterated_addition_depth) * layers
