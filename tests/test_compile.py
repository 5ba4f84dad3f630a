"""`compile`: every conformance transformer compiled into a constant-depth
threshold circuit, checked against the exact evaluator on all strings of small
lengths, proved equivalent by SAT through a netlist file, with depth
independent of n."""

import json
import os

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import CONFORMANCE, MISSING, conformance_folder, conformance_names
from tcverify.kinds.case import load_case
from tcverify.kinds.circuit.load import parse_netlist
from tcverify.core.models import Case, Circuit, Transformer
from tcverify.commands.cli import main
from tcverify.exporters.netlist import to_netlist
from tcverify import api
from tcverify.proving.pipeline import all_words
from tcverify import kinds


pytestmark = pytest.mark.usefixtures("conformance_dir")


def transformer_cases():
    names = conformance_names(with_next=True)
    if names == [MISSING]:
        return names
    return [name for name in names if isinstance(load(name).left, Transformer)]


def load(name):
    return load_case(os.path.join(conformance_folder(name), name, name + ".yaml"), warn=lambda message: None)


def small_lengths(case, most=3, limit=4):
    return [n for n in case.lengths if n <= limit][:most]


@pytest.mark.parametrize("name", transformer_cases())
def test_compiled_netlist_equals_transformer(name, tmp_path):
    case = load(name)
    lengths = small_lengths(case)
    netlists = {}
    for n in lengths:
        circuit, outputs = api.compile(case, "left", n)
        data = json.loads(json.dumps(to_netlist(circuit, outputs)))  # through the file format
        netlists[n] = parse_netlist(data, f"compiled n={n}", case.alphabet, n, case.outputs)
        words = all_words(len(case.alphabet), n)
        want = kinds.run_batch(case.left, words, case.alphabet, case.outputs)
        got = kinds.run_batch(Circuit("netlist", "compiled", netlists.get), words, case.alphabet, case.outputs)
        assert np.array_equal(want, got), f"length {n}"
    compiled = Circuit("netlist", "compiled", netlists.get)
    pair = Case(case.path, case.name, case.alphabet, tuple(lengths), case.outputs, case.left, compiled)
    assert api.decide(pair, sample=False).verdict == "equivalent"


@pytest.mark.parametrize("name", transformer_cases())
def test_depth_does_not_grow_with_n(name):
    """Depth is the same at n = 8 and n = 16 (6 and 8 for a positional table of
    8 rows, which bounds the length); at n = 4 it can only be smaller, or 2
    (with at most 16 symbol combinations a value is tabulated as a DNF)."""
    case = load(name)
    small, mid, big = (4, 6, 8) if case.left.positional.kind == "table" else (4, 8, 16)
    depths = {n: api.circuit_stats(*api.compile(case, "left", n)).depth for n in (small, mid, big)}
    assert depths[mid] == depths[big] and depths[small] <= max(depths[big], 2), depths


def test_compile_cli_writes_netlists_and_stats(tmp_path):
    path = os.path.join(CONFORMANCE, "01-avg-majority", "01-avg-majority.yaml")
    out = tmp_path / "c_n{n}.json"
    plot = tmp_path / "stats.png"
    run = CliRunner().invoke(main, ["compile", path, "--lengths", "2:5", "-o", str(out), "--stats", "--plot", str(plot)])
    assert run.exit_code == 0, run.output
    assert "depth" in run.output and plot.exists()
    # the compiled netlists replace the case's right side: proved equivalent to the transformer
    run = CliRunner().invoke(main, ["prove", path, "--set", "lengths={min: 2, max: 5}",
                                    "--set", f"right={{circuit: {{netlist: '{tmp_path}/c_n{{n}}.json'}}}}"])
    assert run.exit_code == 0, run.output
