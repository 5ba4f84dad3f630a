"""Loading and validation (spec 1-5, 7): every conformance case loads, every bad
input is a one-line UserError naming the file, and each rule is pinned."""

import copy
import json
import os
from fractions import Fraction as Fr

import numpy as np
import pytest
import yaml
from conftest import conformance_folder, conformance_names
from tcverify.casefile.expr import compile_expr
from tcverify.kinds.case import check_case, load_case
from tcverify.casefile.validate import number
from tcverify.casefile.yaml_io import read_yaml
from tcverify.errors import UserError

GOOD = conformance_names(with_next=True)
BAD = conformance_names("bad", with_next=True)


@pytest.mark.parametrize("name", GOOD)
def test_conformance_cases_load(conformance_dir, name):
    case = load_case(os.path.join(conformance_folder(name), name, name + ".yaml"), warn=lambda message: None)
    check_case(case)
    assert case.name == name


@pytest.mark.parametrize("name", BAD)
def test_bad_cases_are_one_line_user_errors(conformance_dir, name):
    folder = conformance_folder(name, "bad")
    path = os.path.join(folder, name, name + ".yaml")
    with pytest.raises(UserError) as info:
        check_case(load_case(path, warn=lambda message: None))
    message = str(info.value)
    assert "\n" not in message
    assert os.path.join(folder, name) in message


def test_conformance_rounding_warnings(conformance_dir):
    warnings = []
    load_case(os.path.join(conformance_dir, "09-npz-params", "09-npz-params.yaml"), warn=warnings.append)
    assert len(warnings) == 1 and "1 parameter(s)" in warnings[0] and "blocks[1].mlp.w1[0][0]" in warnings[0]
    warnings = []
    case = load_case(os.path.join(conformance_dir, "10-model-file-exact-decimal", "10-model-file-exact-decimal.yaml"),
                     warn=warnings.append)
    pfmt = case.left.param_format
    assert pfmt.value(case.left.readout.bias[0]) == Fr(-1, 4)  # just below the tie -1/8: not float64's -0.125
    assert len(warnings) == 1 and "models/exact.yaml" in warnings[0]


# -- helpers -------------------------------------------------------------------------

BASE = {
    "tcverify": 1,
    "alphabet": ["0", "1"],
    "lengths": {"min": 1, "max": 3},
    "left": {"transformer": {
        "number_format": {"int_bits": 4, "frac_bits": 4},
        "d_model": 2,
        "embedding": {"0": [-1, 0], "1": [1, 0]},
        "blocks": [{"attention": {"heads": [{"type": "average", "wq": [[0, 0]], "wk": [[0, 0]], "wv": [[1, 0]],
                                             "wo": [[0], [1]]}]}}],
        "readout": {"weights": [0, 1], "bias": 0},
    }},
    "right": {"circuit": {"builtin": "majority", "symbol": "1"}},
}


def write(tmp_path, data, name="case.yaml"):
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else yaml.safe_dump(data))
    return str(path)


def load(tmp_path, data, warn=None, check=True):
    case = load_case(write(tmp_path, data), warn=warn or (lambda message: None))
    if check:
        check_case(case)
    return case


def fails(tmp_path, data, *words):
    """Loading (and checking) `data` is a one-line UserError containing every word."""
    with pytest.raises(UserError) as info:
        load(tmp_path, data)
    message = str(info.value)
    assert "\n" not in message
    for word in words:
        assert word in message, message
    return message


def edit(change):
    data = copy.deepcopy(BASE)
    change(data)
    return data


def left(data):
    return data["left"]["transformer"]


def head(data):
    return left(data)["blocks"][0]["attention"]["heads"][0]


# -- numbers ------------------------------------------------------------------------


