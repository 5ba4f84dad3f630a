"""`tcverify compile`: a transformer at one length into a constant-depth threshold
circuit (`api.compile`), written as a netlist (spec 4.1), with its statistics.

This is the construction of Merrill & Sabharwal (TACL 2023, Theorems 1-2): every
position-local function of few bits is a depth-2 circuit (their Lemma 1), and
every sum over positions is iterated addition, which threshold gates do in
constant depth. The lowering is `lower_transformer` with the "threshold" style
of `lowering/arithmetic/`; the netlist is then proved equivalent to its
transformer by `tcverify prove`, so each compilation is translation-validated.
"""

from __future__ import annotations

from .. import api
from ..core.models import Transformer
from ..errors import UserError
from .plotting import pyplot, save


def paper_depth_bound(layers: int, iterated_addition_depth: int = 2) -> int:
    """Merrill & Sabharwal's depth bound 3 + (9 + 2 d_sum) L for L layers, with
    d_sum the depth of iterated addition (2 for the construction used here)."""
    return 3 + (9 + 2 * iterated_addition_depth) * layers


def compile_lengths(case_path: str, side: str, lengths, output, show_stats: bool, plot) -> list:
    """The `compile` command: write one netlist per length, print and plot the stats."""
    from rich.console import Console
    from rich.table import Table

    case = api.load(case_path)
    model = getattr(case, side)
    if output and isinstance(model, Transformer) and model.readout.bits > 1:
        raise UserError(f"the readout gives one bit per class ({model.readout.bits} per position), which a netlist "
                        "(one output per position) cannot hold; read it with accept", case.path, f"{side}.transformer.readout")
    layers = len(model.blocks) if isinstance(model, Transformer) else 0
    rows = []
    for n in lengths:
        circuit, outputs = api.compile(case, side, n)
        if output:
            api.export_netlist(circuit, outputs, output.replace("{n}", str(n)))
        rows.append(api.circuit_stats(circuit, outputs))
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
