"""Count forms (issue 21, `lowering/counts.py`): canonical forms against the linear form
they stand for on every one-hot input, mirrored and scaled forms recognised as one, values
of one form (sums, chains, pointwise binary operations, comparisons, words) against exact
integer arithmetic on every string, the circuit kind's threshold gates on the shared sum,
and the count-style models of the library and the bench (frac_prevs, MAJORITY and Dyck-1
with `outputs: every`, Shuffle-Dyck): the IR with count forms equals the exact evaluator
on every string of small lengths, the CNF with any concrete input fixed is satisfiable and
gives the evaluator's bits, and verdicts match with count forms on and off."""

import dataclasses
import itertools
import os
import random

import numpy as np
import pytest
from pysat.formula import IDPool
from pysat.solvers import Solver
from test_lower_transformer import BINARY, TERNARY, all_words
from test_rewrite import _random_chain, _signed
from tcverify import api, kinds
from tcverify.casefile.overrides import parse_override
from tcverify.core.ir import GateCircuit
from tcverify.core.number_format import OVERFLOW_MODES, ROUNDING_MODES, NumberFormat
from tcverify.encodings.cnf import encode
from tcverify.kinds.case import load_case
from tcverify.kinds.circuit.lower import lower_netlist
from tcverify.kinds.circuit.builtins import builtin_netlist
from tcverify.lowering import counts
from tcverify.lowering.counts import Counted
from tcverify.lowering.values import Table, Values
from tcverify.proving.miter import build_miter

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.path.join(ROOT, "bench", "cases")


def _onehot(words, alphabet):
    return np.array([[[int(a == s) for s in alphabet] for a in w] for w in words], dtype=np.int8)


# -- canonical forms ------------------------------------------------------------

@pytest.mark.parametrize("seed", range(20))
def test_canonical_form_is_the_linear_form(seed):
    """a * T + b equals L on every one-hot input; -3 L + 7 and L have the same T."""
    rng = random.Random(seed)
    alphabet = TERNARY if seed % 2 else BINARY
    n = rng.randint(1, 4)
    circuit = GateCircuit(n, alphabet)
    extra = circuit.and_(circuit.input(0, alphabet[0]), circuit.input(n - 1, alphabet[-1]))
    nodes = list(circuit.inputs.values()) + [extra, circuit.not_(extra)]
    terms = [(rng.randint(-4, 4), rng.choice(nodes)) for _ in range(rng.randint(1, 8))]
    const = rng.randint(-5, 5)
    found = counts.canonical(circuit, terms, const)
    words = list(itertools.product(alphabet, repeat=n))
    values = circuit.evaluate(_onehot(words, alphabet), [node for _, node in terms] + [extra]).astype(int)
    linear = [const + sum(c * row[k] for k, (c, _) in enumerate(terms)) for row in values]
    if found is None:
        assert len(set(linear)) == 1
        return
    form, a, b = found
    t_nodes = [node for node, _ in form.nodes]
    t_values = circuit.evaluate(_onehot(words, alphabet), t_nodes).astype(int) if t_nodes else np.zeros((len(words), 0), int)
    for w, row, total in zip(words, t_values, linear):
        t = sum(coefs[alphabet.index(w[p])] for p, coefs in form.positions) + sum(c * x for (_, c), x in zip(form.nodes, row))
        assert a * t + b == total and 0 <= t <= form.hi and form.reach[t]
    other = counts.canonical(circuit, [(-3 * c, node) for c, node in terms], 7 - 3 * const)
    assert other[0] == form and other[1] == -3 * a and other[2] == 7 - 3 * b


def test_opens_and_closes_are_one_form():
    """#open and #close = i - #open over the same prefix: one form, mirrored."""
    circuit = GateCircuit(5, ("(", ")"))
    opens = counts.canonical(circuit, [(1, circuit.input(i, "(")) for i in range(4)], 0)
    closes = counts.canonical(circuit, [(2, circuit.input(i, ")")) for i in range(4)], 1)
    assert opens[0] == closes[0] and opens[1] == -closes[1] // 2


# -- values of one form -----------------------------------------------------------

