"""TransformerLens import (issue 22): random HookedTransformer-layout models, written the
way docs/trained.md tells a user to (`model.cfg.to_dict()` as JSON, the state dict as
safetensors), load; the exact evaluator, the batch evaluator, the IR and the CNF with the
input fixed agree on every string of small lengths; at a high precision the imported
model reproduces an independent float64 forward pass (tests/transformerlens_reference.py);
the committed trained models do too; bad exports are one-line errors naming file and key."""

import itertools
import json
import math
import os
import random
import subprocess
import sys
from fractions import Fraction

import numpy as np
import pytest
from conftest import CASES
from pysat.formula import IDPool
from pysat.solvers import Solver
from safetensors.numpy import save_file
from transformerlens_reference import logits as reference_logits
from tcverify import kinds
from tcverify.core.ir import GateCircuit
from tcverify.core.number_format import NumberFormat
from tcverify.encodings.cnf import encode
from tcverify.errors import UserError
from tcverify.kinds.case import load_model
from tcverify.kinds.transformer import evaluate
from tcverify.kinds.transformer.transformerlens import _divided_k

ALPHABET = ("a", "b")
TOKENS = ["<bos>", "a", "b"]
MODELS = os.path.join(CASES, "trained", "models")

# `HookedTransformerConfig(...).to_dict()` of TransformerLens (4cd36aa), dumped with
# json.dump(..., default=str) as docs/trained.md does: every field, at its default.
TL_DEFAULTS = {
    "n_layers": 1, "d_model": 4, "n_ctx": 8, "d_head": 2, "model_name": "custom", "n_heads": 2, "d_mlp": 4,
    "act_fn": "gelu_new", "d_vocab": 3, "eps": 1e-05, "use_attn_result": False, "use_attn_scale": True,
    "attn_scale": 1.4142135623730951, "use_split_qkv_input": False, "use_hook_mlp_in": False, "use_attn_in": False,
    "use_local_attn": False, "ungroup_grouped_query_attention": False, "original_architecture": None,
    "from_checkpoint": False, "checkpoint_index": None, "checkpoint_label_type": None, "checkpoint_value": None,
    "tokenizer_name": None, "window_size": None, "attn_types": None, "init_mode": "gpt2",
    "normalization_type": "LN", "device": "cpu", "n_devices": 1, "attention_dir": "causal", "attn_only": False,
    "seed": None, "initializer_range": 0.4, "init_weights": True, "scale_attn_by_inverse_layer_idx": False,
    "positional_embedding_type": "standard", "final_rms": False, "d_vocab_out": 2, "parallel_attn_mlp": False,
    "rotary_dim": None, "n_params": 64, "use_hook_tokens": False, "gated_mlp": False, "default_prepend_bos": True,
    "dtype": "torch.float32", "tokenizer_prepends_bos": None, "n_key_value_heads": None, "post_embedding_ln": False,
    "rotary_base": 10000, "trust_remote_code": False, "rotary_adjacent_pairs": False, "load_in_4bit": False,
    "num_experts": None, "experts_per_token": None, "relative_attention_max_distance": None,
    "relative_attention_num_buckets": None, "decoder_start_token_id": None, "tie_word_embeddings": False,
    "use_normalization_before_and_after": False, "attn_scores_soft_cap": -1.0, "output_logits_soft_cap": -1.0,
    "use_NTK_by_parts_rope": False, "NTK_by_parts_low_freq_factor": 1.0, "NTK_by_parts_high_freq_factor": 4.0,
    "NTK_by_parts_factor": 8.0, "NTK_original_ctx_len": 8192, "use_yarn_rope": False, "yarn_factor": 1.0,
    "yarn_attention_factor": 1.0, "yarn_beta_fast": 32.0, "yarn_beta_slow": 1.0,
    "yarn_original_max_position_embeddings": 4096, "use_qk_norm": False, "rotary_base_local": None,
    "rotary_scaling_factor": 1.0, "norm_topk_prob": False, "uses_rms_norm": False, "layer_norm_folding": False,
}


