"""`--set KEY=VALUE`: overrides of case fields by dotted path, for `prove` and
`sweep` (e.g. `left.number_format.frac_bits=6`, `lengths={min: 1, max: 8}`,
`right.blocks.0.attention.heads.0.mask=none`).

Inside `left.` / `right.` the path is relative to the model's inner mapping
(the `transformer:`/`circuit:`/`dfa:` key may be named or left out), so it
works the same for inline models and model files. VALUE is read as YAML with
exact decimals. Overriding a key that the format does not have is caught by
the loader's unknown-key check, like a typo in the file.
"""

from __future__ import annotations

import copy

import yaml

from ..errors import UserError
from .yaml_io import ExactLoader

MODEL_KINDS = ("transformer", "circuit", "dfa")


def parse_override(text: str) -> tuple:
    """("left.number_format.frac_bits=6") -> (("left", "number_format", "frac_bits"), 6)."""
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise UserError(f"expected KEY=VALUE, got {text!r}", key="set")
    try:
        parsed = yaml.load(value, Loader=ExactLoader) if value.strip() else None
    except Exception:
        raise UserError(f"the value {value!r} is not valid YAML", key="set") from None
    return tuple(part for part in key.strip().split(".")), parsed


def for_side(overrides, side: str) -> list:
    """The overrides under `side.` with the side (and a model-kind key) removed."""
    picked = []
    for keys, value in overrides:
        if keys[0] == side and len(keys) > 1:
            rest = keys[1:]
            if rest[0] in MODEL_KINDS and len(rest) > 1:
                rest = rest[1:]
            picked.append((rest, value))
    return picked


def apply(data, overrides, where: str):
    """A deep copy of the mapping `data` with each (keys, value) set."""
    if not overrides:
        return data
    data = copy.deepcopy(data)
    for keys, value in overrides:
        target = data
        for depth, key in enumerate(keys[:-1]):
            target = _child(target, key, keys[:depth + 1], where)
        last = keys[-1]
        if isinstance(target, list):
            index = _index(target, last, keys, where)
            target[index] = value
        elif isinstance(target, dict):
            target[last] = value
        else:
            raise UserError(f"cannot set {'.'.join(keys)}: {'.'.join(keys[:-1])} is not a mapping or list", where, "set")
    return data


def _child(target, key, path, where):
    if isinstance(target, dict):
        if key not in target:
            target[key] = {}
        return target[key]
    if isinstance(target, list):
        return target[_index(target, key, path, where)]
    raise UserError(f"cannot set below {'.'.join(path[:-1]) or 'the top'}: it is not a mapping or list", where, "set")


def _index(target, key, path, where):
    try:
        index = int(key)
        target[index]
        return index
    except (ValueError, IndexError):
        raise UserError(f"{'.'.join(path)}: {key!r} is not an index of a list of {len(target)}", where, "set") from None


def parse_range(text: str, key: str) -> list:
    """"A:B" (inclusive) or "A" as a list of integers."""
    try:
        if ":" in text:
            low, high = (int(part) for part in text.split(":", 1))
            if low > high:
                raise ValueError
            return list(range(low, high + 1))
        return [int(text)]
    except ValueError:
        raise UserError(f"expected an integer or a range A:B, got {text!r}", key=key) from None
