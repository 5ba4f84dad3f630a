"""IR -> CNF: every gate encoding is checked on all assignments of its inputs:
with the inputs fixed the CNF is satisfiable with y = the gate's value and
unsatisfiable with y forced to the other value."""

import itertools
import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pysat.formula import IDPool
from pysat.solvers import Solver
from tcverify.encodings import cardinality, pseudo_boolean
from tcverify.encodings.cnf import CARDINALITY_ENCODINGS, PB_ENCODINGS, EncodingOptions, encode, threshold_value
from tcverify.encodings.gates import and_clauses, or_clauses, tie_clauses, xor_clauses
from tcverify.errors import UserError
from tcverify.core.ir import GateCircuit

SOLVER = "cadical195"
SETTINGS = settings(max_examples=25, deadline=None)


def check_reified(clauses, xs, y, value):
    """For every assignment of the variables xs: SAT with y = value(bits), UNSAT with y wrong."""
    with Solver(name=SOLVER, bootstrap_with=clauses) as solver:
        for bits in itertools.product((0, 1), repeat=len(xs)):
            fixed = [x if b else -x for x, b in zip(xs, bits)]
            right = y if value(bits) else -y
            assert solver.solve(assumptions=fixed + [right]), (bits, "no model with the right value")
            assert not solver.solve(assumptions=fixed + [-right]), (bits, "y is not determined")


def signed(xs, signs):
    return [x if s else -x for x, s in zip(xs, signs)]


def lit_value(lit, xs, bits):
    return bool(bits[xs.index(abs(lit))]) == (lit > 0)


# -- Tseitin gates ----------------------------------------------------------------

gate_inputs = st.integers(1, 8).flatmap(
    lambda n: st.tuples(st.just(n), st.lists(st.tuples(st.integers(0, n - 1), st.booleans()), min_size=0, max_size=9)))


@pytest.mark.parametrize("op", ["and", "or", "xor"])
@SETTINGS
@given(gate_inputs)
def test_boolean_gates(op, data):
    n, picks = data
    pool = IDPool()
    xs = [pool.id() for _ in range(n)]
    y = pool.id()
    lits = [xs[k] if s else -xs[k] for k, s in picks]  # repeated and complementary literals allowed
    build = {"and": lambda: and_clauses(y, lits), "or": lambda: or_clauses(y, lits),
             "xor": lambda: xor_clauses(y, lits, pool)}[op]
    combine = {"and": all, "or": any, "xor": lambda vs: sum(vs) % 2 == 1}[op]
    check_reified(build(), xs, y, lambda bits: combine([lit_value(a, xs, bits) for a in lits]))


# -- cardinality ------------------------------------------------------------------

card_gates = st.integers(1, 8).flatmap(
    lambda n: st.tuples(st.lists(st.booleans(), min_size=n, max_size=n), st.integers(-1, n + 1)))


@pytest.mark.parametrize("name", list(CARDINALITY_ENCODINGS) + ["direct"])
@SETTINGS
@given(card_gates)
def test_cardinality(name, gate):
    signs, t = gate
    encoder = cardinality.direct if name == "direct" else cardinality.ENCODINGS[name]
    pool = IDPool()
    xs = [pool.id() for _ in signs]
    y = pool.id()
    lits = signed(xs, signs)
    clauses = encoder(lits, t, y, pool)
    assert all(abs(a) <= pool.top for clause in clauses for a in clause)
    check_reified(clauses, xs, y, lambda bits: sum(lit_value(a, xs, bits) for a in lits) >= t)


@pytest.mark.parametrize("name", CARDINALITY_ENCODINGS)
def test_cardinality_all_thresholds_n7(name):
    pool = IDPool()
    xs = [pool.id() for _ in range(7)]
    for t in range(-1, 9):
        y = pool.id()
        clauses = cardinality.ENCODINGS[name](xs, t, y, pool)
        check_reified(clauses, xs, y, lambda bits: sum(bits) >= t)


