"""Proof methods (`--method auto|sat|exhaustive`, issue 9 item 6) and certified
verdicts (`--certify`, issue 11)."""

import dataclasses
import json
import os
import random
import time

import pytest
from click.testing import CliRunner
from pysat.solvers import Solver
from conftest import CASES
from random_models import random_transformer
from tcverify.kinds.case import load_case
from tcverify.core.models import Case
from tcverify.commands.cli import main
from tcverify.commands.discovery import case_files
from tcverify.errors import InternalError
from tcverify.core import ir
from tcverify.proving import certify, exhaustive, solver
from tcverify.proving.miter import build_miter, miter_cnf
from tcverify import api
from tcverify.proving import pipeline
from tcverify.proving.pipeline import all_words
from tcverify.proving.results import LengthResult
from tcverify import kinds

SAT_METHODS = {"sat", "sampling", "trivial"}


def test_word_chunks_are_every_string_in_order():
    chunks = list(exhaustive.word_chunks(3, 4, chunk=7))
    assert max(len(c) for c in chunks) == 7
    assert [list(w) for c in chunks for w in c] == [list(w) for w in all_words(3, 4)]
    assert [c.shape for c in exhaustive.word_chunks(2, 0)] == [(1, 0)]


def shortest_by_exact_evaluator(case: Case):
    for n in case.lengths:
        for word in all_words(len(case.alphabet), n):
            word = [case.alphabet[s] for s in word]
            if kinds.run(case.left, word, case.alphabet, case.outputs) != kinds.run(case.right, word, case.alphabet, case.outputs):
                return n
    return None


def by_method(case: Case) -> dict:
    return {method: api.decide(case, method=method) for method in ("exhaustive", "sat", "auto")}


def check_methods_agree(case: Case, results: dict):
    verdicts = {(r.verdict, r.counterexample and r.counterexample["length"]) for r in results.values()}
    assert len(verdicts) == 1, {m: (r.verdict, r.counterexample) for m, r in results.items()}
    assert {o.method for o in results["exhaustive"].per_length} == {"exhaustive"}
    assert {o.method for o in results["sat"].per_length} <= SAT_METHODS
    assert {o.method for o in results["auto"].per_length} <= SAT_METHODS | {"exhaustive"}


def library_cases():
    return [os.path.relpath(path, CASES) for path in case_files([CASES])]


@pytest.mark.parametrize("rel", library_cases())
def test_methods_agree_on_the_library(rel):
    case = load_case(os.path.join(CASES, rel), warn=lambda message: None)
    short = tuple(n for n in case.lengths if len(case.alphabet) ** n <= 16)
    if not short:
        pytest.skip("no length with at most 16 strings")
    case = dataclasses.replace(case, lengths=short)
    check_methods_agree(case, by_method(case))


@pytest.mark.parametrize("seed", range(10))
def test_methods_agree_with_the_exact_evaluator_on_random_transformers(seed):
    rng = random.Random(seed)
    alphabet = ("a", "b")
    fmt = dict(number_format=None, param_format=None)
    left = random_transformer(rng, alphabet, bos="<s>", max_length=5, **fmt)
    # the same transformer at another format: often equivalent at short lengths
    right = left if seed % 4 == 0 else dataclasses.replace(
        left, number_format=dataclasses.replace(left.number_format, frac_bits=left.number_format.frac_bits + 1))
    case = Case("<test>", "random", alphabet, (1, 2, 3, 4, 5), "last", left, right)
    results = by_method(case)
    check_methods_agree(case, results)
    shortest = shortest_by_exact_evaluator(case)
    assert results["exhaustive"].verdict == ("equivalent" if shortest is None else "counterexample")
    if shortest is not None:
        assert results["exhaustive"].counterexample["length"] == shortest


def test_auto_enumerates_small_lengths_and_proves_long_ones_by_sat():
    case = load_case(os.path.join(CASES, "circuits", "parity-xor-chain-n48.yaml"), warn=lambda message: None)
    result = api.decide(dataclasses.replace(case, lengths=(2, 40)))
    assert [(o.n, o.method) for o in result.per_length] == [(2, "exhaustive"), (40, "sat")]
    assert api.decide(dataclasses.replace(case, lengths=(2,)), sample=False).per_length[0].method in SAT_METHODS


