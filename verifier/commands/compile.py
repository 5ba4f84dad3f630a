"""`tcverify compile`: a transformer at one length into a constant-depth threshold
circuit, written as a netlist (spec 4.1).

This is the construction of Merrill & Sabharwal (TACL 2023, Theorems 1-2): every
position-local function of few bits is a depth-2 circuit (their Lemma 1), and
every sum over positions is iterated addition, which threshold gates do in
constant depth. The lowering is `lower_transformer` with the "threshold" style
of `lowering/arithmetic/`; the netlist is then proved equivalent to its
transformer by `tcverify prove`, so each compilation is translation-validated.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..core.models import Case, Transformer
from ..errors import UserError
from ..core.ir import GateCircuit
from ..kinds.transformer.lower import lower_transformer
from ..core.gate_ops import SOURCE_OPS
from .plotting import pyplot, save


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


def paper_depth_bound(layers: int, iterated_addition_depth: int = 2) -> int:
    """Merrill & Sabharwal's depth bound 3 + (9 + 2 d_sum) L for L layers, with
    d_sum the depth of iterated addition (2 for the construction used here)."""
    return 3 + (9 + 2 * iterated_addition_depth) * layers


def compile_lengths(case_path: str, side: str, lengths, output, show_stats: bool, plot) -> list:
    """The `compile` command: write one netlist per length, print and plot the stats."""
    import json

    from rich.console import Console
    from rich.table import Table

    from ..kinds.case import load_case

    case = load_case(case_path)
    model = getattr(case, side)
    if output and isinstance(model, Transformer) and model.readout.bits > 1:
        raise UserError(f"the readout gives one bit per class ({model.readout.bits} per position), which a netlist "
                        "(one output per position) cannot hold; read it with accept", case.path, f"{side}.transformer.readout")
    layers = len(model.blocks) if isinstance(model, Transformer) else 0
    rows = []
    for n in lengths:
        circuit, outputs = compile_side(case, side, n)
        if output:
            path = output.replace("{n}", str(n))
            try:
                with open(path, "w") as handle:
                    json.dump(to_netlist(circuit, outputs), handle)
            except OSError as exc:
                raise UserError(f"cannot write: {exc.strerror}", path) from None
        rows.append(stats(circuit, outputs))
    if show_stats:
        bound = paper_depth_bound(layers)
        table = Table(title=f"{case.name}: {side} transformer as a threshold circuit ({layers} blocks; paper's depth bound {bound})")
        for column in ("n", "depth", "gates", "wires", "max fan-in", "max |weight|"):
            table.add_column(column, justify="right")
        for r in rows:
            table.add_row(*(str(v) for v in (r.n, r.depth, r.gates, r.wires, r.max_fanin, r.max_weight)))
        Console().print(table)
        if plot:
            plot_stats(rows, bound, case.name, plot)
            Console().print(f"plot: {plot}")
    return rows


def plot_stats(rows, bound: int, title: str, path: str):
    ns = [r.n for r in rows]
    fig, (left, right) = pyplot().subplots(1, 2, figsize=(10, 4))
    left.plot(ns, [r.depth for r in rows], "o-", label="depth of the compiled circuit")
    left.axhline(bound, color="grey", linestyle="--", label="paper's bound 3 + (9 + 2 d) L")
    left.set_xlabel("input length n")
    left.set_ylabel("depth")
    left.set_ylim(0, max(bound, max(r.depth for r in rows)) + 2)
    left.legend()
    right.loglog(ns, [r.gates for r in rows], "o-", label="gates")
    right.loglog(ns, [r.wires for r in rows], "s-", label="wires")
    right.set_xlabel("input length n")
    right.legend()
    right.set_title("size (log-log: polynomial = straight line)")
    fig.suptitle(f"{title}: constant depth, polynomial size")
    save(fig, path)