def random_export(folder, seed, *, n_layers=1, d_model=4, n_heads=2, d_head=2, d_mlp=4, norm="LN", act="gelu_new",
                  direction="causal", n_ctx=8, vocab_out=2, attn_only=False, weights="safetensors", **config):
    """A random HookedTransformer written as docs/trained.md writes one; returns (config, params)."""
    rng = np.random.default_rng(seed)
    cfg = dict(TL_DEFAULTS, n_layers=n_layers, d_model=d_model, n_heads=n_heads, d_head=d_head,
               d_mlp=d_mlp, normalization_type=norm, act_fn=act, attention_dir=direction, n_ctx=n_ctx,
               d_vocab_out=vocab_out, attn_only=attn_only, attn_scale=math.sqrt(d_head))
    cfg.update(tokens=TOKENS, bos_token="<bos>", output_labels=[False, True, "other"][:vocab_out])
    cfg.update(config)

    def normal(*shape, scale=0.8):
        return (scale * rng.standard_normal(shape)).astype(np.float32)

    p = {"embed.W_E": normal(3, d_model), "pos_embed.W_pos": normal(n_ctx, d_model)}
    lns = []
    for layer in range(n_layers):
        b = f"blocks.{layer}."
        p.update({b + "attn.W_Q": normal(n_heads, d_model, d_head), b + "attn.b_Q": normal(n_heads, d_head, scale=0.3),
                  b + "attn.W_K": normal(n_heads, d_model, d_head), b + "attn.b_K": normal(n_heads, d_head, scale=0.3),
                  b + "attn.W_V": normal(n_heads, d_model, d_head), b + "attn.b_V": normal(n_heads, d_head, scale=0.3),
                  b + "attn.W_O": normal(n_heads, d_head, d_model), b + "attn.b_O": normal(d_model, scale=0.3),
                  b + "attn.IGNORE": np.array(-np.inf, dtype=np.float32)})  # a buffer of the state dict
        lns.append(b + "ln1")
        if not attn_only:
            p.update({b + "mlp.W_in": normal(d_model, d_mlp), b + "mlp.b_in": normal(d_mlp, scale=0.3),
                      b + "mlp.W_out": normal(d_mlp, d_model), b + "mlp.b_out": normal(d_model, scale=0.3)})
            lns.append(b + "ln2")
    if norm == "LN":
        for name in lns + ["ln_final"]:
            p[name + ".w"] = (1 + normal(d_model, scale=0.3)).astype(np.float32)
            p[name + ".b"] = normal(d_model, scale=0.3)
    p.update({"unembed.W_U": normal(d_model, vocab_out), "unembed.b_U": normal(vocab_out, scale=0.3)})
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "config.json"), "w") as handle:
        json.dump(cfg, handle, indent=1, default=str)
    if weights == "safetensors":
        save_file(p, os.path.join(folder, "model.safetensors"))
    else:
        np.savez(os.path.join(folder, "model.npz"), **p)
    return cfg, p


def load(folder, number_format, readout=None, outputs="every", warn=None, **extra):
    body = {"transformerlens": str(folder), "number_format": number_format,
            "readout": readout if readout is not None else {"accept": [True]}, **extra}
    return load_model({"transformer": body}, os.path.join(os.path.dirname(str(folder)), "case.yaml"), "left",
                      ALPHABET, outputs, warn or (lambda message: None))


def all_words(n):
    return np.array(list(itertools.product(range(len(ALPHABET)), repeat=n)), dtype=np.int64).reshape(-1, n)


def assert_evaluators_agree(model, outputs, lengths):
    """The exact and the batch evaluator on every string of each length."""
    for n in lengths:
        words = all_words(n)
        exact = [kinds.run(model, [ALPHABET[i] for i in w], ALPHABET, outputs) for w in words]
        assert kinds.run_batch(model, words, ALPHABET, outputs).tolist() == exact, n


def assert_lowering_agrees(model, outputs, lengths):
    """The IR on every string of each length, and the CNF with the last string fixed, against
    the exact evaluator."""
    for n in lengths:
        words = all_words(n)
        exact = [kinds.run(model, [ALPHABET[i] for i in w], ALPHABET, outputs) for w in words]
        circuit = GateCircuit(n, ALPHABET)
        roots = kinds.lower_model(model, circuit, outputs)
        onehot = np.eye(len(ALPHABET), dtype=np.int8)[words]
        assert circuit.evaluate(onehot, roots).astype(int).tolist() == exact, n
    word, want = words[-1], exact[-1]
    pool = IDPool()
    encoding = encode(circuit, roots + [circuit.input(i, a) for i in range(n) for a in ALPHABET], pool)
    fixed = [encoding.lit(circuit.input(i, a)) * (1 if ALPHABET[word[i]] == a else -1) for i in range(n) for a in ALPHABET]
    with Solver(name="cadical195", bootstrap_with=encoding.clauses) as solver:
        assert solver.solve(assumptions=fixed)
        true = set(solver.get_model())
        assert [int(encoding.lit(r) in true) for r in roots] == want


