"""`prove` end to end: every conformance case gets its expected verdict and a
shortest counterexample; the CLI's exit codes, --json, --junit and --jobs."""

import json
import os
import xml.etree.ElementTree as ET

import pytest
from click.testing import CliRunner
from conftest import CONFORMANCE, conformance_expected, conformance_folder
from tcverify.commands.cli import main
from tcverify import api


pytestmark = pytest.mark.usefixtures("conformance_dir")


def expected_cases():
    return sorted(conformance_expected().items())


def bad_cases():
    return sorted(conformance_expected("bad", with_next=True))


def next_cases():
    """conformance-next's cases (spec 2.1 floats and 3.3 layer norm)."""
    first = conformance_expected()
    return sorted((rel, want) for rel, want in conformance_expected(with_next=True).items() if rel not in first)


@pytest.mark.parametrize("sample", [True, False], ids=["sampling+sat", "sat-only"])
@pytest.mark.parametrize("rel,want", expected_cases(), ids=[rel.split("/")[0] for rel, _ in expected_cases()])
def test_conformance_verdict(rel, want, sample):
    result = api.decide_path(os.path.join(CONFORMANCE, rel), sample=sample)
    assert result.verdict == want["verdict"], result.message
    if want["verdict"] == "counterexample":
        cex = result.counterexample
        assert cex["length"] == want["shortest_len"]
        assert cex["left"] != cex["right"]
        assert result.lengths[-1] == want["shortest_len"]


@pytest.mark.parametrize("method", ["auto", "exhaustive", "sat"])
@pytest.mark.parametrize("rel,want", next_cases(), ids=[rel.split("/")[0] for rel, _ in next_cases()])
def test_next_conformance_verdict(rel, want, method):
    """By SAT without the sampling pass too: the float and layer-norm lowering (issue 18)."""
    result = api.decide_path(os.path.join(conformance_folder(rel.split("/")[0]), rel), method=method,
                             sample=method != "sat")
    assert result.verdict == want["verdict"], result.message
    if want["verdict"] == "counterexample":
        cex = result.counterexample
        assert cex["length"] == want["shortest_len"] and cex["left"] != cex["right"]


@pytest.mark.parametrize("rel", bad_cases())
def test_bad_cases_exit_2_with_one_line(rel):
    path = os.path.join(conformance_folder(rel.split("/")[0], "bad"), rel)
    run = CliRunner().invoke(main, ["prove", path])
    assert run.exit_code == 2, run.output
    assert "Traceback" not in run.output
    lines = [line for line in run.output.splitlines() if line.strip()]
    assert len(lines) == 1 and os.path.basename(rel).split(".")[0] in lines[0]


def test_cli_json_and_exit_codes(tmp_path):
    equal = os.path.join(CONFORMANCE, "21-builder-parity-every", "21-builder-parity-every.yaml")
    unexpected = os.path.join(CONFORMANCE, "24-builtin-majority-vs-count", "24-builtin-majority-vs-count.yaml")
    run = CliRunner().invoke(main, ["prove", equal, "--json"])
    assert run.exit_code == 0, run.output
    report = json.loads(run.output.strip().splitlines()[-1])
    assert report["verdict"] == "equivalent" and report["lengths"] == [1, 2, 3, 4, 5]
    assert {"case", "verdict", "lengths", "time_s"} <= set(report)
    run = CliRunner().invoke(main, ["prove", unexpected, equal, "--json"])
    assert run.exit_code == 1
    first = json.loads(run.output.splitlines()[0])
    assert first["verdict"] == "counterexample" and first["counterexample"]["length"] == 6


def test_timeout_gives_unknown_exit_3():
    path = os.path.join(CONFORMANCE, "22-dyck1-vs-dfa", "22-dyck1-vs-dfa.yaml")
    run = CliRunner().invoke(main, ["prove", path, "--timeout", "1e-9", "--json"])
    assert run.exit_code == 3, run.output
    assert json.loads(run.output.strip().splitlines()[-1])["verdict"] == "unknown"


def test_junit_and_jobs_agree(tmp_path):
    paths = [os.path.join(CONFORMANCE, rel) for rel, _ in expected_cases()[:6]]
    junit = tmp_path / "reports" / "out.xml"  # the folder is made as needed
    one = CliRunner().invoke(main, ["prove", *paths, "--json", "--jobs", "1", "--junit", str(junit)])
    two = CliRunner().invoke(main, ["prove", *paths, "--json", "--jobs", "2"])
    verdicts = lambda run: [(r["case"], r["verdict"], r.get("counterexample", {}).get("length"))
                            for r in map(json.loads, run.output.strip().splitlines())]
    assert verdicts(one) == verdicts(two)
    assert one.exit_code == two.exit_code
    suite = ET.parse(junit).getroot()
    assert suite.tag == "testsuite" and len(suite.findall("testcase")) == len(paths)


def test_directory_of_cases_is_expanded():
    run = CliRunner().invoke(main, ["validate", os.path.join(CONFORMANCE, "10-model-file-exact-decimal")])
    assert run.exit_code == 0, run.output
    assert run.output.count("ok ") == 1  # the model file models/exact.yaml is not a case
