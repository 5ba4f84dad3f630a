"""Loading and validating a case (spec sections 1-5 and 7) into `models`.

- YAML is read with a safe loader whose numbers are exact: a YAML decimal is the
  Fraction of its source text (`0.1` is 1/10), never a float64.
- Paths are relative to the file that names them (a model file's npz paths are
  relative to the model file).
- Every parameter is converted with R of the model's `param_format`. With
  `strict_params: true` a parameter off that grid is an error; otherwise one
  warning per model is passed to `warn` (default: printed to stderr) saying how
  many parameters were rounded and the largest change.
- Netlists are read lazily per length (`Circuit.netlist(n)` is cached);
  `check_case` forces every length, as `tcverify validate` needs.
- Loading a Python builder (`{python: "file.py:func"}`) imports and runs that
  file's code.
- Every problem is a `UserError` naming the file and the key (or gate, or line).
"""

from __future__ import annotations

import functools
import importlib.util
import os
import re
import sys
import zipfile
from decimal import Decimal, InvalidOperation
from fractions import Fraction

import numpy as np

from ..errors import UserError
from ..semantics import sequence
from ..semantics.number_format import OVERFLOW_MODES, ROUNDING_MODES, NumberFormat
from .builtins import builtin_netlist, parse_builtin
from .expr import compile_expr
from .limits import check_netlist_size, check_word_bits, count_parameters
from .models import (
    Attention,
    Case,
    Circuit,
    Dfa,
    Gate,
    Head,
    Mlp,
    Netlist,
    Positional,
    Transformer,
)
from .overrides import apply as apply_overrides
from .overrides import for_side
from .yaml_io import read_data, read_yaml

LAYER_NORM_KEYS = ("layer_norm", "layernorm")
ACTIVATIONS = ("relu", "identity", "step", "sigmoid", "tanh", "gelu", "exp")
MAX_LENGTHS = 100_000  # a guard against a typo like max: 1000000000
GATE_OPS = ("threshold", "majority", "and", "or", "not", "xor", "const")
_INPUT_NAME = re.compile(r"^x\[(.*)\]\[(.*)\]$")
_FRACTION = re.compile(r"^\s*([+-]?\d+)\s*/\s*(\d+)\s*$")


# -- small checks ---------------------------------------------------------------


def _join(prefix, key):
    return f"{prefix}.{key}" if prefix else str(key)


def _mapping(data, path, key, what="a mapping"):
    if not isinstance(data, dict):
        raise UserError(f"expected {what}, found {_kind(data)}", path, key or None)
    return data


def _kind(value):
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"the boolean {value}"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return repr(value if not isinstance(value, Fraction) else _show(value))


def _show(x: Fraction) -> str:
    return str(x.numerator) if x.denominator == 1 else f"{x} (= {float(x):g})"


def _keys(data, allowed, path, prefix, required=()):
    """Check a mapping's keys: unknown keys (and layer normalisation) are errors."""
    for name in data:
        if name in LAYER_NORM_KEYS:
            raise UserError("layer normalisation is not supported in version 1", path, _join(prefix, name))
        if name not in allowed:
            raise UserError(f"unknown key {name!r} (allowed here: {', '.join(allowed)})", path, _join(prefix, name))
    for name in required:
        if name not in data:
            raise UserError(f"the key {name!r} is required", path, prefix or None)


def _integer(value, path, key, low=None):
    if isinstance(value, bool) or not isinstance(value, int):
        raise UserError(f"expected an integer, found {_kind(value)}", path, key)
    if low is not None and value < low:
        raise UserError(f"must be at least {low}, found {value}", path, key)
    return value


def _choice(value, options, path, key):
    if value not in options or not isinstance(value, str):
        raise UserError(f"expected one of {', '.join(options)}, found {_kind(value)}", path, key)
    return value


def _symbol(value, path, key):
    if not isinstance(value, str):
        raise UserError(f"a symbol must be a quoted string, found {_kind(value)}", path, key)
    if not value or any(c == "," or c.isspace() for c in value):
        raise UserError(f"the symbol {value!r} must be non-empty, without commas or white space", path, key)
    return value


