"""Tracr exports as transformers (see docs/tracr.md): `{tracr: FOLDER, number_format,
param_format?, strict_params?, exp_frac_bits?, readout}`, FOLDER holding
`params.npz` (haiku names plus `unembed/w`) and `config.json`.

The model is Tracr's forward pass (tracr `assemble.py` / `transformer/model.py`)
in the terms of spec 3: the sequence is [BOS] + w, `h_p = R(token_embed[id(t_p)] +
pos_embed[p])` (ids from `input_encoder.token_to_index`), then per layer a residual
softmax attention block (heads sliced from the fused query/key/value/linear
matrices, `num_heads` x `key_size`; mask `none`, or `causal` if the config says
so) and a residual ReLU MLP block; no layer norm. Haiku's `w` is [in, out]
(x @ w); the spec's matrices are [out, in] (W x), so every `w` is transposed.

Tracr divides the attention logits by sqrt(key_size) at run time; the spec has
no such step, so the factor is folded into each head's query weights and bias,
each rounded once onto the param grid from its exact value (w / sqrt(key_size)
is irrational unless key_size is a square). Tracr's query weights carry the
large softmax coldness (about 100) while its key weights are 0/1, so there the
absolute rounding error 2^-(P+1) is smallest relative to the weight.

Parts that provably add exactly 0 are left out: an attention head whose values
or output matrix are all zero (a = R(0) = 0), an MLP hidden unit with a zero
column of w2 (or a zero row of w1 and a zero b1: relu(0) = 0), and a block that
is left with nothing and a zero bias (h' = S(h + 0) = h).

The readout projects h through `unembed/w`: `{threshold: t}` for a numerical
output (bit: y > t), and for a categorical one the argmax over the output dims
(first maximum, as jnp.argmax) with `{accept: [values]}` (one bit: the class's
value is accepted) or `classes` (one bit per class).
"""

from __future__ import annotations

import math
import os
from fractions import Fraction

import numpy as np

from ...errors import UserError
from ...casefile import validate as check
from ...core.models import Attention, Head, Mlp, Positional, Readout, Transformer
from ...casefile.params import ParamRounder
from .load import export_settings, grid_array, read_npz
from ...casefile.yaml_io import read_data

TRACR_KEYS = ("tracr", "number_format", "param_format", "strict_params", "exp_frac_bits", "readout")


def _scaled_index(value: float, key_size: int, fmt) -> tuple:
    """(grid index of R(value / sqrt(key_size)), exact or None when irrational, |change| as a Fraction)."""
    exact = Fraction(value) * fmt.scale  # the target times 2^P, before the division by sqrt(key_size)
    root = math.isqrt(key_size)
    if root * root == key_size or exact == 0:
        target = Fraction(value) / root
        k = fmt.R(target)
        return k, target, abs(fmt.value(k) - target)
    square = exact * exact / key_size  # (target * 2^P)^2 = num / den: the root is sqrt(num * den) / den
    k = fmt.sqrt_k(square.numerator * square.denominator, square.denominator, negative=exact < 0)
    change = abs(Fraction(k, fmt.scale) - Fraction(value / math.sqrt(key_size)))
    return k, None, change


class _Export:
    """The files of one Tracr export, read with errors naming the file and key."""

    def __init__(self, folder, path, key):
        self.folder, self.path, self.key = folder, path, key
        if not os.path.isdir(folder):
            raise UserError(f"the Tracr export folder {folder} does not exist", path, key)
        self.config_path = os.path.join(folder, "config.json")
        self.params_path = os.path.join(folder, "params.npz")
        for file in (self.config_path, self.params_path):
            if not os.path.isfile(file):
                raise UserError(f"the Tracr export has no {os.path.basename(file)} (in {folder})", path, key)
        self.config = check.mapping(read_data(self.config_path), self.config_path, None, "a JSON object")

    def field(self, name, kinds):
        """A config field of the given Python type(s) (nested names joined by dots)."""
        value = self.config
        for part in name.split("."):
            if not isinstance(value, dict) or part not in value:
                raise UserError(f"the field {name!r} is missing", self.config_path, name)
            value = value[part]
        if isinstance(value, bool) and bool not in kinds or not isinstance(value, kinds):
            raise UserError(f"expected {' or '.join(k.__name__ for k in kinds)}, found {check.kind(value)}",
                            self.config_path, name)
        return value

    def array(self, name, shape) -> np.ndarray:
        """A float/int array of params.npz with the given shape (None: any size)."""
        array = read_npz(self.params_path, name, self.params_path, name)
        if array.ndim != len(shape) or any(want is not None and got != want for got, want in zip(array.shape, shape)):
            want = " x ".join("any" if s is None else str(s) for s in shape)
            got = " x ".join(str(s) for s in array.shape) or "a scalar"
            raise UserError(f"the array has shape {got}, but must be {want}", self.params_path, name)
        return array