def test_batcher_sorts():
    for size in (1, 2, 4, 8):
        for bits in itertools.product((0, 1), repeat=size):
            wires = list(bits)
            for i, j in cardinality.batcher_comparators(size):
                wires[i], wires[j] = max(wires[i], wires[j]), min(wires[i], wires[j])
            assert wires == sorted(bits, reverse=True)


# -- pseudo-Boolean ---------------------------------------------------------------

weight = st.one_of(st.integers(-6, 6), st.integers(-2**40, 2**40), st.sampled_from([2**j for j in range(8)]))
pb_gates = st.integers(1, 7).flatmap(
    lambda n: st.tuples(st.lists(st.booleans(), min_size=n, max_size=n),
                        st.lists(weight, min_size=n, max_size=n), st.integers(0, 10**6)))


def pb_threshold(weights, pick):
    """A threshold anywhere from below the least sum to above the largest."""
    lo, hi = sum(w for w in weights if w < 0), sum(w for w in weights if w > 0)
    return lo - 1 + pick % (hi - lo + 3) if hi - lo < 10**6 else random.Random(pick).randint(lo - 1, hi + 1)


def pb_value(lits, weights, t, xs, bits):
    return sum(w for a, w in zip(lits, weights) if lit_value(a, xs, bits)) >= t


@pytest.mark.parametrize("name", PB_ENCODINGS)
@SETTINGS
@given(pb_gates)
def test_threshold_dispatch(name, gate):
    """Any signed gate through normalize and the dispatch (cardinality/PB/constant/literal)."""
    signs, weights, pick = gate
    t = pb_threshold(weights, pick)
    pool = IDPool()
    xs = [pool.id() for _ in signs]
    lits = signed(xs, signs)
    clauses = []
    value = threshold_value(lits, weights, t, pool, EncodingOptions(pb=name), clauses)
    y = pool.id()
    clauses += tie_clauses(y, value)
    check_reified(clauses, xs, y, lambda bits: pb_value(lits, weights, t, xs, bits))


@pytest.mark.parametrize("name", PB_ENCODINGS)
@SETTINGS
@given(pb_gates)
def test_pb_encoding_on_normalized_gates(name, gate):
    """Each PB encoding itself, also on unit weights (which the dispatch sends to cardinality)."""
    signs, weights, pick = gate
    t = pb_threshold(weights, pick)
    pool = IDPool()
    xs = [pool.id() for _ in signs]
    lits = signed(xs, signs)
    normal = pseudo_boolean.normalize(lits, weights, t)
    if normal is True or normal is False:
        assert all(pb_value(lits, weights, t, xs, bits) == normal for bits in itertools.product((0, 1), repeat=len(xs)))
        return
    y = pool.id()
    clauses = pseudo_boolean.ENCODINGS[name](*normal, y, pool)
    assert all(abs(a) <= pool.top for clause in clauses for a in clause)
    check_reified(clauses, xs, y, lambda bits: pb_value(lits, weights, t, xs, bits))


def test_normalize():
    assert pseudo_boolean.normalize([1, 2], [3, -3], -3) is True
    assert pseudo_boolean.normalize([1, 2], [3, -3], 4) is False
    # 4x1 - 2x2 + 6x3 >= 2  ->  4x1 + 2¬x2 + 6x3 >= 4  ->  weights clipped to 4, gcd 2
    assert pseudo_boolean.normalize([1, 2, 3], [4, -2, 6], 2) == ([1, 3, -2], [2, 2, 1], 2)
    # x1 + ¬x1 is the constant 1; 3x1 - x1 merges
    assert pseudo_boolean.normalize([1, -1], [1, 1], 1) is True
    assert pseudo_boolean.normalize([1, 1, 2], [3, -1, 1], 2) == ([1, 2], [2, 1], 2)
    assert pseudo_boolean.normalize([-1, 2], [-5, 7], 5) == ([2, 1], [7, 5], 10)  # -5(1 - x1) + 7x2 >= 5