def number(value, path, key) -> Fraction:
    """The exact value of a YAML parameter: an integer, an exact decimal, or a
    string holding a decimal ("1e-3") or a fraction ("1/3")."""
    if isinstance(value, bool):
        raise UserError(f"expected a number, found {_kind(value)}", path, key)
    if isinstance(value, (int, Fraction)):
        return Fraction(value)
    if isinstance(value, str):
        match = _FRACTION.match(value)
        if match:
            if int(match.group(2)) == 0:
                raise UserError(f"{value!r} divides by zero", path, key)
            return Fraction(int(match.group(1)), int(match.group(2)))
        try:
            decimal = Decimal(value.strip())
        except InvalidOperation:
            decimal = None
        if decimal is not None and decimal.is_finite():
            return Fraction(decimal)
    raise UserError(f"expected a number, found {_kind(value)}", path, key)


# -- case -------------------------------------------------------------------------


def _stderr_warning(message):
    print(f"tcverify: warning: {message}", file=sys.stderr)


def load_case(path, warn=None, overrides=()) -> Case:
    """Load and validate a case file. `warn(message)` receives the parameter
    rounding warnings (one per model); by default they go to stderr.
    `overrides` are `--set` pairs (keys, value) from `overrides.parse_override`."""
    warn = warn or _stderr_warning
    path = str(path)
    data = _mapping(read_yaml(path), path, None, "a mapping at the top level")
    data = apply_overrides(data, [(k, v) for k, v in overrides if k[0] not in ("left", "right") or len(k) == 1], path)
    _keys(data, ("tcverify", "name", "alphabet", "lengths", "outputs", "left", "right", "expect"), path, "",
          required=("tcverify", "alphabet", "lengths", "left", "right"))
    if type(data["tcverify"]) is not int or data["tcverify"] != 1:
        raise UserError(f"only format version 1 is supported, found {_kind(data['tcverify'])}", path, "tcverify")
    name = data.get("name", os.path.splitext(os.path.basename(path))[0])
    if not isinstance(name, str) or not name:
        raise UserError(f"expected a non-empty string, found {_kind(name)}", path, "name")
    alphabet = _alphabet(data["alphabet"], path)
    lengths = _lengths(data["lengths"], path)
    outputs = _choice(data.get("outputs", "last"), ("last", "every"), path, "outputs")
    expect = _choice(data.get("expect", "equivalent"), ("equivalent", "counterexample"), path, "expect")
    left = load_model(data["left"], path, "left", alphabet, outputs, warn, for_side(overrides, "left"))
    right = load_model(data["right"], path, "right", alphabet, outputs, warn, for_side(overrides, "right"))
    return Case(path, name, alphabet, lengths, outputs, left, right, expect)


def _alphabet(value, path):
    if not isinstance(value, list) or not value:
        raise UserError(f"expected a non-empty list of symbols, found {_kind(value)}", path, "alphabet")
    symbols = tuple(_symbol(a, path, f"alphabet[{i}]") for i, a in enumerate(value))
    if len(set(symbols)) != len(symbols):
        raise UserError("the symbols must be distinct", path, "alphabet")
    return symbols


def _lengths(value, path):
    if isinstance(value, dict):
        _keys(value, ("min", "max"), path, "lengths", required=("min", "max"))
        low = _integer(value["min"], path, "lengths.min", 0)
        high = _integer(value["max"], path, "lengths.max", 0)
        if high < low:
            raise UserError(f"max {high} is below min {low}", path, "lengths")
        if high - low >= MAX_LENGTHS:
            raise UserError(f"{high - low + 1} lengths are more than the {MAX_LENGTHS} a case may list", path, "lengths")
        return tuple(range(low, high + 1))
    if isinstance(value, list):
        if not value:
            raise UserError("the list of lengths is empty", path, "lengths")
        return tuple(sorted({_integer(n, path, f"lengths[{i}]", 0) for i, n in enumerate(value)}))
    return (_integer(value, path, "lengths", 0),)


