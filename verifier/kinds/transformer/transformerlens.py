"""TransformerLens models as transformers (docs/trained.md): `{transformerlens: FOLDER,
number_format, param_format?, strict_params?, exp_frac_bits?, readout}`, FOLDER holding
`config.json` (`HookedTransformerConfig.to_dict()` plus `tokens`, `bos_token`,
`output_labels`) and `model.safetensors` (or `model.npz`) under TransformerLens's
parameter names.

The model is `HookedTransformer.forward` in the terms of spec 3: the sequence is
[bos_token] + w, `h_p = R(W_E[t_p] + W_pos[p])`; per layer a residual softmax attention
block with `norm:` ln1 (pre-norm) and a residual MLP block with `norm:` ln2 (unless
attn_only); the final norm ln_final as a `layer_norm` block; the unembedding
`W_U^T h + b_U` as the categorical (argmax) readout. TransformerLens's matrices
multiply on the right (`x @ W`, `W_Q` is [n_heads, d_model, d_head]); the spec's are
[out, in] (`W x`), so each head's slice is transposed. LNPre is a layer norm with
gamma = 1 and beta = 0; normalization_type None has no norms.

TransformerLens divides the attention scores by `attn_scale` (sqrt(d_head) by default)
at run time; the spec has no such step, so the factor is folded into each head's
query weights and bias, every entry rounded once onto the param grid from its exact
value (irrational unless d_head is a square; see `_divided_k`).

Every config field that changes the forward pass is checked; a setting that is not
rebuilt here (rotary or other positions, RMS norms, grouped-query attention, gated or
parallel MLPs, soft caps, ...) is a one-line error naming the config key, and a field
this module does not know is an error too (a newer TransformerLens field could change
the forward pass). Fields that only name things, set hooks, devices or
initialisation are ignored.
"""

from __future__ import annotations

import json
import math
import os
from fractions import Fraction

import numpy as np

from ...casefile import validate as check
from ...casefile.limits import count_parameters
from ...casefile.params import ParamRounder
from ...core.models import Attention, Head, LayerNorm, Mlp, Positional, Readout, Transformer
from ...errors import InternalError, UserError
from .load import export_settings, grid_array

TL_KEYS = ("transformerlens", "number_format", "param_format", "strict_params", "exp_frac_bits", "readout")
ACT_FNS = ("relu", "gelu", "gelu_new")
NORMS = ("LN", "LNPre", None)
WEIGHT_FILES = ("model.safetensors", "model.npz")

# Config fields read and ignored: names, hooks, devices, dtypes, initialisation,
# tokenizers, and the parameters of features whose switch is checked below (rotary
# details when positions are standard, local attention's window, experts' routing).
IGNORED = frozenset("""
    model_name device n_devices seed init_mode init_weights initializer_range tokenizer_name
    tokenizer_prepends_bos default_prepend_bos from_checkpoint checkpoint_index checkpoint_label_type
    checkpoint_value n_params trust_remote_code dtype use_attn_result use_split_qkv_input use_hook_mlp_in
    use_attn_in use_hook_tokens window_size attn_types rotary_dim rotary_base rotary_base_local
    rotary_scaling_factor rotary_adjacent_pairs use_NTK_by_parts_rope NTK_by_parts_low_freq_factor
    NTK_by_parts_high_freq_factor NTK_by_parts_factor NTK_original_ctx_len use_yarn_rope yarn_factor
    yarn_attention_factor yarn_beta_fast yarn_beta_slow yarn_original_max_position_embeddings
    relative_attention_max_distance relative_attention_num_buckets decoder_start_token_id
    tie_word_embeddings layer_norm_folding norm_topk_prob ungroup_grouped_query_attention
""".split())
# Switches that must be off (value: what "off" is, as TransformerLens tests it).
OFF = {
    "n_key_value_heads": None, "gated_mlp": False, "parallel_attn_mlp": False, "final_rms": False,
    "uses_rms_norm": False, "post_embedding_ln": False, "use_normalization_before_and_after": False,
    "use_qk_norm": False, "use_local_attn": False, "scale_attn_by_inverse_layer_idx": False,
    "load_in_4bit": False, "num_experts": None, "experts_per_token": None,
}
SOFT_CAPS = ("attn_scores_soft_cap", "output_logits_soft_cap")  # applied when > 0
SPECIAL_ARCHITECTURES = ("Olmo2ForCausalLM", "Olmo3ForCausalLM", "OlmoeForCausalLM")  # norms placed elsewhere
READ = frozenset("""
    n_layers d_model d_head n_heads d_mlp d_vocab d_vocab_out n_ctx act_fn normalization_type eps attn_only
    positional_embedding_type attention_dir use_attn_scale attn_scale original_architecture
    tokens bos_token output_labels
""".split()) | frozenset(OFF) | frozenset(SOFT_CAPS)
BUFFERS = ("attn.IGNORE", "attn.mask")  # state-dict buffers of TransformerLens's attention, not parameters


