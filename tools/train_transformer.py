"""Train a small TransformerLens-layout transformer on a formal language, on CPU with JAX,
and write it in the layout tcverify's importer reads (docs/trained.md):

    FOLDER/config.json        HookedTransformerConfig fields + tokens, bos_token, output_labels
    FOLDER/model.safetensors  TransformerLens parameter names and shapes (float32)
    FOLDER/README.md          what was trained, how, and the float64 accuracy per length

The model is TransformerLens's HookedTransformer forward pass (pre-norm blocks:
resid_mid = resid_pre + attn(ln1(resid_pre)), resid_post = resid_mid + mlp(ln2(resid_mid));
ln_final; unembed), with learned positional embeddings, a causal mask, attention
scores divided by sqrt(d_head), `gelu_new` (the tanh form) and LayerNorm
`(x - mean) / sqrt(var + eps) * w + b`. The input is `<bos> w_0 ... w_{n-1}`; the
output at the position of w_i classifies the prefix w_0..w_i (two classes, labels
false/true), so the model can be read with `outputs: every` or `outputs: last`.

Training data: every string of length exactly --train-len (each gives the labels of
all its prefixes, so every string of length <= --train-len is seen), full batch,
Adam. Lengths beyond --train-len use positional rows that were never trained:
where the model breaks beyond them is what tcverify finds.

Needs jax, optax, safetensors, numpy (not tcverify); JAX on CPU. This reproduces
cases/trained/models/dyck1_l2 (about two minutes; its README.md has the exact command):

    python tools/train_transformer.py --task dyck1 --out cases/trained/models/dyck1_l2
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import time

os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1")
os.environ.setdefault("JAX_PLATFORMS", "cpu")

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
import optax  # noqa: E402
from safetensors.numpy import save_file  # noqa: E402

TASKS = {
    "dyck1": ("(", ")"),
    "majority": ("0", "1"),
}
BOS = "<bos>"


def label(task: str, prefix: tuple) -> bool:
    """The language's answer on one string (a tuple of symbols)."""
    if task == "dyck1":
        depth = 0
        for s in prefix:
            depth += 1 if s == "(" else -1
            if depth < 0:
                return False
        return depth == 0
    if task == "majority":
        return 2 * sum(s == "1" for s in prefix) > len(prefix)
    raise ValueError(task)


def dataset(task: str, length: int):
    """Every string of the given length: token ids [B, length + 1] (BOS first) and the
    prefix labels [B, length] (label of w_0..w_i at the position of w_i)."""
    symbols = TASKS[task]
    tokens, labels = [], []
    for word in itertools.product(symbols, repeat=length):
        tokens.append([0] + [1 + symbols.index(s) for s in word])
        labels.append([label(task, word[: i + 1]) for i in range(length)])
    return np.array(tokens, dtype=np.int32), np.array(labels, dtype=np.int32)


def init_params(key, cfg):
    """TransformerLens's names and shapes; normal(0, 0.8 / sqrt(d_model)) like its gpt2 init."""
    d, h, dh, m, v, vo, ctx = (cfg[k] for k in ("d_model", "n_heads", "d_head", "d_mlp", "d_vocab", "d_vocab_out", "n_ctx"))
    std = 0.8 / np.sqrt(d)
    keys = iter(jax.random.split(key, 64))
    normal = lambda *shape: std * jax.random.normal(next(keys), shape, dtype=jnp.float32)  # noqa: E731
    zeros = lambda *shape: jnp.zeros(shape, jnp.float32)  # noqa: E731
    ones = lambda *shape: jnp.ones(shape, jnp.float32)  # noqa: E731
    p = {"embed.W_E": normal(v, d), "pos_embed.W_pos": normal(ctx, d)}
    for layer in range(cfg["n_layers"]):
        b = f"blocks.{layer}."
        p.update({
            b + "ln1.w": ones(d), b + "ln1.b": zeros(d),
            b + "attn.W_Q": normal(h, d, dh), b + "attn.b_Q": zeros(h, dh),
            b + "attn.W_K": normal(h, d, dh), b + "attn.b_K": zeros(h, dh),
            b + "attn.W_V": normal(h, d, dh), b + "attn.b_V": zeros(h, dh),
            b + "attn.W_O": normal(h, dh, d), b + "attn.b_O": zeros(d),
            b + "ln2.w": ones(d), b + "ln2.b": zeros(d),
            b + "mlp.W_in": normal(d, m), b + "mlp.b_in": zeros(m),
            b + "mlp.W_out": normal(m, d), b + "mlp.b_out": zeros(d),
        })
    p.update({"ln_final.w": ones(d), "ln_final.b": zeros(d), "unembed.W_U": normal(d, vo), "unembed.b_U": zeros(vo)})
    return p