def test_bdd_falls_back_beyond_its_node_limit(monkeypatch):
    monkeypatch.setattr(pseudo_boolean, "BDD_NODE_LIMIT", 3)
    pool = IDPool()
    xs = [pool.id() for _ in range(6)]
    weights, t = [13, 11, 7, 5, 3, 2], 20
    y = pool.id()
    clauses = pseudo_boolean.bdd(xs, weights, t, y, pool)
    check_reified(clauses, xs, y, lambda bits: sum(w for w, b in zip(weights, bits) if b) >= t)


def test_weights_beyond_64_bits():
    pool = IDPool()
    xs = [pool.id() for _ in range(4)]
    weights, t = [2**70, 2**69 + 1, -3, 5], 2**69 + 2
    lits, normal_weights, normal_t = pseudo_boolean.normalize(xs, weights, t)
    for name in PB_ENCODINGS:
        y = pool.id()
        clauses = pseudo_boolean.ENCODINGS[name](lits, normal_weights, normal_t, y, pool)
        check_reified(clauses, xs, y, lambda bits: sum(w for w, b in zip(weights, bits) if b) >= t)


def test_pysat_auxiliaries_come_from_the_pool():
    """Two weighted gates encoded one after the other share no auxiliary variable."""
    pool = IDPool()
    xs = [pool.id() for _ in range(6)]
    weights = [9, 7, 5, 4, 3, 1]
    seen = []
    for name in PB_ENCODINGS:
        y = pool.id()
        clauses = pseudo_boolean.ENCODINGS[name](xs, weights, 14, y, pool)
        aux = {abs(a) for clause in clauses for a in clause} - set(xs) - {y}
        assert all(v <= pool.top for v in aux)
        assert not aux & set(seen), name
        seen.extend(aux | {y})
    assert pool.id() > max(seen)


# -- whole circuits ---------------------------------------------------------------


def random_circuit(rng, n, size):
    circuit = GateCircuit(n, "01")
    nodes = list(circuit.inputs.values()) + [circuit.true, circuit.false]
    for _ in range(size):
        ins = rng.sample(nodes, rng.randint(1, min(6, len(nodes))))
        op = rng.choice(["and", "or", "xor", "not", "threshold", "threshold", "threshold"])
        if op == "not":
            node = circuit.not_(ins[0])
        elif op == "threshold":
            unit = rng.random() < 0.4
            weights = [rng.choice([1, -1]) if unit else rng.choice([rng.randint(-5, 5), rng.randint(-300, 300)]) for _ in ins]
            node = circuit.threshold(ins, weights, rng.randint(-3, 4) if unit else rng.randint(-200, 200))
        else:
            node = getattr(circuit, op if op == "xor" else op + "_")(*ins)
        nodes.append(node)
    return circuit, nodes[-8:]


OPTION_SETS = [EncodingOptions(cardinality=c) for c in CARDINALITY_ENCODINGS] + [EncodingOptions(pb=p) for p in PB_ENCODINGS]


@pytest.mark.parametrize("options", OPTION_SETS, ids=lambda o: f"{o.cardinality}-{o.pb}")
def test_random_circuits(options):
    """Every node in the cone equals `GateCircuit.evaluate` on every one-hot input,
    and no other value of any node is consistent with the inputs."""
    rng = random.Random(f"{options.cardinality}-{options.pb}")
    for _ in range(3):
        n = rng.randint(2, 4)
        circuit, roots = random_circuit(rng, n, 30)
        pool = IDPool()
        encoding = encode(circuit, roots, pool, options)
        cone = circuit.cone(roots)
        assert encoding.stats() == {"variables": pool.top, "clauses": len(encoding.clauses)}
        words = np.array(list(itertools.product((0, 1), repeat=n)), dtype=int)
        onehot = np.stack([1 - words, words], axis=2)
        values = circuit.evaluate(onehot)
        with Solver(name=SOLVER, bootstrap_with=encoding.clauses) as solver:
            for b in range(len(words)):
                fixed = [encoding.lit(node) if values[b, node] else -encoding.lit(node)
                         for key, node in circuit.inputs.items() if node in encoding.lits]
                assert solver.solve(assumptions=fixed)
                model = set(solver.get_model())
                for node in cone:
                    assert (encoding.lit(node) in model) == bool(values[b, node]), (node, circuit.gates[node])
                act = pool.id()
                solver.add_clause([-act] + [-encoding.lit(node) if values[b, node] else encoding.lit(node) for node in cone])
                assert not solver.solve(assumptions=fixed + [act])


