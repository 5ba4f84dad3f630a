"""Loading a transformer mapping (spec 3) into `models.Transformer`.

Every parameter becomes its grid index on the `param_format` grid (`params.py`):
a YAML number is exact (a Fraction) before R, an npz float is its exact binary
value, converted vectorised. Arrays come from `"@FILE.npz:ARRAY"` (relative to
the file that names them).
"""

from __future__ import annotations

import os
import zipfile
from dataclasses import dataclass

import numpy as np

from ...errors import UserError
from ...casefile import validate as check
from ...casefile.expr import compile_expr
from ...casefile.limits import check_word_bits, count_parameters
from ...core.models import Attention, Head, LayerNorm, Mlp, Positional, Readout, Transformer
from ...casefile.params import ParamRounder

ACTIVATIONS = ("relu", "identity", "step", "sigmoid", "tanh", "gelu", "gelu_new", "exp")


def _npz_problem(exc: Exception, file: str) -> str:
    """What went wrong reading an npz file, in the user's terms (not numpy's advice)."""
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror.lower()
    if not zipfile.is_zipfile(file):
        return "not an .npz archive (a zip of .npy arrays): corrupt, truncated or another format"
    if "pickle" in str(exc).lower():
        return "it holds Python objects (a pickled array), not numbers"
    return "a corrupt .npz archive"


def read_npz(file: str, name: str, path: str, key: str) -> np.ndarray:
    """One array of an npz archive; every problem is a UserError naming `path` and `key`."""
    try:
        archive = np.load(file, allow_pickle=False)
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
        raise UserError(f"cannot read the npz file {file}: {_npz_problem(exc, file)}", path, key) from None
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise UserError(f"{file} is not an .npz archive", path, key)
    with archive:
        if name not in archive.files:
            raise UserError(f"{file} has no array {name!r} (it has {', '.join(archive.files)})", path, key)
        try:
            array = archive[name]
        except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
            raise UserError(f"cannot read the array {name!r} from {file}: {_npz_problem(exc, file)}", path, key) from None
    if array.dtype.kind not in "iuf":
        raise UserError(f"the array {name!r} in {file} has dtype {array.dtype}, not a number type", path, key)
    if array.dtype.kind == "f" and not np.all(np.isfinite(array)):
        raise UserError(f"the array {name!r} in {file} holds a non-finite value", path, key)
    return array


def grid_array(rounder: ParamRounder, array: np.ndarray, key: str) -> np.ndarray:
    """R of the param format on a numeric array: grid indices (int64 or Python ints)."""
    if array.dtype.kind == "f":
        return rounder.floats(array, key)
    exact = array.astype(object) * rounder.fmt.scale
    k = rounder.fmt.round_k(exact)
    for where in np.argwhere(k != exact):
        where = tuple(int(i) for i in where)
        rounder.scalar(int(array[where]), key + "".join(f"[{i}]" for i in where))
    return k


def softmax_grid(fmt, data, path, key) -> int:
    """E, the grid 2^-E of a softmax head's weights X(delta): `exp_frac_bits` (default
    F) for fixed point; for a float number format F itself, the weights being the
    format's own R(e^delta), where `exp_frac_bits` is a load error (spec 2.1)."""
    if fmt.is_float:
        if "exp_frac_bits" in data:
            raise UserError("exp_frac_bits is for fixed point: with a float number_format the softmax weights are "
                            "R(e^delta) in that format", path, key)
        return fmt.frac_bits
    return check_word_bits(check.integer(data.get("exp_frac_bits", fmt.frac_bits), path, key, 0), path, key)


@dataclass(frozen=True)
class ExportSettings:
    """The case-file keys every exported-model loader reads (spec 3: Tracr and
    TransformerLens): where the export is and the formats its weights are read in."""

    folder: str  # the export folder, relative paths resolved against the case file
    number_format: object
    param_format: object
    strict_params: bool
    exp_frac_bits: int


def export_settings(data, path, prefix, folder_key, what) -> ExportSettings:
    """Reads `folder_key` (the export folder; `what` names its kind in errors),
    `number_format`, `param_format` (default: the number format), `strict_params`
    and `exp_frac_bits` of an export mapping, with errors naming `path` and the key."""
    key = lambda name: check.join(prefix, name)  # noqa: E731
    folder = data[folder_key]
    if not isinstance(folder, str) or not folder:
        raise UserError(f"expected the path of a {what} export folder, found {check.kind(folder)}", path,
                        key(folder_key))
    fmt = check.number_format(data["number_format"], path, key("number_format"))
    pfmt = check.number_format(data["param_format"], path, key("param_format")) if "param_format" in data else fmt
    strict = data.get("strict_params", False)
    if not isinstance(strict, bool):
        raise UserError(f"expected true or false, found {check.kind(strict)}", path, key("strict_params"))
    return ExportSettings(os.path.join(os.path.dirname(path), folder), fmt, pfmt, strict,
                          softmax_grid(fmt, data, path, key("exp_frac_bits")))