def test_auto_weighs_the_measured_cost_per_string(monkeypatch):
    """Past the strings the sampling pass enumerates, auto enumerates what is cheap
    at the measured cost per string (a dear estimate is re-measured on one chunk),
    else tries SAT within the enumeration estimate and enumerates only if SAT did
    not decide in it."""
    case = load_case(os.path.join(CASES, "circuits", "parity-xor-chain-n48.yaml"), warn=lambda message: None)
    case = dataclasses.replace(case, lengths=(14,))
    assert api.length_method(case, 3) == "exhaustive"
    assert api.length_method(case, 14) == "auto"
    assert api.length_method(case, 14, method="sat") == "sat"
    assert exhaustive.enumeration_seconds(case, 14, 1e-3) == 2 ** 14 * 1e-3
    word, per_string = pipeline.calibrate(case, 14, 0)
    assert word is None and 0 < per_string < 1
    start = time.monotonic()
    cheap, _ = pipeline.auto_length(case, 14, api.stages(), None, start, 1e-12)
    assert (cheap.status, cheap.method) == ("equivalent", "exhaustive")
    monkeypatch.setattr(pipeline, "calibrate", lambda case, n, seed: (None, 1.0))
    dear, _ = pipeline.auto_length(case, 14, api.stages(), None, start, 1.0)
    assert (dear.status, dear.method) == ("equivalent", "sat")
    budgets = []

    def out_of_budget(case, n, stages, deadline, start, certify_trivial=True, attempt=None, miter=None):
        budgets.append(attempt - time.monotonic())
        return LengthResult.unknown(n, "timeout"), None

    monkeypatch.setattr(pipeline, "sat_length", out_of_budget)
    fallback, _ = pipeline.auto_length(case, 14, api.stages(), None, start, 1.0)
    assert (fallback.status, fallback.method) == ("equivalent", "exhaustive")
    assert 0 < budgets[0] <= 2 ** 14
    monkeypatch.setattr(pipeline, "calibrate", lambda case, n, seed: (["a"] * n, 1.0))
    found, word = pipeline.auto_length(case, 14, api.stages(), None, start, 1.0)
    assert (found.status, found.method, word) == ("counterexample", "sampling", ["a"] * 14)


def test_auto_reads_the_lowered_miter(monkeypatch):
    """auto lowers the miter within the enumeration's estimate and weighs the miter's real
    size (`exhaustive.sat_seconds`): a lowering past the budget (`ir.OutOfTime`) or a dear
    miter is enumerated, a cheap one solved; under --certify a constant miter is enumerated
    while enumeration is cheap."""
    case = load_case(os.path.join(CASES, "circuits", "parity-xor-chain-n48.yaml"), warn=lambda message: None)
    start, per_string = time.monotonic(), 1.0 / 2 ** 14  # a budget of 1 s
    miter = build_miter(case, 14)
    assert exhaustive.sat_seconds(miter) == len(miter.circuit.gates) * exhaustive.SAT_S_PER_GATE > 0
    monkeypatch.setattr(exhaustive, "SAT_S_PER_GATE", 10.0)
    assert pipeline.auto_length(case, 14, api.stages(), None, start, per_string)[0].method == "exhaustive"
    monkeypatch.setattr(exhaustive, "SAT_S_PER_GATE", 0.0)
    assert pipeline.auto_length(case, 14, api.stages(), None, start, per_string)[0].method == "sat"
    monkeypatch.setattr(ir, "DEADLINE_EVERY", 1)  # the clock is read at every gate: a budget of 1e-9 s runs out
    assert pipeline.auto_length(case, 14, api.stages(), None, start, 1e-9 / 2 ** 14)[0].method == "exhaustive"
    with pytest.raises(ir.OutOfTime):
        build_miter(case, 14, deadline=time.monotonic() - 1)
    assert build_miter(case, 14, deadline=time.monotonic() + 60).circuit.deadline is None  # built: no bound after
    majority = load_case(os.path.join(CASES, "majority", "majority-uniform-head-f4.yaml"), warn=lambda message: None)
    assert exhaustive.sat_seconds(build_miter(majority, 13)) == 0.0  # rewriting makes it constant
    assert pipeline.auto_length(majority, 13, api.stages(), None, start, 1e-4)[0].method == "trivial"
    assert pipeline.auto_length(majority, 13, api.stages(certify=True), None, start, 1e-4)[0].method == "exhaustive"