def test_yaml_decimals_are_exact(tmp_path):
    data = read_yaml(write(tmp_path, "a: 0.1\nb: -0.12500000000000000001\nc: 1_000.5\nd: 3\ne: '1e-3'\nf: 1e-3\n"))
    assert data["a"] == Fr(1, 10)
    assert data["b"] == Fr(-12500000000000000001, 10**20)
    assert data["c"] == Fr(2001, 2)
    assert data["d"] == 3
    assert number(data["e"], "p", "k") == Fr(1, 1000)
    assert number(data["f"], "p", "k") == Fr(1, 1000)  # YAML 1.1 reads 1e-3 as a string
    assert number("1/3", "p", "k") == Fr(1, 3)
    assert number(" -2 / 6 ", "p", "k") == Fr(-1, 3)
    for bad in (True, "abc", "1/0", "nan", "inf", None, [1]):
        with pytest.raises(UserError):
            number(bad, "p", "k")


@pytest.mark.parametrize("text", ["x: .inf", "x: -.inf", "x: .nan"])
def test_yaml_non_finite_is_an_error(tmp_path, text):
    with pytest.raises(UserError, match="line 1"):
        read_yaml(write(tmp_path, text))


def test_param_rounding_warning_and_strict(tmp_path):
    data = edit(lambda d: left(d)["readout"].update(bias="0.01"))
    warnings = []
    case = load(tmp_path, data, warn=warnings.append)
    assert case.left.readout.bias == (0,)
    assert len(warnings) == 1 and "1 parameter(s)" in warnings[0] and "readout.bias" in warnings[0]
    left(data)["embedding"]["1"] = ["1/3", "0.1"]
    warnings = []
    load(tmp_path, data, warn=warnings.append)
    assert len(warnings) == 1 and "3 parameter(s)" in warnings[0]
    left(data)["strict_params"] = True
    fails(tmp_path, data, "left.transformer.embedding.1[0]", "not exactly representable")


def test_npz_floats_are_exact_binary(tmp_path):
    np.savez(tmp_path / "w.npz", wv=np.array([[0.1, 0.0]]), wq=np.array([[0, 0]], dtype=np.int64),
             wk=np.array([[0.5, 0.25]], dtype=np.float32), bad=np.array([[np.inf, 0]]))
    fine = {"int_bits": 2, "frac_bits": 60}

    def change(d):
        left(d)["param_format"] = fine
        left(d)["strict_params"] = True
        head(d).update(wv="@w.npz:wv", wq="@w.npz:wq", wk="@w.npz:wk")

    case = load(tmp_path, edit(change))
    h = case.left.blocks[0].heads[0]
    value = case.left.param_format.value
    assert value(h.wv[0][0]) == Fr(0.1) != Fr(1, 10)  # the binary value is on the 2^-60 grid, 1/10 is not
    assert [value(k) for k in h.wk[0]] == [Fr(1, 2), Fr(1, 4)]
    fails(tmp_path, edit(lambda d: (change(d), head(d).update(wv=[["0.1", 0]]))), "not exactly representable")
    fails(tmp_path, edit(lambda d: head(d).update(wv="@w.npz:missing")), "no array", "heads[0].wv")
    fails(tmp_path, edit(lambda d: head(d).update(wv="@w.npz:bad")), "non-finite")
    fails(tmp_path, edit(lambda d: head(d).update(wv="@nothere.npz:wv")), "nothere.npz")
    fails(tmp_path, edit(lambda d: head(d).update(wo="@w.npz:wv")), "heads[0].wo", "1 x 2, but must be 2 x 1")


# -- case and transformer structure ---------------------------------------------------