def load_model(data, path, key, alphabet, outputs, warn=None, overrides=()):
    """One model `{transformer|circuit|dfa: mapping or file}`; `path` is the file naming it;
    `overrides` (keys, value) apply to the inner mapping."""
    warn = warn or _stderr_warning
    data = _mapping(data, path, key)
    kinds = [k for k in ("transformer", "circuit", "dfa") if k in data]
    _keys(data, ("transformer", "circuit", "dfa"), path, key)
    if len(kinds) != 1:
        raise UserError("a model has exactly one of the keys transformer, circuit, dfa", path, key)
    kind = kinds[0]
    body = data[kind]
    prefix = f"{key}.{kind}"
    if isinstance(body, str):
        path = os.path.join(os.path.dirname(path), body)
        body = read_yaml(path)
        prefix = ""
    body = _mapping(body, path, prefix or None, f"a {kind} mapping or the path of a YAML file holding one")
    body = apply_overrides(body, overrides, path)
    if kind == "transformer":
        return _TransformerLoader(path, prefix, alphabet, warn).load(body)
    if kind == "circuit":
        return _circuit(body, path, prefix, alphabet, outputs)
    return _dfa(body, path, prefix, alphabet)


# -- transformer ----------------------------------------------------------------


class _TransformerLoader:
    """Reads one transformer mapping; keeps the rounding statistics of its parameters."""

    def __init__(self, path, prefix, alphabet, warn):
        self.path, self.prefix, self.alphabet, self.warn = path, prefix, alphabet, warn
        self.rounded = 0
        self.largest = (Fraction(0), None)
        self.parameters = 0  # read so far (limits.MAX_PARAMETERS)

    def key(self, name):
        return _join(self.prefix, name)

    def load(self, data) -> Transformer:
        path, key = self.path, self.key
        _keys(data, ("number_format", "param_format", "d_model", "bos", "eos", "embedding", "positional",
                     "blocks", "readout", "strict_params"), path, self.prefix,
              required=("number_format", "d_model", "embedding", "blocks", "readout"))
        self.fmt = _number_format(data["number_format"], path, key("number_format"))
        self.pfmt = _number_format(data["param_format"], path, key("param_format")) if "param_format" in data else self.fmt
        strict = data.get("strict_params", False)
        if not isinstance(strict, bool):
            raise UserError(f"expected true or false, found {_kind(strict)}", path, key("strict_params"))
        self.strict = strict
        self.d = _integer(data["d_model"], path, key("d_model"), 1)
        bos = self._extra_token(data.get("bos"), "bos")
        eos = self._extra_token(data.get("eos"), "eos")
        embedding = self._embedding(data["embedding"], [t for t in (bos, eos) if t is not None])
        positional = self._positional(data.get("positional", "none"))
        blocks = data["blocks"]
        if not isinstance(blocks, list):
            raise UserError(f"expected a list of blocks, found {_kind(blocks)}", path, key("blocks"))
        blocks = tuple(self._block(block, key(f"blocks[{b}]")) for b, block in enumerate(blocks))
        readout = _mapping(data["readout"], path, key("readout"))
        _keys(readout, ("weights", "bias"), path, key("readout"), required=("weights",))
        weights = self.vector(readout["weights"], key("readout.weights"), self.d)
        bias = self.param(readout.get("bias", 0), key("readout.bias"))
        if self.rounded:
            change, where = self.largest
            self.warn(f"{path}: {self.prefix or 'the transformer'}: {self.rounded} parameter(s) are not on the "
                      f"param_format grid ({self.pfmt.describe()}) and were rounded; the largest change is "
                      f"{_show(change)} (at {where})")
        return Transformer(path, self.fmt, self.pfmt, self.d, embedding, blocks, weights, bias, positional, bos, eos)

    def _extra_token(self, value, name):
        if value is None:
            return None
        token = _symbol(value, self.path, self.key(name))
        if token in self.alphabet:
            raise UserError(f"the {name} token {token!r} may not be an alphabet symbol", self.path, self.key(name))
        return token

    # parameters

    def param(self, value, key) -> Fraction:
        """One parameter: exact value, then R of the param_format (strict: must be exact)."""
        exact = number(value, self.path, key)
        rounded = self.pfmt.value(self.pfmt.R(exact))
        if rounded != exact:
            if self.strict:
                raise UserError(f"the parameter {_show(exact)} is not exactly representable in the param_format "
                                f"({self.pfmt.describe()}); the nearest value R gives is {_show(rounded)}", self.path, key)
            self.rounded += 1
            if abs(rounded - exact) > self.largest[0] or self.largest[1] is None:
                self.largest = (abs(rounded - exact), key)
        return rounded

    def _array(self, value, key):
        """`@FILE.npz:ARRAY` -> nested lists of exact numbers (npz floats: exact binary value)."""
        spec = value[1:]
        if ":" not in spec:
            raise UserError(f"expected '@FILE.npz:ARRAY', found {value!r}", self.path, key)
        file, name = spec.rsplit(":", 1)
        file = os.path.join(os.path.dirname(self.path), file)
        try:
            archive = np.load(file, allow_pickle=False)
        except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
            raise UserError(f"cannot read the npz file {file}: {exc}", self.path, key) from None
        if not isinstance(archive, np.lib.npyio.NpzFile):
            raise UserError(f"{file} is not an .npz archive", self.path, key)
        with archive:
            if name not in archive.files:
                raise UserError(f"{file} has no array {name!r} (it has {', '.join(archive.files)})", self.path, key)
            try:
                array = archive[name]
            except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
                raise UserError(f"cannot read the array {name!r} from {file}: {exc}", self.path, key) from None
        count_parameters(self.parameters + array.size, self.path, key)  # before converting every entry
        if array.dtype.kind in "iu":
            return array.tolist()
        if array.dtype.kind == "f":
            if not np.all(np.isfinite(array)):
                raise UserError(f"the array {name!r} in {file} holds a non-finite value", self.path, key)
            return _exact_floats(array.astype(np.float64).tolist())
        raise UserError(f"the array {name!r} in {file} has dtype {array.dtype}, not a number type", self.path, key)

    def _resolve(self, value, key):
        if isinstance(value, str) and value.startswith("@"):
            return self._array(value, key)
        return value

    def vector(self, value, key, length=None) -> tuple:
        value = self._resolve(value, key)
        if not isinstance(value, list) or any(isinstance(x, list) for x in value):
            raise UserError(f"expected a vector (a list of numbers), found {_kind(value)}", self.path, key)
        if length is not None and len(value) != length:
            raise UserError(f"expected {length} numbers, found {len(value)}", self.path, key)
        self.parameters = count_parameters(self.parameters + len(value), self.path, key)
        return tuple(self.param(x, f"{key}[{i}]") for i, x in enumerate(value))

    def matrix(self, value, key, rows=None, cols=None) -> tuple:
        """A list of rows; `rows`/`cols` None means any (but at least one row)."""
        value = self._resolve(value, key)
        if not isinstance(value, list) or not value or not all(isinstance(row, list) for row in value):
            raise UserError(f"expected a matrix (a non-empty list of rows), found {_kind(value)}", self.path, key)
        width = len(value[0])
        if rows is not None and len(value) != rows or cols is not None and width != cols \
                or any(len(row) != width for row in value):
            shape = f"{len(value)} x {width}" if all(len(row) == width for row in value) else "ragged"
            want = f"{rows if rows is not None else 'any'} x {cols if cols is not None else 'any'}"
            raise UserError(f"the matrix is {shape}, but must be {want}", self.path, key)
        return tuple(self.vector(row, f"{key}[{r}]") for r, row in enumerate(value))

    def _bias(self, data, name, key, length):
        if name not in data:
            return tuple(Fraction(0) for _ in range(length))
        return self.vector(data[name], _join(key, name), length)

    # parts

    def _embedding(self, value, extra):
        key = self.key("embedding")
        value = _mapping(value, self.path, key)
        rows = {}
        for token, row in value.items():
            _symbol(token, self.path, f"{key}.{token}")
            if token not in self.alphabet and token not in extra:
                raise UserError(f"{token!r} is neither an alphabet symbol nor the bos/eos token", self.path, f"{key}.{token}")
            rows[token] = self.vector(row, f"{key}.{token}", self.d)
        for token in list(self.alphabet) + extra:
            if token not in rows:
                raise UserError(f"no embedding row for {token!r}", self.path, key)
        return rows

    def _positional(self, value):
        key = self.key("positional")
        if value == "none" or value is None:
            return Positional()
        value = _mapping(value, self.path, key, "none, {table: ...} or {expr: ...}")
        _keys(value, ("table", "expr"), self.path, key)
        if len(value) != 1:
            raise UserError("positional has exactly one of the keys table, expr", self.path, key)
        if "table" in value:
            return Positional("table", table=self.matrix(value["table"], f"{key}.table", cols=self.d))
        exprs = value["expr"]
        if not isinstance(exprs, list) or len(exprs) != self.d:
            raise UserError(f"expected a list of d_model = {self.d} expressions, found {_kind(exprs)}", self.path, f"{key}.expr")
        compiled = [compile_expr(e, self.path, f"{key}.expr[{d}]") for d, e in enumerate(exprs)]
        return Positional("expr", exprs=tuple(c[0] for c in compiled), sources=tuple(c[1] for c in compiled))

    def _block(self, value, key):
        value = _mapping(value, self.path, key)
        _keys(value, ("attention", "mlp", "residual"), self.path, key)
        kinds = [k for k in ("attention", "mlp") if k in value]
        if len(kinds) != 1:
            raise UserError("a block has exactly one of the keys attention, mlp", self.path, key)
        residual = value.get("residual", True)
        if not isinstance(residual, bool):
            raise UserError(f"expected true or false, found {_kind(residual)}", self.path, f"{key}.residual")
        if kinds == ["mlp"]:
            return self._mlp(value["mlp"], f"{key}.mlp", residual)
        key = f"{key}.attention"
        body = _mapping(value["attention"], self.path, key)
        _keys(body, ("heads", "bo"), self.path, key, required=("heads",))
        heads = body["heads"]
        if not isinstance(heads, list) or not heads:
            raise UserError(f"expected a non-empty list of heads, found {_kind(heads)}", self.path, f"{key}.heads")
        heads = tuple(self._head(h, f"{key}.heads[{i}]") for i, h in enumerate(heads))
        return Attention(heads, self._bias(body, "bo", key, self.d), residual)

    def _head(self, value, key):
        path = self.path
        value = _mapping(value, path, key)
        if "type" not in value:
            raise UserError("the key 'type' is required", path, key)
        kind = _choice(value["type"], ("softmax", "hard", "average"), path, f"{key}.type")
        allowed = ["type", "mask", "wq", "wk", "wv", "wo", "bq", "bk", "bv"]
        allowed += {"softmax": ["exp_frac_bits"], "hard": ["tie"], "average": []}[kind]
        _keys(value, allowed, path, key, required=("wq", "wk", "wv", "wo"))
        mask = _choice(value.get("mask", "causal"), ("causal", "none"), path, f"{key}.mask")
        wq = self.matrix(value["wq"], f"{key}.wq", cols=self.d)
        wk = self.matrix(value["wk"], f"{key}.wk", rows=len(wq), cols=self.d)
        wv = self.matrix(value["wv"], f"{key}.wv", cols=self.d)
        wo = self.matrix(value["wo"], f"{key}.wo", rows=self.d, cols=len(wv))
        tie = _choice(value.get("tie", "leftmost"), ("leftmost", "rightmost"), path, f"{key}.tie")
        exp_bits = None
        if kind == "softmax":
            exp_bits = check_word_bits(_integer(value.get("exp_frac_bits", self.fmt.frac_bits), path,
                                                f"{key}.exp_frac_bits", 0), path, f"{key}.exp_frac_bits")
        return Head(kind, mask, wq, wk, wv, wo,
                    self._bias(value, "bq", key, len(wq)), self._bias(value, "bk", key, len(wq)),
                    self._bias(value, "bv", key, len(wv)), tie, exp_bits)

    def _mlp(self, value, key, residual):
        value = _mapping(value, self.path, key)
        _keys(value, ("w1", "b1", "activation", "w2", "b2"), self.path, key, required=("w1", "activation", "w2"))
        w1 = self.matrix(value["w1"], f"{key}.w1", cols=self.d)
        activation = _choice(value["activation"], ACTIVATIONS, self.path, f"{key}.activation")
        w2 = self.matrix(value["w2"], f"{key}.w2", rows=self.d, cols=len(w1))
        return Mlp(w1, self._bias(value, "b1", key, len(w1)), activation, w2, self._bias(value, "b2", key, self.d), residual)