def test_exhaustive_past_the_deadline_is_unknown():
    case = load_case(os.path.join(CASES, "circuits", "parity-xor-chain-n48.yaml"), warn=lambda message: None)
    status, word = exhaustive.enumerate_length(dataclasses.replace(case, lengths=(20,)), 20, deadline=0.0)
    assert (status, word) == ("unknown", None)


def test_cli_method_labels_and_errors():
    path = os.path.join(CASES, "circuits", "parity-xor-chain-n48.yaml")
    run = CliRunner().invoke(main, ["prove", path, "--method", "exhaustive", "--set", "lengths={min: 1, max: 6}", "--json"])
    assert run.exit_code == 0, run.output
    report = json.loads(run.output.strip().splitlines()[-1])
    assert [r["method"] for r in report["per_length"]] == ["exhaustive"] * 6
    run = CliRunner().invoke(main, ["prove", path, "--method", "exhaustive", "--set", "lengths={min: 1, max: 6}"])
    assert "(exhaustive 1..6)" in run.output
    # beyond the cap: a one-line input error naming the file and the key
    run = CliRunner().invoke(main, ["prove", path, "--method", "exhaustive"])
    assert run.exit_code == 2 and "method" in run.output and "parity-xor-chain-n48.yaml" in run.output, run.output
    run = CliRunner().invoke(main, ["prove", path, "--method", "exhaustive", "--no-sample"])
    assert run.exit_code == 2 and "--method" in run.output and "Traceback" not in run.output


# -- certified verdicts -----------------------------------------------------------


# a formula that is UNSAT and refuted by the proof "1 0", "3 0", "0": each lemma
# is RUP and none is without the one before; "-1 0" is not RUP
SMALL = [[1, 2], [1, -2], [-1, 3, 4], [-1, 3, -4], [-1, -3, 5], [-1, -3, -5]]
SMALL_PROOF = ["1 0", "3 0", "0"]


def real_miter(rel="dyck/dyck1-counting-f3.yaml", n=10, counts=True):
    case = load_case(os.path.join(CASES, rel), warn=lambda message: None)
    miter = build_miter(case, n, counts=counts)
    assert miter.circuit.const_value(miter.diff) is None, "a trivial miter has no proof to check: choose another"
    return miter_cnf(miter)


def cadical_proof(clauses, name="cadical195"):
    answer = solver.solve(clauses, name, proof=True)
    assert answer.status == "unsat"
    return answer.proof


def test_the_small_proof_checks_and_its_tamperings_do_not():
    assert certify.check_unsat_proof(SMALL, SMALL_PROOF).lemmas == 3
    tampered = {
        "a lemma removed": ["3 0", "0"],
        "a literal flipped": ["-1 0", "3 0", "0"],
        "the empty clause missing": ["1 0", "3 0"],
        "a lemma that is not RUP": ["5 0", "1 0", "3 0", "0"],
        "no 0 at the end": ["1", "3 0", "0"],
        "not a clause": ["1 x 0", "0"],
    }
    for what, proof in tampered.items():
        with pytest.raises(certify.ProofRejected):
            certify.check_unsat_proof(SMALL, proof)
            pytest.fail(what)


def test_deletions_and_comments_are_ignored():
    proof = ["c a comment", "d 1 2 0", "1 0", "d 1 -2 0", "3 0", "0"]
    check = certify.check_unsat_proof(SMALL, proof)
    assert (check.lemmas, check.deletions) == (3, 2)


@pytest.mark.parametrize("name", certify.CERTIFYING_SOLVERS)
@pytest.mark.parametrize("rel,n", [("dyck/dyck1-counting-f3.yaml", 10), ("references/tc0-parity-vs-builtin.yaml", 10),
                                   ("circuits/majority-sorting-network-n32.yaml", 16)])
def test_proofs_of_real_miters_check(rel, n, name):
    cnf = real_miter(rel, n)
    proof = cadical_proof(cnf.clauses, name)
    check = certify.check_unsat_proof(cnf.clauses, proof)
    assert check.lemmas == sum(1 for line in proof if not line.startswith("d")) and check.lemmas > 1


