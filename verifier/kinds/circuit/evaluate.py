"""Exact evaluator of circuits (spec 4): netlists gate by gate; built-ins by their
direct evaluator (`builtins.py`), independent of their netlists."""

from __future__ import annotations

from ...core.models import Circuit, Netlist
from ...core.walker import NetlistWalker
from .builtins import evaluate_builtin


class GateValue(NetlistWalker):
    """Each netlist gate's 0/1 value from its inputs' (spec 4.1)."""

    def walk_threshold(self, gate, ins) -> int:
        return int(sum(w * v for w, v in zip(gate.weights, ins)) >= gate.t)

    def walk_majority(self, gate, ins) -> int:
        return int(2 * sum(ins) > len(ins))

    def walk_and(self, gate, ins) -> int:
        return int(all(ins))

    def walk_or(self, gate, ins) -> int:
        return int(any(ins))

    def walk_not(self, gate, ins) -> int:
        return 1 - ins[0]

    def walk_xor(self, gate, ins) -> int:
        return sum(ins) % 2

    def walk_const(self, gate, ins) -> int:
        return gate.value


def run_netlist(netlist: Netlist, word) -> list:
    """The output bits of a validated netlist on one string."""
    values = {f"x[{i}][{a}]": int(w == a) for i, w in enumerate(word) for a in netlist.alphabet}
    GateValue().walk(netlist, values)
    return [values[name] for name in netlist.outputs]


def run(model: Circuit, word, alphabet, outputs: str) -> list:
    """The output bits of one string."""
    word = list(word)
    if model.kind == "builtin":
        return evaluate_builtin(model.family, model.params, word, outputs)
    return run_netlist(model.netlist(len(word)), word)