SETTINGS = [  # (seed, export options, outputs, number format)
    (1, {}, "every", {"int_bits": 4, "frac_bits": 4}),
    (2, {"norm": "LNPre", "act": "gelu"}, "last", {"int_bits": 4, "frac_bits": 5}),
    (3, {"norm": None, "act": "relu", "d_head": 3, "direction": "bidirectional"}, "every", {"int_bits": 4, "frac_bits": 4}),
    (4, {"n_layers": 2, "d_head": 3, "vocab_out": 3}, "last", {"int_bits": 3, "frac_bits": 3, "rounding": "floor"}),
    (5, {"attn_only": True, "d_mlp": None}, "every", {"int_bits": 4, "frac_bits": 4}),
    (6, {"use_attn_scale": False, "weights": "npz"}, "every", {"int_bits": 4, "frac_bits": 3}),
    (7, {"act": "gelu"}, "every", {"significand_bits": 4, "exponent_min": -9, "exponent_max": 5}),
    (8, {"norm": "LNPre", "n_layers": 2}, "last", {"paper_float": 8}),
]


def setting_model(tmp_path, seed, options, outputs, number_format):
    random_export(tmp_path / "model", seed, **options)
    readout = "classes" if options.get("vocab_out") == 3 else {"accept": [True]}
    return load(tmp_path / "model", number_format, readout, outputs)


@pytest.mark.parametrize("seed,options,outputs,number_format", SETTINGS, ids=[str(s[0]) for s in SETTINGS])
def test_exact_and_batch_evaluators_agree_on_all_short_strings(tmp_path, seed, options, outputs, number_format):
    assert_evaluators_agree(setting_model(tmp_path, seed, options, outputs, number_format), outputs, range(1, 6))


@pytest.mark.parametrize("seed,options,outputs,number_format", SETTINGS, ids=[str(s[0]) for s in SETTINGS])
def test_lowering_agrees_on_all_short_strings(tmp_path, seed, options, outputs, number_format):
    assert_lowering_agrees(setting_model(tmp_path, seed, options, outputs, number_format), outputs, range(1, 5))


def readout_logits(model, word):
    """The exact readout values (class scores) of the imported model at every position of w."""
    run = evaluate.forward(model, list(word), "every")
    den = model.number_format.scale * model.param_format.scale
    return np.array([[float(Fraction(s, den)) for s in row] for row in run["scores"]])


FINE_FLOAT = {"significand_bits": 30, "exponent_min": -50, "exponent_max": 10}


@pytest.mark.parametrize("seed,options,number_format", [
    (11, {}, {"int_bits": 10, "frac_bits": 30}),
    (12, {"norm": "LNPre", "act": "gelu", "d_head": 3}, {"int_bits": 10, "frac_bits": 30}),
    (13, {"n_layers": 2, "act": "relu", "direction": "bidirectional"}, {"int_bits": 10, "frac_bits": 30}),
    (14, {"d_head": 3}, FINE_FLOAT),
    (15, {"n_layers": 2, "act": "gelu"}, FINE_FLOAT)])
def test_high_precision_reproduces_the_float64_forward_pass(tmp_path, seed, options, number_format):
    """At I = 10, F = 30, and with 30-bit significands, every logit is within 1e-6 of
    TransformerLens's float64 forward pass (written independently in
    transformerlens_reference.py), so the argmax agrees wherever the float64 margin is wider."""
    cfg, params = random_export(tmp_path / "model", seed, **options)
    model = load(tmp_path / "model", number_format)
    worst = 0.0
    for n in range(1, 6):
        for word in itertools.product(ALPHABET, repeat=n):
            want = reference_logits(cfg, params, [0] + [TOKENS.index(s) for s in word])[1:]
            got = readout_logits(model, word)
            worst = max(worst, float(np.abs(got - want).max()))
            margin = np.abs(want[:, 1] - want[:, 0])
            bits = kinds.run(model, list(word), ALPHABET, "every")
            sure = margin > 1e-4
            assert (np.array(bits)[sure] == (want[:, 1] > want[:, 0])[sure]).all(), word
    assert worst < 1e-6, worst