def test_tampered_real_proofs_are_rejected():
    cnf = real_miter()
    proof = [line for line in cadical_proof(cnf.clauses) if not line.startswith("d")]
    assert proof[-1] == "0"
    with pytest.raises(certify.ProofRejected):  # the empty clause missing
        certify.check_unsat_proof(cnf.clauses, proof[:-1])
    with pytest.raises(certify.ProofRejected):  # the lemmas removed: UP alone does not refute the miter
        certify.check_unsat_proof(cnf.clauses, proof[-1:])
    with Solver(name="minisat22", bootstrap_with=cnf.clauses) as propagator:  # an input symbol UP does not force
        free = next(lit for lit in cnf.input_lits.values() if propagator.propagate(assumptions=[-lit])[0])
    with pytest.raises(certify.ProofRejected):  # not RUP: a unit fixing that input symbol
        certify.check_unsat_proof(cnf.clauses, [f"{free} 0"] + proof)
    flipped = [" ".join(str(-int(w)) if k == 0 else w for k, w in enumerate(line.split())) for line in proof[:-1]]
    with pytest.raises(certify.ProofRejected):
        certify.check_unsat_proof(cnf.clauses, flipped + ["0"])


def test_a_satisfiable_formula_is_never_certified_unsat():
    cnf = real_miter()
    # the miter without its `diff = 1` unit is satisfiable (any string): the miter's proof must not refute it
    diff_unit = next(c for c in cnf.clauses if len(c) == 1)
    satisfiable = [c for c in cnf.clauses if c is not diff_unit]
    with Solver(name="minisat22", bootstrap_with=satisfiable) as engine:
        assert engine.solve()
    with pytest.raises(certify.ProofRejected):
        certify.check_unsat_proof(satisfiable, cadical_proof(cnf.clauses))
    rng = random.Random(1)
    for _ in range(200):
        clauses = [[rng.choice((-1, 1)) * rng.randint(1, 8) for _ in range(3)] for _ in range(rng.randint(1, 30))]
        with Solver(name="minisat22", bootstrap_with=clauses) as engine:
            if not engine.solve():
                continue
        lemmas = [" ".join(str(rng.choice((-1, 1)) * rng.randint(1, 8)) for _ in range(rng.randint(1, 2))) + " 0"
                  for _ in range(rng.randint(0, 6))]
        with pytest.raises(certify.ProofRejected):
            certify.check_unsat_proof(clauses, lemmas + ["0"])


def test_a_formula_refuted_by_propagation_needs_only_the_empty_clause():
    assert certify.check_unsat_proof([[1], [-1, 2], [-2]], ["0"]).lemmas == 1
    with pytest.raises(certify.ProofRejected):
        certify.check_unsat_proof([[1], [-1, 2]], ["0"])
    with pytest.raises(certify.ProofRejected):  # a lemma falsified at the top level is not RUP
        certify.check_unsat_proof([[1], [-1, 2]], ["-2 0", "0"])


def test_a_check_past_the_deadline_gives_no_answer():
    cnf = real_miter(counts=False)  # a long proof: with count forms this miter takes a hundred lines
    proof = cadical_proof(cnf.clauses)
    assert len(proof) > certify.DEADLINE_EVERY
    assert certify.check_unsat_proof(cnf.clauses, proof, deadline=0.0) is None


def test_a_proof_over_several_deadline_slices_checks(monkeypatch):
    cnf = real_miter("dyck/dyck1-counting-f3.yaml", 10, counts=False)  # (as above)
    monkeypatch.setattr(solver, "CONFLICTS_PER_SLICE", 20)
    answer = solver.solve(cnf.clauses, deadline=float("inf"), proof=True)
    assert answer.status == "unsat" and answer.conflicts_slices > 2
    assert certify.check_unsat_proof(cnf.clauses, answer.proof).lemmas > 20