class _Export:
    """config.json and the weights of one export, read with errors naming the file and key."""

    def __init__(self, folder, path, key):
        self.folder = folder
        if not os.path.isdir(folder):
            raise UserError(f"the TransformerLens folder {folder} does not exist", path, key)
        self.config_path = os.path.join(folder, "config.json")
        if not os.path.isfile(self.config_path):
            raise UserError(f"the TransformerLens folder has no config.json (in {folder})", path, key)
        try:
            with open(self.config_path, encoding="utf-8") as handle:
                config = json.load(handle)
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            raise UserError(f"cannot read the JSON: {exc}", self.config_path, None) from None
        self.config = check.mapping(config, self.config_path, None, "a JSON object")
        present = [f for f in WEIGHT_FILES if os.path.isfile(os.path.join(folder, f))]
        if len(present) != 1:
            what = "has neither" if not present else "has both"
            raise UserError(f"the TransformerLens folder {what} model.safetensors and model.npz (in {folder})", path, key)
        self.weights_path = os.path.join(folder, present[0])
        self.arrays = _read_weights(self.weights_path)
        self.used = set()

    def field(self, name, kinds, default=...):
        """A config field of the given JSON type(s) (bool is not an int), or `default` if absent."""
        if name not in self.config:
            if default is ...:
                raise UserError(f"the field {name!r} is missing", self.config_path, name)
            return default
        value = self.config[name]
        if isinstance(value, bool) and bool not in kinds or not isinstance(value, kinds):
            names = " or ".join("null" if k is type(None) else {"str": "a string", "int": "an integer",
                                "float": "a number", "bool": "true or false", "list": "a list"}[k.__name__]
                                for k in kinds)
            raise UserError(f"expected {names}, found {check.kind(value)}", self.config_path, name)
        return value

    def size(self, name, low=1, default=...) -> int:
        value = self.field(name, (int,), default)
        if value < low:
            raise UserError(f"expected an integer >= {low}, found {value}", self.config_path, name)
        return value

    def array(self, name, shape) -> np.ndarray:
        """A float array of the weights with the given shape."""
        if name not in self.arrays:
            raise UserError(f"the weights have no array {name!r}", self.weights_path, name)
        array = self.arrays[name]
        if array.shape != tuple(shape):
            got = " x ".join(str(s) for s in array.shape) or "a scalar"
            raise UserError(f"the array has shape {got}, but must be {' x '.join(map(str, shape))}",
                            self.weights_path, name)
        if array.dtype.kind != "f":
            raise UserError(f"the array has dtype {array.dtype}, not a float type", self.weights_path, name)
        if not np.all(np.isfinite(array)):
            raise UserError("the array holds a non-finite value", self.weights_path, name)
        self.used.add(name)
        return array.astype(np.float64)  # exact: every float16/32 is a float64


