"""Semantic edge cases of the exact evaluator (spec 2-5, 7)."""

import math
from fractions import Fraction as Fr

import pytest
from tcverify.kinds.circuit.builtins import evaluate_builtin
from tcverify.kinds.case import load_model
from tcverify.core.models import Dfa, Gate, Netlist
from tcverify.errors import UserError
from tcverify import kinds
from tcverify.kinds.transformer import evaluate as transformer_evaluate
from tcverify.semantics.activations import activation_k, softmax_x
from tcverify.kinds.dfa.evaluate import run_dfa
from tcverify.kinds.circuit.evaluate import run_netlist
from tcverify.core.number_format import NumberFormat


def transformer(body, alphabet=("a", "b", "c")):
    return load_model({"transformer": body}, "<test>", "left", alphabet, "last", warn=pytest.fail)


def one_head(fmt, embedding, head, d_model=2, **extra):
    """d_model 2 (or 1): embedding rows, one attention head writing into the last dimension."""
    return transformer({"number_format": fmt, "d_model": d_model, "embedding": embedding,
                        "blocks": [{"attention": {"heads": [head]}}],
                        "readout": {"weights": [0] * (d_model - 1) + [1]}, **extra})


def stage(model, word, k=1, outputs="last"):
    return transformer_evaluate.trace(model, list(word), ("a", "b", "c"), outputs)["stages"][k]


# -- shared tables ----------------------------------------------------------------


def test_softmax_x_exact_points_and_underflow():
    assert softmax_x(0, 4, 4) == 16
    assert softmax_x(0, 0, 0) == 1
    assert softmax_x(-16, 4, 6) == round(64 / math.e)  # e^-1 * 64 = 23.54
    assert softmax_x(-16, 4, 1) == 1  # 2 e^-1 = 0.74
    # e^d * 16 crosses 1/2 at d = -5 ln 2 = -3.4657: -55/16 gives 0.514, -56/16 gives 0.483
    assert softmax_x(-55, 4, 4) == 1
    assert softmax_x(-56, 4, 4) == 0
    assert softmax_x(-10**9, 4, 30) == 0
    for delta_k in range(-200, 1):
        exact = math.exp(delta_k / 8) * 2**10
        if abs(exact - math.floor(exact) - 0.5) > 1e-6:
            assert softmax_x(delta_k, 3, 10) == round(exact)
    with pytest.raises(ValueError):
        softmax_x(1, 4, 4)


def test_activation_k():
    fmt = NumberFormat(4, 4)
    assert activation_k("relu", -5, fmt) == 0 and activation_k("relu", 7, fmt) == 7
    assert activation_k("identity", -128, fmt) == -128
    assert activation_k("step", 1, fmt) == 16 and activation_k("step", 0, fmt) == 0 and activation_k("step", -3, fmt) == 0
    assert activation_k("step", 1, NumberFormat(1, 2)) == 3  # 1 is not representable: it saturates to 3/4
    assert activation_k("sigmoid", 0, fmt) == 8
    assert activation_k("sigmoid", -32, fmt) == 2  # 16 / (1 + e^2) = 1.907
    assert activation_k("sigmoid", 32, fmt) == 14  # 16 / (1 + e^-2) = 14.09
    assert activation_k("tanh", 16, fmt) == 12  # 16 tanh 1 = 12.19
    assert activation_k("gelu", 16, fmt) == 13  # 16 * 0.8413 = 13.46
    assert activation_k("gelu", -16, fmt) == -3  # 16 * -0.1587 = -2.54
    assert activation_k("gelu_new", 16, fmt) == 13  # 16 * 0.8414 = 13.46
    fine = NumberFormat(4, 16)  # at x = -3 the tanh form and the erf form differ by 10%
    assert activation_k("gelu", -3 << 16, fine) == -265 and activation_k("gelu_new", -3 << 16, fine) == -238
    assert activation_k("exp", 16, fmt) == 43  # 16 e = 43.49
    assert activation_k("exp", 100, fmt) == fmt.kmax  # e^6.25 = 518: saturates
    wrap = NumberFormat(12, 0, overflow="wrap")
    assert activation_k("exp", 10, wrap) == wrap.R(Fr(math.exp(10)))  # finite: R wraps
    assert activation_k("exp", 800, wrap) == wrap.kmax  # float64 inf: the largest value, not wrapped


# -- transformer semantics --------------------------------------------------------

AVERAGE_ALL = {"type": "average", "wq": [[0, 0]], "wk": [[0, 0]], "wv": [[1, 0]], "wo": [[0], [1]]}