@pytest.mark.parametrize("seed", range(16))
def test_count_values_match_exact(seed):
    """Sums of tables of single positions as count forms, random monotone and non-monotone
    chains, a second value of the same form (its mirror) combined pointwise, comparisons and
    words, on every string; the CNF with any input fixed gives the same bits."""
    rng = random.Random(900 + seed)
    fmt = NumberFormat(rng.randint(3, 5), rng.randint(0, 3), rng.choice(ROUNDING_MODES),
                       rng.choice(OVERFLOW_MODES))
    alphabet = TERNARY if seed % 3 == 0 else BINARY
    n = rng.randint(2, 4 if alphabet == TERNARY else 6)
    circuit = GateCircuit(n, alphabet)
    low = Values(fmt, circuit, "adder", table_limit=1, rewrite=True, counted=True)
    tables = [Table((i,), {(a,): rng.randint(-4, 4) for a in alphabet}) for i in range(n)]
    coefs = [rng.randint(-3, 3) for _ in range(n)]
    const = rng.randint(-5, 5)
    v = low.linear([(c, t) for c, t in zip(coefs, tables)], const)
    mirror = low.linear([(-2 * c, t) for c, t in zip(coefs, tables)], 1)
    assert isinstance(mirror, Counted) or isinstance(mirror, Table) and mirror.constant is not None

    def base(word, coefs=coefs, tables=tables, const=const):
        return const + sum(c * t.values[(a,)] for c, t, a in zip(coefs, tables, word))

    v, exact = _random_chain(rng, low, fmt, v, base)
    square = low.linear([(1, v, mirror), (3, v)], -1)  # a product of two values of the form

    def exact_square(word):
        return exact(word) * (1 - 2 * (base(word) - const)) + 3 * exact(word) - 1

    both = low.lookup(square, lambda k: (k * k) % 7 - 3)  # not monotone
    ors = low.or_(low.equal(v, low.const(1)), low.equal(mirror, low.const(1)))
    checks = [(v, exact), (square, exact_square), (both, lambda w: (exact_square(w) ** 2) % 7 - 3),
              (ors, lambda w: int(exact(w) == 1 or 1 - 2 * (base(w) - const) == 1))]
    comparisons = [(rng.choice([-2, -1, 1, 2]), rng.randint(-10, 10)) for _ in range(3)]
    nodes = [low.at_least_one([(c, v)], b) for c, b in comparisons]
    words_bits = [low.as_word(x).bits for x, _ in checks]
    words = list(itertools.product(alphabet, repeat=n))
    onehot = _onehot(words, alphabet)
    got_nodes = circuit.evaluate(onehot, nodes).astype(int)
    got_words = [circuit.evaluate(onehot, bits) for bits in words_bits]
    for i, w in enumerate(words):
        assert list(got_nodes[i]) == [int(c * exact(w) + b >= 1) for c, b in comparisons], (fmt, w)
        for (_, fn), got in zip(checks, got_words):
            assert _signed(got[i]) == fn(w), (fmt, w, checks.index((_, fn)))
    pool = IDPool()
    roots = nodes + [b for bits in words_bits for b in bits]
    encoding = encode(circuit, roots + list(circuit.inputs.values()), pool)
    for w in rng.sample(words, min(4, len(words))):
        units = [[encoding.lit(circuit.input(i, a)) * (1 if a == w[i] else -1)] for i in range(n) for a in alphabet]
        with Solver(name="cadical195", bootstrap_with=encoding.clauses + units) as solver:
            assert solver.solve()
            true = {lit for lit in solver.get_model() if lit > 0}
        got = [int(encoding.lit(r) in true) if encoding.lit(r) > 0 else int(-encoding.lit(r) not in true) for r in nodes]
        assert got == [int(c * exact(w) + b >= 1) for c, b in comparisons]


def test_count_forms_are_made():
    """A prefix count becomes a Counted, and two comparisons of it read one shared sum."""
    circuit = GateCircuit(6, BINARY)
    low = Values(NumberFormat(4, 2), circuit, "adder", table_limit=1, rewrite=True, counted=True)
    v = low.linear([(1, Table((i,), {("0",): -1, ("1",): 1})) for i in range(6)])
    assert isinstance(v, Counted) and v.form.hi == 6
    a, b = low.at_least_one([(1, v)], 0), low.at_least_one([(1, v)], -2)
    assert a == low.sums.at_least(v.form, 4) or circuit.not_(a) == low.sums.at_least(v.form, 4)
    assert {circuit.gates[x].op for x in (a, b)} <= {"or", "and", "not"}


