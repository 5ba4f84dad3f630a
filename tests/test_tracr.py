"""Tracr import (issue 9): the imported models reproduce the compiled models'
io.json outputs at a high precision, the exact evaluator, the batch evaluator,
the IR and the CNF with the input fixed agree on every string of small lengths,
and a bad export is a one-line user error naming the file and key."""

import itertools
import json
import os
import shutil
import subprocess
import sys
from fractions import Fraction

import numpy as np
import pytest
from conftest import CASES
from pysat.formula import IDPool
from pysat.solvers import Solver
from tcverify.kinds.case import load_model
from tcverify.kinds.transformer.tracr import _scaled_index
from tcverify.encodings.cnf import encode
from tcverify.errors import UserError
from tcverify.core.ir import GateCircuit
from tcverify.kinds.transformer.lower import lower_transformer
from tcverify import kinds
from tcverify.kinds.transformer import evaluate as transformer_evaluate
from tcverify.kinds.transformer import sequence
from tcverify.kinds import run_batch
from tcverify.core.number_format import FloatFormat, NumberFormat

MODELS = os.path.join(CASES, "tracr", "models")
NAMES = ("shuffle_dyck1_len8", "detect_pattern_aba_len8", "frac_prevs_x_len8", "length_len8", "hist_len8")
HIGH = {"int_bits": 12, "frac_bits": 24}


def config(name):
    with open(os.path.join(MODELS, name, "config.json")) as handle:
        return json.load(handle)


def records(name):
    with open(os.path.join(MODELS, name, "io.json")) as handle:
        return json.load(handle)["records"]


def alphabet_of(name):
    return tuple(config(name)["compile_args"]["vocab"])


def readout_of(name):
    """One bit per class for a categorical model; y > 0.3 for the numerical one."""
    return {"threshold": "0.3"} if config(name)["output"]["kind"] == "numerical" else "classes"


def load(name, number_format=HIGH, readout=None, folder=None, warn=None, **extra):
    body = {"tracr": folder or os.path.join(MODELS, name), "number_format": number_format,
            "readout": readout if readout is not None else readout_of(name), **extra}
    return load_model({"transformer": body}, os.path.join(CASES, "x.yaml"), "left", alphabet_of(name), "every",
                      warn or (lambda message: None))


def decoded(model, scores):
    """The compiled model's decoding of exact readout scores: the first argmax's value, or y."""
    if model.readout.kind == "argmax":
        return [row.index(max(row)) for row in scores]
    den = model.number_format.scale * model.param_format.scale
    return [(s[0] - model.readout.bias[0] * model.number_format.scale) / den for s in scores]


@pytest.mark.parametrize("name", NAMES)
def test_io_json_reproduced_at_high_precision(name):
    """Every record: the batch evaluator's bits against the compiled model's outputs, position by
    position (bits per class, or y > 0.3); every 25th record also by the exact evaluator's scores
    (the class, or y within 1e-5)."""
    model = load(name)
    out = config(name)["output"]
    alphabet = alphabet_of(name)
    by_length = {}
    for record in records(name):
        by_length.setdefault(len(record["input"]), []).append(record)
    for n, group in by_length.items():
        words = np.array([[alphabet.index(a) for a in r["input"]] for r in group]).reshape(len(group), n)
        got = run_batch(model, words, alphabet, "every")
        for record, bits in zip(group, got):
            if out["kind"] == "numerical":
                want = [int(y > 0.3) for y in record["model"]]
            else:
                values = out["index_to_value"]
                want = [int(type(v) is type(y) and v == y) for y in record["model"] for v in values]
            assert bits.tolist() == want, record["input"]
    for record in records(name)[::25]:
        run = transformer_evaluate.forward(model, list(record["input"]), "every")
        got = decoded(model, run["scores"])
        if out["kind"] == "numerical":
            assert np.allclose(got, record["model"], atol=1e-5), record
        else:
            assert [out["index_to_value"][c] for c in got] == record["model"], record


@pytest.mark.parametrize("name", NAMES)
def test_evaluators_and_lowering_agree_on_all_short_strings(name):
    """Exact evaluator, batch evaluator and IR on every string of length <= 3 at a low
    precision (where the models do break), and the CNF with one input fixed."""
    model = load(name, number_format={"int_bits": 6, "frac_bits": 4})
    alphabet = alphabet_of(name)
    for n in range(1, 4):
        words = np.array(list(itertools.product(range(len(alphabet)), repeat=n)))
        batch = run_batch(model, words, alphabet, "every")
        exact = [kinds.run(model, [alphabet[i] for i in w], alphabet, "every") for w in words]
        assert batch.tolist() == exact
        circuit = GateCircuit(n, alphabet)
        roots = lower_transformer(model, circuit, "every")
        onehot = np.eye(len(alphabet), dtype=np.int8)[words]
        assert circuit.evaluate(onehot, roots).astype(int).tolist() == exact
    word, want = words[-1], exact[-1]  # the CNF with this input fixed is satisfiable and gives its bits
    pool = IDPool()
    encoding = encode(circuit, roots + [circuit.input(i, a) for i in range(n) for a in alphabet], pool)
    fixed = [encoding.lit(circuit.input(i, a)) * (1 if alphabet[word[i]] == a else -1) for i in range(n) for a in alphabet]
    with Solver(name="cadical195", bootstrap_with=encoding.clauses) as solver:
        assert solver.solve(assumptions=fixed)
        values = set(solver.get_model())
        assert [int(encoding.lit(r) in values) for r in roots] == want


