"""The CLI's other commands: cnf + decode round trip through an external solver
run, sweep with its table and plot, --set, validate and simulate."""

import json
import os

import pytest
from click.testing import CliRunner
from conftest import CONFORMANCE
from pysat.formula import CNF
from pysat.solvers import Solver
from tcverify.commands.cli import main

COUNT = os.path.join(CONFORMANCE, "24-builtin-majority-vs-count", "24-builtin-majority-vs-count.yaml")
DYCK = os.path.join(CONFORMANCE, "23-dyck1-vs-shallow-dfa", "23-dyck1-vs-shallow-dfa.yaml")
pytestmark = pytest.mark.usefixtures("conformance_dir")


def solve_dimacs(path):
    with Solver(name="minisat22", bootstrap_with=CNF(from_file=path).clauses) as solver:
        if solver.solve():
            return "s SATISFIABLE\nv " + " ".join(map(str, solver.get_model())) + " 0\n"
        return "s UNSATISFIABLE\n"


def test_cnf_then_decode_replays_a_counterexample(tmp_path):
    out = tmp_path / "miter.cnf"
    run = CliRunner().invoke(main, ["cnf", DYCK, "--length", "8", "-o", str(out)])
    assert run.exit_code == 0, run.output
    text = out.read_text()
    assert "c tcverify input 0 ( " in text and "p cnf" in text
    answer = tmp_path / "answer.txt"
    answer.write_text(solve_dimacs(str(out)))
    run = CliRunner().invoke(main, ["decode", str(out), str(answer)])
    assert run.exit_code == 1, run.output
    assert "counterexample of length 8: (((())))" in run.output  # the only separating string of length 8
    assert "left circuit (builtin dyck1):  1" in run.output and "right dfa:" in run.output  # named by kind


def test_cnf_then_decode_unsat(tmp_path):
    out = tmp_path / "miter.cnf"
    assert CliRunner().invoke(main, ["cnf", DYCK, "--length", "6", "-o", str(out)]).exit_code == 0
    run = CliRunner().invoke(main, ["decode", str(out), "-"], input=solve_dimacs(str(out)))
    assert run.exit_code == 0 and "UNSAT" in run.output


def test_cnf_rejects_a_length_not_in_the_case(tmp_path):
    run = CliRunner().invoke(main, ["cnf", DYCK, "--length", "99", "-o", str(tmp_path / "x.cnf")])
    assert run.exit_code == 2 and "--length" in run.output


def test_cnf_takes_the_encoding_flags_but_no_solver(tmp_path):
    """The DIMACS file depends on the encoding, never on a solver: cnf has no --solver."""
    files = {}
    for encoding in ("totalizer", "seqcounter"):
        files[encoding] = tmp_path / f"{encoding}.cnf"
        run = CliRunner().invoke(main, ["cnf", COUNT, "--length", "6", "--cardinality", encoding, "--no-counts",
                                        "-o", str(files[encoding])])  # count forms: no threshold gate left
        assert run.exit_code == 0, run.output
    assert files["totalizer"].read_text() != files["seqcounter"].read_text()
    run = CliRunner().invoke(main, ["cnf", COUNT, "--length", "6", "--solver", "cadical195", "-o", str(tmp_path / "x.cnf")])
    assert run.exit_code == 2 and "--solver" in run.output


def test_set_override_changes_the_verdict():
    assert CliRunner().invoke(main, ["prove", COUNT]).exit_code == 1
    run = CliRunner().invoke(main, ["prove", COUNT, "--set", "lengths=5"])
    assert run.exit_code == 0, run.output
    run = CliRunner().invoke(main, ["prove", COUNT, "--set", "right.kk=3"])
    assert run.exit_code == 2 and "kk" in run.output


def test_sweep_table_json_and_plot(tmp_path):
    plot = tmp_path / "sweep.png"
    run = CliRunner().invoke(main, ["sweep", COUNT, "--vary", "right.k=2:4", "--max-len", "7", "--json", "--plot", str(plot)])
    assert run.exit_code == 0, run.output
    rows = [json.loads(line) for line in run.output.strip().splitlines()]
    assert [r["value"] for r in rows] == [2, 3, 4]
    # lengths 5..7 (the case's smallest up to --max-len); majority is count >= 3 at n = 5 but >= 4 at n = 6, so only k = 3 passes n = 5
    by_value = {r["value"]: r for r in rows}
    assert by_value[3]["counterexample"]["length"] == 6 and by_value[3]["longest_proved"] == 5
    for k in (2, 4):
        assert by_value[k]["counterexample"]["length"] == 5 and by_value[k]["longest_proved"] is None
    assert plot.exists() and plot.stat().st_size > 1000


def test_validate_and_simulate():
    run = CliRunner().invoke(main, ["validate", COUNT, DYCK])
    assert run.exit_code == 0 and run.output.count("ok ") == 2
    run = CliRunner().invoke(main, ["simulate", DYCK, "--input", "(())", "--json"])
    assert run.exit_code == 0, run.output
    result = json.loads(run.output)
    assert result["input"] == ["(", "(", ")", ")"] and result["left"] == [1] and result["right"] == [1]
