"""An independent float64 forward pass of TransformerLens's HookedTransformer, for the tests
of the TransformerLens importer (it shares no code with tcverify).

Written from TransformerLens's source (`HookedTransformer.forward`, `components/embed.py`,
`pos_embed.py`, `layer_norm.py`, `layer_norm_pre.py`, `abstract_attention.py`,
`mlps/mlp.py`, `transformer_block.py`, `unembed.py`, `utilities/activation_functions.py`)
for the settings the importer accepts: standard (learned, added) positional embeddings,
LN / LNPre / no normalisation, causal or bidirectional attention, use_attn_scale with
`attn_scale` (default sqrt(d_head)), attn_only, act_fn relu / gelu / gelu_new.

`config` is the JSON of `model.cfg.to_dict()`; `params` maps TransformerLens's
parameter names to numpy arrays (any float dtype; computed in float64).
"""

from __future__ import annotations

import math

import numpy as np


def _layer_norm(x: np.ndarray, w, b, eps: float) -> np.ndarray:
    """LayerNorm / LayerNormPre over the last axis: (x - mean) / sqrt(mean((x - mean)^2) + eps) * w + b."""
    x = x - x.mean(-1, keepdims=True)
    scale = np.sqrt((x ** 2).mean(-1, keepdims=True) + eps)
    y = x / scale
    return y if w is None else y * w + b


def _activation(name: str, x: np.ndarray) -> np.ndarray:
    if name == "relu":
        return np.maximum(x, 0.0)
    if name == "gelu":  # torch.nn.functional.gelu: the exact erf form
        erf = np.vectorize(math.erf)
        return 0.5 * x * (1.0 + erf(x / math.sqrt(2.0)))
    if name == "gelu_new":  # GPT-2's tanh form
        return 0.5 * x * (1.0 + np.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x ** 3)))
    raise ValueError(f"act_fn {name!r} is not in this reference")


def logits(config: dict, params: dict, tokens) -> np.ndarray:
    """The logits [len(tokens), d_vocab_out] of one sequence of token ids (BOS included if used)."""
    p = {k: np.asarray(v, dtype=np.float64) for k, v in params.items()}
    tokens = np.asarray(tokens, dtype=np.int64)
    n = len(tokens)
    norm = config.get("normalization_type", "LN")
    eps = float(config.get("eps", 1e-5))
    d_head = int(config["d_head"])
    if config.get("use_attn_scale", True):
        scale = float(config.get("attn_scale", -1.0))
        scale = math.sqrt(d_head) if scale == -1.0 else scale
    else:
        scale = 1.0
    causal = config.get("attention_dir", "causal") == "causal"

    def ln(name, x):
        if norm is None:
            return x
        if norm == "LNPre":
            return _layer_norm(x, None, None, eps)
        return _layer_norm(x, p[name + ".w"], p[name + ".b"], eps)

    resid = p["embed.W_E"][tokens] + p["pos_embed.W_pos"][:n]  # [n, d_model]
    visible = np.tril(np.ones((n, n), dtype=bool)) if causal else np.ones((n, n), dtype=bool)
    for layer in range(int(config["n_layers"])):
        b = f"blocks.{layer}."
        x = ln(b + "ln1", resid)
        q = np.einsum("pm,hmd->phd", x, p[b + "attn.W_Q"]) + p[b + "attn.b_Q"]
        k = np.einsum("pm,hmd->phd", x, p[b + "attn.W_K"]) + p[b + "attn.b_K"]
        v = np.einsum("pm,hmd->phd", x, p[b + "attn.W_V"]) + p[b + "attn.b_V"]
        scores = np.einsum("qhd,khd->hqk", q, k) / scale
        scores = np.where(visible[None], scores, -np.inf)
        scores = scores - scores.max(-1, keepdims=True)
        weights = np.exp(scores)
        pattern = weights / weights.sum(-1, keepdims=True)  # softmax over the visible keys
        z = np.einsum("hqk,khd->qhd", pattern, v)
        resid = resid + np.einsum("qhd,hdm->qm", z, p[b + "attn.W_O"]) + p[b + "attn.b_O"]
        if not config.get("attn_only", False):
            x = ln(b + "ln2", resid)
            hidden = _activation(config["act_fn"], x @ p[b + "mlp.W_in"] + p[b + "mlp.b_in"])
            resid = resid + hidden @ p[b + "mlp.W_out"] + p[b + "mlp.b_out"]
    resid = ln("ln_final", resid)
    return resid @ p["unembed.W_U"] + p["unembed.b_U"]


def predict(config: dict, params: dict, tokens) -> np.ndarray:
    """The argmax class per position (the first maximum on ties, like torch.argmax)."""
    return logits(config, params, tokens).argmax(-1)
