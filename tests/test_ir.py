"""The folding rules of `GateCircuit` (core/ir.py): what each constructor
builds, and that every rewrite keeps the gate's value on every input."""

import itertools
import random

import numpy as np
import pytest
from tcverify.core.ir import GateCircuit

N = 4


@pytest.fixture
def c():
    return GateCircuit(N, "01")


def xs(c):
    return [c.input(i, "1") for i in range(N)]


def ops(c):
    return [gate.op for gate in c.gates]


def values(c, node) -> list:
    """The node's value on all 2^N strings, in `itertools.product` order."""
    words = np.array(list(itertools.product((0, 1), repeat=N)))
    onehot = np.stack([words == 0, words == 1], axis=2)
    return c.evaluate(onehot, [node])[:, 0].astype(int).tolist()


def truth(fn) -> list:
    return [int(fn(bits)) for bits in itertools.product((0, 1), repeat=N)]


# -- constants and not ------------------------------------------------------------


def test_constants_and_inputs_are_built_once(c):
    assert c.const(0) == c.false and c.const(1) == c.true and c.const(True) == c.true
    assert c.const_value(c.false) == 0 and c.const_value(c.true) == 1
    assert c.const_value(c.input(0, "1")) is None
    assert ops(c).count("const") == 2 and ops(c).count("input") == 2 * N


def test_not_folds_constants_and_double_negation(c):
    a = c.input(0, "1")
    assert c.not_(c.true) == c.false and c.not_(c.false) == c.true
    na = c.not_(a)
    assert c.gates[na].op == "not" and c.not_(na) == a
    assert c.not_(a) == na  # hashed: built once


# -- and / or ---------------------------------------------------------------------


@pytest.mark.parametrize("op, absorbing, neutral", [("and_", 0, 1), ("or_", 1, 0)])
def test_and_or_constants(c, op, absorbing, neutral):
    build = getattr(c, op)
    a, b = xs(c)[:2]
    assert build(a, c.const(absorbing), b) == c.const(absorbing)
    assert build(a, c.const(neutral)) == a  # the neutral constant is dropped, one input left
    assert build() == c.const(neutral) and build(c.const(neutral)) == c.const(neutral)


@pytest.mark.parametrize("op, absorbing", [("and_", 0), ("or_", 1)])
def test_and_or_complement_absorbs(c, op, absorbing):
    build = getattr(c, op)
    a, b = xs(c)[:2]
    assert build(a, b, c.not_(a)) == c.const(absorbing)
    assert build(c.not_(b), a, b) == c.const(absorbing)


def test_and_or_merge_repeats_sort_inputs_and_flatten(c):
    a, b, d = xs(c)[:3]
    gate = c.and_(d, a, a, b)
    assert c.gates[gate].op == "and" and c.gates[gate].inputs == (a, b, d)
    assert c.and_([a, (b,)], d) == gate and c.and_(b, d, a) == gate  # structural hashing
    assert c.or_(a, b) != c.and_(a, b)
    assert values(c, gate) == truth(lambda x: x[0] and x[1] and x[2])
    assert values(c, c.or_(a, b, d)) == truth(lambda x: x[0] or x[1] or x[2])


# -- xor --------------------------------------------------------------------------


def test_xor_parity_folding(c):
    a, b, d = xs(c)[:3]
    assert c.xor() == c.false and c.xor(c.true) == c.true
    assert c.xor(a, a) == c.false  # pairs cancel
    assert c.xor(a, b, a) == b
    assert c.xor(a, c.true) == c.not_(a)  # a constant 1 flips the parity
    assert c.xor(c.not_(a), b) == c.not_(c.xor(a, b))  # a negation moves into the parity
    assert c.xor(c.not_(a), c.not_(b)) == c.xor(a, b)
    gate = c.xor(d, b, a)
    assert c.gates[gate].inputs == (a, b, d) and c.xor(a, b, d) == gate
    assert values(c, c.xor(c.not_(a), b, d, c.true)) == truth(lambda x: x[0] ^ x[1] ^ x[2])


# -- threshold --------------------------------------------------------------------


def test_threshold_trivial_gates(c):
    a, b = xs(c)[:2]
    assert c.threshold([a, b], [1, 1], 0) == c.true  # the least sum reaches t
    assert c.threshold([a, b], [-1, 2], -1) == c.true
    assert c.threshold([a, b], [1, 1], 3) == c.false  # the largest sum stays below t
    assert c.threshold([a, b], [0, 0], 1) == c.false
    assert c.threshold([], [], 0) == c.true and c.threshold([], [], 1) == c.false


def test_threshold_folds_constants(c):
    a, b = xs(c)[:2]
    assert c.threshold([a, c.true, b], [1, 5, 1], 7) == c.and_(a, b)  # t becomes 2
    assert c.threshold([a, c.false, b], [2, 5, 3], 4) == c.threshold([a, b], [2, 3], 4)


def test_threshold_rewrites_negated_inputs(c):
    a, b, d = xs(c)[:3]
    gate = c.threshold([c.not_(a), b, d], [2, 3, 1], 3)  # 2(1 - a) + 3b + d >= 3  <=>  -2a + 3b + d >= 1
    assert c.gates[gate].op == "threshold"
    assert c.gates[gate].inputs == (a, b, d) and c.gates[gate].weights == (-2, 3, 1) and c.gates[gate].t == 1
    assert values(c, gate) == truth(lambda x: 2 * (1 - x[0]) + 3 * x[1] + x[2] >= 3)