def layer_norm(x, w, b, eps):
    x = x - x.mean(-1, keepdims=True)
    scale = jnp.sqrt((x * x).mean(-1, keepdims=True) + eps)
    return x / scale * w + b


def gelu_new(x):
    return 0.5 * x * (1.0 + jnp.tanh(jnp.sqrt(2.0 / jnp.pi) * (x + 0.044715 * x ** 3)))


def forward(p, tokens, cfg):
    """HookedTransformer.forward (return_type='logits') for our config: [B, N] -> [B, N, d_vocab_out]."""
    n = tokens.shape[1]
    resid = p["embed.W_E"][tokens] + p["pos_embed.W_pos"][:n][None]
    mask = jnp.tril(jnp.ones((n, n), dtype=bool))
    for layer in range(cfg["n_layers"]):
        b = f"blocks.{layer}."
        x = layer_norm(resid, p[b + "ln1.w"], p[b + "ln1.b"], cfg["eps"])
        q = jnp.einsum("bpm,hmd->bphd", x, p[b + "attn.W_Q"]) + p[b + "attn.b_Q"]
        k = jnp.einsum("bpm,hmd->bphd", x, p[b + "attn.W_K"]) + p[b + "attn.b_K"]
        v = jnp.einsum("bpm,hmd->bphd", x, p[b + "attn.W_V"]) + p[b + "attn.b_V"]
        scores = jnp.einsum("bqhd,bkhd->bhqk", q, k) / jnp.sqrt(float(cfg["d_head"]))
        scores = jnp.where(mask, scores, -jnp.inf)
        pattern = jax.nn.softmax(scores, axis=-1)
        z = jnp.einsum("bhqk,bkhd->bqhd", pattern, v)
        resid = resid + jnp.einsum("bqhd,hdm->bqm", z, p[b + "attn.W_O"]) + p[b + "attn.b_O"]
        x = layer_norm(resid, p[b + "ln2.w"], p[b + "ln2.b"], cfg["eps"])
        hidden = gelu_new(x @ p[b + "mlp.W_in"] + p[b + "mlp.b_in"])
        resid = resid + hidden @ p[b + "mlp.W_out"] + p[b + "mlp.b_out"]
    resid = layer_norm(resid, p["ln_final.w"], p["ln_final.b"], cfg["eps"])
    return resid @ p["unembed.W_U"] + p["unembed.b_U"]