def load_tracr(data, path, prefix, alphabet, outputs, warn) -> Transformer:
    """A `Transformer` from a Tracr export (module docstring); `path` is the file naming it."""
    key = lambda name: check.join(prefix, name)  # noqa: E731
    check.keys(data, TRACR_KEYS, path, prefix, required=("tracr", "number_format", "readout"))
    settings = export_settings(data, path, prefix, "tracr", "Tracr")
    export = _Export(settings.folder, path, key("tracr"))
    fmt, exp_bits = settings.number_format, settings.exp_frac_bits
    rounder = ParamRounder(settings.param_format, settings.strict_params, export.params_path)

    if export.field("layer_norm", (bool,)):
        raise UserError("layer normalisation is not supported in version 1", export.config_path, "layer_norm")
    layers = export.field("num_layers", (int,))
    heads = export.field("num_heads", (int,))
    key_size = export.field("key_size", (int,))
    value_size = export.config.get("value_size", key_size)
    hidden = export.field("mlp_hidden_size", (int,))
    if min(heads, key_size) < 1 or min(layers, hidden) < 0:
        raise UserError("num_heads and key_size must be at least 1", export.config_path, "num_heads")
    mask = "causal" if export.field("causal", (bool,)) else "none"
    token_to_index = export.field("input_encoder.token_to_index", (dict,))
    bos = export.field("input_encoder.bos_token", (str,))

    tokens = export.array("token_embed/embeddings", (None, None))
    d = tokens.shape[1]
    for symbol in alphabet:
        if symbol not in token_to_index or symbol == bos:
            real = sorted(t for t in token_to_index if t != bos and t != export.config["input_encoder"].get("pad_token"))
            raise UserError(f"the symbol {symbol!r} is not a token of the Tracr model {export.folder} "
                            f"(its tokens: {', '.join(map(repr, real))})", path, "alphabet")
    for token in list(alphabet) + [bos]:
        index = token_to_index[token] if token in token_to_index else None
        if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index < tokens.shape[0]:
            raise UserError(f"the token {token!r} has no row in token_embed/embeddings ({tokens.shape[0]} rows)",
                            export.config_path, "input_encoder.token_to_index")
    token_rows = grid_array(rounder, tokens, "token_embed/embeddings")
    embedding = {t: tuple(token_rows[token_to_index[t]].tolist()) for t in list(alphabet) + [bos]}
    positions = grid_array(rounder, export.array("pos_embed/embeddings", (None, d)), "pos_embed/embeddings")

    blocks = []
    for layer in range(layers):
        base = f"transformer/layer_{layer}"
        attention = _attention(export, rounder, base + "/attn", d, heads, key_size, value_size, mask, exp_bits)
        if attention is not None:
            blocks.append(attention)
        mlp = _mlp(export, rounder, base + "/mlp", d, hidden)
        if mlp is not None:
            blocks.append(mlp)

    unembed = grid_array(rounder, export.array("unembed/w", (d, None)), "unembed/w")
    readout = _readout(data["readout"], export, unembed.T, rounder, path, key("readout"))
    message = rounder.warning(f"{prefix or 'the transformer'} (Tracr export {data['tracr']})" + (" (1/sqrt(key_size) folded into the query weights)"
                                                                   if math.isqrt(key_size) ** 2 != key_size else ""))
    if message:
        warn(message)
    return Transformer(path, fmt, settings.param_format, d, embedding, tuple(blocks), readout,
                       Positional("table", table=tuple(map(tuple, positions.tolist())),
                                  key=key("tracr") + " (pos_embed/embeddings: the model's max_seq_len)"), bos, None)


def _scaled_grid(rounder: ParamRounder, array: np.ndarray, key_size: int, name: str) -> np.ndarray:
    """Grid indices of R(w / sqrt(key_size)) for a float array, each from its exact value."""
    out = np.zeros(array.shape, dtype=object)
    for where in zip(*np.nonzero(array)):
        value = float(array[where])
        k, exact, change = _scaled_index(value, key_size, rounder.fmt)
        out[where] = k
        label = name + "".join(f"[{int(i)}]" for i in where)
        if exact is None:
            rounder.irrational(k, f"{value!r} / sqrt({key_size})", change, label)
        elif change:
            rounder.scalar(exact, label)
    return out


