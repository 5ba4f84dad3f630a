"""Loading and validating a case (spec sections 1-5 and 7) into `models`: the
top level, lengths, alphabet and the dispatch to one loader per model kind.

- YAML is read with a safe loader whose numbers are exact (`yaml_io.py`): a YAML
  decimal is the Fraction of its source text (`0.1` is 1/10), never a float64.
- Paths are relative to the file that names them.
- Transformers: `transformer_loader.py` (spec 3, npz arrays) and `tracr_import.py`
  (`{tracr: folder}`); every parameter becomes an integer grid index of the
  `param_format` (`params.py`). With `strict_params: true` a parameter off that
  grid is an error; otherwise one warning per model is passed to `warn`
  (default: printed to stderr) saying how many parameters were rounded and the
  largest change.
- Circuits: `netlist.py` (netlists are read lazily per length; `check_case`
  forces every length, as `tcverify validate` needs). DFAs: `dfa_loader.py`.
- Every problem is a `UserError` naming the file and the key (or gate, or line).
"""

from __future__ import annotations

import os
import sys

from ..errors import UserError
from ..semantics import sequence
from . import validate as check
from .dfa_loader import load_dfa
from .models import Case, Circuit, Transformer
from .netlist import load_circuit, parse_netlist
from .overrides import apply as apply_overrides
from .overrides import for_side
from .tracr_import import load_tracr
from .transformer_loader import TransformerLoader
from .yaml_io import read_yaml

__all__ = ["load_case", "load_model", "check_case", "parse_netlist", "read_yaml"]  # the last two re-exported

MAX_LENGTHS = 100_000  # a guard against a typo like max: 1000000000


# -- case -------------------------------------------------------------------------


def _stderr_warning(message):
    print(f"tcverify: warning: {message}", file=sys.stderr)


def load_case(path, warn=None, overrides=()) -> Case:
    """Load and validate a case file. `warn(message)` receives the parameter
    rounding warnings (one per model); by default they go to stderr.
    `overrides` are `--set` pairs (keys, value) from `overrides.parse_override`."""
    warn = warn or _stderr_warning
    path = str(path)
    data = check.mapping(read_yaml(path), path, None, "a mapping at the top level")
    data = apply_overrides(data, [(k, v) for k, v in overrides if k[0] not in ("left", "right") or len(k) == 1], path)
    check.keys(data, ("tcverify", "name", "alphabet", "lengths", "outputs", "left", "right", "expect"), path, "",
          required=("tcverify", "alphabet", "lengths", "left", "right"))
    if type(data["tcverify"]) is not int or data["tcverify"] != 1:
        raise UserError(f"only format version 1 is supported, found {check.kind(data['tcverify'])}", path, "tcverify")
    name = data.get("name", os.path.splitext(os.path.basename(path))[0])
    if not isinstance(name, str) or not name:
        raise UserError(f"expected a non-empty string, found {check.kind(name)}", path, "name")
    alphabet = _alphabet(data["alphabet"], path)
    lengths = _lengths(data["lengths"], path)
    outputs = check.choice(data.get("outputs", "last"), ("last", "every"), path, "outputs")
    expect = check.choice(data.get("expect", "equivalent"), ("equivalent", "counterexample"), path, "expect")
    left = load_model(data["left"], path, "left", alphabet, outputs, warn, for_side(overrides, "left"))
    right = load_model(data["right"], path, "right", alphabet, outputs, warn, for_side(overrides, "right"))
    _same_layout(left, right, path)
    return Case(path, name, alphabet, lengths, outputs, left, right, expect)


def _classes(model):
    """The class labels of a transformer read one bit per class, else None (one bit per position)."""
    if isinstance(model, Transformer) and model.readout.bits > 1:
        return model.readout.labels
    return None


def _same_layout(left, right, path):
    """Both sides give the same bits per read position: a one-bit-per-class readout is
    compared class for class with another one over the same classes."""
    a, b = _classes(left), _classes(right)
    if a == b:
        return
    describe = lambda c: f"one bit per class ({', '.join(c)})" if c else "one bit per position"  # noqa: E731
    raise UserError(f"the left model gives {describe(a)} but the right model {describe(b)}; "
                    "both sides must read the same classes", path, "right")


def _alphabet(value, path):
    if not isinstance(value, list) or not value:
        raise UserError(f"expected a non-empty list of symbols, found {check.kind(value)}", path, "alphabet")
    symbols = tuple(check.symbol(a, path, f"alphabet[{i}]") for i, a in enumerate(value))
    if len(set(symbols)) != len(symbols):
        raise UserError("the symbols must be distinct", path, "alphabet")
    return symbols


def _lengths(value, path):
    if isinstance(value, dict):
        check.keys(value, ("min", "max"), path, "lengths", required=("min", "max"))
        low = check.integer(value["min"], path, "lengths.min", 0)
        high = check.integer(value["max"], path, "lengths.max", 0)
        if high < low:
            raise UserError(f"max {high} is below min {low}", path, "lengths")
        if high - low >= MAX_LENGTHS:
            raise UserError(f"{high - low + 1} lengths are more than the {MAX_LENGTHS} a case may list", path, "lengths")
        return tuple(range(low, high + 1))
    if isinstance(value, list):
        if not value:
            raise UserError("the list of lengths is empty", path, "lengths")
        return tuple(sorted({check.integer(n, path, f"lengths[{i}]", 0) for i, n in enumerate(value)}))
    return (check.integer(value, path, "lengths", 0),)


def load_model(data, path, key, alphabet, outputs, warn=None, overrides=()):
    """One model `{transformer|circuit|dfa: mapping or file}`; `path` is the file naming it;
    `overrides` (keys, value) apply to the inner mapping."""
    warn = warn or _stderr_warning
    data = check.mapping(data, path, key)
    kinds = [k for k in ("transformer", "circuit", "dfa") if k in data]
    check.keys(data, ("transformer", "circuit", "dfa"), path, key)
    if len(kinds) != 1:
        raise UserError("a model has exactly one of the keys transformer, circuit, dfa", path, key)
    kind = kinds[0]
    body = data[kind]
    prefix = f"{key}.{kind}"
    if isinstance(body, str):
        path = os.path.join(os.path.dirname(path), body)
        body = read_yaml(path)
        prefix = ""
    body = check.mapping(body, path, prefix or None, f"a {kind} mapping or the path of a YAML file holding one")
    body = apply_overrides(body, overrides, path)
    if kind == "transformer" and "tracr" in body:
        return load_tracr(body, path, prefix, alphabet, outputs, warn)
    if kind == "transformer":
        return TransformerLoader(path, prefix, alphabet, warn).load(body)
    if kind == "circuit":
        return load_circuit(body, path, prefix, alphabet, outputs)
    return load_dfa(body, path, prefix, alphabet)


# -- whole-case check -----------------------------------------------------------


def check_case(case: Case) -> None:
    """Force what loading leaves lazy: every netlist of every length, and each
    transformer's layout and positional rows at every length (UserError if any fails)."""
    for model in (case.left, case.right):
        for n in case.lengths:
            if isinstance(model, Circuit):
                model.netlist(n)
            elif isinstance(model, Transformer):
                sequence.layout(model, n, case.outputs)
                sequence.positional_rows(model, n)