def test_low_precision_differs_from_the_float64_forward_pass(tmp_path):
    """The semantics are the format's, not float64's: at 2 fraction bits some logit is off by more
    than 0.05 (so the test above could fail)."""
    cfg, params = random_export(tmp_path / "model", 11)
    model = load(tmp_path / "model", {"int_bits": 4, "frac_bits": 2})
    worst = max(float(np.abs(readout_logits(model, w)
                             - reference_logits(cfg, params, [0] + [TOKENS.index(s) for s in w])[1:]).max())
                for w in itertools.product(ALPHABET, repeat=4))
    assert worst > 0.05


def test_safetensors_and_npz_load_alike(tmp_path):
    random_export(tmp_path / "st", 21)
    random_export(tmp_path / "np", 21, weights="npz")
    fmt = {"int_bits": 4, "frac_bits": 6}
    a, b = load(tmp_path / "st", fmt), load(tmp_path / "np", fmt)
    assert (a.blocks, a.embedding, a.readout, a.positional.table) == (b.blocks, b.embedding, b.readout, b.positional.table)


# -- the query scale ------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", [NumberFormat(8, 8), NumberFormat(8, 8, "floor"), NumberFormat(8, 8, "truncate"),
                                 NumberFormat(2, 6)], ids=str)
def test_query_scale_rounds_once_from_the_exact_quotient(fmt):
    """R(w / sqrt(d)) for a non-square d: the quotient's grid index lies within a step of
    the float64 quotient (the right side of it by the rounding mode), saturating where it must."""
    rng = random.Random(3)
    for _ in range(200):
        w = Fraction(rng.uniform(-8, 8)).limit_denominator(1 << 20)
        for d in (2, 3, 8, 12):
            k, change = _divided_k(w, d, fmt)
            q = float(w) / math.sqrt(d) * fmt.scale
            want = {"nearest_even": round(q), "floor": math.floor(q), "truncate": math.trunc(q)}[fmt.rounding]
            want = min(max(want, fmt.kmin), fmt.kmax)
            assert k == want, (w, d)
            assert abs(float(change) - abs(k / fmt.scale - q / fmt.scale)) < 1e-9
    assert _divided_k(Fraction(0), 8, fmt) == (0, 0)


def test_query_scale_in_the_model(tmp_path):
    """The imported query weights are R(W_Q / sqrt(d_head)); a square d_head divides exactly."""
    _, params = random_export(tmp_path / "m3", 31, d_head=3)
    fmt = NumberFormat(6, 10)
    model = load(tmp_path / "m3", {"int_bits": 6, "frac_bits": 10})
    head = model.blocks[0].heads[1]
    w = params["blocks.0.attn.W_Q"][1]  # [d_model, d_head]
    assert head.wq == tuple(tuple(_divided_k(Fraction(float(w[i, j])), 3, fmt)[0] for i in range(4)) for j in range(3))
    _, params = random_export(tmp_path / "m4", 31, d_head=4)
    model = load(tmp_path / "m4", {"int_bits": 6, "frac_bits": 10})
    w = params["blocks.0.attn.W_Q"][0]
    assert model.blocks[0].heads[0].wq[1][2] == fmt.R(Fraction(float(w[2, 1])) / 2)


# -- the committed trained models ---------------------------------------------------------------


def trained(name):
    folder = os.path.join(MODELS, name)
    with open(os.path.join(folder, "config.json")) as handle:
        cfg = json.load(handle)
    from safetensors.numpy import load_file
    return folder, cfg, load_file(os.path.join(folder, "model.safetensors"))