def _read_weights(file) -> dict:
    """name -> numpy array of a .safetensors (safetensors' numpy API, no torch) or .npz file."""
    if file.endswith(".npz"):
        try:
            with np.load(file, allow_pickle=False) as archive:
                return {name: archive[name] for name in archive.files}
        except Exception as exc:  # noqa: BLE001 - any unreadable archive is bad input
            raise UserError(f"cannot read the npz file: {exc}", file, None) from None
    try:
        from safetensors.numpy import load_file
    except ImportError:  # pragma: no cover - a dependency of tcverify
        raise UserError("reading .safetensors needs the 'safetensors' package (pip install safetensors)",
                        file, None) from None
    try:
        return load_file(file)
    except Exception as exc:  # noqa: BLE001 - safetensors raises its own error types (and TypeError for bf16)
        raise UserError(f"cannot read the safetensors file: {str(exc).splitlines()[0] if str(exc) else exc!r}"
                        " (save the state dict as float32)", file, None) from None


def _check_config(export: _Export) -> None:
    """Every field known; every switch that changes the forward pass to what is rebuilt here."""
    where = export.config_path
    for name, value in export.config.items():
        if name in READ or name in IGNORED:
            continue
        raise UserError(f"the config field {name!r} is not a HookedTransformerConfig field tcverify knows; "
                        "remove it if it does not change the forward pass", where, name)
    for name, off in OFF.items():
        value = export.config.get(name, off)
        if value != off and not (off is None and value is False):
            raise UserError(f"{name} = {json.dumps(value)} is not supported (tcverify rebuilds "
                            f"{name} = {json.dumps(off)} only)", where, name)
    for name in SOFT_CAPS:
        value = export.field(name, (int, float), -1.0)
        if value > 0:
            raise UserError(f"{name} = {value} is not supported (only no soft cap, a value <= 0)", where, name)
    positions = export.field("positional_embedding_type", (str,), "standard")
    if positions != "standard":
        raise UserError(f"positional_embedding_type {positions!r} is not supported (only 'standard': learned "
                        "positions added to the residual stream)", where, "positional_embedding_type")
    architecture = export.field("original_architecture", (str, type(None)), None)
    if architecture in SPECIAL_ARCHITECTURES:
        raise UserError(f"original_architecture {architecture!r} places its norms differently; not supported",
                        where, "original_architecture")


def _divided_k(value: Fraction, root_of: int, fmt) -> tuple:
    """(grid index of R(value / sqrt(root_of)), |R(...) - value / sqrt(root_of)| within 2^-60 of it)
    for a non-square `root_of`: the quotient is irrational (or 0), so it lies on no rounding
    boundary; bracket it between rationals until both ends round alike (R is monotone)."""
    if value == 0:
        return 0, Fraction(0)
    for bits in (64, 128, 256, 512, 1024, 4096):
        root = math.isqrt(root_of << (2 * bits))  # floor(sqrt(root_of) * 2^bits)
        # root / 2^bits < sqrt(root_of) < (root + 1) / 2^bits (never equal: the root is irrational)
        ends = sorted((value * (1 << bits) / root, value * (1 << bits) / (root + 1)))
        low, high = fmt.R(ends[0]), fmt.R(ends[1])
        if low == high:
            return low, abs(fmt.value(low) - (ends[0] + ends[1]) / 2)
    raise InternalError(f"could not round {value} / sqrt({root_of})")  # pragma: no cover


class _QueryScale:
    """R of the param format on w / attn_scale, each entry from its exact value."""

    def __init__(self, export: _Export, d_head: int):
        where = export.config_path
        self.root_of, self.divisor = None, Fraction(1)
        if not export.field("use_attn_scale", (bool,), True):
            return
        scale = export.field("attn_scale", (int, float), -1.0)
        if scale == -1.0 or scale == math.sqrt(d_head):  # TransformerLens's default, np.sqrt(d_head)
            root = math.isqrt(d_head)
            if root * root == d_head:
                self.divisor = Fraction(root)
            else:
                self.root_of = d_head
        elif scale > 0:
            self.divisor = Fraction(scale)
        else:
            raise UserError(f"attn_scale must be positive (or -1: sqrt(d_head)), found {scale}", where, "attn_scale")

    def describe(self) -> str:
        return f"sqrt({self.root_of})" if self.root_of else str(self.divisor)

    def grid(self, rounder: ParamRounder, array: np.ndarray, name: str) -> np.ndarray:
        if self.root_of is None and self.divisor == 1:
            return grid_array(rounder, array, name)
        out = np.zeros(array.shape, dtype=object)
        for where in zip(*np.nonzero(array)):
            value = Fraction(float(array[where]))
            label = name + "".join(f"[{int(i)}]" for i in where)
            if self.root_of is None:
                out[where] = rounder.scalar(value / self.divisor, label)
            else:
                k, change = _divided_k(value, self.root_of, rounder.fmt)
                out[where] = k
                rounder.irrational(k, f"{float(value)!r} / sqrt({self.root_of})", change, label)
        return out