@pytest.mark.parametrize("rounding, plus, minus", [("nearest_even", "1/8", "-1/8"), ("floor", "1/16", "-1/8"),
                                                   ("truncate", "1/16", "-1/16")])
def test_rounding_ties_per_mode(rounding, plus, minus):
    """The average of 3/16 and 0 is 3/32 = k 1.5: a tie; -3/32 likewise."""
    model = one_head({"int_bits": 4, "frac_bits": 4, "rounding": rounding},
                     {"a": [0, 0], "b": ["3/16", 0], "c": ["-0.1875", 0]}, AVERAGE_ALL)
    assert stage(model, "ba")[1][1] == Fr(plus)
    assert stage(model, "ca")[1][1] == Fr(minus)


@pytest.mark.parametrize("overflow, expected", [("saturate", [1, -2]), ("wrap", [-2, 0])])
def test_overflow_at_both_ends(overflow, expected):
    """I=2, F=0 spans -2..1; an identity mlp doubles h: 1 -> 2 and -2 -> -4."""
    model = transformer({"number_format": {"int_bits": 2, "frac_bits": 0, "overflow": overflow}, "d_model": 1,
                         "embedding": {"a": [1], "b": [-2], "c": [0]},
                         "blocks": [{"mlp": {"w1": [[1]], "activation": "identity", "w2": [[1]]}}],
                         "readout": {"weights": [1]}})
    assert [row[0] for row in stage(model, "ab")] == expected


def test_softmax_difference_is_not_saturated():
    """Scores 3 and -4 in I=3 F=0 (range -4..3): delta = -7 lies below the range.
    X(-7) on the 2^-6 grid is 0 (64 e^-7 = 0.06); a saturated -4 would give 1."""
    model = one_head({"int_bits": 3, "frac_bits": 0}, {"a": [3], "b": [-4], "c": [0]},
                     {"type": "softmax", "exp_frac_bits": 6, "wq": [[0]], "bq": [1], "wk": [[1]], "wv": [[1]], "wo": [[1]]},
                     d_model=1)
    head = transformer_evaluate.trace(model, ["b", "a"], ("a", "b", "c"), "last")["blocks"][0]["heads"][0]
    assert head["scores"][1] == [-4, 3]
    assert head["weights"][1] == [0, 1]
    assert head["weights"][0] == [1, None]  # causal: p = 0 does not see q = 1
    assert head["output"][1] == [3]


def test_softmax_output_one_rounding():
    """Weights 1 and X(-1) = 24/64; a = R((1 * 1 + 24/64 * 0) / (1 + 24/64)) = R(8/11) = 12/16."""
    model = one_head({"int_bits": 4, "frac_bits": 4}, {"a": [1, 0], "b": [0, 0], "c": [0, 0]},
                     {"type": "softmax", "exp_frac_bits": 6, "mask": "none", "wq": [[0, 0]], "bq": [1],
                      "wk": [[1, 0]], "wv": [[1, 0]], "wo": [[0], [1]]})
    head = transformer_evaluate.trace(model, ["a", "b"], ("a", "b", "c"), "last")["blocks"][0]["heads"][0]
    assert head["weights"][0] == [1, Fr(24, 64)]
    assert head["output"][0] == [Fr(12, 16)]


@pytest.mark.parametrize("tie, mask, expected", [("leftmost", "causal", [0, 0, 0]), ("rightmost", "causal", [0, 1, 2]),
                                                 ("leftmost", "none", [0, 0, 0]), ("rightmost", "none", [2, 2, 2])])
def test_hard_attention_ties(tie, mask, expected):
    model = one_head({"int_bits": 3, "frac_bits": 2}, {"a": [1, 0], "b": [2, 0], "c": [3, 0]},
                     {"type": "hard", "tie": tie, "mask": mask, "wq": [[0, 0]], "wk": [[1, 0]], "wv": [[1, 0]],
                      "wo": [[0], [1]]})
    trace = transformer_evaluate.trace(model, ["a", "b", "c"], ("a", "b", "c"), "last")
    head = trace["blocks"][0]["heads"][0]
    assert [c[0] for c in head["chosen"]] == expected  # Q = 0: every score is 0
    assert [row[1] for row in trace["stages"][1]] == [e + 1 for e in expected]


