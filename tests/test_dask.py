"""`prove --dask`: the units run on a Dask cluster of 2 worker processes and
the answers equal a sequential run's (`--jobs 1`), for a directory of cases
with counterexamples, equivalences and a bad case."""

import json
import logging
import os
import shutil

import pytest
from click.testing import CliRunner
from conftest import CASES as CASES_DIR
from conftest import CONFORMANCE
from distributed import LocalCluster
from tcverify.commands.cli import main
from tcverify.commands.discovery import case_files
from tcverify import api

CASES = [  # transformers, netlists, a builder, a built-in circuit, a DFA; longer lengths to cancel after a counterexample
    "06-hard-rightmost-last", "13-rounding-floor-vs-truncate", "19-netlist-all-ops-vs-builder",
    "20-netlist-yaml-count", "23-dyck1-vs-shallow-dfa", "24-builtin-majority-vs-count"]


@pytest.fixture(scope="module")
def case_dir(tmp_path_factory):
    """Conformance cases (counterexamples and equivalences) and one bad case, copied into one directory."""
    if not os.path.isdir(CONFORMANCE):
        pytest.skip("../shared/conformance is not beside the checkout")
    root = tmp_path_factory.mktemp("cases")
    for name in CASES:
        shutil.copytree(os.path.join(CONFORMANCE, name), root / name)
    bad = os.path.join(CONFORMANCE, "bad")
    name = sorted(os.listdir(bad))[0]
    shutil.copytree(os.path.join(bad, name), root / ("zz-bad-" + name))
    return str(root)


def comparable(record: dict) -> dict:
    """A case's JSON record (`prove --json`) without its times and the run's
    settings (the CLI adds `options`, and a counterexample's `simulate` command)."""
    record = dict(record)
    record.pop("time_s")
    record.pop("options", None)
    if record.get("counterexample"):
        record["counterexample"] = {k: v for k, v in record["counterexample"].items() if k != "simulate"}
    record["per_length"] = [(r["n"], r["status"], r["method"]) for r in record["per_length"]]
    return record


@pytest.fixture(scope="module")
def sequential(case_dir):
    """The answers of a run in order: one worker, one unit per case."""
    return [comparable(r.to_json()) for r in api.prove(case_files([case_dir]), jobs=1).results()]


def test_local_cluster_decides_like_one_job(case_dir, sequential):
    scheduler = api.prove(case_files([case_dir]), dask="local", jobs=2)  # a LocalCluster, closed by the scheduler at the end
    on_dask = [comparable(r.to_json()) for r in scheduler.results()]
    assert on_dask == sequential
    assert {r["verdict"] for r in sequential} == {"equivalent", "counterexample", "error"}
    assert scheduler.backend.cluster is None


@pytest.fixture(scope="module")
def scheduler_address():
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                           silence_logs=logging.ERROR)  # daemonic workers, as `dask worker` starts them
    try:
        yield cluster.scheduler_address
    finally:
        cluster.close()


def test_cli_dask_address_gives_the_jobs_1_answers(case_dir, sequential, scheduler_address):
    result = CliRunner().invoke(main, ["prove", case_dir, "--json", "--dask", scheduler_address])
    assert result.exit_code == 2, result.output  # the bad case: exit 2, as in order
    on_dask = [comparable(json.loads(line)) for line in result.output.splitlines() if line.startswith("{")]
    assert on_dask == sequential and len(on_dask) == len(CASES) + 1


def test_timeout_applies_per_unit_on_the_workers(scheduler_address):
    """Length 9 of the parity miter takes about 0.5 s here (it took SAT seconds before the range-free divider): past 0.05 s its unit is stopped there."""
    case = os.path.join(CASES_DIR, "chiang-cholak", "parity-exact-f7.yaml")
    result = CliRunner().invoke(main, ["prove", case, "--json", "--timeout", "0.05", "--set", "lengths=[9]", "--method", "sat",
                                       "--dask", scheduler_address])
    record = json.loads(result.output.splitlines()[-1])
    assert result.exit_code == 3 and record["verdict"] == "unknown" and record["reason"] == "timeout", result.output


def test_cli_rejects_a_dask_value_that_is_no_address(case_dir):
    result = CliRunner().invoke(main, ["prove", "--dask", "no-such-scheduler", case_dir])  # an existing path would be a case
    assert result.exit_code == 2 and "--dask" in result.output and len(result.output.strip().splitlines()) == 1
