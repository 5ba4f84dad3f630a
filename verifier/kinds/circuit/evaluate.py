"""Exact evaluator of circuits (spec 4): netlists gate by gate; built-ins by their
direct evaluator (`builtins.py`), independent of their netlists."""

from __future__ import annotations

from ...core.models import Circuit, Netlist
from .builtins import evaluate_builtin


# netlist op -> (gate, 0/1 input values) -> 0/1 (spec 4.1)
GATE_VALUE = {
    "threshold": lambda gate, values: int(sum(w * v for w, v in zip(gate.weights, values)) >= gate.t),
    "majority": lambda gate, values: int(2 * sum(values) > len(values)),
    "and": lambda gate, values: int(all(values)),
    "or": lambda gate, values: int(any(values)),
    "not": lambda gate, values: 1 - values[0],
    "xor": lambda gate, values: sum(values) % 2,
    "const": lambda gate, values: gate.value,
}


def run_netlist(netlist: Netlist, word) -> list:
    """The output bits of a validated netlist on one string."""
    values = {f"x[{i}][{a}]": int(w == a) for i, w in enumerate(word) for a in netlist.alphabet}
    for gate in netlist.gates:
        values[gate.id] = GATE_VALUE[gate.op](gate, [values[name] for name in gate.inputs])
    return [values[name] for name in netlist.outputs]


def run(model: Circuit, word, alphabet, outputs: str) -> list:
    """The output bits of one string."""
    word = list(word)
    if model.kind == "builtin":
        return evaluate_builtin(model.family, model.params, word, outputs)
    return run_netlist(model.netlist(len(word)), word)