def _attention(export, rounder, base, d, heads, key_size, value_size, mask, exp_bits):
    width, vwidth = heads * key_size, heads * value_size

    def grid(name, shape, scale=False):
        array = export.array(f"{base}/{name}", shape)
        if scale:
            return _scaled_grid(rounder, array.astype(np.float64), key_size, f"{base}/{name}")
        return grid_array(rounder, array, f"{base}/{name}")

    wq, bq = grid("query/w", (d, width), True), grid("query/b", (width,), True)
    wk, bk = grid("key/w", (d, width)), grid("key/b", (width,))
    wv, bv = grid("value/w", (d, vwidth)), grid("value/b", (vwidth,))
    wo, bo = grid("linear/w", (vwidth, d)), grid("linear/b", (d,))
    parts = []
    for h in range(heads):
        q, v = slice(h * key_size, (h + 1) * key_size), slice(h * value_size, (h + 1) * value_size)
        if not (wv[:, v].any() or bv[v].any()) or not wo[v].any():
            continue  # a = 0 or wo a = 0: the head adds exactly 0
        parts.append(Head("softmax", mask, _rows(wq[:, q].T), _rows(wk[:, q].T), _rows(wv[:, v].T), _rows(wo[v].T),
                          tuple(bq[q].tolist()), tuple(bk[q].tolist()), tuple(bv[v].tolist()), "leftmost", exp_bits))
    if not parts and not bo.any():
        return None
    if not parts:  # only a bias: keep one head that adds nothing
        return Attention((Head("softmax", mask, ((0,) * d,), ((0,) * d,), ((0,) * d,), ((0,),) * d,
                               (0,), (0,), (0,), "leftmost", exp_bits),), tuple(bo.tolist()))
    return Attention(tuple(parts), tuple(bo.tolist()))


def _mlp(export, rounder, base, d, hidden):
    w1 = grid_array(rounder, export.array(f"{base}/linear_1/w", (d, hidden)), f"{base}/linear_1/w").T
    b1 = grid_array(rounder, export.array(f"{base}/linear_1/b", (hidden,)), f"{base}/linear_1/b")
    w2 = grid_array(rounder, export.array(f"{base}/linear_2/w", (hidden, d)), f"{base}/linear_2/w").T
    b2 = grid_array(rounder, export.array(f"{base}/linear_2/b", (d,)), f"{base}/linear_2/b")
    live = [u for u in range(hidden) if w2[:, u].any() and (w1[u].any() or b1[u] != 0)]
    if not live:
        if not b2.any():
            return None
        live = [0]  # only a bias: one unit keeps the shapes valid
    return Mlp(_rows(w1[live]), tuple(b1[live].tolist()), "relu", _rows(w2[:, live]), tuple(b2.tolist()))


def _rows(matrix: np.ndarray) -> tuple:
    return tuple(map(tuple, matrix.tolist()))


def _same(a, b) -> bool:
    """Equal values of the same JSON type (so that true is not the class 1)."""
    return type(a) is type(b) and a == b


def _readout(value, export, unembed, rounder, path, key) -> Readout:
    """The readout over the output dims (the rows of `unembed`, [classes, d])."""
    kind = export.field("output.kind", (str,))
    if kind == "numerical":
        if unembed.shape[0] != 1:
            raise UserError(f"a numerical output has one output dim, unembed/w has {unembed.shape[0]}",
                            export.params_path, "unembed/w")
        value = check.mapping(value, path, key, "{threshold: t} for a numerical Tracr output")
        check.keys(value, ("threshold",), path, key, required=("threshold",))
        t = rounder.scalar(check.number(value["threshold"], path, f"{key}.threshold"), f"{key}.threshold")
        return Readout("threshold", (tuple(unembed[0].tolist()),), (-t,), labels=("y",))
    if kind != "categorical":
        raise UserError(f"expected categorical or numerical, found {check.kind(kind)}", export.config_path, "output.kind")
    values = export.field("output.index_to_value", (list,))
    if len(values) != unembed.shape[0]:
        raise UserError(f"{len(values)} values for {unembed.shape[0]} output dims of unembed/w",
                        export.config_path, "output.index_to_value")
    weights = _rows(unembed)
    labels = tuple(str(v) for v in values)
    if value == "classes":
        return Readout("argmax", weights, (0,) * len(values), None, labels)
    value = check.mapping(value, path, key, "classes or {accept: [values]} for a categorical Tracr output")
    if "threshold" in value:
        raise UserError("the model's output is categorical: read it with classes or {accept: [values]}, "
                        "not a threshold", path, f"{key}.threshold")
    check.keys(value, ("accept",), path, key, required=("accept",))
    accept = value["accept"]
    if not isinstance(accept, list) or not accept:
        raise UserError(f"expected a non-empty list of output values, found {check.kind(accept)}", path, f"{key}.accept")
    chosen = []
    for i, wanted in enumerate(accept):
        matches = [c for c, v in enumerate(values) if _same(v, wanted)]
        if not matches:
            raise UserError(f"{check.kind(wanted)} is not an output value of the model (they are: "
                            f"{', '.join(map(repr, values))})", path, f"{key}.accept[{i}]")
        chosen += matches
    return Readout("argmax", weights, (0,) * len(values), tuple(sorted(set(chosen))), labels)