@pytest.mark.parametrize("name", ["dyck1_l2", "majority_l1"])
def test_trained_models_match_their_float64_forward_pass(name):
    """At I = 8, F = 24 the batch evaluator's bits are the float64 forward pass's argmax on every
    string of length <= 7 (the trained models' margins are wide)."""
    folder, cfg, params = trained(name)
    symbols = tuple(cfg["tokens"][1:])
    body = {"transformerlens": folder, "number_format": {"int_bits": 8, "frac_bits": 24}, "readout": {"accept": [True]}}
    model = load_model({"transformer": body}, os.path.join(CASES, "x.yaml"), "left", symbols, "every", lambda m: None)
    for n in range(1, 8):
        words = np.array(list(itertools.product(range(2), repeat=n))).reshape(-1, n)
        got = kinds.run_batch(model, words, symbols, "every")
        want = [reference_logits(cfg, params, [0] + [1 + s for s in w])[1:].argmax(-1).tolist() for w in words]
        assert got.tolist() == want, n


# -- bad exports ------------------------------------------------------------------------------


def expect_error(tmp_path, match, key=None, edit=None, files=None, **options):
    folder = tmp_path / f"bad{len(os.listdir(tmp_path))}"
    cfg, params = random_export(folder, 41, **options)
    if edit:
        edit(cfg, params)
        with open(folder / "config.json", "w") as handle:
            json.dump(cfg, handle)
        save_file(params, str(folder / "model.safetensors"))
    if files:
        files(folder)
    with pytest.raises(UserError, match=match) as info:
        load(folder, {"int_bits": 4, "frac_bits": 4})
    message = str(info.value)
    assert "\n" not in message
    if key is not None:
        assert key in message, message
    return message


@pytest.mark.parametrize("field,value,match", [
    ("positional_embedding_type", "rotary", "positional_embedding_type 'rotary' is not supported"),
    ("positional_embedding_type", "shortformer", "not supported"),
    ("normalization_type", "RMS", "normalization_type 'RMS' is not supported"),
    ("n_key_value_heads", 1, "n_key_value_heads = 1 is not supported"),
    ("gated_mlp", True, "gated_mlp = true is not supported"),
    ("parallel_attn_mlp", True, "not supported"),
    ("final_rms", True, "not supported"),
    ("use_qk_norm", True, "not supported"),
    ("use_local_attn", True, "not supported"),
    ("scale_attn_by_inverse_layer_idx", True, "not supported"),
    ("attn_scores_soft_cap", 50.0, "attn_scores_soft_cap = 50.0 is not supported"),
    ("output_logits_soft_cap", 30.0, "not supported"),
    ("num_experts", 4, "not supported"),
    ("original_architecture", "Olmo2ForCausalLM", "places its norms differently"),
    ("act_fn", "silu", "act_fn 'silu' is not supported"),
    ("attention_dir", "sideways", "attention_dir must be causal or bidirectional"),
    ("eps", -1.0, "eps must be >= 0"),
    ("eps", "small", "expected an integer or a number"),
    ("n_layers", 1.5, "expected an integer"),
    ("use_attn_scale", "yes", "expected true or false"),
    ("attn_scale", -2.0, "attn_scale must be positive"),
    ("some_new_field", True, "'some_new_field' is not a HookedTransformerConfig field tcverify knows"),
    ("tokens", ["<bos>", "a"], "expected d_vocab = 3 distinct strings"),
    ("bos_token", "<s>", "the bos_token '<s>' is not one of the tokens"),
    ("output_labels", [True, True], "distinct labels"),
])
def test_unsupported_or_bad_config_is_a_one_line_error_naming_the_key(tmp_path, field, value, match):
    message = expect_error(tmp_path, match, edit=lambda cfg, params: cfg.update({field: value}))
    assert f"config.json: {field}:" in message or f"config.json, {field}" in message or field in message, message


def test_attn_only_with_mlp_weights_names_attn_only(tmp_path):
    expect_error(tmp_path, "attn_only is true but the weights have 'blocks.0.mlp", "attn_only",
                 edit=lambda cfg, params: cfg.update(attn_only=True))


def test_norm_weights_with_lnpre_name_normalization_type(tmp_path):
    expect_error(tmp_path, "normalization_type is \"LNPre\" but the weights have", "normalization_type",
                 edit=lambda cfg, params: cfg.update(normalization_type="LNPre"))


