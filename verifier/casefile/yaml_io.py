"""Reading case data exactly: YAML whose decimals are exact Fractions of their
source text (`0.1` is 1/10, never a float64) and whose mappings reject repeated
keys, and JSON with the same duplicate-key check. Every error is a one-line
`UserError` naming the file and line."""

from __future__ import annotations

import json
from decimal import Decimal
from fractions import Fraction

import yaml

from ..errors import UserError


class _NotFinite(Exception):
    def __init__(self, text, mark):
        super().__init__(text)
        self.text, self.mark = text, mark


MAX_DECIMAL_EXPONENT = 1000  # 1e1000000000 would be an integer of a billion digits


def exact_decimal(decimal: Decimal) -> Fraction:
    """The Fraction of a finite decimal whose exponent is within ±MAX_DECIMAL_EXPONENT
    (ValueError otherwise: the exact value would not fit in memory)."""
    if abs(decimal.adjusted()) > MAX_DECIMAL_EXPONENT:
        raise ValueError(f"{decimal} is beyond 10^±{MAX_DECIMAL_EXPONENT}")
    return Fraction(decimal)


class ExactLoader(yaml.SafeLoader):
    """SafeLoader whose YAML floats are exact Fractions of their decimal text."""


def _construct_exact_float(loader, node):
    text = loader.construct_scalar(node).replace("_", "")
    if ":" in text or text.lower().lstrip("+-") in (".inf", ".nan"):
        raise _NotFinite(text, node.start_mark)
    try:
        return exact_decimal(Decimal(text))
    except ValueError:
        raise _NotFinite(text, node.start_mark) from None


def _construct_unique_mapping(loader, node):
    """A mapping whose keys are distinct: a repeated key is an error, never a silent overwrite."""
    seen = set()
    for key_node, _ in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge":
            continue  # merged keys may be overridden, as YAML says
        key = loader.construct_object(key_node, deep=True)
        if isinstance(key, (list, dict)):
            raise yaml.constructor.ConstructorError(None, None, "a mapping key must be a scalar", key_node.start_mark)
        if key in seen:
            raise yaml.constructor.ConstructorError(None, None, f"the key {key!r} appears twice", key_node.start_mark)
        seen.add(key)
    loader.flatten_mapping(node)
    return loader.construct_mapping(node, deep=True)


ExactLoader.add_constructor("tag:yaml.org,2002:float", _construct_exact_float)
ExactLoader.add_constructor("tag:yaml.org,2002:map", _construct_unique_mapping)


def read_yaml(path):
    """The data of a YAML file with exact decimals; errors name the file and line."""
    try:
        with open(path, encoding="utf-8") as handle:
            return yaml.load(handle, Loader=ExactLoader)
    except OSError as exc:
        raise UserError(f"cannot read the file: {exc.strerror}", path) from None
    except _NotFinite as exc:
        raise UserError(f"line {exc.mark.line + 1}: {exc.text!r} is not a finite decimal number "
                        f"within 10^±{MAX_DECIMAL_EXPONENT}", path) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise UserError(f"{where}not valid YAML: {problem}", path) from None
    except UnicodeDecodeError:
        raise UserError("the file is not UTF-8 text", path) from None
    except RecursionError:
        raise UserError("not valid YAML: nested too deeply", path) from None
    except ValueError as exc:  # e.g. an integer of more digits than Python converts
        raise UserError(f"not valid YAML: {exc}", path) from None


class _DuplicateKey(Exception):
    pass


def _unique_pairs(pairs):
    data = {}
    for key, value in pairs:
        if key in data:
            raise _DuplicateKey(key)
        data[key] = value
    return data


def read_data(path):
    """A JSON or YAML file (by extension: .json is JSON, anything else YAML)."""
    if not path.endswith(".json"):
        return read_yaml(path)
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle, object_pairs_hook=_unique_pairs)
    except _DuplicateKey as exc:
        raise UserError(f"the key {exc.args[0]!r} appears twice in one object", path) from None
    except OSError as exc:
        raise UserError(f"cannot read the file: {exc.strerror}", path) from None
    except (ValueError, RecursionError) as exc:  # JSONDecodeError, not UTF-8, a huge integer, too deep
        raise UserError(f"not valid JSON: {exc}", path) from None