def load_transformerlens(data, path, prefix, alphabet, outputs, warn) -> Transformer:
    """A `Transformer` from a TransformerLens export (module docstring); `path` is the file naming it."""
    key = lambda name: check.join(prefix, name)  # noqa: E731
    check.keys(data, TL_KEYS, path, prefix, required=("transformerlens", "number_format", "readout"))
    settings = export_settings(data, path, prefix, "transformerlens", "TransformerLens")
    export = _Export(settings.folder, path, key("transformerlens"))
    fmt, exp_bits = settings.number_format, settings.exp_frac_bits
    rounder = ParamRounder(settings.param_format, settings.strict_params, export.weights_path)

    _check_config(export)
    cfg = export.config_path
    layers = export.size("n_layers", 0)
    d = export.size("d_model")
    d_head = export.size("d_head")
    heads = export.field("n_heads", (int,), -1)
    if heads == -1:  # TransformerLens: d_model // d_head
        if d % d_head:
            raise UserError(f"n_heads is -1 but d_model ({d}) is not a multiple of d_head ({d_head})", cfg, "n_heads")
        heads = d // d_head
    elif heads < 1:
        raise UserError(f"expected an integer >= 1 (or -1), found {heads}", cfg, "n_heads")
    attn_only = export.field("attn_only", (bool,), False)
    d_mlp = export.field("d_mlp", (int, type(None)), None)
    d_mlp = 4 * d if d_mlp is None else d_mlp  # TransformerLens's default
    if not attn_only and d_mlp < 1:
        raise UserError(f"expected an integer >= 1, found {d_mlp}", cfg, "d_mlp")
    act = export.field("act_fn", (str,), "relu") if not attn_only else None
    if not attn_only and act not in ACT_FNS:
        raise UserError(f"act_fn {act!r} is not supported (only {', '.join(ACT_FNS)})", cfg, "act_fn")
    norm = export.field("normalization_type", (str, type(None)), "LN")
    if norm not in NORMS:
        raise UserError(f"normalization_type {norm!r} is not supported (only LN, LNPre or null)", cfg,
                        "normalization_type")
    eps = Fraction(export.field("eps", (int, float), 1e-5))
    if eps < 0:
        raise UserError(f"eps must be >= 0, found {float(eps)}", cfg, "eps")
    direction = export.field("attention_dir", (str,), "causal")
    if direction not in ("causal", "bidirectional"):
        raise UserError(f"attention_dir must be causal or bidirectional, found {direction!r}", cfg, "attention_dir")
    mask = "causal" if direction == "causal" else "none"
    vocab = export.size("d_vocab")
    vocab_out = export.field("d_vocab_out", (int,), -1)
    vocab_out = vocab if vocab_out == -1 else vocab_out
    if vocab_out < 1:
        raise UserError(f"expected an integer >= 1 (or -1: d_vocab), found {vocab_out}", cfg, "d_vocab_out")
    n_ctx = export.size("n_ctx")
    scale = _QueryScale(export, d_head)

    tokens = export.field("tokens", (list,))
    if len(tokens) != vocab or not all(isinstance(t, str) for t in tokens) or len(set(tokens)) != vocab:
        raise UserError(f"expected d_vocab = {vocab} distinct strings, the token of each id", cfg, "tokens")
    bos = export.field("bos_token", (str, type(None)), None)
    if bos is not None and bos not in tokens:
        raise UserError(f"the bos_token {bos!r} is not one of the tokens", cfg, "bos_token")
    for symbol in alphabet:
        if symbol not in tokens or symbol == bos:
            raise UserError(f"the symbol {symbol!r} is not a token of the model {export.folder} (its tokens: "
                            f"{', '.join(repr(t) for t in tokens[:20] if t != bos)}"
                            f"{', ...' if len(tokens) > 20 else ''})", path, "alphabet")
    labels = export.field("output_labels", (list,), None)
    if labels is None:
        if vocab_out != vocab:
            raise UserError("output_labels is required when d_vocab_out differs from d_vocab", cfg, "output_labels")
        labels = list(tokens)
    if len(labels) != vocab_out or not all(isinstance(v, (str, int, float, bool)) for v in labels) \
            or len({(type(v), v) for v in labels}) != len(labels):
        raise UserError(f"expected d_vocab_out = {vocab_out} distinct labels (strings, numbers, true/false)",
                        cfg, "output_labels")

    count_parameters(sum(a.size for a in export.arrays.values()), export.weights_path, None)
    needed = list(alphabet) + ([bos] if bos is not None else [])
    rows = export.array("embed.W_E", (vocab, d))[[tokens.index(t) for t in needed]]
    token_rows = grid_array(rounder, rows, "embed.W_E")
    embedding = {t: tuple(token_rows[i].tolist()) for i, t in enumerate(needed)}
    positions = grid_array(rounder, export.array("pos_embed.W_pos", (n_ctx, d)), "pos_embed.W_pos")
    rounder.path = export.config_path  # eps is a parameter of config.json
    epsilon = rounder.scalar(eps, "eps")
    rounder.path = export.weights_path

    def layer_norm(name):
        if norm is None:
            return None
        if norm == "LNPre":
            return LayerNorm((settings.param_format.R(1),) * d, (0,) * d, epsilon)
        gamma = grid_array(rounder, export.array(f"{name}.w", (d,)), f"{name}.w")
        beta = grid_array(rounder, export.array(f"{name}.b", (d,)), f"{name}.b")
        return LayerNorm(tuple(gamma.tolist()), tuple(beta.tolist()), epsilon)

    blocks = []
    for layer in range(layers):
        base = f"blocks.{layer}"
        blocks.append(_attention(export, rounder, scale, f"{base}.attn", d, heads, d_head, mask,
                                 exp_bits, layer_norm(f"{base}.ln1")))
        if not attn_only:
            blocks.append(_mlp(export, rounder, f"{base}.mlp", d, d_mlp, act, layer_norm(f"{base}.ln2")))
    final = layer_norm("ln_final")
    if final is not None:
        blocks.append(final)
    unembed = grid_array(rounder, export.array("unembed.W_U", (d, vocab_out)), "unembed.W_U").T
    bias = grid_array(rounder, export.array("unembed.b_U", (vocab_out,)), "unembed.b_U")
    readout = _readout(data["readout"], labels, unembed, bias, path, key("readout"))
    _check_unused(export, attn_only, norm)
    message = rounder.warning(f"the TransformerLens model {export.folder}" + (
        f" (1/{scale.describe()} folded into the query weights)" if scale.root_of or scale.divisor != 1 else ""))
    if message:
        warn(message)
    return Transformer(path, fmt, settings.param_format, d, embedding, tuple(blocks), readout,
                       Positional("table", table=tuple(map(tuple, positions.tolist())),
                                  key=key("transformerlens") + " (pos_embed.W_pos: the model's n_ctx)"), bos, None)