def _exact_floats(tree):
    """Nested lists of floats -> the same lists of their exact binary values."""
    if isinstance(tree, list):
        return [_exact_floats(x) for x in tree]
    return Fraction(tree)


def _number_format(value, path, key) -> NumberFormat:
    value = _mapping(value, path, key)
    _keys(value, ("int_bits", "frac_bits", "rounding", "overflow"), path, key, required=("int_bits", "frac_bits"))
    int_bits = _integer(value["int_bits"], path, f"{key}.int_bits", 1)
    frac_bits = _integer(value["frac_bits"], path, f"{key}.frac_bits", 0)
    check_word_bits(int_bits + frac_bits, path, f"{key} (int_bits + frac_bits)")
    return NumberFormat(
        int_bits,
        frac_bits,
        _choice(value.get("rounding", "nearest_even"), ROUNDING_MODES, path, f"{key}.rounding"),
        _choice(value.get("overflow", "saturate"), OVERFLOW_MODES, path, f"{key}.overflow"),
    )


# -- circuit ----------------------------------------------------------------------


def _circuit(data, path, prefix, alphabet, outputs) -> Circuit:
    kinds = [k for k in ("netlist", "python", "builtin") if k in data]
    if len(kinds) != 1:
        raise UserError("a circuit has exactly one of the keys netlist, python, builtin", path, prefix or None)
    kind = kinds[0]
    if kind == "builtin":
        family, params = parse_builtin(data, alphabet, path, prefix)

        def build(n):
            return builtin_netlist(family, params, n, alphabet, outputs)

        return Circuit("builtin", path, functools.lru_cache(maxsize=None)(build), family, params)
    _keys(data, (kind,), path, prefix)
    key = _join(prefix, kind)
    spec = data[kind]
    if not isinstance(spec, str) or not spec:
        raise UserError(f"expected a file name, found {_kind(spec)}", path, key)
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
    data = _mapping(data, source, None, "a netlist mapping")
    _keys(data, ("tcverify_netlist", "alphabet", "length", "gates", "outputs"), source, "",
          required=("alphabet", "length", "gates", "outputs"))
    if "tcverify_netlist" in data and (type(data["tcverify_netlist"]) is not int or data["tcverify_netlist"] != 1):
        raise UserError(f"only netlist version 1 is supported, found {_kind(data['tcverify_netlist'])}", source, "tcverify_netlist")
    if data["alphabet"] != list(alphabet):
        raise UserError(f"the netlist's alphabet {data['alphabet']!r} is not the case's {list(alphabet)!r}", source, "alphabet")
    if _integer(data["length"], source, "length") != n:
        raise UserError(f"the netlist is for length {data['length']}, but length {n} was asked for", source, "length")
    inputs = {f"x[{i}][{a}]" for i in range(n) for a in alphabet}
    gates_data = data["gates"]
    if not isinstance(gates_data, list):
        raise UserError(f"expected a list of gates, found {_kind(gates_data)}", source, "gates")
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
        raise UserError(f"expected a list of names, found {_kind(names)}", source, "outputs")
    wanted = n if outputs == "every" else 1
    if len(names) != wanted:
        raise UserError(f"outputs: {outputs} needs {wanted} output(s) at length {n}, found {len(names)}", source, "outputs")
    for name in names:
        if name not in gates and name not in inputs:
            raise UserError(f"unknown output {name!r}", source, "outputs")
    return Netlist(tuple(alphabet), n, tuple(order), tuple(names), source)


