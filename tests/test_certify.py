"""Proof methods (`--method auto|sat|exhaustive`, issue 9 item 6) and certified
verdicts (`--certify`, issue 11)."""

import dataclasses
import json
import os
import random

import pytest
from click.testing import CliRunner
from conftest import CASES
from random_models import random_transformer
from tcverify.casefile.loader import load_case
from tcverify.casefile.models import Case
from tcverify.commands.cli import case_files, main
from tcverify.proving import exhaustive
from tcverify.proving.prove import ProveOptions, all_words, prove_case
from tcverify.semantics import evaluate

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
            if evaluate.run(case.left, word, case.alphabet, case.outputs) != evaluate.run(case.right, word, case.alphabet, case.outputs):
                return n
    return None


def by_method(case: Case) -> dict:
    return {method: prove_case(case, ProveOptions(method=method)) for method in ("exhaustive", "sat", "auto")}


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
    result = prove_case(dataclasses.replace(case, lengths=(2, 40)), ProveOptions())
    assert [(o.n, o.method) for o in result.per_length] == [(2, "exhaustive"), (40, "sat")]
    assert prove_case(dataclasses.replace(case, lengths=(2,)), ProveOptions(sample=False)).per_length[0].method in SAT_METHODS


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
