"""Small checks shared by every loader module: mappings, keys, integers, choices,
symbols, exact numbers and number formats. Each failure is a one-line
`UserError` naming the file and the key."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from fractions import Fraction

from ..errors import UserError
from ..core.number_format import OVERFLOW_MODES, ROUNDING_MODES, NumberFormat
from .limits import check_word_bits
from .yaml_io import exact_decimal

LAYER_NORM_KEYS = ("layer_norm", "layernorm")
_FRACTION = re.compile(r"^\s*([+-]?\d+)\s*/\s*(\d+)\s*$")


def join(prefix, key):
    return f"{prefix}.{key}" if prefix else str(key)


def mapping(data, path, key, what="a mapping"):
    if not isinstance(data, dict):
        raise UserError(f"expected {what}, found {kind(data)}", path, key or None)
    return data


def kind(value):
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"the boolean {value}"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return repr(value if not isinstance(value, Fraction) else show(value))


def show(x: Fraction) -> str:
    return str(x.numerator) if x.denominator == 1 else f"{x} (= {float(x):g})"


def keys(data, allowed, path, prefix, required=()):
    """Check a mapping's keys: unknown keys (and layer normalisation) are errors."""
    for name in data:
        if name in LAYER_NORM_KEYS:
            raise UserError("layer normalisation is not supported in version 1", path, join(prefix, name))
        if name not in allowed:
            raise UserError(f"unknown key {name!r} (allowed here: {', '.join(allowed)})", path, join(prefix, name))
    for name in required:
        if name not in data:
            raise UserError(f"the key {name!r} is required", path, prefix or None)


def integer(value, path, key, low=None):
    if isinstance(value, bool) or not isinstance(value, int):
        raise UserError(f"expected an integer, found {kind(value)}", path, key)
    if low is not None and value < low:
        raise UserError(f"must be at least {low}, found {value}", path, key)
    return value


def choice(value, options, path, key):
    if value not in options or not isinstance(value, str):
        raise UserError(f"expected one of {', '.join(options)}, found {kind(value)}", path, key)
    return value


def symbol(value, path, key):
    if not isinstance(value, str):
        raise UserError(f"a symbol must be a quoted string, found {kind(value)}", path, key)
    if not value or any(c == "," or c.isspace() for c in value):
        raise UserError(f"the symbol {value!r} must be non-empty, without commas or white space", path, key)
    return value


def number(value, path, key) -> Fraction:
    """The exact value of a YAML parameter: an integer, an exact decimal, or a
    string holding a decimal ("1e-3") or a fraction ("1/3")."""
    if isinstance(value, bool):
        raise UserError(f"expected a number, found {kind(value)}", path, key)
    if isinstance(value, (int, Fraction)):
        return Fraction(value)
    if isinstance(value, str):
        match = _FRACTION.match(value)
        if match:
            if int(match.group(2)) == 0:
                raise UserError(f"{value!r} divides by zero", path, key)
            try:
                return Fraction(int(match.group(1)), int(match.group(2)))
            except ValueError as exc:  # more digits than Python converts
                raise UserError(f"{value[:20]!r}... is out of range: {exc}", path, key) from None
        try:
            decimal = Decimal(value.strip())
        except InvalidOperation:
            decimal = None
        if decimal is not None and decimal.is_finite():
            try:
                return exact_decimal(decimal)
            except ValueError as exc:
                raise UserError(f"{value!r} is out of range: {exc}", path, key) from None
    raise UserError(f"expected a number, found {kind(value)}", path, key)


def number_format(value, path, key) -> NumberFormat:
    value = mapping(value, path, key)
    keys(value, ("int_bits", "frac_bits", "rounding", "overflow"), path, key, required=("int_bits", "frac_bits"))
    int_bits = integer(value["int_bits"], path, f"{key}.int_bits", 1)
    frac_bits = integer(value["frac_bits"], path, f"{key}.frac_bits", 0)
    check_word_bits(int_bits + frac_bits, path, f"{key} (int_bits + frac_bits)")
    return NumberFormat(
        int_bits,
        frac_bits,
        choice(value.get("rounding", "nearest_even"), ROUNDING_MODES, path, f"{key}.rounding"),
        choice(value.get("overflow", "saturate"), OVERFLOW_MODES, path, f"{key}.overflow"),
    )
