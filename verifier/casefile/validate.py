"""Small checks shared by every loader module: mappings, keys, integers, choices,
symbols, exact numbers and number formats. Each failure is a one-line
`UserError` naming the file and the key."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from fractions import Fraction

from ..errors import UserError
from ..core.number_format import OVERFLOW_MODES, ROUNDING_MODES, FloatFormat, NumberFormat, paper_float
from .limits import check_float_grid, check_word_bits
from .yaml_io import exact_decimal

FIXED_KEYS = ("int_bits", "frac_bits")
FLOAT_KEYS = ("significand_bits", "exponent_min", "exponent_max")
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
    """Check a mapping's keys: unknown keys are errors, and so are missing required ones."""
    for name in data:
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


def number_format(value, path, key):
    """A `number_format` or `param_format`: fixed point (spec 2, `NumberFormat`) or a
    float format (spec 2.1, `FloatFormat`: `{significand_bits, exponent_min,
    exponent_max}` or `{paper_float: p}`), told apart by their keys."""
    value = mapping(value, path, key)
    floats = [name for name in FLOAT_KEYS + ("paper_float",) if name in value]
    if not floats:
        return _fixed_format(value, path, key)
    for name in FIXED_KEYS:
        if name in value:
            raise UserError(f"{name} belongs to fixed point; a float format ({', '.join(floats)}) may not have it",
                            path, join(key, name))
    if value.get("overflow", "saturate") != "saturate":
        raise UserError(f"floats saturate: overflow must be saturate, found {kind(value['overflow'])}",
                        path, join(key, "overflow"))
    if "paper_float" in value:
        return _paper_float(value, path, key)
    keys(value, FLOAT_KEYS + ("rounding", "overflow"), path, key, required=FLOAT_KEYS)
    bits = check_word_bits(integer(value["significand_bits"], path, join(key, "significand_bits"), 1),
                           path, join(key, "significand_bits"))
    low = integer(value["exponent_min"], path, join(key, "exponent_min"))
    high = integer(value["exponent_max"], path, join(key, "exponent_max"))
    if low > high:
        raise UserError(f"exponent_min ({low}) is above exponent_max ({high})", path, join(key, "exponent_min"))
    if not low <= 0 <= high + bits - 1:
        raise UserError(f"the format does not represent 1 (that needs exponent_min <= 0 <= exponent_max + "
                        f"significand_bits - 1; found {low}, {high}, {bits}): softmax relies on R(1) = 1", path, key)
    check_float_grid(bits + high - low + 1, path, key)  # FloatFormat.width, before kmax is built
    return FloatFormat(bits, low, high, choice(value.get("rounding", "nearest_even"), ROUNDING_MODES, path,
                                               join(key, "rounding")))


def _paper_float(value, path, key) -> FloatFormat:
    """`{paper_float: p}` (spec 2.1): Appendix A's format; only `rounding` and `overflow` beside it."""
    keys(value, ("paper_float", "rounding", "overflow"), path, key)
    p = integer(value["paper_float"], path, join(key, "paper_float"), 4)
    if p % 2:
        raise UserError(f"paper_float must be even (p/2 bits of mantissa, p/2 of exponent), found {p}",
                        path, join(key, "paper_float"))
    check_float_grid(p // 2 + (1 << min(p // 2, 64)) - 1, path, join(key, "paper_float"))  # its width
    return paper_float(p, choice(value.get("rounding", "truncate"), ROUNDING_MODES, path, join(key, "rounding")))


def _fixed_format(value, path, key) -> NumberFormat:
    keys(value, FIXED_KEYS + ("rounding", "overflow"), path, key, required=FIXED_KEYS)
    int_bits = integer(value["int_bits"], path, f"{key}.int_bits", 1)
    frac_bits = integer(value["frac_bits"], path, f"{key}.frac_bits", 0)
    check_word_bits(int_bits + frac_bits, path, f"{key} (int_bits + frac_bits)")
    return NumberFormat(
        int_bits,
        frac_bits,
        choice(value.get("rounding", "nearest_even"), ROUNDING_MODES, path, f"{key}.rounding"),
        choice(value.get("overflow", "saturate"), OVERFLOW_MODES, path, f"{key}.overflow"),
    )
