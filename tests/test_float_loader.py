"""Loading float formats (spec 2.1) and layer norm (spec 3.3): the forms, the
defaults, parameters rounded by a float param_format's R, and every error as a
one-line UserError naming the key."""

import copy
import json
import os
from fractions import Fraction as Fr

import numpy as np
import pytest
import yaml
from click.testing import CliRunner
from conftest import CONFORMANCE_NEXT
from tcverify.commands.cli import main
from tcverify.core.models import Attention, LayerNorm, Mlp
from tcverify.core.number_format import FloatFormat, NumberFormat, paper_float
from tcverify.errors import UserError
from tcverify.kinds.case import check_case, load_case

BASE = {
    "tcverify": 1,
    "alphabet": ["0", "1"],
    "lengths": {"min": 1, "max": 3},
    "left": {"transformer": {
        "number_format": {"paper_float": 8},
        "d_model": 2,
        "embedding": {"0": [-1, 0], "1": [1, 0]},
        "blocks": [{"attention": {"heads": [{"type": "average", "wq": [[0, 0]], "wk": [[0, 0]], "wv": [[1, 0]],
                                             "wo": [[0], [1]]}]}}],
        "readout": {"weights": [0, 1], "bias": 0},
    }},
    "right": {"circuit": {"builtin": "majority", "symbol": "1"}},
}


def edit(change):
    data = copy.deepcopy(BASE)
    change(data)
    return data


def left(data):
    return data["left"]["transformer"]


def blocks(data):
    return left(data)["blocks"]


def load(tmp_path, data):
    path = tmp_path / "case.yaml"
    path.write_text(yaml.safe_dump(data))
    case = load_case(str(path), warn=lambda message: None)
    check_case(case)
    return case


def fails(tmp_path, data, *words):
    with pytest.raises(UserError) as info:
        load(tmp_path, data)
    message = str(info.value)
    assert "\n" not in message
    for word in words:
        assert word in message, message


def fmt_of(tmp_path, number_format, key="number_format"):
    return getattr(load(tmp_path, edit(lambda d: left(d).update({key: number_format}))).left, key)


# -- float formats -------------------------------------------------------------------


def test_float_format_forms(tmp_path):
    assert fmt_of(tmp_path, {"paper_float": 8}) == FloatFormat(3, -8, 7, "truncate") == paper_float(8)
    assert fmt_of(tmp_path, {"paper_float": 10, "rounding": "floor", "overflow": "saturate"}) == \
        FloatFormat(4, -16, 15, "floor")
    e4m3 = {"significand_bits": 4, "exponent_min": -9, "exponent_max": 5}
    assert fmt_of(tmp_path, e4m3) == FloatFormat(4, -9, 5, "nearest_even")  # nearest_even by default
    assert fmt_of(tmp_path, dict(e4m3, rounding="truncate")).rounding == "truncate"
    # P = 1 and exponent_min = 0 (integers): still represents 1
    assert fmt_of(tmp_path, {"significand_bits": 1, "exponent_min": 0, "exponent_max": 3}).kmax == 8
    # a float param_format beside a fixed number_format and the other way round
    case = load(tmp_path, edit(lambda d: left(d).update(param_format={"paper_float": 8})))
    assert case.left.param_format == paper_float(8) and case.left.number_format == paper_float(8)
    case = load(tmp_path, edit(lambda d: left(d).update(number_format={"int_bits": 4, "frac_bits": 4},
                                                        param_format={"paper_float": 6})))
    assert case.left.number_format == NumberFormat(4, 4) and case.left.param_format == paper_float(6)