def _gate(data, source, key) -> Gate:
    data = _mapping(data, source, key)
    gate_id = data.get("id")
    if not isinstance(gate_id, str) or not gate_id:
        raise UserError(f"a gate needs a string 'id', found {_kind(gate_id)}", source, key)
    key = f"gate {gate_id!r}"
    if _INPUT_NAME.match(gate_id):
        raise UserError("a gate id may not have the form x[...][...]", source, key)
    op = _choice(data.get("op"), GATE_OPS, source, f"{key}.op")
    allowed = {"threshold": ("id", "op", "in", "w", "t"), "const": ("id", "op", "value")}.get(op, ("id", "op", "in"))
    _keys(data, allowed, source, key, required=allowed)
    if op == "const":
        value = data["value"]
        if value not in (0, 1) or isinstance(value, bool) or not isinstance(value, int):
            raise UserError(f"a const gate's value is 0 or 1, found {_kind(value)}", source, key)
        return Gate(gate_id, "const", value=value)
    ins = data["in"]
    if not isinstance(ins, list) or not all(isinstance(name, str) for name in ins):
        raise UserError(f"'in' must be a list of names, found {_kind(ins)}", source, key)
    if op == "not" and len(ins) != 1:
        raise UserError(f"a not gate has exactly one input, found {len(ins)}", source, key)
    if op != "threshold":
        return Gate(gate_id, op, tuple(ins))
    weights = data["w"]
    if not isinstance(weights, list) or len(weights) != len(ins):
        raise UserError(f"'w' must be a list of {len(ins)} integers (one per input), found {_kind(weights)}"
                        + (f" of length {len(weights)}" if isinstance(weights, list) else ""), source, key)
    weights = tuple(_integer(w, source, f"{key}.w[{k}]") for k, w in enumerate(weights))
    return Gate(gate_id, op, tuple(ins), weights, _integer(data["t"], source, f"{key}.t"))


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