def test_one_bit_readout_and_precision_matters():
    """`accept` gives one bit per position; at 4 fractional bits Shuffle-Dyck-1 breaks, at 24 it
    matches the compiled model on every string of length 4."""
    alphabet = ("(", ")")
    words = np.array(list(itertools.product(range(2), repeat=4)))
    want = [[int(r["model"][-1])] for r in records("shuffle_dyck1_len8") if len(r["input"]) == 4]
    high = load("shuffle_dyck1_len8", readout={"accept": [True]})
    assert run_batch(high, words, alphabet, "every")[:, -1:].tolist() == want
    low = load("shuffle_dyck1_len8", number_format={"int_bits": 8, "frac_bits": 2}, readout={"accept": [True]})
    assert run_batch(low, words, alphabet, "every")[:, -1:].tolist() != want


def test_scaled_query_weights_are_rounded_once_from_the_exact_value():
    fmt = NumberFormat(12, 8)
    for value in (100.0, -100.0, 50.0, 1.0, -3.0, 0.0078125):
        for key_size in (2, 3, 10, 11):
            k, exact, change = _scaled_index(value, key_size, fmt)
            target = value / key_size ** 0.5 * fmt.scale
            assert exact is None and abs(k - target) <= 0.5 and abs(float(change) - abs(k - target) / fmt.scale) < 1e-12
        for rounding, expect in (("floor", np.floor), ("truncate", np.trunc)):
            k, _, _ = _scaled_index(value, 11, NumberFormat(12, 8, rounding))
            assert k == int(expect(value / 11 ** 0.5 * 256))
    assert _scaled_index(100.0, 4, fmt)[0] == 50 * 256  # a square key size: exact


def test_rounding_warning_names_the_scale():
    warnings = []
    load("length_len8", number_format={"int_bits": 8, "frac_bits": 2}, warn=warnings.append)
    assert len(warnings) == 1 and "parameter(s)" in warnings[0] and "length_len8" in warnings[0]
    warnings = []
    load("detect_pattern_aba_len8", warn=warnings.append)  # key_size 10: 1/sqrt(10) is irrational
    assert len(warnings) == 1 and "1/sqrt(key_size)" in warnings[0] and "query/w" in warnings[0]
    with pytest.raises(UserError, match="irrational"):
        load("detect_pattern_aba_len8", strict_params=True)


def test_dead_parts_are_left_out_exactly():
    """Heads, hidden units and blocks that add exactly 0 are dropped (the io.json test shows the
    result is still the compiled model)."""
    model = load("shuffle_dyck1_len8")
    mlp_widths = [len(b.w1) for b in model.blocks if hasattr(b, "w1")]
    assert len(model.blocks) < 12 and max(mlp_widths) < config("shuffle_dyck1_len8")["mlp_hidden_size"]


# -- bad exports --------------------------------------------------------------------


@pytest.fixture
def export(tmp_path):
    """A writable copy of the length model."""
    folder = tmp_path / "export"
    shutil.copytree(os.path.join(MODELS, "length_len8"), folder)
    return folder


def rewrite_params(folder, change):
    arrays = dict(np.load(folder / "params.npz"))
    change(arrays)
    np.savez(folder / "params.npz", **arrays)


def rewrite_config(folder, change):
    data = json.loads((folder / "config.json").read_text())
    change(data)
    (folder / "config.json").write_text(json.dumps(data))


def fails(words, name="length_len8", **options):
    with pytest.raises(UserError) as info:
        load(name, **options)
    message = str(info.value)
    assert "\n" not in message
    for word in words:
        assert word in message, message


def test_bad_exports_are_one_line_errors(export):
    fails(["does not exist", "left.transformer.tracr"], folder=str(export / "missing"))
    os.remove(export / "io.json")
    (export / "config.json").rename(export / "other.json")
    fails(["no config.json", "left.transformer.tracr"], folder=str(export))
    (export / "other.json").rename(export / "config.json")
    rewrite_params(export, lambda a: a.pop("unembed/w"))
    fails(["params.npz", "unembed/w", "no array"], folder=str(export))
    rewrite_params(export, lambda a: a.update({"unembed/w": np.zeros((23, 9)),
                                               "transformer/layer_0/attn/query/w": np.zeros((22, 4))}))
    fails(["params.npz", "transformer/layer_0/attn/query/w", "shape 22 x 4, but must be 23 x 4"], folder=str(export))
    rewrite_params(export, lambda a: a.update({"transformer/layer_0/attn/query/w": np.zeros((23, 4))}))
    rewrite_config(export, lambda c: c.update(layer_norm=True))
    fails(["config.json", "layer_norm", "not supported"], folder=str(export))
    rewrite_config(export, lambda c: (c.update(layer_norm=False), c.pop("num_heads")))
    fails(["config.json", "num_heads", "missing"], folder=str(export))