@pytest.mark.parametrize("number_format, words", [
    ({"significand_bits": 3, "exponent_min": -4, "exponent_max": 3, "int_bits": 2}, ["number_format.int_bits", "float"]),
    ({"paper_float": 8, "frac_bits": 2}, ["number_format.frac_bits"]),
    ({"paper_float": 8, "overflow": "wrap"}, ["number_format.overflow", "saturate"]),
    ({"significand_bits": 3, "exponent_min": -4, "exponent_max": 3, "overflow": "wrap"}, ["number_format.overflow"]),
    ({"significand_bits": 3, "exponent_min": -4}, ["'exponent_max' is required"]),
    ({"exponent_min": -4, "exponent_max": 3}, ["'significand_bits' is required"]),
    ({"significand_bits": 0, "exponent_min": -4, "exponent_max": 3}, ["significand_bits", "at least 1"]),
    ({"significand_bits": 2.5, "exponent_min": -4, "exponent_max": 3}, ["significand_bits", "integer"]),
    ({"significand_bits": 3, "exponent_min": 2, "exponent_max": 1}, ["number_format.exponent_min", "above"]),
    ({"significand_bits": 3, "exponent_min": 1, "exponent_max": 4}, ["does not represent 1"]),
    ({"significand_bits": 2, "exponent_min": -6, "exponent_max": -2}, ["does not represent 1"]),
    ({"significand_bits": 3, "exponent_min": -4, "exponent_max": 3, "rounding": "up"}, ["number_format.rounding"]),
    ({"significand_bits": 3, "exponent_min": -4, "exponent_max": 3, "bias": 7}, ["unknown key 'bias'"]),
    ({"significand_bits": 65, "exponent_min": -4, "exponent_max": 3}, ["significand_bits", "64"]),
    ({"significand_bits": 8, "exponent_min": -10 ** 9, "exponent_max": 3}, ["spans", "narrower exponent range"]),
    ({"paper_float": 7}, ["paper_float", "even"]),
    ({"paper_float": 2}, ["paper_float", "at least 4"]),
    ({"paper_float": 10 ** 9}, ["paper_float", "spans"]),
    ({"paper_float": 8, "significand_bits": 3}, ["unknown key 'significand_bits'"]),
    ({"paper_float": 8, "exponent_min": -8}, ["unknown key 'exponent_min'"]),
])
def test_float_format_errors(tmp_path, number_format, words):
    fails(tmp_path, edit(lambda d: left(d).update(number_format=number_format)), *words)
    fails(tmp_path, edit(lambda d: left(d).update(param_format=number_format)),
          *[w.replace("number_format", "param_format") for w in words])


def test_exp_frac_bits_is_an_error_with_floats_only(tmp_path):
    def softmax(d, **extra):
        blocks(d)[0]["attention"]["heads"][0].update(type="softmax", **extra)
    fails(tmp_path, edit(lambda d: softmax(d, exp_frac_bits=4)), "heads[0].exp_frac_bits", "float number_format")
    head = load(tmp_path, edit(softmax)).left.blocks[0].heads[0]
    assert head.exp_frac_bits == 8  # the weights' grid is the format's own 2^-F
    fixed = edit(lambda d: (softmax(d, exp_frac_bits=3), left(d).update(number_format={"int_bits": 2, "frac_bits": 2},
                                                                         param_format={"paper_float": 8})))
    assert load(tmp_path, fixed).left.blocks[0].heads[0].exp_frac_bits == 3


def test_parameters_are_rounded_by_a_float_param_format(tmp_path):
    warnings = []
    data = edit(lambda d: left(d).update(number_format={"int_bits": 4, "frac_bits": 6}, param_format={"paper_float": 8},
                                         embedding={"0": ["-0.5625", "0.015625"], "1": [1000, "1/3"]}))
    path = tmp_path / "case.yaml"
    path.write_text(yaml.safe_dump(data))
    model = load_case(str(path), warn=warnings.append).left
    value = model.param_format.value
    # 3 significant bits, truncated: -9/16 -> -1/2; 1/64 exact; 1000 -> MAX = 7 * 2^7; 1/3 -> 5/16
    assert [value(k) for k in model.embedding["0"]] == [Fr(-1, 2), Fr(1, 64)]
    assert [value(k) for k in model.embedding["1"]] == [Fr(896), Fr(5, 16)]
    assert len(warnings) == 1 and "3 parameter(s)" in warnings[0]