def _check_unused(export: _Export, attn_only: bool, norm) -> None:
    """Every array of the weights was read, or is a known buffer; else the config and the
    weights disagree (an MLP in an attn_only model, norm weights with LNPre, ...)."""
    unused = sorted(name for name in set(export.arrays) - export.used
                    if not (name.startswith("blocks.") and name.endswith(BUFFERS)))
    mlp = sorted((name for name in unused if ".mlp." in name or ".ln2." in name), key=lambda name: ".mlp." not in name)
    if attn_only and mlp:
        raise UserError(f"attn_only is true but the weights have {mlp[0]!r}", export.config_path, "attn_only")
    norms = [name for name in unused if name.startswith("ln_final.") or ".ln1." in name or ".ln2." in name]
    if norms:
        raise UserError(f"normalization_type is {json.dumps(norm)} but the weights have {norms[0]!r}",
                        export.config_path, "normalization_type")
    if unused:
        raise UserError(f"the array {unused[0]!r} is not a parameter of the configured HookedTransformer",
                        export.weights_path, unused[0])


def _rows(matrix: np.ndarray) -> tuple:
    return tuple(map(tuple, matrix.tolist()))


def _attention(export, rounder, scale, base, d, heads, d_head, mask, exp_bits, norm) -> Attention:
    def grid(name, shape):
        return grid_array(rounder, export.array(f"{base}.{name}", shape), f"{base}.{name}")

    wq = scale.grid(rounder, export.array(f"{base}.W_Q", (heads, d, d_head)), f"{base}.W_Q")
    bq = scale.grid(rounder, export.array(f"{base}.b_Q", (heads, d_head)), f"{base}.b_Q")
    wk, bk = grid("W_K", (heads, d, d_head)), grid("b_K", (heads, d_head))
    wv, bv = grid("W_V", (heads, d, d_head)), grid("b_V", (heads, d_head))
    wo, bo = grid("W_O", (heads, d_head, d)), grid("b_O", (d,))
    parts = tuple(Head("softmax", mask, _rows(wq[h].T), _rows(wk[h].T), _rows(wv[h].T), _rows(wo[h].T),
                       tuple(bq[h].tolist()), tuple(bk[h].tolist()), tuple(bv[h].tolist()), "leftmost", exp_bits)
                  for h in range(heads))
    return Attention(parts, tuple(bo.tolist()), True, norm)