def _shape_text(array: np.ndarray) -> str:
    return "an array of shape " + " x ".join(str(s) for s in array.shape)


class TransformerLoader:
    """Reads one transformer mapping; keeps the rounding statistics of its parameters."""

    def __init__(self, path, prefix, alphabet, warn):
        self.path, self.prefix, self.alphabet, self.warn = path, prefix, alphabet, warn
        self.parameters = 0  # read so far (limits.MAX_PARAMETERS)

    def key(self, name):
        return check.join(self.prefix, name)

    def load(self, data) -> Transformer:
        path, key = self.path, self.key
        check.keys(data, ("number_format", "param_format", "d_model", "bos", "eos", "embedding", "positional",
                          "blocks", "readout", "strict_params"), path, self.prefix,
                   required=("number_format", "d_model", "embedding", "blocks", "readout"))
        self.fmt = check.number_format(data["number_format"], path, key("number_format"))
        self.pfmt = check.number_format(data["param_format"], path, key("param_format")) if "param_format" in data else self.fmt
        strict = data.get("strict_params", False)
        if not isinstance(strict, bool):
            raise UserError(f"expected true or false, found {check.kind(strict)}", path, key("strict_params"))
        self.rounder = ParamRounder(self.pfmt, strict, path)
        self.d = check.integer(data["d_model"], path, key("d_model"), 1)
        bos = self._extra_token(data.get("bos"), "bos")
        eos = self._extra_token(data.get("eos"), "eos")
        embedding = self._embedding(data["embedding"], [t for t in (bos, eos) if t is not None])
        positional = self._positional(data.get("positional", "none"))
        blocks = data["blocks"]
        if not isinstance(blocks, list):
            raise UserError(f"expected a list of blocks, found {check.kind(blocks)}", path, key("blocks"))
        blocks = tuple(self._block(block, key(f"blocks[{b}]")) for b, block in enumerate(blocks))
        readout = self._readout(data["readout"], key("readout"))
        message = self.rounder.warning(self.prefix or "the transformer")
        if message:
            self.warn(message)
        return Transformer(path, self.fmt, self.pfmt, self.d, embedding, blocks, readout, positional, bos, eos)

    def _extra_token(self, value, name):
        if value is None:
            return None
        token = check.symbol(value, self.path, self.key(name))
        if token in self.alphabet:
            raise UserError(f"the {name} token {token!r} may not be an alphabet symbol", self.path, self.key(name))
        return token

    # parameters

    def param(self, value, key) -> int:
        """One parameter: its exact value, then the grid index of R of the param_format."""
        return self.rounder.scalar(check.number(value, self.path, key), key)

    def _resolve(self, value, key):
        """YAML lists as they are; `@FILE.npz:ARRAY` as an array of grid indices."""
        if not (isinstance(value, str) and value.startswith("@")):
            return value
        spec = value[1:]
        if ":" not in spec:
            raise UserError(f"expected '@FILE.npz:ARRAY', found {value!r}", self.path, key)
        file, name = spec.rsplit(":", 1)
        array = read_npz(os.path.join(os.path.dirname(self.path), file), name, self.path, key)
        self.parameters = count_parameters(self.parameters + array.size, self.path, key)
        return grid_array(self.rounder, array, key)

    def vector(self, value, key, length=None) -> tuple:
        value = self._resolve(value, key)
        if isinstance(value, np.ndarray):
            if value.ndim != 1:
                raise UserError(f"expected a vector (a list of numbers), found {_shape_text(value)}", self.path, key)
            if length is not None and len(value) != length:
                raise UserError(f"expected {length} numbers, found {len(value)}", self.path, key)
            return tuple(value.tolist())
        if not isinstance(value, list) or any(isinstance(x, list) for x in value):
            raise UserError(f"expected a vector (a list of numbers), found {check.kind(value)}", self.path, key)
        if length is not None and len(value) != length:
            raise UserError(f"expected {length} numbers, found {len(value)}", self.path, key)
        self.parameters = count_parameters(self.parameters + len(value), self.path, key)
        return tuple(self.param(x, f"{key}[{i}]") for i, x in enumerate(value))

    def matrix(self, value, key, rows=None, cols=None) -> tuple:
        """A list of rows; `rows`/`cols` None means any (but at least one row)."""
        value = self._resolve(value, key)
        want = f"{rows if rows is not None else 'any'} x {cols if cols is not None else 'any'}"
        if isinstance(value, np.ndarray):
            if value.ndim != 2 or not value.shape[0] or rows is not None and value.shape[0] != rows \
                    or cols is not None and value.shape[1] != cols:
                raise UserError(f"the matrix is {_shape_text(value)}, but must be {want}", self.path, key)
            return tuple(map(tuple, value.tolist()))
        if not isinstance(value, list) or not value or not all(isinstance(row, list) for row in value):
            raise UserError(f"expected a matrix (a non-empty list of rows), found {check.kind(value)}", self.path, key)
        width = len(value[0])
        if rows is not None and len(value) != rows or cols is not None and width != cols \
                or any(len(row) != width for row in value):
            shape = f"{len(value)} x {width}" if all(len(row) == width for row in value) else "ragged"
            raise UserError(f"the matrix is {shape}, but must be {want}", self.path, key)
        count_parameters(self.parameters + len(value) * width, self.path, key)  # before converting any row
        return tuple(self.vector(row, f"{key}[{r}]") for r, row in enumerate(value))

    def _bias(self, data, name, key, length):
        if name not in data:
            return (0,) * length
        return self.vector(data[name], check.join(key, name), length)

    # parts

    def _embedding(self, value, extra):
        key = self.key("embedding")
        value = check.mapping(value, self.path, key)
        rows = {}
        for token, row in value.items():
            check.symbol(token, self.path, f"{key}.{token}")
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
        value = check.mapping(value, self.path, key, "none, {table: ...} or {expr: ...}")
        check.keys(value, ("table", "expr"), self.path, key)
        if len(value) != 1:
            raise UserError("positional has exactly one of the keys table, expr", self.path, key)
        if "table" in value:
            return Positional("table", table=self.matrix(value["table"], f"{key}.table", cols=self.d))
        exprs = value["expr"]
        if not isinstance(exprs, list) or len(exprs) != self.d:
            raise UserError(f"expected a list of d_model = {self.d} expressions, found {check.kind(exprs)}", self.path, f"{key}.expr")
        compiled = [compile_expr(e, self.path, f"{key}.expr[{d}]") for d, e in enumerate(exprs)]
        return Positional("expr", exprs=tuple(c[0] for c in compiled), sources=tuple(c[1] for c in compiled))

    def _readout(self, value, key) -> Readout:
        """`{weights, bias}` (threshold) or `{argmax: rows, bias?, labels?, accept?}` (models.Readout)."""
        value = check.mapping(value, self.path, key)
        if "argmax" not in value:
            check.keys(value, ("weights", "bias"), self.path, key, required=("weights",))
            weights = self.vector(value["weights"], f"{key}.weights", self.d)
            return Readout("threshold", (weights,), (self.param(value.get("bias", 0), f"{key}.bias"),))
        check.keys(value, ("argmax", "bias", "labels", "accept"), self.path, key)
        rows = self.matrix(value["argmax"], f"{key}.argmax", cols=self.d)
        bias = self._bias(value, "bias", key, len(rows))
        labels = value.get("labels", [str(c) for c in range(len(rows))])
        if not isinstance(labels, list) or len(labels) != len(rows) or not all(isinstance(x, str) for x in labels) \
                or len(set(labels)) != len(labels):
            raise UserError(f"expected {len(rows)} distinct strings, one per class, found {check.kind(labels)}",
                            self.path, f"{key}.labels")
        if "accept" not in value:
            return Readout("argmax", rows, bias, None, tuple(labels))
        accept = value["accept"]
        if not isinstance(accept, list) or not accept:
            raise UserError(f"expected a non-empty list of class labels, found {check.kind(accept)}", self.path, f"{key}.accept")
        for i, label in enumerate(accept):
            if label not in labels:
                raise UserError(f"{check.kind(label)} is not a class label (they are: {', '.join(labels)})",
                                self.path, f"{key}.accept[{i}]")
        return Readout("argmax", rows, bias, tuple(sorted({labels.index(x) for x in accept})), tuple(labels))

    def _block(self, value, key):
        """`attention:` or `mlp:` with `residual` and `norm` (pre-norm) beside it, or
        `layer_norm:` alone (spec 3.3)."""
        value = check.mapping(value, self.path, key)
        check.keys(value, ("attention", "mlp", "layer_norm", "residual", "norm"), self.path, key)
        kinds = [k for k in ("attention", "mlp", "layer_norm") if k in value]
        if len(kinds) != 1:
            raise UserError("a block has exactly one of the keys attention, mlp, layer_norm", self.path, key)
        if kinds == ["layer_norm"]:
            for name in ("residual", "norm"):
                if name in value:
                    raise UserError(f"a layer_norm block takes no {name} key (it replaces h by its output)",
                                    self.path, f"{key}.{name}")
            return self._layer_norm(value["layer_norm"], f"{key}.layer_norm")
        residual = value.get("residual", True)
        if not isinstance(residual, bool):
            raise UserError(f"expected true or false, found {check.kind(residual)}", self.path, f"{key}.residual")
        norm = self._layer_norm(value["norm"], f"{key}.norm") if "norm" in value else None
        if kinds == ["mlp"]:
            return self._mlp(value["mlp"], f"{key}.mlp", residual, norm)
        key = f"{key}.attention"
        body = check.mapping(value["attention"], self.path, key)
        check.keys(body, ("heads", "bo"), self.path, key, required=("heads",))
        heads = body["heads"]
        if not isinstance(heads, list) or not heads:
            raise UserError(f"expected a non-empty list of heads, found {check.kind(heads)}", self.path, f"{key}.heads")
        heads = tuple(self._head(h, f"{key}.heads[{i}]") for i, h in enumerate(heads))
        return Attention(heads, self._bias(body, "bo", key, self.d), residual, norm)

    def _layer_norm(self, value, key) -> LayerNorm:
        """`{gamma, beta, epsilon}` (spec 3.3), each optional; the defaults (ones, zeros,
        0) are parameters too, rounded by the param format's R like the others."""
        value = check.mapping(value, self.path, key)
        check.keys(value, ("gamma", "beta", "epsilon"), self.path, key)
        if self.fmt.overflow == "wrap":  # the spec leaves it open; docs/case-format.md
            raise UserError("layer norm needs overflow: saturate in the number_format (a wrapped variance can be "
                            "negative, and its square root is undefined)", self.path, key)
        gamma = self.vector(value["gamma"], f"{key}.gamma", self.d) if "gamma" in value \
            else tuple(self.param(1, f"{key}.gamma[{i}]") for i in range(self.d))
        beta = self._bias(value, "beta", key, self.d)
        epsilon = check.number(value.get("epsilon", 0), self.path, f"{key}.epsilon")
        if epsilon < 0:
            raise UserError(f"epsilon must be at least 0, found {check.show(epsilon)}", self.path, f"{key}.epsilon")
        return LayerNorm(gamma, beta, self.rounder.scalar(epsilon, f"{key}.epsilon"))

    def _head(self, value, key):
        path = self.path
        value = check.mapping(value, path, key)
        if "type" not in value:
            raise UserError("the key 'type' is required", path, key)
        kind = check.choice(value["type"], ("softmax", "hard", "average"), path, f"{key}.type")
        allowed = ["type", "mask", "wq", "wk", "wv", "wo", "bq", "bk", "bv"]
        allowed += {"softmax": ["exp_frac_bits"], "hard": ["tie"], "average": []}[kind]
        check.keys(value, allowed, path, key, required=("wq", "wk", "wv", "wo"))
        mask = check.choice(value.get("mask", "causal"), ("causal", "none"), path, f"{key}.mask")
        wq = self.matrix(value["wq"], f"{key}.wq", cols=self.d)
        wk = self.matrix(value["wk"], f"{key}.wk", rows=len(wq), cols=self.d)
        wv = self.matrix(value["wv"], f"{key}.wv", cols=self.d)
        wo = self.matrix(value["wo"], f"{key}.wo", rows=self.d, cols=len(wv))
        tie = check.choice(value.get("tie", "leftmost"), ("leftmost", "rightmost"), path, f"{key}.tie")
        exp_bits = None
        if kind == "softmax":
            exp_bits = softmax_grid(self.fmt, value, path, f"{key}.exp_frac_bits")
        return Head(kind, mask, wq, wk, wv, wo,
                    self._bias(value, "bq", key, len(wq)), self._bias(value, "bk", key, len(wq)),
                    self._bias(value, "bv", key, len(wv)), tie, exp_bits)

    def _mlp(self, value, key, residual, norm):
        value = check.mapping(value, self.path, key)
        check.keys(value, ("w1", "b1", "activation", "w2", "b2"), self.path, key, required=("w1", "activation", "w2"))
        w1 = self.matrix(value["w1"], f"{key}.w1", cols=self.d)
        activation = check.choice(value["activation"], ACTIVATIONS, self.path, f"{key}.activation")
        w2 = self.matrix(value["w2"], f"{key}.w2", rows=self.d, cols=len(w1))
        return Mlp(w1, self._bias(value, "b1", key, len(w1)), activation, w2, self._bias(value, "b2", key, self.d),
                   residual, norm)