def test_average_over_the_argmax_set():
    """Q = 1, K = h: the maxima are the positions holding c (value 3)."""
    model = one_head({"int_bits": 4, "frac_bits": 2}, {"a": [1, 0], "b": [2, 0], "c": [3, 0]},
                     {"type": "average", "mask": "none", "wq": [[0, 0]], "bq": [1], "wk": [[1, 0]],
                      "wv": [[0, 1]], "wo": [[0], [1]]},
                     positional={"table": [[0, 1], [0, 0], [0, 2], [0, 0]]})
    trace = transformer_evaluate.trace(model, list("cacb"), ("a", "b", "c"), "last")
    head = trace["blocks"][0]["heads"][0]
    assert head["chosen"][0] == [0, 2]
    assert head["output"][0] == [Fr(3, 2)]  # positional values 1 and 2 at positions 0 and 2


def test_empty_input_with_bos_and_without():
    body = {"number_format": {"int_bits": 3, "frac_bits": 1}, "d_model": 1,
            "embedding": {"a": [1], "b": [0], "c": [0], "<s>": ["0.5"]}, "bos": "<s>",
            "blocks": [], "readout": {"weights": [1]}}
    assert kinds.run(transformer(body), [], ("a", "b", "c"), "last") == [1]
    assert kinds.run(transformer(body), [], ("a", "b", "c"), "every") == []
    del body["bos"], body["embedding"]["<s>"]
    with pytest.raises(UserError):
        kinds.run(transformer(body), [], ("a", "b", "c"), "last")


def test_every_reads_at_symbol_positions_with_eos():
    body = {"number_format": {"int_bits": 3, "frac_bits": 1}, "d_model": 1, "eos": "$", "bos": "^",
            "embedding": {"a": [1], "b": [-1], "c": [0], "$": [1], "^": [1]}, "blocks": [], "readout": {"weights": [1]}}
    model = transformer(body)
    assert kinds.run(model, list("bab"), ("a", "b", "c"), "every") == [0, 1, 0]
    assert kinds.run(model, list("bab"), ("a", "b", "c"), "last") == [1]  # read at eos
    assert transformer_evaluate.trace(model, list("bab"), ("a", "b", "c"), "every")["read"] == [1, 2, 3]


def test_readout_is_exact_and_strict():
    body = {"number_format": {"int_bits": 3, "frac_bits": 2}, "d_model": 1, "embedding": {"a": ["0.25"], "b": [0], "c": [0]},
            "blocks": [], "readout": {"weights": [1], "bias": "-0.25"}}
    assert kinds.run(transformer(body), ["a"], ("a", "b", "c"), "last") == [0]  # 0 > 0 is false
    body["readout"]["bias"] = "-1/8"
    body["param_format"] = {"int_bits": 3, "frac_bits": 3}
    assert kinds.run(transformer(body), ["a"], ("a", "b", "c"), "last") == [1]


def test_mlp_param_format_finer_than_number_format():
    """Parameters on 2^-3, values on 2^-1: R(w1 h + b1) rounds 1/8 * 1 + 1/8 = 1/4 to 0 (tie, even)."""
    body = {"number_format": {"int_bits": 3, "frac_bits": 1}, "param_format": {"int_bits": 3, "frac_bits": 3},
            "d_model": 1, "embedding": {"a": [1], "b": [0], "c": [0]},
            "blocks": [{"residual": False, "mlp": {"w1": [["0.125"]], "b1": ["0.125"], "activation": "identity",
                                                   "w2": [[1]], "b2": ["0.375"]}}],
            "readout": {"weights": [1]}}
    trace = transformer_evaluate.trace(transformer(body), ["a"], ("a", "b", "c"), "last")
    assert trace["blocks"][0]["pre"][0] == [0]
    assert trace["stages"][1][0] == [Fr(1, 2)]  # R(0 + 3/8) = 1/2


# -- circuits, DFAs, built-ins ---------------------------------------------------------


def test_every_netlist_op():
    gates = (
        Gate("t", "threshold", ("x[0][a]", "x[1][a]", "x[2][b]"), (2, 1, -3), 1),
        Gate("m", "majority", ("x[0][a]", "x[1][a]", "x[2][a]")),
        Gate("m0", "majority", ()),
        Gate("and0", "and", ()),
        Gate("or0", "or", ()),
        Gate("xor0", "xor", ()),
        Gate("x3", "xor", ("x[0][a]", "x[1][a]", "x[2][a]")),
        Gate("n", "not", ("x[0][a]",)),
        Gate("o", "or", ("x[0][b]", "x[1][b]")),
        Gate("c", "const", value=1),
        Gate("a2", "and", ("n", "o", "c")),
    )
    net = Netlist(("a", "b"), 3, gates, ("t", "m", "m0", "and0", "or0", "xor0", "x3", "n", "a2", "x[1][b]"))
    assert run_netlist(net, list("aab")) == [0, 1, 0, 1, 0, 0, 0, 0, 0, 0]  # t: 2 + 1 - 3 = 0 < 1
    assert run_netlist(net, list("aaa")) == [1, 1, 0, 1, 0, 0, 1, 0, 0, 0]
    assert run_netlist(net, list("bba")) == [0, 0, 0, 1, 0, 0, 1, 1, 1, 1]
    assert run_netlist(net, list("bbb")) == [0, 0, 0, 1, 0, 0, 0, 1, 1, 1]


