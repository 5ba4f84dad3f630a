"""SAT sweeping (proving/sweeping.py) against the IR evaluator and plain solving:
a merge never changes the function (every string of small lengths), verdicts
and shortest counterexamples are unchanged, planted differences are found,
redundant realisations really merge, and the swept CNF is not vacuous."""

import inspect
import itertools
import json
import random

import numpy as np
import pytest
from click.testing import CliRunner
from pysat.examples.genhard import PHP
from pysat.solvers import Solver
from random_models import random_transformer
from tcverify.kinds.circuit.load import parse_netlist
from tcverify.core.models import Case, Circuit
from tcverify.commands.cli import main
from tcverify.core.ir import GateCircuit
from tcverify.proving import pipeline, sweeping
from tcverify.proving.miter import Miter, build_miter, constrained_cnf, miter_cnf
from tcverify import api
from tcverify.proving.pipeline import all_words
from tcverify.proving.solver import solve
from tcverify.proving.sweeping import Classes, Sweeper, random_words, simulate, sweep
from test_miter import netlist_model, netlists_vs_mutant, random_netlist_spec

ALPHABET = ("a", "b", "c")


@pytest.fixture
def sweep_everything(monkeypatch):
    """Sweep every miter (no easy attempt first), from few patterns (so that
    candidates are refuted by the solver and the classes refined)."""
    monkeypatch.setattr(pipeline, "EASY_CONFLICTS", 0)
    monkeypatch.setattr(sweeping, "PATTERNS", 64)


def onehot(circuit: GateCircuit, words: np.ndarray) -> np.ndarray:
    return np.eye(len(circuit.alphabet), dtype=np.uint8)[words]


def strings(circuit: GateCircuit) -> np.ndarray:
    return all_words(len(circuit.alphabet), circuit.length)


def random_miter(rng: random.Random, n: int, size: int, mutant: bool = True) -> Miter:
    """Random gates over the one-hot inputs (mostly on recent gates, so the
    circuit is deep), built twice: on the left as drawn, on the right each in
    another shape (and as not-or-not, or as a threshold gate, xor as or of
    ands, a threshold gate as the negation of its complement), so every gate
    has an equal twin. With `mutant`, one right gate is changed too."""
    circuit = GateCircuit(n, ALPHABET)
    inputs = list(circuit.inputs.values())
    left, right = [], []
    changed = rng.randrange(size) if mutant else None
    for k in range(size):
        op = rng.choice(("and", "or", "xor", "not", "threshold"))
        picks = [rng.randrange(max(0, len(left) - 6), len(left)) if left and rng.random() < 0.7 else -1 - rng.randrange(len(inputs))
                 for _ in range(1 if op == "not" else rng.randint(2, 3))]
        weights = [rng.randint(-3, 3) for _ in picks]
        t = rng.randint(-2, 3)
        for side, twin in ((left, False), (right, True)):
            ins = [side[p] if p >= 0 else inputs[p] for p in picks]
            if twin and k == changed:
                op, t = {"and": "or", "or": "and", "xor": "and", "not": "not", "threshold": "threshold"}[op], t + 1
                ins = ins[:1] if op == "not" else ins
            side.append(twin_gate(circuit, op, ins, weights, t, twin))
    outputs = slice(size - 3, size)
    diff = circuit.or_(*(circuit.xor(a, b) for a, b in zip(left[outputs], right[outputs])))
    return Miter(circuit, left[outputs], right[outputs], diff)


def twin_gate(circuit: GateCircuit, op: str, ins, weights, t: int, twin: bool) -> int:
    c = circuit
    if op == "not":
        return c.not_(ins[0])
    if op == "and":
        return c.not_(c.or_(*(c.not_(a) for a in ins))) if twin else c.and_(*ins)
    if op == "or":
        return c.threshold(ins, [1] * len(ins), 1) if twin else c.or_(*ins)
    if op == "xor":
        if not twin:
            return c.xor(*ins)
        a, b = ins[0], c.xor(*ins[1:])
        return c.or_(c.and_(a, c.not_(b)), c.and_(c.not_(a), b))
    if twin:  # sum w x >= t  iff  not (sum -w x >= 1 - t)
        return c.not_(c.threshold(ins, [-w for w in weights], 1 - t))
    return c.threshold(ins, weights, t)


