"""Loading and validating a case (spec sections 1-5 and 7) into `core.models`: the
top level, lengths, alphabet, and each side by the loader of its kind (`KINDS`).

- YAML is read with a safe loader whose numbers are exact (`yaml_io.py`): a YAML
  decimal is the Fraction of its source text (`0.1` is 1/10), never a float64.
- Paths are relative to the file that names them.
- Transformers: `transformer/load.py` (spec 3, npz arrays) and `transformer/tracr.py`
  (`{tracr: folder}`); every parameter becomes an integer grid index of the
  `param_format` (`casefile/params.py`). With `strict_params: true` a parameter off that
  grid is an error; otherwise one warning per model is passed to `warn`
  (default: printed to stderr) saying how many parameters were rounded and the
  largest change.
- Circuits: `circuit/load.py` (netlists are read lazily per length; `check_case`
  forces every length, as `tcverify validate` needs). DFAs: `dfa/load.py`.
- Every problem is a `UserError` naming the file and the key (or gate, or line).
"""

from __future__ import annotations

import os
import sys

from ..casefile import validate as check
from ..casefile.limits import MAX_LENGTH, check_length_cap
from ..casefile.overrides import apply as apply_overrides
from ..casefile.overrides import for_side
from ..casefile.yaml_io import read_yaml
from ..core.models import Case
from ..errors import UserError
from . import KEYS, kind_named, kind_of

__all__ = ["load_case", "load_model", "check_case", "check_size"]

MAX_LENGTHS = 100_000  # a guard against a typo like max: 1000000000


# -- case -------------------------------------------------------------------------


def _stderr_warning(path):
    """Warnings of the case file `path` to stderr, each naming the file."""
    return lambda message: print(f"tcverify: warning: {path}: {message}", file=sys.stderr)


def load_case(path, warn=None, overrides=()) -> Case:
    """Load and validate a case file. `warn(message)` receives the parameter
    rounding warnings (one per model); by default they go to stderr.
    `overrides` are `--set` pairs (keys, value) from `overrides.parse_override`."""
    path = str(path)
    warn = warn or _stderr_warning(path)
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


def _same_layout(left, right, path):
    """Both sides give the same bits per read position: a one-bit-per-class readout is
    compared class for class with another one over the same classes."""
    a, b = kind_of(left).classes(left), kind_of(right).classes(right)
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
    """One model `{<kind key>: mapping or file}` (a key of `KINDS`); `path` is the file
    naming it; `overrides` (keys, value) apply to the inner mapping."""
    warn = warn or _stderr_warning(path)
    data = check.mapping(data, path, key)
    named = [k for k in KEYS if k in data]
    check.keys(data, KEYS, path, key)
    if len(named) != 1:
        raise UserError(f"a model has exactly one of the keys {', '.join(KEYS)}", path, key)
    kind = kind_named(named[0])
    body = data[kind.key]
    prefix = f"{key}.{kind.key}"
    if isinstance(body, str):
        file, path = body, os.path.join(os.path.dirname(path), body)
        body = read_yaml(path)
        prefix = ""
        case_warn, warn = warn, lambda message: case_warn(f"{key} (model file {os.path.normpath(file)}): {message}")
    body = check.mapping(body, path, prefix or None, f"a {kind.key} mapping or the path of a YAML file holding one")
    body = apply_overrides(body, overrides, path)
    return kind.load(body, path, prefix, alphabet, outputs, warn)


# -- whole-case check -----------------------------------------------------------


def check_case(case: Case) -> None:
    """Force what loading leaves lazy: every length of both models (netlists built,
    transformer layouts and positional rows computed); UserError if any fails."""
    for model in (case.left, case.right):
        for n in case.lengths:
            kind_of(model).check_length(model, n, case.outputs)


def check_size(case: Case, max_length: int = MAX_LENGTH) -> None:
    """Every guard that needs the whole case (the others apply while loading): the
    longest length, and each model's lowering at that length."""
    check_length_cap(case, max_length)
    n = max(case.lengths)
    for side in ("left", "right"):
        model = getattr(case, side)
        kind_of(model).size_check(model, n, case.path, side)
