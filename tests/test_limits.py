"""Size guards (casefile/limits.py): an absurd case is a one-line error naming
the key (exit 2) from every command that loads a case, in bounded time."""

import glob
import os
import time

import numpy as np
import pytest
import yaml
from click.testing import CliRunner
from tcverify.casefile import limits
from tcverify.kinds.case import check_size, load_case
from tcverify.kinds.transformer.cost import estimate_gates
from tcverify.commands.cli import main

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MAJORITY = {"circuit": {"builtin": "majority", "symbol": "1"}}


def transformer(d=2, blocks=1, bits=(4, 4), **extra):
    row = lambda: [0.5] * d
    head = {"type": "softmax", "wq": [row()], "wk": [row()], "wv": [row()], "wo": [[1]] * d}
    return {"transformer": {"number_format": {"int_bits": bits[0], "frac_bits": bits[1]}, "d_model": d,
                            "embedding": {"0": row(), "1": row()},
                            "blocks": [{"attention": {"heads": [head]}}] * blocks,
                            "readout": {"weights": row(), "bias": 0}, **extra}}


def write(tmp_path, lengths, left=MAJORITY, right=MAJORITY, name="case.yaml"):
    path = tmp_path / name
    path.write_text(yaml.safe_dump({"tcverify": 1, "alphabet": ["0", "1"], "lengths": lengths,
                                    "left": left, "right": right}))
    return str(path)


def one_error(run, *words):
    assert run.exit_code == 2, run.output
    lines = [line for line in run.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in run.output, run.output
    for word in words:
        assert word in lines[0], lines[0]


@pytest.mark.parametrize("lengths", [1000000000, {"min": 0, "max": 99999}, [3, 5000]])
def test_a_length_past_the_cap_is_an_error_at_once(tmp_path, lengths):
    path = write(tmp_path, lengths)
    start = time.monotonic()
    one_error(CliRunner().invoke(main, ["validate", path]), "lengths", "cap of 1000", "--max-length")
    one_error(CliRunner().invoke(main, ["prove", path]), "lengths", "cap of 1000")
    assert time.monotonic() - start < 5


def test_max_length_raises_the_cap(tmp_path):
    path = write(tmp_path, [1200])
    assert CliRunner().invoke(main, ["validate", path]).exit_code == 2
    run = CliRunner().invoke(main, ["validate", path, "--max-length", "1500"])
    assert run.exit_code == 0, run.output
    one_error(CliRunner().invoke(main, ["prove", write(tmp_path, [30]), "--max-length", "20"]), "cap of 20")


@pytest.mark.parametrize("bits,key", [((60, 8), "number_format (int_bits + frac_bits)"),
                                      ((4, 100000), "number_format (int_bits + frac_bits)")])
def test_number_formats_past_64_bits(tmp_path, bits, key):
    one_error(CliRunner().invoke(main, ["validate", write(tmp_path, 3, left=transformer(bits=bits))]), key, "64")


def test_exp_frac_bits_past_64(tmp_path):
    model = transformer()
    model["transformer"]["blocks"][0]["attention"]["heads"][0]["exp_frac_bits"] = 10 ** 6
    one_error(CliRunner().invoke(main, ["validate", write(tmp_path, 3, left=model)]), "exp_frac_bits")


def test_parameters_repeated_by_aliases_are_counted(tmp_path):
    """A YAML alias repeats one 1000-wide row 3000 times: 3e6 parameters in a few KB."""
    row = "[" + ", ".join(["0.5"] * 1000) + "]"
    text = (f"tcverify: 1\nalphabet: ['0', '1']\nlengths: 2\nright: {{circuit: {{builtin: majority, symbol: '1'}}}}\n"
            f"left:\n  transformer:\n    number_format: {{int_bits: 4, frac_bits: 4}}\n    d_model: 1000\n"
            f"    embedding: {{'0': &row {row}, '1': *row}}\n"
            f"    blocks: [{{mlp: {{w1: [{', '.join(['*row'] * 3000)}], activation: relu, w2: [[0]]}}}}]\n"
            f"    readout: {{weights: *row}}\n")
    path = tmp_path / "aliases.yaml"
    path.write_text(text)
    start = time.monotonic()
    one_error(CliRunner().invoke(main, ["validate", str(path)]), "left.transformer.blocks[0].mlp.w1", "1,000,000 parameters")
    assert time.monotonic() - start < 10


def test_npz_arrays_are_counted_before_conversion(tmp_path):
    np.savez(tmp_path / "big.npz", w=np.zeros((1100, 1000)))
    model = transformer()
    model["transformer"]["blocks"] = [{"mlp": {"w1": "@big.npz:w", "activation": "relu", "w2": [[0] * 1100] * 2}}]
    one_error(CliRunner().invoke(main, ["validate", write(tmp_path, 3, left=model)]), "w1", "parameters")


def test_netlist_gate_count(tmp_path, monkeypatch):
    monkeypatch.setattr(limits, "MAX_NETLIST_GATES", 10)
    (tmp_path / "chain.py").write_text(
        "def build(n, alphabet):\n"
        "    gates = [{'id': f'g{i}', 'op': 'not', 'in': [f'g{i - 1}' if i else 'x[0][1]']} for i in range(20)]\n"
        "    return {'alphabet': list(alphabet), 'length': n, 'gates': gates, 'outputs': ['g19']}\n")
    one_error(CliRunner().invoke(main, ["validate", write(tmp_path, 2, left={"circuit": {"python": "chain.py:build"}})]),
              "gates", "20 gates")


def test_the_miter_estimate_rejects_an_absurd_transformer(tmp_path):
    path = write(tmp_path, 1000, left=transformer(d=64, blocks=8, bits=(16, 16)))
    one_error(CliRunner().invoke(main, ["validate", path]), "left", "gates")
    one_error(CliRunner().invoke(main, ["prove", path, "--timeout", "5"]), "left", "gates")


def test_the_library_is_under_every_guard():
    """Every library case and every bench case (the issue-21 Tracr models up to n = 32)."""
    paths = glob.glob(os.path.join(ROOT, "cases", "*", "*.yaml")) + glob.glob(os.path.join(ROOT, "bench", "cases", "*.yaml"))
    assert any("shuffle-dyck1-len32" in path for path in paths)
    for path in paths:
        check_size(load_case(path, warn=lambda message: None))


def test_estimate_grows_with_length_and_width(tmp_path):
    narrow = load_case(write(tmp_path, 2, left=transformer(d=2), name="narrow.yaml")).left
    wide = load_case(write(tmp_path, 2, left=transformer(d=8), name="wide.yaml")).left
    assert estimate_gates(narrow, 16) > 3 * estimate_gates(narrow, 8)
    assert estimate_gates(wide, 8) > estimate_gates(narrow, 8)


@pytest.mark.parametrize("command", [
    ["cnf", "--length", "3", "-o", "out.cnf"], ["aiger", "--length", "3", "-o", "out.aig"],
    ["compile", "--side", "left", "--length", "3", "--stats"], ["sweep", "--vary", "right.transformer.number_format.frac_bits=3:4"],
    ["simulate", "--input", "0"]])
def test_every_command_that_loads_a_case_runs_the_size_guards(tmp_path, monkeypatch, command):
    """The front door's `load` always checks the size guards (here a length past the cap)."""
    path = write(tmp_path, [3, 5000], left=transformer(), right=transformer())
    monkeypatch.chdir(tmp_path)
    start = time.monotonic()
    one_error(CliRunner().invoke(main, [command[0], path, *command[1:]]), "lengths", "cap of 1000")
    assert time.monotonic() - start < 5 and not any(tmp_path.glob("out.*"))