def test_prove_certify_reports_and_sat_method_certifies_every_length():
    case = load_case(os.path.join(CASES, "dyck", "dyck1-counting-f3.yaml"), warn=lambda message: None)
    case = dataclasses.replace(case, lengths=(1, 2, 3, 8))
    result = api.decide(case, method="sat", certify=True)
    assert result.verdict == "equivalent"
    for outcome in result.per_length:
        assert outcome.method in ("sat", "trivial")
        if outcome.method == "sat":
            assert outcome.certified and outcome.proof_lemmas > 0 and outcome.check_time_s >= 0
    assert any(o.method == "sat" for o in result.per_length)
    plain = api.decide(case, method="sat")
    assert not any(o.certified for o in plain.per_length if o.status == "equivalent")


def test_a_proof_that_does_not_check_is_an_internal_error(monkeypatch):
    from tcverify.proving import pipeline

    real_solve = pipeline.solve

    def truncated(*args, **kwargs):
        answer = real_solve(*args, **kwargs)
        if answer.proof:
            answer.proof = answer.proof[:-1]
        return answer

    monkeypatch.setattr(pipeline, "solve", truncated)
    case = load_case(os.path.join(CASES, "dyck", "dyck1-counting-f3.yaml"), warn=lambda message: None)
    case = dataclasses.replace(case, lengths=(10,))
    with pytest.raises(InternalError):
        api.decide(case, method="sat", certify=True)
    path = os.path.join(CASES, "dyck", "dyck1-counting-f3.yaml")
    run = CliRunner().invoke(main, ["prove", path, "--certify", "--method", "sat", "--set", "lengths=[10]"])
    assert run.exit_code == 70 and "not include the empty clause" in run.output, run.output


def test_cli_certify_json_proof_dir_and_an_external_checker(tmp_path):
    dratify = pytest.importorskip("dratify")
    path = os.path.join(CASES, "dyck", "dyck1-counting-f3.yaml")
    run = CliRunner().invoke(main, ["prove", path, "--json", "--proof-dir", str(tmp_path), "--method", "sat",
                                    "--set", "lengths=[8, 10]"])
    assert run.exit_code == 0, run.output
    report = json.loads(run.output.strip().splitlines()[-1])
    sat = [r for r in report["per_length"] if r["method"] == "sat"]
    assert sat and all(r["certified"] and r["proof_lemmas"] > 0 and "check_time_s" in r for r in sat)
    for r in sat:
        cnf_path, proof_path = certify.proof_files(str(tmp_path), path, r["n"])
        with open(cnf_path) as handle:
            formula = dratify.parse_dimacs(handle.read())
        with open(proof_path) as handle:
            text = handle.read()
        result = dratify.check_proof(formula, text, engine="python")
        assert result.ok and result.reached_empty
        # and the external checker rejects a proof without its last lemmas
        lines = [line for line in text.splitlines() if not line.startswith("d")]
        assert not dratify.check_proof(formula, "\n".join(lines[:1]) + "\n0\n", engine="python").ok


def test_cli_certify_needs_a_cadical_solver():
    path = os.path.join(CASES, "dyck", "dyck1-counting-f3.yaml")
    run = CliRunner().invoke(main, ["prove", path, "--certify", "--solver", "maplesat"])
    assert run.exit_code == 2 and "--solver" in run.output and "Traceback" not in run.output


def test_under_certify_the_proof_is_about_the_exact_miter_cnf(tmp_path, monkeypatch):
    """Sweeping would rewrite the miter; under --certify it is off even where it
    would apply (EASY_CONFLICTS = 0 sweeps every miter), so the CNF written
    beside the proof is the miter's own CNF, clause for clause."""
    from tcverify.proving import pipeline

    monkeypatch.setattr(pipeline, "EASY_CONFLICTS", 0)
    path = os.path.join(CASES, "dyck", "dyck1-counting-f3.yaml")
    case = dataclasses.replace(load_case(path, warn=lambda message: None), lengths=(10,))
    swept = api.decide(case, method="sat").per_length[0]
    assert swept.merged > 0  # without --certify this miter is swept
    outcome = api.decide(case, method="sat", proof_dir=str(tmp_path), certify=True).per_length[0]
    assert outcome.certified and outcome.merged == 0
    cnf_path, _ = certify.proof_files(str(tmp_path), path, 10)
    with open(cnf_path) as handle:
        written = [[int(w) for w in line.split()[:-1]] for line in handle if line[0] not in "cp"]
    assert written == miter_cnf(build_miter(case, 10)).clauses
