"""Linear forms stay linear (issue 10 items 1-2, issue 9 item 5): the `Linear` values of
the transformer lowering against exact integer arithmetic on every input of small
widths (every rounding and overflow mode, signs, constant scalings, divisions by
constants, relu/step, comparisons), random transformers with tied scores and shared
positions with rewriting on and off (IR on all strings, CNF with the input fixed),
and MAJORITY by a uniform head hashing to the built-in majority's threshold gate."""

import itertools
import os
import random

import numpy as np
import pytest
from random_models import random_transformer
from test_lower_transformer import BINARY, TERNARY, check_all_strings, cnf_bits
from tcverify.kinds.case import load_case
from tcverify.core.ir import GateCircuit
from tcverify.lowering.values import Linear, Table, Values
from tcverify.proving.miter import build_miter
from tcverify import kinds
from tcverify.semantics.activations import activation_k
from tcverify.core.number_format import OVERFLOW_MODES, ROUNDING_MODES, NumberFormat

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MAJORITY_F6 = os.path.join(ROOT, "cases", "majority", "majority-uniform-head-f6.yaml")


def _signed(bits) -> int:
    """The two's complement integer of a row of bits (least significant first)."""
    value = sum(int(b) << j for j, b in enumerate(bits))
    return value - (int(bits[-1]) << len(bits))


def _random_chain(rng, low, fmt, v, exact):
    """Applies 1-4 random steps to the value v (and to the exact function `exact`)."""
    for _ in range(rng.randint(1, 4)):
        kind = rng.choice(("affine", "divide", "activation", "residual"))
        if kind == "affine":
            c, b, shift = rng.choice([-3, -2, -1, 1, 2, 3]), rng.randint(-6, 6), rng.randint(0, 2)
            v = low.round_linear([(c, v)], b, shift)
            exact = (lambda f, c, b, shift: lambda w: fmt.round_k(c * f(w) + b, 1 << shift))(exact, c, b, shift)
        elif kind == "divide":
            d = rng.randint(1, 7)
            lo, hi = low.bounds(v)
            v = low.divide(v, low.const(d), 1, min(lo, fmt.kmin), max(hi, fmt.kmax))
            exact = (lambda f, d: lambda w: fmt.round_k(f(w), d))(exact, d)
        elif kind == "activation":
            name = rng.choice(("relu", "step", "identity"))
            v = low.activation(name, v)
            exact = (lambda f, name: lambda w: activation_k(name, f(w), fmt))(exact, name)
        else:
            b = rng.randint(-8, 8)
            v = low.round_linear([(1, v), (1, low.const(b))], 0, 0)
            exact = (lambda f, b: lambda w: fmt.round_k(f(w) + b))(exact, b)
    return v, exact


@pytest.mark.parametrize("rounding", ROUNDING_MODES)
@pytest.mark.parametrize("overflow", OVERFLOW_MODES)
@pytest.mark.parametrize("style", ["adder", "threshold"])
def test_linear_steps_and_comparisons_match_exact(rounding, overflow, style):
    """Random sums of tables, random monotone chains, then comparisons with constants
    (one threshold gate each) and the built word, on every string."""
    rng = random.Random(f"{rounding}{overflow}{style}")
    linear_seen = 0
    for trial in range(12):
        fmt = NumberFormat(rng.randint(3, 5), rng.randint(0, 3), rounding, overflow)
        alphabet = TERNARY if trial % 3 == 0 else BINARY
        n = rng.randint(2, 4 if alphabet == TERNARY else 5)
        circuit = GateCircuit(n, alphabet)
        low = Values(fmt, circuit, style, table_limit=1, rewrite=True)
        tables = [Table((i,), {(a,): rng.randint(-4, 4) for a in alphabet}) for i in range(n)]
        coefs = [rng.randint(-3, 3) for _ in range(n)]
        const = rng.randint(-5, 5)
        v = low.linear([(c, t) for c, t in zip(coefs, tables)], const)

        def base(word, coefs=coefs, tables=tables, const=const):
            return const + sum(c * t.values[(a,)] for c, t, a in zip(coefs, tables, word))

        v, exact = _random_chain(rng, low, fmt, v, base)
        linear_seen += isinstance(v, Linear)
        comparisons = [(rng.choice([-2, -1, 1, 2]), rng.randint(-10, 10)) for _ in range(4)]
        nodes = [low.at_least_one([(w, v)], b) for w, b in comparisons]
        word = low.as_word(v)
        words = list(itertools.product(alphabet, repeat=n))
        onehot = np.array([[[int(a == s) for s in alphabet] for a in w] for w in words], dtype=np.int8)
        got_nodes = circuit.evaluate(onehot, nodes).astype(int)
        got_words = circuit.evaluate(onehot, word.bits)
        for row, bits, w in zip(got_nodes, got_words, words):
            x = exact(w)
            assert list(row) == [int(c * x + b >= 1) for c, b in comparisons], (fmt, w, x)
            assert _signed(bits) == x, (fmt, w, x)
    assert linear_seen >= 3  # the rewriting was exercised, not only its fallbacks