def test_bad_case_keys_are_one_line_errors():
    with pytest.raises(UserError, match=r"alphabet.*'c' is not a token.*'a', 'b'"):
        load_model({"transformer": {"tracr": os.path.join(MODELS, "length_len8"), "number_format": HIGH,
                                    "readout": "classes"}}, os.path.join(CASES, "x.yaml"), "left", ("a", "c"), "every",
                   lambda message: None)
    fails(["readout.accept[0]", "not an output value"], readout={"accept": [9]})
    fails(["readout.accept[0]", "not an output value"], readout={"accept": [True]})  # true is not the class 1
    fails(["readout.threshold", "classes or {accept"], readout={"threshold": 1})
    fails(["readout", "{threshold: t}"], name="frac_prevs_x_len8", readout="classes")
    fails(["left.transformer.colour", "unknown key"], colour=1)
    with pytest.raises(UserError, match=r"left.transformer.tracr .*max_seq_len.*9 rows, but length 9 needs 10"):
        sequence.positional_rows(load("length_len8"), 9)


def test_cli_runs_an_imported_model(tmp_path):
    """From the command line: a case on the shipped Shuffle-Dyck export proves at length <= 2."""
    case = tmp_path / "case.yaml"
    folder = os.path.join(MODELS, "shuffle_dyck1_len8")
    case.write_text(f"""tcverify: 1
alphabet: ["(", ")"]
lengths: {{min: 1, max: 2}}
left:
  transformer: {{tracr: {json.dumps(folder)}, number_format: {{int_bits: 8, frac_bits: 8}}, readout: {{accept: [true]}}}}
right:
  circuit: {{builtin: dyck1, open: "(", close: ")"}}
""")
    tool = os.path.join(os.path.dirname(sys.executable), "tcverify")
    result = subprocess.run([tool, "prove", str(case)], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "equivalent" in result.stdout


def test_compile_refuses_a_netlist_of_class_bits(tmp_path):
    """A netlist holds one output per position: `compile -o` of a `classes` readout is a user error."""
    from click.testing import CliRunner
    from tcverify.commands.cli import main

    case = os.path.join(CASES, "tracr", "length-f3-vs-f24.yaml")
    run = CliRunner().invoke(main, ["compile", case, "--length", "2", "-o", str(tmp_path / "n.json")])
    assert run.exit_code == 2 and "left.transformer.readout" in run.output and "one bit per class" in run.output


@pytest.mark.parametrize("name", NAMES)
def test_float_formats(name):
    """Tracr exports in float formats (spec 2.1): at 24 significant bits the batch
    evaluator reproduces the compiled model on every record of length <= 4; at
    paper_float 10 the exact and batch evaluators agree on every string of length <= 3."""
    fine = load(name, number_format={"significand_bits": 24, "exponent_min": -40, "exponent_max": 16})
    out = config(name)["output"]
    alphabet = alphabet_of(name)
    for record in [r for r in records(name) if len(r["input"]) <= 4][::5]:
        bits = run_batch(fine, np.array([[alphabet.index(a) for a in record["input"]]]), alphabet, "every")[0]
        if out["kind"] == "numerical":
            want = [int(y > 0.3) for y in record["model"]]
        else:
            want = [int(type(v) is type(y) and v == y) for y in record["model"] for v in out["index_to_value"]]
        assert bits.tolist() == want, record["input"]
    coarse = load(name, number_format={"paper_float": 10})
    for n in range(1, 4):
        words = np.array(list(itertools.product(range(len(alphabet)), repeat=n)))
        exact = [kinds.run(coarse, [alphabet[i] for i in w], alphabet, "every") for w in words]
        assert run_batch(coarse, words, alphabet, "every").tolist() == exact


def test_scaled_query_weights_in_a_float_format():
    """R(value / sqrt(key_size)) in a float format, from the exact value (never a tie)."""
    from decimal import Decimal, localcontext
    for fmt in (FloatFormat(3, -8, 7, mode) for mode in ("nearest_even", "floor", "truncate")):
        for value in (100.0, -100.0, 5.0, -0.3, 0.0078125):
            for key_size in (2, 3, 10):
                k, exact, _ = _scaled_index(value, key_size, fmt)
                with localcontext() as ctx:
                    ctx.prec = 60
                    target = Fraction(Decimal(value) / Decimal(key_size).sqrt())
                assert exact is None and k == fmt.R(target), (fmt, value, key_size)