@pytest.mark.parametrize("change, words", [
    (lambda d: d.update(expected="equivalent"), ["unknown key 'expected'"]),
    (lambda d: d.pop("tcverify"), ["'tcverify' is required"]),
    (lambda d: d.update(tcverify=2), ["version 1"]),
    (lambda d: d.update(alphabet=[0, 1]), ["alphabet[0]", "quoted string"]),
    (lambda d: d.update(alphabet=["a", "a"]), ["distinct"]),
    (lambda d: d.update(alphabet=["a,b", "c"]), ["commas"]),
    (lambda d: d.update(alphabet=["a b", "c"]), ["white space"]),
    (lambda d: d.update(alphabet=[""]), ["non-empty"]),
    (lambda d: d.update(lengths=-1), ["lengths", "at least 0"]),
    (lambda d: d.update(lengths={"min": 3, "max": 1}), ["below min"]),
    (lambda d: d.update(lengths=[]), ["empty"]),
    (lambda d: d.update(outputs="all"), ["outputs", "last, every"]),
    (lambda d: d.update(expect="equal"), ["expect"]),
    (lambda d: d["left"].update(dfa={}), ["exactly one of the keys"]),
    (lambda d: left(d).update(layer_norm=True), ["unknown key 'layer_norm'"]),
    (lambda d: left(d)["blocks"].append({"layernorm": {}}), ["unknown key 'layernorm'"]),
    (lambda d: head(d).update(tie="leftmost"), ["unknown key 'tie'"]),
    (lambda d: head(d).update(type="softmax", tie="leftmost"), ["unknown key 'tie'"]),
    (lambda d: head(d).update(exp_frac_bits=3), ["unknown key 'exp_frac_bits'"]),
    (lambda d: head(d).pop("type"), ["'type' is required"]),
    (lambda d: head(d).update(mask="future"), ["heads[0].mask"]),
    (lambda d: head(d).update(wk=[[0, 0], [0, 0]]), ["heads[0].wk", "2 x 2, but must be 1 x 2"]),
    (lambda d: head(d).update(wq=[[0, 0, 0]]), ["heads[0].wq", "1 x 3"]),
    (lambda d: head(d).update(bv=[0, 0]), ["heads[0].bv", "expected 1 numbers"]),
    (lambda d: head(d).update(wv=[[1, 0], [1]]), ["ragged"]),
    (lambda d: left(d)["embedding"].update({"2": [0, 0]}), ["embedding.2", "neither an alphabet symbol"]),
    (lambda d: left(d)["embedding"].pop("1"), ["no embedding row for '1'"]),
    (lambda d: left(d)["embedding"].update({"1": [1]}), ["embedding.1", "expected 2 numbers"]),
    (lambda d: left(d).update(bos="1"), ["bos", "may not be an alphabet symbol"]),
    (lambda d: left(d).update(bos="<s>"), ["no embedding row for '<s>'"]),
    (lambda d: left(d)["number_format"].update(rounding="up"), ["number_format.rounding"]),
    (lambda d: left(d)["number_format"].update(int_bits=0), ["int_bits", "at least 1"]),
    (lambda d: left(d)["number_format"].update(frac_bits=1.5), ["frac_bits", "integer"]),
    (lambda d: left(d).pop("readout"), ["'readout' is required"]),
    (lambda d: left(d)["blocks"].append({"mlp": {"w1": [[1, 0]], "activation": "softplus", "w2": [[1], [0]]}}),
     ["activation"]),
    (lambda d: left(d)["blocks"].append({"mlp": {"w1": [[1, 0]], "activation": "relu", "w2": [[1, 0]]}}),
     ["blocks[1].mlp.w2", "1 x 2, but must be 2 x 1"]),
    (lambda d: left(d)["blocks"].append({"residual": "yes", "mlp": {}}), ["residual"]),
    (lambda d: left(d).update(positional={"table": [[0, 0]]}), ["positional.table", "1 rows"]),
    (lambda d: left(d).update(positional={"expr": ["i"]}), ["positional.expr", "d_model = 2"]),
    (lambda d: left(d).update(positional={"expr": ["i", "1/(i-1)"]}), ["positional.expr[1]", "i=1"]),
    (lambda d: left(d).update(positional={"expr": ["i", "log(i - 5)"]}), ["positional.expr[1]"]),
    (lambda d: left(d).update(positional={"expr": ["i", "exp(1000 * i + 1)"]}), ["positional.expr[1]"]),
    (lambda d: d.update(lengths=[0, 1]), ["empty string"]),
])
def test_structure_errors(tmp_path, change, words):
    fails(tmp_path, edit(change), *words)