def test_weights_errors_name_the_array(tmp_path):
    expect_error(tmp_path, "the weights have no array 'blocks.0.attn.W_K'", "model.safetensors",
                 edit=lambda cfg, params: params.pop("blocks.0.attn.W_K"))
    expect_error(tmp_path, "the array has shape 2 x 4 x 3, but must be 2 x 4 x 2", "blocks.0.attn.W_V",
                 edit=lambda cfg, params: params.update({"blocks.0.attn.W_V": np.zeros((2, 4, 3), np.float32)}))
    expect_error(tmp_path, "not a parameter of the configured HookedTransformer", "blocks.0.attn.W_gate",
                 edit=lambda cfg, params: params.update({"blocks.0.attn.W_gate": np.zeros(2, np.float32)}))
    expect_error(tmp_path, "non-finite", "embed.W_E",
                 edit=lambda cfg, params: params["embed.W_E"].__setitem__((1, 1), np.nan))


def test_folder_errors(tmp_path):
    expect_error(tmp_path, "has neither model.safetensors and model.npz",
                 files=lambda folder: os.remove(folder / "model.safetensors"))
    expect_error(tmp_path, "has both model.safetensors and model.npz",
                 files=lambda folder: np.savez(folder / "model.npz", x=np.zeros(1)))
    expect_error(tmp_path, "cannot read the safetensors file", "model.safetensors",
                 files=lambda folder: (folder / "model.safetensors").write_bytes(b"\x10\x00\x00\x00garbage"))
    expect_error(tmp_path, "cannot read the JSON", "config.json",
                 files=lambda folder: (folder / "config.json").write_text("{not json"))
    with pytest.raises(UserError, match="does not exist"):
        load(tmp_path / "nowhere", {"int_bits": 4, "frac_bits": 4})


def test_case_errors_name_the_case_key(tmp_path):
    random_export(tmp_path / "m", 51)
    with pytest.raises(UserError, match="not an output label of the model"):
        load(tmp_path / "m", {"int_bits": 4, "frac_bits": 4}, readout={"accept": ["true"]})
    with pytest.raises(UserError, match="left.transformer.unknown: unknown key"):
        load(tmp_path / "m", {"int_bits": 4, "frac_bits": 4}, unknown=1)
    with pytest.raises(UserError, match="the symbol 'c' is not a token"):
        load_model({"transformer": {"transformerlens": str(tmp_path / "m"), "number_format": {"int_bits": 4, "frac_bits": 4},
                                    "readout": "classes"}}, str(tmp_path / "case.yaml"), "left", ("a", "c"), "every",
                   lambda m: None)


def test_cli_reports_a_bad_export_in_one_line_with_exit_2(tmp_path):
    cfg, _ = random_export(tmp_path / "m", 61)
    cfg["positional_embedding_type"] = "rotary"
    with open(tmp_path / "m" / "config.json", "w") as handle:
        json.dump(cfg, handle)
    case = tmp_path / "case.yaml"
    case.write_text("tcverify: 1\nalphabet: ['a', 'b']\nlengths: 3\nleft:\n  transformer: {transformerlens: m, "
                    "number_format: {int_bits: 4, frac_bits: 4}, readout: {accept: [true]}}\n"
                    "right: {circuit: {builtin: majority, symbol: 'b'}}\n")
    result = subprocess.run([sys.executable, "-m", "tcverify", "validate", str(case)], capture_output=True, text=True)
    assert result.returncode == 2
    lines = (result.stdout + result.stderr).strip().splitlines()
    assert len(lines) == 1 and "config.json" in lines[0] and "positional_embedding_type" in lines[0], lines
    assert "Traceback" not in result.stderr


def test_rounding_warning_names_the_query_scale(tmp_path):
    random_export(tmp_path / "m", 71, d_head=3, eps=2.0 ** -17)
    warnings = []
    load(tmp_path / "m", {"int_bits": 4, "frac_bits": 4}, warn=warnings.append)
    assert len(warnings) == 1 and "1/sqrt(3) folded into the query weights" in warnings[0]
    with pytest.raises(UserError, match=r"blocks.0.attn.W_Q\[0\]\[0\]\[0\]: the parameter .* / sqrt\(3\) is irrational"):
        load(tmp_path / "m", {"int_bits": 8, "frac_bits": 40}, strict_params=True)  # every float32 here is on the grid
    random_export(tmp_path / "e", 71)
    with pytest.raises(UserError, match=r"config.json: eps: the parameter .* \(= 1e-05\) is not exactly representable"):
        load(tmp_path / "e", {"int_bits": 8, "frac_bits": 40}, strict_params=True)