def test_npz_parameters_with_a_float_param_format(tmp_path):
    np.savez(tmp_path / "w.npz", wv=np.array([[0.3, -0.3]]), ints=np.array([[9, -9]]))
    data = edit(lambda d: blocks(d)[0]["attention"]["heads"][0].update(wv="@w.npz:wv"))
    model = load(tmp_path, data).left
    wv = model.blocks[0].heads[0].wv[0]
    # 0.3 = 0.0100110011..b: 3 significant bits truncated give 0.0100b = 1/4 (and -1/4)
    assert [model.param_format.value(k) for k in wv] == [Fr(1, 4), Fr(-1, 4)]
    data = edit(lambda d: blocks(d)[0]["attention"]["heads"][0].update(wv="@w.npz:ints"))
    wv = load(tmp_path, data).left.blocks[0].heads[0].wv[0]
    assert [model.param_format.value(k) for k in wv] == [8, -8]  # 1001b truncated to 3 bits
    fails(tmp_path, edit(lambda d: (left(d).update(strict_params=True),
                                    blocks(d)[0]["attention"]["heads"][0].update(wv="@w.npz:ints"))),
          "not exactly representable", "wv[0][0]")


# -- layer norm ----------------------------------------------------------------------


def test_layer_norm_block_and_pre_norm(tmp_path):
    data = edit(lambda d: (blocks(d).append({"layer_norm": {"gamma": [2, "0.5"], "beta": [0, 1], "epsilon": "1/64"}}),
                           blocks(d).append({"norm": {}, "residual": False,
                                             "mlp": {"w1": [[1, 0]], "activation": "relu", "w2": [[1], [0]]}}),
                           blocks(d)[0].update(norm={"epsilon": 0})))
    model = load(tmp_path, data).left
    attention, norm, mlp = model.blocks
    assert isinstance(attention, Attention) and isinstance(norm, LayerNorm) and isinstance(mlp, Mlp)
    value = model.param_format.value
    assert [value(k) for k in norm.gamma] == [2, Fr(1, 2)] and [value(k) for k in norm.beta] == [0, 1]
    assert value(norm.epsilon) == Fr(1, 64)
    # the defaults: ones, zeros, 0 (rounded by the param format's R)
    assert attention.norm == mlp.norm == LayerNorm((256, 256), (0, 0), 0)  # 1 on the 2^-8 grid
    assert not mlp.residual and attention.residual
    coarse = edit(lambda d: (left(d).update(number_format={"int_bits": 1, "frac_bits": 2}),
                             blocks(d).append({"layer_norm": {}})))
    assert load(tmp_path, coarse).left.blocks[1].gamma == (3, 3)  # R(1) saturates at 3/4 in I=1, F=2


@pytest.mark.parametrize("change, words", [
    (lambda d: blocks(d).append({"layer_norm": {"gamma": [1, 1, 1]}}), ["blocks[1].layer_norm.gamma", "expected 2"]),
    (lambda d: blocks(d).append({"layer_norm": {"beta": [1]}}), ["blocks[1].layer_norm.beta", "expected 2"]),
    (lambda d: blocks(d).append({"layer_norm": {"epsilon": "-1/8"}}), ["layer_norm.epsilon", "at least 0"]),
    (lambda d: blocks(d).append({"layer_norm": {"epsilon": [1]}}), ["layer_norm.epsilon", "number"]),
    (lambda d: blocks(d).append({"layer_norm": {"eps": 1}}), ["unknown key 'eps'"]),
    (lambda d: blocks(d).append({"layer_norm": {}, "residual": True}), ["blocks[1].residual", "no residual"]),
    (lambda d: blocks(d).append({"layer_norm": {}, "norm": {}}), ["blocks[1].norm"]),
    (lambda d: blocks(d).append({"layer_norm": [1, 2]}), ["blocks[1].layer_norm", "mapping"]),
    (lambda d: blocks(d)[0]["attention"].update(norm={}), ["attention.norm", "unknown key 'norm'"]),
    (lambda d: blocks(d).append({"mlp": {"w1": [[1, 0]], "activation": "relu", "w2": [[1], [0]], "norm": {}}}),
     ["mlp.norm", "unknown key 'norm'"]),
    (lambda d: blocks(d)[0].update(norm={"gamma": [1]}), ["blocks[0].norm.gamma", "expected 2"]),
    (lambda d: blocks(d).append({"layernorm": {}}), ["unknown key 'layernorm'"]),
    (lambda d: blocks(d).append({"layer_norm": {}, "mlp": {}}), ["exactly one of the keys attention, mlp, layer_norm"]),
    (lambda d: blocks(d).append({"norm": {}}), ["exactly one of the keys"]),
    (lambda d: (left(d).update(strict_params=True), blocks(d).append({"layer_norm": {"epsilon": "1/3"}})),
     ["layer_norm.epsilon", "not exactly representable"]),
    (lambda d: (left(d).update(number_format={"int_bits": 4, "frac_bits": 4, "overflow": "wrap"}),
                blocks(d)[0].update(norm={})), ["blocks[0].norm", "overflow: saturate"]),
])
def test_layer_norm_errors(tmp_path, change, words):
    fails(tmp_path, edit(change), *words)