def test_defaults_and_forms(tmp_path):
    case = load(tmp_path, edit(lambda d: d.update(lengths=[3, 1, 3])))
    assert case.lengths == (1, 3) and case.outputs == "last" and case.expect == "equivalent" and case.name == "case"
    assert load(tmp_path, edit(lambda d: d.update(lengths=2))).lengths == (2,)
    model = case.left
    assert model.param_format == model.number_format and model.positional.kind == "none"
    assert model.blocks[0].heads[0].mask == "causal" and model.blocks[0].residual
    softmax = load(tmp_path, edit(lambda d: head(d).update(type="softmax"))).left.blocks[0].heads[0]
    assert softmax.exp_frac_bits == 4
    text = yaml.safe_dump(BASE).replace("min: 1", "min: 0")  # transformer without bos at length 0: an error
    with pytest.raises(UserError):
        load(tmp_path, text)


def test_model_file_paths_are_relative_to_that_file(tmp_path):
    (tmp_path / "models").mkdir()
    np.savez(tmp_path / "models" / "w.npz", wv=np.array([[1.0, 0.0]]))
    body = copy.deepcopy(left(BASE))
    body["blocks"][0]["attention"]["heads"][0]["wv"] = "@w.npz:wv"
    (tmp_path / "models" / "t.yaml").write_text(yaml.safe_dump(body))
    case = load(tmp_path, edit(lambda d: d.update(left={"transformer": "models/t.yaml"})))
    assert case.left.path.endswith(os.path.join("models", "t.yaml"))
    body["bogus"] = 1
    (tmp_path / "models" / "t.yaml").write_text(yaml.safe_dump(body))
    fails(tmp_path, edit(lambda d: d.update(left={"transformer": "models/t.yaml"})), "t.yaml: bogus", "unknown key")
    fails(tmp_path, edit(lambda d: d.update(left={"transformer": "models/none.yaml"})), "none.yaml")


def test_unquoted_symbol_in_yaml(tmp_path):
    dump = yaml.safe_dump(BASE)
    text = dump.replace("alphabet:\n- '0'\n", "alphabet:\n- 0\n")
    assert text != dump
    with pytest.raises(UserError, match="alphabet.0.: a symbol must be a quoted string"):
        load(tmp_path, text)


# -- positional expressions ----------------------------------------------------------