def _mlp(export, rounder, base, d, d_mlp, act, norm) -> Mlp:
    def grid(name, shape):
        return grid_array(rounder, export.array(f"{base}.{name}", shape), f"{base}.{name}")

    w1, b1 = grid("W_in", (d, d_mlp)).T, grid("b_in", (d_mlp,))
    w2, b2 = grid("W_out", (d_mlp, d)).T, grid("b_out", (d,))
    return Mlp(_rows(w1), tuple(b1.tolist()), act, _rows(w2), tuple(b2.tolist()), True, norm)


def _same(a, b) -> bool:
    """Equal values of the same JSON type (so that true is not the class 1)."""
    return type(a) is type(b) and a == b


def _readout(value, labels, unembed, bias, path, key) -> Readout:
    """The argmax over the unembedding's classes: `classes` or `{accept: [labels]}`."""
    weights = _rows(unembed)
    names = tuple(json.dumps(v) if not isinstance(v, str) else v for v in labels)
    if value == "classes":
        return Readout("argmax", weights, tuple(bias.tolist()), None, names)
    value = check.mapping(value, path, key, "classes or {accept: [labels]}")
    check.keys(value, ("accept",), path, key, required=("accept",))
    accept = value["accept"]
    if not isinstance(accept, list) or not accept:
        raise UserError(f"expected a non-empty list of output labels, found {check.kind(accept)}", path, f"{key}.accept")
    chosen = []
    for i, wanted in enumerate(accept):
        matches = [c for c, v in enumerate(labels) if _same(v, wanted)]
        if not matches:
            shown = ", ".join(map(json.dumps, labels[:20])) + (", ..." if len(labels) > 20 else "")
            raise UserError(f"{check.kind(wanted)} is not an output label of the model (they are: {shown})",
                            path, f"{key}.accept[{i}]")
        chosen += matches
    return Readout("argmax", weights, tuple(bias.tolist()), tuple(sorted(set(chosen))), names)