def test_constants_are_fixed_literals():
    circuit = GateCircuit(1, "01")
    pool = IDPool()
    encoding = encode(circuit, [circuit.true, circuit.false], pool)
    assert encoding.lit(circuit.true) == -encoding.lit(circuit.false)
    assert [encoding.lit(circuit.true)] in encoding.clauses


def test_unknown_encoding_is_a_user_error():
    circuit = GateCircuit(1, "01")
    with pytest.raises(UserError, match="cardinality"):
        encode(circuit, [circuit.true], IDPool(), EncodingOptions(cardinality="nope"))
    with pytest.raises(UserError, match="pb"):
        encode(circuit, [circuit.true], IDPool(), EncodingOptions(pb="nope"))


# -- miters the solver must prove (UNSAT) or refute (SAT) ---------------------------


def sorting_network_majority(circuit, xs):
    size = 1
    while size < len(xs):
        size *= 2
    wires = list(xs) + [circuit.false] * (size - len(xs))
    for i, j in cardinality.batcher_comparators(size):
        wires[i], wires[j] = circuit.or_(wires[i], wires[j]), circuit.and_(wires[i], wires[j])
    return wires[len(xs) // 2]


def miter_status(circuit, a, b, options):
    pool = IDPool()
    diff = circuit.xor(a, b)
    encoding = encode(circuit, [diff], pool, options)
    with Solver(name=SOLVER, bootstrap_with=encoding.clauses + [[encoding.lit(diff)]]) as solver:
        return solver.solve()


@pytest.mark.parametrize("name", CARDINALITY_ENCODINGS)
def test_majority_against_sorting_network(name):
    n = 32
    circuit = GateCircuit(n, "01")
    xs = [circuit.input(i, "1") for i in range(n)]
    network = sorting_network_majority(circuit, xs)
    options = EncodingOptions(cardinality=name)
    assert miter_status(circuit, circuit.threshold(xs, [1] * n, n // 2 + 1), network, options) is False
    assert miter_status(circuit, circuit.threshold(xs, [1] * n, n // 2 + 2), network, options) is True


@pytest.mark.parametrize("name", PB_ENCODINGS)
def test_word_comparison_against_ripple_logic(name):
    """a >= b on 6-bit words as one weighted gate vs the same as ripple logic."""
    circuit = GateCircuit(12, "01")
    a = [circuit.input(i, "1") for i in range(6)]
    b = [circuit.input(6 + i, "1") for i in range(6)]
    weighted = circuit.threshold(a + b, [2**j for j in range(6)] + [-(2**j) for j in range(6)], 0)
    geq = circuit.true  # a >= b on the bits below j, from the least significant bit up
    for j in range(6):
        geq = circuit.or_(circuit.and_(a[j], circuit.not_(b[j])), circuit.and_(circuit.not_(circuit.xor(a[j], b[j])), geq))
    options = EncodingOptions(pb=name)
    assert miter_status(circuit, weighted, geq, options) is False
    assert miter_status(circuit, circuit.threshold(a + b, [2**j for j in range(6)] + [-(2**j) for j in range(6)], 1), geq, options) is True


def test_parity_against_xor_chain():
    n = 48
    circuit = GateCircuit(n, "01")
    xs = [circuit.input(i, "1") for i in range(n)]
    chain = circuit.false
    for x in xs:
        chain = circuit.xor(chain, x)
    assert circuit.gates[chain].op == "xor"
    flat = circuit.xor(*xs)
    assert flat != chain
    assert miter_status(circuit, flat, chain, EncodingOptions()) is False
    assert miter_status(circuit, flat, circuit.not_(chain), EncodingOptions()) is True