# -- the command line ----------------------------------------------------------------


def case_file(tmp_path, data):
    path = tmp_path / "case.yaml"
    path.write_text(yaml.safe_dump(data))
    return str(path)


def test_set_and_sweep_vary_float_fields(tmp_path):
    full = edit(lambda d: left(d).update(number_format={"significand_bits": 3, "exponent_min": -8, "exponent_max": 7}))
    path = case_file(tmp_path, full)
    run = CliRunner().invoke(main, ["prove", path, "--set", "left.number_format.significand_bits=5", "--json"])
    assert run.exit_code in (0, 1) and '"verdict"' in run.output, run.output
    run = CliRunner().invoke(main, ["prove", path, "--set", "left.number_format.exponent_min=3"])
    assert run.exit_code == 2 and "does not represent 1" in run.output
    plot = str(tmp_path / "sweep.png")
    run = CliRunner().invoke(main, ["sweep", path, "--vary", "left.number_format.significand_bits=2:4",
                                    "--max-len", "3", "--json", "--plot", plot])
    assert run.exit_code == 0, run.output
    assert run.output.count('"verdict"') == 3
    run = CliRunner().invoke(main, ["sweep", path, "--vary", "left.number_format.exponent_min=-3:-2",
                                    "--max-len", "2", "--json", "--plot", plot])
    assert run.exit_code == 0, run.output


def test_sat_on_a_float_or_layer_norm_model():
    """`--method sat` (no sampling) decides float and layer-norm models through the SAT
    lowering (issue 18) and finds the expected shortest counterexample."""
    for name, shortest in (("25-float-avg-majority-breaks", 9), ("28-layer-norm-post", 3)):
        path = os.path.join(CONFORMANCE_NEXT, name, name + ".yaml")
        run = CliRunner().invoke(main, ["prove", path, "--method", "sat", "--no-sample", "--json"])
        assert run.exit_code == 0, run.output
        report = json.loads(run.output.strip().splitlines()[-1])
        assert report["verdict"] == "counterexample" and report["counterexample"]["length"] == shortest


def test_simulate_shows_floats_and_layer_norms():
    """Text: float values with their m*2^e reading, layer norms with mean, variance and root;
    --json: the exact trace as before, and `<side>_trace_binary` for a float model."""
    import json
    path = os.path.join(CONFORMANCE_NEXT, "29-prenorm-mlp-float", "29-prenorm-mlp-float.yaml")
    run = CliRunner().invoke(main, ["simulate", path, "--input", "0110"])
    assert run.exit_code == 0, run.output
    assert "7/128=7*2^-7" in run.output and "block 2's norm (the block reads y)" in run.output
    assert "root 5/4=5*2^-2" in run.output
    run = CliRunner().invoke(main, ["simulate", path, "--input", "0110", "--json"])
    result = json.loads(run.output)
    assert result["left_trace"][0][0][0] == "7/128" and result["left_trace_binary"][0][0][0] == "7*2^-7"
    assert result["left_detail"]["blocks"][1]["norm"]["root"][0] == "5/4"
    path = os.path.join(CONFORMANCE_NEXT, "28-layer-norm-post", "28-layer-norm-post.yaml")  # fixed point
    run = CliRunner().invoke(main, ["simulate", path, "--input", "001"])  # a string the models differ on: exit 1
    assert run.exit_code == 1 and "block 2: layer_norm" in run.output and "*2^" not in run.output
    assert "p2: mean 3/16 variance 19/16 root 17/16 -> y = [5/8, -13/8, 7/4]" in run.output