def accuracy_by_length(params, cfg, task, max_len):
    """Exact-string accuracy per length (float32 forward, all 2^n strings): the
    fraction of strings whose every prefix bit is right."""
    out = {}
    for n in range(1, max_len + 1):
        tokens, labels = dataset(task, n)
        right = np.ones(len(tokens), dtype=bool)
        for start in range(0, len(tokens), 1 << 14):
            logits = np.asarray(forward(params, jnp.asarray(tokens[start:start + (1 << 14)]), cfg))
            predicted = logits[:, 1:, 1] > logits[:, 1:, 0]  # argmax of two classes, first max on ties
            right[start:start + (1 << 14)] = (predicted == labels[start:start + (1 << 14)].astype(bool)).all(axis=1)
        out[n] = float(right.mean())
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--task", choices=sorted(TASKS), default="dyck1")
    parser.add_argument("--out", required=True, help="the output folder")
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--d-model", type=int, default=16)
    parser.add_argument("--heads", type=int, default=2)
    parser.add_argument("--d-mlp", type=int, default=32)
    parser.add_argument("--n-ctx", type=int, default=25, help="positions, BOS included")
    parser.add_argument("--train-len", type=int, default=10)
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--weight-decay", type=float, default=0.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--check-len", type=int, default=16, help="report float32 accuracy up to this length")
    args = parser.parse_args()

    symbols = TASKS[args.task]
    cfg = {
        # HookedTransformerConfig fields (what `model.cfg.to_dict()` gives for such a model)
        "model_name": f"tcverify-{args.task}-l{args.layers}", "n_layers": args.layers, "d_model": args.d_model,
        "d_head": args.d_model // args.heads, "n_heads": args.heads, "d_mlp": args.d_mlp, "d_vocab": 1 + len(symbols),
        "d_vocab_out": 2, "n_ctx": args.n_ctx, "act_fn": "gelu_new", "normalization_type": "LN", "eps": 1e-5,
        "attn_only": False, "positional_embedding_type": "standard", "attention_dir": "causal",
        "use_attn_scale": True, "attn_scale": float(np.sqrt(args.d_model // args.heads)),
        "n_key_value_heads": None, "gated_mlp": False, "parallel_attn_mlp": False, "final_rms": False,
        "post_embedding_ln": False, "use_normalization_before_and_after": False, "use_qk_norm": False,
        "use_local_attn": False, "scale_attn_by_inverse_layer_idx": False, "attn_scores_soft_cap": -1.0,
        "output_logits_soft_cap": -1.0, "num_experts": None, "rotary_dim": None, "seed": args.seed,
        "dtype": "torch.float32", "default_prepend_bos": True,
        # the vocabulary and the output classes (tcverify's additions, docs/trained.md)
        "tokens": [BOS] + list(symbols), "bos_token": BOS, "output_labels": [False, True],
    }
    tokens, labels = dataset(args.task, args.train_len)
    tokens_j, labels_j = jnp.asarray(tokens), jnp.asarray(labels)
    positive = float(labels.mean())
    weights = jnp.where(labels_j == 1, 0.5 / positive, 0.5 / (1 - positive))  # balance the two classes

    def loss_fn(params):
        logits = forward(params, tokens_j, cfg)[:, 1:]
        logp = jax.nn.log_softmax(logits, axis=-1)
        nll = -jnp.take_along_axis(logp, labels_j[..., None], axis=-1)[..., 0]
        return (nll * weights).mean()

    params = init_params(jax.random.PRNGKey(args.seed), cfg)
    schedule = optax.cosine_decay_schedule(args.lr, args.steps, alpha=0.05)
    optimizer = optax.adamw(schedule, weight_decay=args.weight_decay)
    state = optimizer.init(params)

    @jax.jit
    def step(params, state):
        loss, grads = jax.value_and_grad(loss_fn)(params)
        updates, state = optimizer.update(grads, state, params)
        return optax.apply_updates(params, updates), state, loss

    start = time.time()
    for i in range(args.steps):
        params, state, loss = step(params, state)
        if i % 500 == 0 or i == args.steps - 1:
            print(f"step {i:5d}  loss {float(loss):.6f}  {time.time() - start:.1f} s", flush=True)
    accuracy = accuracy_by_length(params, cfg, args.task, args.check_len)
    for n, acc in accuracy.items():
        print(f"length {n:2d}: float32 exact-string accuracy {acc:.6f}")

    os.makedirs(args.out, exist_ok=True)
    save_file({k: np.asarray(v, dtype=np.float32) for k, v in params.items()}, os.path.join(args.out, "model.safetensors"))
    with open(os.path.join(args.out, "config.json"), "w") as handle:
        json.dump(cfg, handle, indent=1)
    with open(os.path.join(args.out, "README.md"), "w") as handle:
        handle.write(
            f"# {cfg['model_name']}\n\nTrained by `tools/train_transformer.py "
            f"--task {args.task} --layers {args.layers} --d-model {args.d_model} --heads {args.heads} "
            f"--d-mlp {args.d_mlp} --n-ctx {args.n_ctx} --train-len {args.train_len} --steps {args.steps} "
            f"--lr {args.lr} --weight-decay {args.weight_decay} --seed {args.seed}` "
            f"({time.time() - start:.0f} s wall clock on CPU, JAX {jax.__version__}): every string of length "
            f"{args.train_len} over {list(symbols)}, after `{BOS}`, labelled at every position by `{args.task}` of the prefix.\n\n"
            "float32 accuracy (every prefix bit right) per length, all strings:\n\n"
            "| length | accuracy |\n| ---: | ---: |\n"
            + "".join(f"| {n} | {acc:.6f} |\n" for n, acc in accuracy.items()))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