def test_expressions_evaluate_in_float64():
    f, _ = compile_expr("i/n + 1/(i+1) - cos(pi*i)/4 + floor(i/2) % 2 - min(i, 2, 3)/4 + sqrt(i)/8 + e**0 + -+2", "p", "k")
    i, n = 3.0, 5.0
    assert f(3, 5, 5) == i / n + 1 / (i + 1) - __import__("math").cos(__import__("math").pi * i) / 4 \
        + (i // 2) % 2 - min(i, 2, 3) / 4 + i**0.5 / 8 + 1 - 2
    assert compile_expr(Fr(1, 10), "p", "k")[0](0, 1, 1) == 0.1
    assert compile_expr(-3, "p", "k")[0](0, 1, 1) == -3.0
    assert compile_expr("-7 // 2 + -7 % 3 + N", "p", "k")[0](0, 1, 4) == -4 + 2 + 4
    assert compile_expr("max(ceil(i), abs(-2), exp(0), log(1), sin(0))", "p", "k")[0](1.5, 1, 1) == 2.0
    with pytest.raises(ValueError):
        compile_expr("(-8) ** (1/3)", "p", "k")[0](0, 1, 1)


@pytest.mark.parametrize("text", ["__import__('os').getpid()", "x", "i.real", "[1]", "i < n", "min(i)", "sin(i, n)",
                                  "round(i)", "lambda: 1", "i if n else N", "'a'", "True", "f'{i}'", "sin(x=i)",
                                  "i; n", "max(*[i, n])", "1 +", "i & n", "~i", "not i", "1j"])
def test_forbidden_expressions(text):
    with pytest.raises(UserError) as info:
        compile_expr(text, "case.yaml", "left.transformer.positional.expr[0]")
    assert "case.yaml: left.transformer.positional.expr[0]" in str(info.value)


# -- circuits ----------------------------------------------------------------------------


def netlist(n=2, **change):
    data = {"tcverify_netlist": 1, "alphabet": ["0", "1"], "length": n,
            "gates": [{"id": "g", "op": "threshold", "in": [f"x[{i}][1]" for i in range(n)], "w": [1] * n, "t": 1},
                      {"id": "h", "op": "not", "in": ["g"]}],
            "outputs": ["h"]}
    data.update(change)
    return data


def circuit_case(tmp_path, net, lengths=2, outputs="last", fmt="json"):
    (tmp_path / f"net_2.{fmt}").write_text(json.dumps(net) if fmt == "json" else yaml.safe_dump(net))
    return edit(lambda d: d.update(right={"circuit": {"netlist": "net_{n}." + fmt}}, lengths=lengths, outputs=outputs))


def test_netlist_loads_lazily_and_sorts(tmp_path):
    net = netlist()
    net["gates"].reverse()
    case = load(tmp_path, circuit_case(tmp_path, net), check=False)
    loaded = case.right.netlist(2)
    assert [g.id for g in loaded.gates] == ["g", "h"] and case.right.netlist(2) is loaded
    load(tmp_path, circuit_case(tmp_path, netlist(), fmt="yaml"))
    case = load(tmp_path, circuit_case(tmp_path, netlist(), lengths=[2, 3]), check=False)  # n = 3 is missing
    with pytest.raises(UserError, match="net_3.json"):
        check_case(case)


def gate_list(*gates):
    return netlist(gates=list(gates), outputs=[gates[-1]["id"]])


@pytest.mark.parametrize("net, words", [
    (gate_list({"id": "a", "op": "and", "in": ["b"]}, {"id": "b", "op": "or", "in": ["a"]}), ["cycle"]),
    (gate_list({"id": "a", "op": "and", "in": ["a"]}), ["cycle"]),
    (gate_list({"id": "a", "op": "and", "in": ["zz"]}), ["gate 'a'", "unknown input 'zz'"]),
    (gate_list({"id": "a", "op": "and", "in": ["x[2][1]"]}), ["unknown input 'x[2][1]'"]),
    (gate_list({"id": "a", "op": "and", "in": ["x[0][2]"]}), ["unknown input"]),
    (gate_list({"id": "a", "op": "const", "value": 1}, {"id": "a", "op": "const", "value": 0}), ["duplicate gate id 'a'"]),
    (gate_list({"id": "a", "op": "threshold", "in": ["x[0][1]"], "w": [1, 1], "t": 1}), ["gate 'a'", "'w'"]),
    (gate_list({"id": "a", "op": "threshold", "in": ["x[0][1]"], "w": [1.0], "t": 1}), ["gate 'a'.w[0]", "integer"]),
    (gate_list({"id": "a", "op": "threshold", "in": ["x[0][1]"], "w": [1], "t": 0.5}), ["gate 'a'.t"]),
    (gate_list({"id": "a", "op": "threshold", "in": ["x[0][1]"], "t": 1}), ["'w' is required"]),
    (gate_list({"id": "a", "op": "and", "in": ["x[0][1]"], "w": [1]}), ["unknown key 'w'"]),
    (gate_list({"id": "a", "op": "not", "in": ["x[0][1]", "x[1][1]"]}), ["exactly one input"]),
    (gate_list({"id": "a", "op": "const", "value": 2}), ["0 or 1"]),
    (gate_list({"id": "a", "op": "nand", "in": []}), ["gate 'a'.op"]),
    (gate_list({"id": "x[0][1]", "op": "and", "in": []}), ["x[...][...]"]),
    (netlist(alphabet=["1", "0"]), ["alphabet"]),
    (netlist(length=3), ["length 3"]),
    (netlist(outputs=["g", "h"]), ["needs 1 output"]),
    (netlist(outputs=["nope"]), ["unknown output"]),
    (netlist(extra=1), ["unknown key 'extra'"]),
    (netlist(tcverify_netlist=2), ["version 1"]),
])
def test_netlist_errors(tmp_path, net, words):
    message = fails(tmp_path, circuit_case(tmp_path, net), *words)
    assert "net_2.json" in message


def test_netlist_zero_input_gates_and_input_outputs(tmp_path):
    from tcverify import kinds
    net = gate_list({"id": "a", "op": "and", "in": []}, {"id": "o", "op": "or", "in": []},
                    {"id": "x", "op": "xor", "in": []}, {"id": "m", "op": "majority", "in": []})
    net["outputs"] = ["a", "o", "x", "m"]
    case = load(tmp_path, circuit_case(tmp_path, net, outputs="every"), check=False)
    with pytest.raises(UserError, match="needs 2 output"):
        case.right.netlist(2)
    net["outputs"] = ["a", "x[1][0]"]
    case = load(tmp_path, circuit_case(tmp_path, net, outputs="every"))
    assert kinds.run(case.right, ["1", "0"], case.alphabet, "every") == [1, 1]


def test_python_builders(tmp_path):
    (tmp_path / "b.py").write_text(
        "def good(n, alphabet):\n"
        "    return {'alphabet': list(alphabet), 'length': n, 'gates': [], 'outputs': [f'x[{n-1}][1]']}\n"
        "def boom(n, alphabet):\n    raise RuntimeError('no luck')\n"
        "def junk(n, alphabet):\n    return [1, 2]\n")
    case = load(tmp_path, edit(lambda d: d.update(right={"circuit": {"python": "b.py:good"}})))
    assert case.right.netlist(3).outputs == ("x[2][1]",)
    fails(tmp_path, edit(lambda d: d.update(right={"circuit": {"python": "b.py:boom"}})), "b.py:boom", "no luck")
    fails(tmp_path, edit(lambda d: d.update(right={"circuit": {"python": "b.py:junk"}})), "b.py:junk", "netlist mapping")
    fails(tmp_path, edit(lambda d: d.update(right={"circuit": {"python": "b.py:none"}})), "no function 'none'")
    fails(tmp_path, edit(lambda d: d.update(right={"circuit": {"python": "c.py:f"}})), "c.py")
    (tmp_path / "c.py").write_text("raise ImportError('broken')\n")
    fails(tmp_path, edit(lambda d: d.update(right={"circuit": {"python": "c.py:f"}})), "c.py", "broken")


@pytest.mark.parametrize("circuit, words", [
    ({"builtin": "median", "symbol": "1"}, ["unknown built-in family 'median'"]),
    ({"builtin": "majority"}, ["needs the key 'symbol'"]),
    ({"builtin": "majority", "symbol": "2"}, ["right.circuit.symbol", "not a symbol"]),
    ({"builtin": "majority", "symbol": "1", "k": 2}, ["unknown key 'k'"]),
    ({"builtin": "count_at_least", "symbol": "1", "k": "2"}, ["right.circuit.k", "integer"]),
    ({"builtin": "dyck1", "open": "0", "close": "0"}, ["dyck1"]),
    ({"netlist": "a_{n}.json", "builtin": "parity"}, ["exactly one of the keys netlist, python, builtin"]),
    ({"netlist": "a_{n}.json", "extra": 1}, ["unknown key 'extra'"]),
])
def test_builtin_and_circuit_errors(tmp_path, circuit, words):
    fails(tmp_path, edit(lambda d: d.update(right={"circuit": circuit})), *words)


def test_dyck1_needs_exactly_its_alphabet(tmp_path):
    data = edit(lambda d: d.update(alphabet=["(", ")", "x"], right={"circuit": {"builtin": "dyck1", "open": "(", "close": ")"}}))
    left(data)["embedding"] = {"(": [0, 0], ")": [0, 0], "x": [0, 0]}
    fails(tmp_path, data, "exactly {open, close}")
    data["alphabet"] = ["(", ")"]
    del left(data)["embedding"]["x"]
    load(tmp_path, data)


# -- DFA ------------------------------------------------------------------------------------

DFA = {"start": "e", "accept": ["e"], "delta": {"e": {"0": "e", "1": "o"}, "o": {"0": "o", "1": "e"}}}


@pytest.mark.parametrize("change, words", [
    (lambda d: d["delta"]["e"].update({"1": "q"}), ["right.dfa.delta.e.1", "unknown state 'q'"]),
    (lambda d: d.update(accept=["q"]), ["right.dfa.accept[0]", "unknown state"]),
    (lambda d: d["delta"]["e"].update({"2": "e"}), ["not an alphabet symbol"]),
    (lambda d: d.update(final=["e"]), ["unknown key 'final'"]),
    (lambda d: d.pop("start"), ["'start' is required"]),
    (lambda d: d.update(accept="e"), ["list of states"]),
])
def test_dfa_errors(tmp_path, change, words):
    dfa = copy.deepcopy(DFA)
    change(dfa)
    fails(tmp_path, edit(lambda d: d.update(right={"dfa": dfa})), *words)


def test_dfa_loads(tmp_path):
    dfa = copy.deepcopy(DFA)
    del dfa["delta"]["o"]["1"]
    case = load(tmp_path, edit(lambda d: d.update(right={"dfa": dfa})))
    assert case.right.start == "e" and case.right.accept == {"e"} and case.right.delta["o"] == {"0": "o"}


def test_repeated_keys_are_errors(tmp_path):
    text = yaml.safe_dump(BASE) + "outputs: last\noutputs: every\n"
    with pytest.raises(UserError, match="'outputs' appears twice"):
        load(tmp_path, text)
    text = "base: &b {x: 1}\nc:\n  <<: *b\n  x: 2\n"  # a YAML merge may be overridden
    assert read_yaml(write(tmp_path, text))["c"] == {"x": 2}
    (tmp_path / "net_2.json").write_text('{"length": 2, "length": 2}')
    with pytest.raises(UserError, match="net_2.json: the key 'length' appears twice"):
        load(tmp_path, edit(lambda d: d.update(right={"circuit": {"netlist": "net_{n}.json"}}, lengths=2)))


def test_too_many_lengths(tmp_path):
    fails(tmp_path, edit(lambda d: d.update(lengths={"min": 0, "max": 10**9})), "lengths", "more than")


def test_argmax_readout_syntax_and_layout(tmp_path):
    """`{argmax, bias, labels, accept}`: one bit with accept, one bit per class without; a
    one-bit-per-class side needs the same classes on the other side."""
    argmax = {"argmax": [[1, 0], [0, 1]], "bias": [0, "0.5"], "labels": ["neg", "pos"], "accept": ["pos"]}
    case = load(tmp_path, edit(lambda d: left(d).update(readout=argmax)))
    readout = case.left.readout
    assert (readout.kind, readout.accept, readout.labels, readout.bits) == ("argmax", (1,), ("neg", "pos"), 1)
    assert readout.bias == (0, 8)  # 0.5 on the 2^-4 grid
    classes = dict(argmax, accept=None)
    del classes["accept"]
    fails(tmp_path, edit(lambda d: left(d).update(readout=classes)), "right", "one bit per class (neg, pos)")
    both = edit(lambda d: (left(d).update(readout=classes), d.update(right=copy.deepcopy(d["left"]))))
    assert load(tmp_path, both).right.readout.bits == 2
    fails(tmp_path, edit(lambda d: left(d).update(readout=dict(argmax, accept=["zero"]))), "readout.accept[0]", "not a class label")
    fails(tmp_path, edit(lambda d: left(d).update(readout=dict(argmax, labels=["a"]))), "readout.labels", "2 distinct strings")
    fails(tmp_path, edit(lambda d: left(d).update(readout=dict(argmax, argmax=[[1, 0, 0]]))), "readout.argmax", "must be any x 2")