def test_linear_comparison_is_one_threshold_gate():
    """R(R(sum)/5) >= 1 over selector bits: one gate over the inputs, no adder."""
    fmt = NumberFormat(3, 2, "nearest_even", "saturate")
    circuit = GateCircuit(6, BINARY)
    low = Values(fmt, circuit, "adder", table_limit=1, rewrite=True)
    v = low.linear([(1, Table((i,), {("0",): -4, ("1",): 4})) for i in range(6)])
    v = low.divide(v, low.const(6), 1, fmt.kmin, fmt.kmax)
    node = low.at_least_one([(1, v)], 0)
    gate = circuit.gates[node]
    assert gate.op == "threshold" and set(gate.inputs) == {circuit.input(i, "1") for i in range(6)}
    assert len(circuit.gates) == 2 + 12 + 1  # constants, inputs and the one gate


def test_threshold_weights_divided_by_gcd():
    circuit = GateCircuit(3, BINARY)
    x = [circuit.input(i, "1") for i in range(3)]
    assert circuit.threshold(x, [4, 4, 4], 5) == circuit.threshold(x, [1, 1, 1], 2)
    assert circuit.threshold(x, [6, -3, 3], 1) == circuit.threshold(x, [2, -1, 1], 1)
    assert circuit.threshold(x, [2, 2, 2], -1) == circuit.true


# -- random transformers: tied scores, mask none, outputs every -----------------

@pytest.mark.parametrize("seed", range(10))
def test_tied_and_shared_heads_all_strings(seed):
    """Average/softmax/hard heads with W_Q = 0 half the time, mask none (positions share
    results), outputs every, with and without rewriting, default and minimal table limits."""
    rng = random.Random(500 + seed)
    alphabet = TERNARY if seed % 4 == 3 else BINARY
    model = random_transformer(rng, alphabet, masks=("none",) if seed % 2 else ("none", "causal"),
                               tied_scores=0.5, max_length=6)
    max_n = 3 if alphabet == TERNARY else 5
    for rewrite in (True, False):
        check_all_strings(model, alphabet, max_n, "every", rewrite=rewrite, style=("adder", "threshold")[seed % 2])
        check_all_strings(model, alphabet, max_n, "last", rewrite=rewrite, table_limit=1)


@pytest.mark.parametrize("seed", range(6))
def test_rewrite_through_the_cnf(seed):
    """The CNF with the input fixed is satisfiable and gives the evaluator's bits (no vacuity)."""
    rng = random.Random(700 + seed)
    model = random_transformer(rng, BINARY, head_types=("average", "softmax"), tied_scores=0.6, max_length=8)
    outputs = ("every", "last")[seed % 2]
    for rewrite in (True, False):
        for n in (4, 7):
            word = [rng.choice(BINARY) for _ in range(n)]
            assert cnf_bits(model, BINARY, outputs, word, rewrite=rewrite) == kinds.run(model, word, BINARY, outputs)


# -- MAJORITY ---------------------------------------------------------------------

def test_majority_by_uniform_head_is_the_builtin_gate():
    """Both sides lower to the identical threshold gate: the miter is constant false."""
    case = load_case(MAJORITY_F6, warn=lambda message: None)
    for n in (5, 33, 64):
        miter = build_miter(case, n)
        assert miter.left == miter.right and miter.circuit.const_value(miter.diff) == 0
    plain = build_miter(case, 8, rewrite=False)
    assert plain.circuit.const_value(plain.diff) is None
