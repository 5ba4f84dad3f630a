"""Every sample of every conformance `.io.json` (both folders) is reproduced exactly by the exact
evaluator (bits and traces), the batch evaluator and `simulate`."""

import json
import os

import numpy as np
import pytest
from conftest import conformance_folder, conformance_names
from tcverify.kinds.case import load_case
from tcverify.core.models import Transformer
from tcverify.commands.simulate import parse_input
from tcverify.kinds.simulate import simulate
from tcverify import kinds
from tcverify.kinds.transformer import evaluate as transformer_evaluate
from tcverify.kinds import run_batch

NAMES = conformance_names(with_next=True)


def load(conformance_dir, name):
    folder = conformance_folder(name)
    case = load_case(os.path.join(folder, name, name + ".yaml"), warn=lambda message: None)
    with open(os.path.join(folder, name, name + ".io.json")) as handle:
        return case, json.load(handle)


@pytest.mark.parametrize("name", NAMES)
def test_exact_evaluator_and_traces(conformance_dir, name):
    case, samples = load(conformance_dir, name)
    traced = 0
    for sample in samples:
        for side in ("left", "right"):
            model = getattr(case, side)
            assert kinds.run(model, sample["input"], case.alphabet, case.outputs) == sample[side], (side, sample["input"])
            if side + "_trace" in sample:
                assert isinstance(model, Transformer)
                stages = transformer_evaluate.trace(model, sample["input"], case.alphabet, case.outputs)["stages"]
                assert [[[str(v) for v in row] for row in stage] for stage in stages] == sample[side + "_trace"]
                traced += 1
    transformers = sum(isinstance(m, Transformer) for m in (case.left, case.right))
    assert traced >= transformers  # every transformer side has at least one trace to compare


@pytest.mark.parametrize("name", NAMES)
def test_batch_evaluator(conformance_dir, name):
    case, samples = load(conformance_dir, name)
    for n in sorted({len(s["input"]) for s in samples}):
        group = [s for s in samples if len(s["input"]) == n]
        words = np.array([[case.alphabet.index(a) for a in s["input"]] for s in group], dtype=np.int64).reshape(len(group), n)
        for side in ("left", "right"):
            got = run_batch(getattr(case, side), words, case.alphabet, case.outputs)
            assert got.tolist() == [s[side] for s in group], (side, n)


@pytest.mark.parametrize("name", NAMES)
def test_simulate_matches_samples(conformance_dir, name):
    case, samples = load(conformance_dir, name)
    for sample in samples[:12]:
        word = sample["input"]
        text = "".join(word) if all(len(a) == 1 for a in case.alphabet) else ",".join(word)
        result = simulate(case, parse_input(text, case.alphabet))
        json.dumps(result)
        assert result["input"] == word
        assert (result["left"], result["right"]) == (sample["left"], sample["right"])
        for side in ("left", "right"):
            if side + "_trace" in sample:
                assert result[side + "_trace"] == sample[side + "_trace"]