# -- the circuit kind on the shared sum ---------------------------------------------

@pytest.mark.parametrize("family", ["dyck1", "majority"])
def test_builtin_thresholds_on_the_shared_sum(family):
    alphabet = ("(", ")")
    params = {"open": "(", "close": ")"} if family == "dyck1" else {"symbol": "("}
    for n in range(1, 8):
        netlist = builtin_netlist(family, params, n, alphabet, "every")
        plain, shared = GateCircuit(n, alphabet), GateCircuit(n, alphabet)
        words = list(itertools.product(alphabet, repeat=n))
        a = plain.evaluate(_onehot(words, alphabet), lower_netlist(netlist, plain))
        b = shared.evaluate(_onehot(words, alphabet), lower_netlist(netlist, shared, counts=True))
        assert np.array_equal(a, b)
        assert all(g.op != "threshold" for g in shared.gates)


# -- count-style models ----------------------------------------------------------

MODELS = [
    ("frac-prevs32-every.yaml", BENCH, ()),
    ("frac-prevs32-last.yaml", BENCH, ()),
    ("shuffle-dyck1-len24.yaml", BENCH, ()),
    ("majority/majority-uniform-head-f3-breaks.yaml", os.path.join(ROOT, "cases"), ("every",)),
    ("dyck/dyck1-counting-f2.yaml", os.path.join(ROOT, "cases"), ("every",)),
    ("tracr/shuffle-dyck1-f3.yaml", os.path.join(ROOT, "cases"), ()),
]


def _case(name, folder, every):
    overrides = (parse_override("outputs=every"),) if every else ()
    return load_case(os.path.join(folder, name), overrides=overrides, warn=lambda message: None)


@pytest.mark.parametrize("name,folder,every", MODELS)
def test_count_style_models_every_string(name, folder, every):
    """Both sides' IR with count forms on every string of n <= 8 against the exact batch
    evaluators; the CNF with a concrete input fixed is satisfiable with the same bits."""
    case = _case(name, folder, every)
    rng = random.Random(name)
    for n in (3, 6, 8):
        miter = build_miter(case, n)
        words = all_words(case.alphabet, n)
        onehot = np.eye(len(case.alphabet), dtype=np.int8)[words]
        for side, roots in (("left", miter.left), ("right", miter.right)):
            expected = kinds.run_batch(getattr(case, side), words, case.alphabet, case.outputs)
            got = miter.circuit.evaluate(onehot, roots).astype(int)
            assert np.array_equal(got, expected), (name, n, side)
        if n == 6:
            pool = IDPool()
            encoding = encode(miter.circuit, miter.left + miter.right + list(miter.circuit.inputs.values()), pool)
            for row in rng.sample(range(len(words)), 4):
                word = [case.alphabet[k] for k in words[row]]
                units = [[encoding.lit(miter.circuit.input(i, a)) * (1 if a == word[i] else -1)]
                         for i in range(n) for a in case.alphabet]
                with Solver(name="cadical195", bootstrap_with=encoding.clauses + units) as solver:
                    assert solver.solve(), (name, word)
                    true = {lit for lit in solver.get_model() if lit > 0}
                for side, roots in (("left", miter.left), ("right", miter.right)):
                    bits = [int(encoding.lit(r) in true) if encoding.lit(r) > 0 else int(-encoding.lit(r) not in true) for r in roots]
                    assert bits == kinds.run(getattr(case, side), word, case.alphabet, case.outputs), (name, word, side)


@pytest.mark.parametrize("name,folder,every", [m for m in MODELS if "breaks" in m[0] or "dyck1-counting" in m[0]])
def test_verdicts_with_counts_on_and_off(name, folder, every):
    """The same verdict and the same shortest counterexample with count forms on and off."""
    case = dataclasses.replace(_case(name, folder, every), lengths=tuple(range(1, 10)))
    on = api.decide(case, method="sat", sample=False, counts=True)
    off = api.decide(case, method="sat", sample=False, counts=False)
    assert [r.status for r in on.per_length] == [r.status for r in off.per_length]
    assert on.verdict == off.verdict