def test_dfa_missing_transition_rejects_forever():
    dfa = Dfa("<test>", "s", frozenset({"s"}), {"s": {"a": "t"}, "t": {"a": "s"}})
    assert run_dfa(dfa, list("aa"), "every") == [0, 1]
    assert run_dfa(dfa, list("aba"), "every") == [0, 0, 0]  # b from t is missing: the sink
    assert run_dfa(dfa, [], "last") == [1]
    assert run_dfa(dfa, list("ab"), "last") == [0]


def test_builtin_direct_evaluator():
    s = {"symbol": "1"}
    assert evaluate_builtin("majority", s, [], "last") == [0]
    assert evaluate_builtin("majority", s, list("101"), "every") == [1, 0, 1]
    assert evaluate_builtin("majority", s, list("10"), "last") == [0]
    assert evaluate_builtin("parity", s, [], "last") == [0]
    assert evaluate_builtin("parity", s, list("1101"), "every") == [1, 0, 0, 1]
    assert evaluate_builtin("first", s, [], "last") == [0]
    assert evaluate_builtin("last", s, [], "last") == [0]
    assert evaluate_builtin("first", s, list("100"), "every") == [1, 1, 1]
    assert evaluate_builtin("last", s, list("100"), "every") == [1, 0, 0]
    assert evaluate_builtin("contains", s, [], "last") == [0]
    assert evaluate_builtin("contains", s, list("010"), "every") == [0, 1, 1]
    assert evaluate_builtin("count_at_least", {"symbol": "1", "k": 0}, [], "last") == [1]
    assert evaluate_builtin("count_at_least", {"symbol": "1", "k": 2}, list("1011"), "every") == [0, 0, 1, 1]
    d = {"open": "(", "close": ")"}
    assert evaluate_builtin("dyck1", d, [], "last") == [1]
    assert evaluate_builtin("dyck1", d, list("()(())"), "every") == [0, 1, 0, 0, 0, 1]
    assert evaluate_builtin("dyck1", d, list("())("), "every") == [0, 1, 0, 0]


# -- simulate --------------------------------------------------------------------------


def test_parse_input():
    from tcverify.commands.simulate import parse_input
    assert parse_input("", ("0", "1")) == []
    assert parse_input("0110", ("0", "1")) == ["0", "1", "1", "0"]
    assert parse_input("0,1", ("0", "1")) == ["0", "1"]
    assert parse_input("lo,hi, mid", ("lo", "mid", "hi")) == ["lo", "hi", "mid"]
    assert parse_input("hi", ("lo", "mid", "hi")) == ["hi"]
    for text, alphabet in (("012", ("0", "1")), ("lo,x", ("lo", "hi")), ("lohi", ("lo", "hi")), ("0,,1", ("0", "1"))):
        with pytest.raises(UserError, match="--input"):
            parse_input(text, alphabet)


def test_simulate_and_render_text():
    from tcverify.core.models import Case
    from tcverify.commands.simulate import render_text
    from tcverify.kinds.simulate import simulate
    model = one_head({"int_bits": 4, "frac_bits": 2}, {"a": [1, 0], "b": [2, 0], "c": [3, 0]},
                     {"type": "softmax", "mask": "none", "wq": [[0, 0]], "bq": [1], "wk": [[1, 0]],
                      "wv": [[1, 0]], "wo": [[0], [1]]})
    dfa = Dfa("<test>", "s", frozenset(), {"s": {}})
    case = Case("<test>", "t", ("a", "b", "c"), (2,), "last", model, dfa)
    result = simulate(case, ["a", "c"])
    assert result["left"] == [1] and result["right"] == [0] and "right_trace" not in result
    assert result["left_trace"][0] == [["1", "0"], ["3", "0"]]
    head = result["left_detail"]["blocks"][0]["heads"][0]
    assert head["scores"] == [["1", "3"], ["1", "3"]] and head["weights"][0] == ["1/4", "1"]  # 4 e^-2 = 0.54 on the 2^-2 grid
    text = render_text(result)
    assert "head 0 (softmax, mask none)" in text and "weights [1/4, 1]" in text and "the models DIFFER" in text
    with pytest.raises(UserError):
        simulate(case, ["z"])