def test_threshold_merges_repeats_and_drops_zero_weights(c):
    a, b, d = xs(c)[:3]
    gate = c.threshold([a, b, a, d, d], [1, 2, 2, 1, -1], 3)  # 3a + 2b >= 3
    assert c.gates[gate].inputs == (a, b) and c.gates[gate].weights == (3, 2)
    assert c.threshold([b, a], [2, 3], 3) == gate  # structural hashing, inputs sorted
    # a and not a cancel to a constant: a + (1 - a) = 1
    assert c.threshold([a, c.not_(a)], [1, 1], 1) == c.true


def test_threshold_with_one_input_is_the_input_or_its_negation(c):
    a = xs(c)[0]
    assert c.threshold([a], [3], 2) == a
    assert c.threshold([a], [-3], -1) == c.not_(a)


def test_threshold_with_unit_weights_becomes_and_or(c):
    a, b, d = xs(c)[:3]
    assert c.threshold([a, b, d], [1, 1, 1], 1) == c.or_(a, b, d)
    assert c.threshold([a, b, d], [1, 1, 1], 3) == c.and_(a, b, d)
    two = c.threshold([a, b, d], [1, 1, 1], 2)
    assert c.gates[two].op == "threshold"
    assert values(c, two) == truth(lambda x: x[0] + x[1] + x[2] >= 2)


@pytest.mark.parametrize("seed", range(20))
def test_every_construction_keeps_the_value(seed):
    """Random gates over inputs, their negations and constants: each built node
    evaluates to the gate's definition on all 2^N strings."""
    rng = random.Random(seed)
    c = GateCircuit(N, "01")
    nodes = {c.input(i, "1"): (lambda x, i=i: x[i]) for i in range(N)}
    nodes[c.true], nodes[c.false] = (lambda x: 1), (lambda x: 0)
    for _ in range(25):
        pool = list(nodes.items())
        ins = [rng.choice(pool) for _ in range(rng.randint(1, 4))]
        kind = rng.choice(["not", "and", "or", "xor", "threshold", "mux"])
        fs = [f for _, f in ins]
        if kind == "not":
            node, f = c.not_(ins[0][0]), (lambda x, g=fs[0]: 1 - g(x))
        elif kind == "and":
            node, f = c.and_(*(a for a, _ in ins)), (lambda x, fs=fs: int(all(g(x) for g in fs)))
        elif kind == "or":
            node, f = c.or_(*(a for a, _ in ins)), (lambda x, fs=fs: int(any(g(x) for g in fs)))
        elif kind == "xor":
            node, f = c.xor(*(a for a, _ in ins)), (lambda x, fs=fs: sum(g(x) for g in fs) % 2)
        elif kind == "mux":
            (s, fs_), (p, fp), (q, fq) = (ins * 3)[:3]
            node, f = c.mux(s, p, q), (lambda x, fs_=fs_, fp=fp, fq=fq: fp(x) if fs_(x) else fq(x))
        else:
            weights = [rng.randint(-3, 3) for _ in ins]
            t = rng.randint(-3, 4)
            node = c.threshold([a for a, _ in ins], weights, t)
            f = (lambda x, fs=fs, ws=weights, t=t: int(sum(w * g(x) for w, g in zip(ws, fs)) >= t))
        assert values(c, node) == truth(f), kind
        nodes.setdefault(node, f)


# -- reading ----------------------------------------------------------------------


def test_cone_and_depths(c):
    a, b, d, e = xs(c)
    ab = c.and_(a, b)
    top = c.or_(c.not_(ab), d)
    assert c.cone([top]) == sorted({a, b, d, ab, c.not_(ab), top})
    assert e not in c.cone([top])
    depth = c.depths()
    assert depth[a] == 0 and depth[ab] == 1 and depth[c.not_(ab)] == 1 and depth[top] == 2  # not is free


def test_inputs_are_one_hot_symbols():
    c = GateCircuit(2, "abc")
    onehot = np.zeros((1, 2, 3), dtype=np.uint8)
    onehot[0, 0, 2] = onehot[0, 1, 0] = 1  # the string "ca"
    got = c.evaluate(onehot, [c.input(0, "c"), c.input(0, "a"), c.input(1, "a"), c.input(1, "b")])
    assert got.astype(int).tolist() == [[1, 0, 1, 0]]


def test_big_weights_evaluate_exactly():
    """Weights beyond int64 take the exact (object) path."""
    c = GateCircuit(2, "01")
    a, b = c.input(0, "1"), c.input(1, "1")
    gate = c.threshold([a, b], [2**70, -(2**70) + 1], 1)  # equals a; no folding rule sees it
    assert c.gates[gate].op == "threshold"
    onehot = np.array([[[1, 0], [1, 0]], [[0, 1], [1, 0]], [[1, 0], [0, 1]], [[0, 1], [0, 1]]], dtype=np.uint8)
    assert c.evaluate(onehot, [gate])[:, 0].tolist() == [False, True, False, True]
