"""Circuits (spec 4): netlist files, Python builders and built-in families, and
the validation of a netlist mapping into `models.Netlist` (gates in topological
order). Netlists are built lazily per length (`Circuit.netlist(n)`, cached).
Loading a Python builder (`{python: "file.py:func"}`) imports and runs that file.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import re

from ...errors import UserError
from ...core.gate_ops import NETLIST_OPS
from ...casefile import validate as check
from .builtins import builtin_netlist, parse_builtin
from ...casefile.limits import check_netlist_size
from ...core.models import Circuit, Gate, Netlist
from ...casefile.yaml_io import read_data

_INPUT_NAME = re.compile(r"^x\[(.*)\]\[(.*)\]$")



def load_circuit(data, path, prefix, alphabet, outputs) -> Circuit:
    kinds = [k for k in ("netlist", "python", "builtin") if k in data]
    if len(kinds) != 1:
        raise UserError("a circuit has exactly one of the keys netlist, python, builtin", path, prefix or None)
    kind = kinds[0]
    if kind == "builtin":
        family, params = parse_builtin(data, alphabet, path, prefix)

        def build(n):
            return builtin_netlist(family, params, n, alphabet, outputs)

        return Circuit("builtin", path, functools.lru_cache(maxsize=None)(build), family, params)
    check.keys(data, (kind,), path, prefix)
    key = check.join(prefix, kind)
    spec = data[kind]
    if not isinstance(spec, str) or not spec:
        raise UserError(f"expected a file name, found {check.kind(spec)}", path, key)
    if kind == "netlist":
        def build(n):
            file = os.path.join(os.path.dirname(path), spec.replace("{n}", str(n)))
            if not os.path.isfile(file):
                raise UserError(f"the netlist file {file} for length {n} does not exist", path, key)
            return parse_netlist(read_data(file), file, alphabet, n, outputs)

        return Circuit("netlist", path, functools.lru_cache(maxsize=None)(build))
    function = _import_builder(spec, path, key)

    def build(n):
        try:
            result = function(n, list(alphabet))
        except MemoryError:  # the memory cap (`prove --max-memory`), not a bad builder
            raise
        except Exception as exc:  # the user's code: any failure is their error, reported in one line
            raise UserError(f"the builder {spec} failed at length {n}: {type(exc).__name__}: {exc}", path, key) from None
        return parse_netlist(result, f"{os.path.join(os.path.dirname(path), spec)} (length {n})", alphabet, n, outputs)

    return Circuit("python", path, functools.lru_cache(maxsize=None)(build))


def _import_builder(spec, path, key):
    """Import `file.py` (relative to `path`) and return its function; this runs the file."""
    if ":" not in spec:
        raise UserError(f"expected 'FILE.py:FUNCTION', found {spec!r}", path, key)
    file, name = spec.rsplit(":", 1)
    file = os.path.join(os.path.dirname(path), file)
    if not os.path.isfile(file):
        raise UserError(f"the builder file {file} does not exist", path, key)
    module_name = "tcverify_builder_" + re.sub(r"\W", "_", os.path.abspath(file))
    try:
        module_spec = importlib.util.spec_from_file_location(module_name, file)
        if module_spec is None or module_spec.loader is None:
            raise ImportError("not a Python file")
        module = importlib.util.module_from_spec(module_spec)
        module_spec.loader.exec_module(module)
    except Exception as exc:  # the user's code
        raise UserError(f"importing the builder {file} failed: {type(exc).__name__}: {exc}", path, key) from None
    function = getattr(module, name, None)
    if not callable(function):
        raise UserError(f"{file} has no function {name!r}", path, key)
    return function


def parse_netlist(data, source, alphabet, n, outputs) -> Netlist:
    """Validate a netlist mapping (spec 4.1) for length n; gates come out in
    topological order. `source` (the file, or the builder) is named in errors."""
    data = check.mapping(data, source, None, "a netlist mapping")
    check.keys(data, ("tcverify_netlist", "alphabet", "length", "gates", "outputs"), source, "",
          required=("alphabet", "length", "gates", "outputs"))
    if "tcverify_netlist" in data and (type(data["tcverify_netlist"]) is not int or data["tcverify_netlist"] != 1):
        raise UserError(f"only netlist version 1 is supported, found {check.kind(data['tcverify_netlist'])}", source, "tcverify_netlist")
    if data["alphabet"] != list(alphabet):
        raise UserError(f"the netlist's alphabet {data['alphabet']!r} is not the case's {list(alphabet)!r}", source, "alphabet")
    if check.integer(data["length"], source, "length") != n:
        raise UserError(f"the netlist is for length {data['length']}, but length {n} was asked for", source, "length")
    inputs = {f"x[{i}][{a}]" for i in range(n) for a in alphabet}
    gates_data = data["gates"]
    if not isinstance(gates_data, list):
        raise UserError(f"expected a list of gates, found {check.kind(gates_data)}", source, "gates")
    check_netlist_size(len(gates_data), source, "gates")
    gates = {}
    for g, gate in enumerate(gates_data):
        parsed = _gate(gate, source, f"gates[{g}]")
        if parsed.id in gates:
            raise UserError(f"duplicate gate id {parsed.id!r}", source, f"gates[{g}]")
        gates[parsed.id] = parsed
    for gate in gates.values():
        for name in gate.inputs:
            if name not in gates and name not in inputs:
                raise UserError(f"unknown input {name!r} (not a gate id, nor x[i][a] with i < {n} and a in the alphabet)",
                                source, f"gate {gate.id!r}")
    order = _topological(gates, source)
    names = data["outputs"]
    if not isinstance(names, list):
        raise UserError(f"expected a list of names, found {check.kind(names)}", source, "outputs")
    wanted = n if outputs == "every" else 1
    if len(names) != wanted:
        raise UserError(f"outputs: {outputs} needs {wanted} output(s) at length {n}, found {len(names)}", source, "outputs")
    for name in names:
        if name not in gates and name not in inputs:
            raise UserError(f"unknown output {name!r}", source, "outputs")
    return Netlist(tuple(alphabet), n, tuple(order), tuple(names), source)


def _gate(data, source, key) -> Gate:
    data = check.mapping(data, source, key)
    gate_id = data.get("id")
    if not isinstance(gate_id, str) or not gate_id:
        raise UserError(f"a gate needs a string 'id', found {check.kind(gate_id)}", source, key)
    key = f"gate {gate_id!r}"
    if _INPUT_NAME.match(gate_id):
        raise UserError("a gate id may not have the form x[...][...]", source, key)
    op = check.choice(data.get("op"), NETLIST_OPS, source, f"{key}.op")
    allowed = {"threshold": ("id", "op", "in", "w", "t"), "const": ("id", "op", "value")}.get(op, ("id", "op", "in"))
    check.keys(data, allowed, source, key, required=allowed)
    if op == "const":
        value = data["value"]
        if value not in (0, 1) or isinstance(value, bool) or not isinstance(value, int):
            raise UserError(f"a const gate's value is 0 or 1, found {check.kind(value)}", source, key)
        return Gate(gate_id, "const", value=value)
    ins = data["in"]
    if not isinstance(ins, list) or not all(isinstance(name, str) for name in ins):
        raise UserError(f"'in' must be a list of names, found {check.kind(ins)}", source, key)
    if op == "not" and len(ins) != 1:
        raise UserError(f"a not gate has exactly one input, found {len(ins)}", source, key)
    if op != "threshold":
        return Gate(gate_id, op, tuple(ins))
    weights = data["w"]
    if not isinstance(weights, list) or len(weights) != len(ins):
        raise UserError(f"'w' must be a list of {len(ins)} integers (one per input), found {check.kind(weights)}"
                        + (f" of length {len(weights)}" if isinstance(weights, list) else ""), source, key)
    weights = tuple(check.integer(w, source, f"{key}.w[{k}]") for k, w in enumerate(weights))
    return Gate(gate_id, op, tuple(ins), weights, check.integer(data["t"], source, f"{key}.t"))


def _topological(gates: dict, source) -> list:
    """Gates in an order where every gate comes after its gate inputs; a cycle is an error."""
    order, state = [], {}
    for root in gates:
        if root in state:
            continue
        stack = [(root, iter(gates[root].inputs))]
        state[root] = "open"
        while stack:
            name, pending = stack[-1]
            for child in pending:
                if child not in gates:
                    continue
                if state.get(child) == "open":
                    raise UserError(f"the gates form a cycle through {child!r} and {name!r}", source, f"gate {child!r}")
                if child not in state:
                    state[child] = "open"
                    stack.append((child, iter(gates[child].inputs)))
                    break
            else:
                stack.pop()
                state[name] = "done"
                order.append(gates[name])
    return order