@pytest.mark.parametrize("seed", range(30))
def test_random_circuits_keep_their_function(seed, sweep_everything):
    rng = random.Random(seed)
    miter = random_miter(rng, rng.randint(2, 6), 40)
    result = sweep(miter, seed=seed)
    before = miter.circuit.evaluate(onehot(miter.circuit, strings(miter.circuit)), miter.left + miter.right + [miter.diff])
    if result.counterexample is not None:
        word = [ALPHABET.index(a) for a in result.counterexample]
        assert miter.circuit.evaluate(onehot(miter.circuit, np.array([word])), [miter.diff])[0, 0]
        return
    swept = result.miter
    after = swept.circuit.evaluate(onehot(swept.circuit, strings(miter.circuit)), swept.left + swept.right + [swept.diff])
    assert (before == after).all()
    assert len(swept.circuit.gates) <= len(miter.circuit.gates)


def test_sweeping_merges_in_random_circuits(sweep_everything):
    merged = []
    for seed in range(10):
        rng = random.Random(seed)
        result = sweep(random_miter(rng, 3, 40, mutant=False), seed=seed)
        assert result.counterexample is None
        merged.append(result.merged)
    assert sum(merged) > 100, merged


def test_simulation_is_the_ir_evaluator():
    rng = random.Random(5)
    miter = random_miter(rng, 4, 60)
    circuit = miter.circuit
    words = random_words(3, 4, 128, np.random.default_rng(1))
    assert words.shape == (128, 4) and words.min() >= 0 and words.max() < 3
    assert (words[:3] == np.arange(3)[:, None]).all()  # the constant strings first
    packed = simulate(circuit, range(len(circuit.gates)), words)
    bits = np.unpackbits(packed.view(np.uint8), axis=1, bitorder="little").astype(bool)
    assert (bits.T == circuit.evaluate(onehot(circuit, words))).all()


def test_classes_refine_by_values():
    # signatures of 4 nodes on 64 patterns: 0 and 2 equal, 1 the complement of 0, 3 alone
    signatures = np.array([[0b0110], [~np.uint64(0b0110)], [0b0110], [0b0011]], dtype=np.uint64)
    classes = Classes(signatures)
    assert list(classes.rep) == [0, 0, 0, 3] and list(classes.phase) == [False, True, False, False]
    classes.refine(np.array([True, False, False, True]))  # node 2 differs from node 0
    assert list(classes.rep) == [0, 0, 2, 3] and list(classes.phase) == [False, True, False, False]


def prove_both(case: Case):
    plain = api.decide(case, sample=False, sweep=False)
    swept = api.decide(case, sample=False)
    assert swept.verdict == plain.verdict
    assert (swept.counterexample or {}).get("length") == (plain.counterexample or {}).get("length")
    return swept


@pytest.mark.parametrize("seed", range(12))
def test_random_netlist_miters_same_verdict(seed, sweep_everything):
    prove_both(netlists_vs_mutant(seed, 14))


@pytest.mark.parametrize("seed", range(6))
def test_random_transformers_same_verdict(seed, sweep_everything):
    rng = random.Random(seed)
    left = random_transformer(rng, ("0", "1"), max_length=7)
    right = random_transformer(rng, ("0", "1"), max_length=7)
    prove_both(Case("<test>", "transformers", ("0", "1"), (1, 2, 3, 4, 5, 6), "last", left, right))


@pytest.mark.parametrize("seed", range(8))
def test_planted_difference_is_found(seed, sweep_everything):
    """The right side is the left XOR a detector of one string: they differ on
    that string only, so it is the counterexample and it replays."""
    rng = random.Random(seed)
    n = 6
    planted = [rng.choice(ALPHABET) for _ in range(n)]
    spec = random_netlist_spec(random.Random(seed), n, 16)

    def mutant(length):
        gates = [dict(g) for g in spec["gates"]]
        detector = [f"x[{i}][{a}]" for i, a in enumerate(planted)]
        if seed % 2:  # 1 except on the planted string: a candidate constant 1
            gates.extend({"id": f"not-{x}", "op": "not", "in": [x]} for x in detector)
            gates.append({"id": "nand", "op": "or", "in": [f"not-{x}" for x in detector]})
            gates.append({"id": "planted", "op": "not", "in": ["nand"]})
        else:  # 0 except on the planted string: a candidate constant 0
            gates.append({"id": "planted", "op": "and", "in": detector})
        gates.append({"id": "flipped", "op": "xor", "in": [spec["outputs"][0], "planted"]})
        return {**spec, "gates": gates, "outputs": ["flipped"]}

    case = Case("<test>", "planted", ALPHABET, (n,), "last", netlist_model(lambda length: spec), netlist_model(mutant))
    result = prove_both(case)
    assert result.verdict == "counterexample"
    assert result.counterexample["input"] == planted