# -- DFA ----------------------------------------------------------------------------


def _state(value, path, key):
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise UserError(f"a state is a name, found {_kind(value)}", path, key)
    return str(value)


def _dfa(data, path, prefix, alphabet) -> Dfa:
    _keys(data, ("start", "accept", "delta"), path, prefix, required=("start", "accept", "delta"))
    key = functools.partial(_join, prefix)
    start = _state(data["start"], path, key("start"))
    delta_data = _mapping(data["delta"], path, key("delta"))
    states = {_state(s, path, key("delta")) for s in delta_data} | {start}
    delta = {}
    for state, moves in delta_data.items():
        where = key(f"delta.{state}")
        moves = _mapping(moves if moves is not None else {}, path, where)
        table = {}
        for symbol, target in moves.items():
            _symbol(symbol, path, f"{where}.{symbol}")
            if symbol not in alphabet:
                raise UserError(f"{symbol!r} is not an alphabet symbol", path, f"{where}.{symbol}")
            target = _state(target, path, f"{where}.{symbol}")
            if target not in states:
                raise UserError(f"unknown state {target!r} (the states are the keys of delta and start)", path, f"{where}.{symbol}")
            table[symbol] = target
        delta[str(state)] = table
    accept = data["accept"]
    if not isinstance(accept, list):
        raise UserError(f"expected a list of states, found {_kind(accept)}", path, key("accept"))
    accepting = set()
    for i, state in enumerate(accept):
        state = _state(state, path, key(f"accept[{i}]"))
        if state not in states:
            raise UserError(f"unknown state {state!r} (the states are the keys of delta and start)", path, key(f"accept[{i}]"))
        accepting.add(state)
    return Dfa(path, start, frozenset(accepting), delta)


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