def count_netlist(n, alphabet, shape="plain", symbol="1"):
    """MAJORITY (#symbol > n/2) as a ripple of half adders into binary counter
    bits and one weighted threshold gate on them. `shape="demorgan"` builds
    the same adders from other gates (and as not-or-not, xor as or of ands)."""
    gates = []

    def gate(op, ins):
        gates.append({"id": f"g{len(gates)}", "op": op, "in": ins})
        return gates[-1]["id"]

    def and_(a, b):
        if shape == "plain":
            return gate("and", [a, b])
        return gate("not", [gate("or", [gate("not", [a]), gate("not", [b])])])

    def xor(a, b):
        if shape == "plain":
            return gate("xor", [a, b])
        return gate("or", [and_(a, gate("not", [b])), and_(gate("not", [a]), b)])

    counter = []
    for i in range(n):
        carry = f"x[{i}][{symbol}]"
        for j, bit in enumerate(counter):
            counter[j], carry = xor(bit, carry), and_(bit, carry)
        counter.append(carry)
    gates.append({"id": "out", "op": "threshold", "in": counter,
                  "w": [2 ** j for j in range(len(counter))], "t": n // 2 + 1})
    return {"tcverify_netlist": 1, "alphabet": list(alphabet), "length": n, "gates": gates, "outputs": ["out"]}


def count_case(n: int) -> Case:
    def model(shape):
        return Circuit("python", "<test>", lambda length: parse_netlist(count_netlist(length, ("0", "1"), shape), "<test>", ("0", "1"), length, "last"))

    return Case("<test>", "counts", ("0", "1"), (n,), "last", model("plain"), model("demorgan"))


def test_redundant_adders_merge_to_a_trivial_miter():
    miter = build_miter(count_case(12), 12)
    assert miter.circuit.const_value(miter.diff) is None
    result = sweep(miter)
    assert result.counterexample is None
    assert result.miter.circuit.const_value(result.miter.diff) == 0
    assert result.merged >= 12 * 11 // 2  # at least every half adder's sum


def test_cli_reports_merged_nodes(tmp_path, sweep_everything):
    builder = tmp_path / "builders.py"
    builder.write_text(inspect.getsource(count_netlist) + "\n\ndef demorgan(n, alphabet):\n    return count_netlist(n, alphabet, 'demorgan')\n")
    case = tmp_path / "counts.yaml"
    case.write_text("tcverify: 1\nname: counts\nalphabet: ['0', '1']\nlengths: [24]\n"
                    "left: {circuit: {python: 'builders.py:count_netlist'}}\n"
                    "right: {circuit: {python: 'builders.py:demorgan'}}\n")
    records = {}
    for flags in ((), ("--no-sweep",)):
        run = CliRunner().invoke(main, ["prove", str(case), "--json", *flags])
        assert run.exit_code == 0, run.output
        records[flags] = json.loads(run.output.splitlines()[0])["per_length"][0]
    swept, plain = records[()], records[("--no-sweep",)]
    assert swept["status"] == plain["status"] == "equivalent"
    assert swept["merged"] > 200 and swept["sweep_s"] > 0 and swept["method"] == "sat"
    assert plain["merged"] == 0 and plain["conflicts"] >= 0


@pytest.mark.parametrize("seed", range(6))
def test_swept_cnf_with_fixed_input_is_not_vacuous(seed, sweep_everything):
    """With a concrete string fixed, the swept miter CNF is satisfiable iff the
    models differ on it, and the swept CNF's outputs are the evaluator's."""
    rng = random.Random(seed)
    miter = random_miter(rng, 5, 40)
    result = sweep(miter, seed=seed)
    if result.counterexample is not None:
        pytest.skip("found by simulation")
    swept = result.miter
    circuit = swept.circuit
    outputs = swept.left + swept.right
    expected = miter.circuit.evaluate(onehot(circuit, strings(circuit)), miter.left + miter.right + [miter.diff])
    full = miter_cnf(swept)
    constrained = constrained_cnf(circuit, outputs)
    for word, values in zip(strings(circuit), expected):
        fixed = [[full.input_lits[i, a] if a == ALPHABET[s] else -full.input_lits[i, a]] for i, s in enumerate(word) for a in ALPHABET]
        with Solver(name="cadical195", bootstrap_with=full.clauses + fixed) as solver:
            assert solver.solve() == bool(values[-1])
        fixed = [[constrained.input_lits[i, a] if a == ALPHABET[s] else -constrained.input_lits[i, a]] for i, s in enumerate(word) for a in ALPHABET]
        with Solver(name="cadical195", bootstrap_with=constrained.clauses + fixed) as solver:
            assert solver.solve()
            model = set(solver.get_model())
            assert [constrained.lits[node] in model for node in outputs] == list(values[:-1])


def test_every_string_pairs(sweep_everything):
    """Sweeping a miter of two different adder orders at every small length:
    always equivalent, never a wrong merge."""
    for n in range(1, 7):
        miter = build_miter(count_case(n), n)
        result = sweep(miter)
        words = all_words(2, n)
        swept = result.miter
        assert not swept.circuit.evaluate(np.eye(2, dtype=np.uint8)[words], [swept.diff]).any()
        assert list(itertools.chain(*swept.circuit.evaluate(np.eye(2, dtype=np.uint8)[words], swept.left))) == \
            list(itertools.chain(*miter.circuit.evaluate(np.eye(2, dtype=np.uint8)[words], miter.left)))


def test_easy_miters_are_not_swept(monkeypatch):
    """By default a miter is swept only when the solver could not decide it
    within EASY_CONFLICTS conflicts."""
    easy = api.decide(count_case(10), sample=False).per_length[0]
    assert easy.status == "equivalent" and easy.merged == 0 and easy.sweep_s == 0 and easy.conflicts < pipeline.EASY_CONFLICTS
    monkeypatch.setattr(pipeline, "EASY_CONFLICTS", 1)
    hard = api.decide(count_case(10), sample=False).per_length[0]
    assert hard.status == "equivalent" and hard.merged > 0 and hard.method == "sat"


def test_solve_stops_at_max_conflicts():
    pigeons = PHP(7).clauses  # 8 pigeons in 7 holes: many conflicts to refute
    answer = solve(pigeons, max_conflicts=50)
    assert answer.status == "unknown" and 50 <= answer.conflicts < 1000
    assert solve(pigeons).status == "unsat"


def test_certified_lengths_are_not_swept(sweep_everything):
    """Under --certify the DRUP proof is about the exact miter CNF: no sweeping."""
    result = api.decide(count_case(10), sample=False, certify=True).per_length[0]
    assert result.status == "equivalent" and result.certified and result.merged == 0
    assert api.decide(count_case(10), sample=False).per_length[0].merged > 0


@pytest.mark.parametrize("seed", range(6))
def test_sweeping_solver_with_fixed_input_is_not_vacuous(seed, sweep_everything):
    """The solver that decides a swept length (its CNF plus every merge's
    equivalence clauses), with a concrete string assumed: diff is satisfiable
    iff the models differ on that string."""
    miter = random_miter(random.Random(seed), 3, 40)
    expected = miter.circuit.evaluate(onehot(miter.circuit, strings(miter.circuit)), [miter.diff])[:, 0]
    with Sweeper(miter) as sweeper:
        sweeper.sweep(seed)
        lits = sweeper.cnf.input_lits
        for word, differs in zip(strings(miter.circuit), expected):
            fixed = [lits[i, a] if a == ALPHABET[s] else -lits[i, a] for i, s in enumerate(word) for a in ALPHABET]
            answer = sweeper.engine.solve([sweeper.cnf.lits[miter.diff]] + fixed)
            assert (answer.status == "sat") == bool(differs)
