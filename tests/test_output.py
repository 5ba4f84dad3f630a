"""Output for people and for CI (issue 20), through the command line: checked
flag values, a closed pipe, the summary at 80 columns, totals, -k / -x,
progress without a terminal, explained counterexamples and their witness
files, simpler counterexamples, warnings with their case, honest
certificates, files only where asked, records for CI."""

import json
import os
import re
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET

import pytest
from click.testing import CliRunner
from conftest import CASES
from tcverify import __version__
from tcverify.commands.cli import main
from tcverify.commands.discovery import select_cases
from tcverify.errors import UserError
from tcverify.kinds.case import load_case
from tcverify.proving import pipeline, witness

MAJORITY_F2 = os.path.join(CASES, "majority", "majority-uniform-head-f2.yaml")
MAJORITY_F4 = os.path.join(CASES, "majority", "majority-uniform-head-f4.yaml")  # trivial at 13..16
LENGTH_CLASSES = os.path.join(CASES, "tracr", "length-f3-vs-f24.yaml")  # categorical, counterexample at 4
TCVERIFY = [sys.executable, "-m", "tcverify"]


def write_case(folder, name, right, lengths="[5, 6, 7]", expect=None, extra=""):
    """A case of builtin circuits: majority (left) against `right`."""
    path = folder / f"{name}.yaml"
    path.write_text(textwrap.dedent(f"""\
        tcverify: 1
        name: {name}
        alphabet: ['0', '1']
        lengths: {lengths}
        left: {{circuit: {{builtin: majority, symbol: '1'}}}}
        right: {right}
        """) + (f"expect: {expect}\n" if expect else "") + extra)
    return str(path)


def cli(*args, **kwargs):
    return subprocess.run([*TCVERIFY, *args], capture_output=True, text=True, env=os.environ | kwargs.pop("env", {}),
                          **kwargs)


# -- 1. flag values and exit codes ---------------------------------------------------


@pytest.mark.parametrize("flag,value", [("--timeout", "1e7"), ("--timeout", "inf"), ("--timeout", "nan"),
                                        ("--timeout", "0"), ("--timeout", "-1"), ("--timeout", "soon"),
                                        ("--max-memory", "1K"), ("--max-memory", "inf"), ("--jobs", "0")])
def test_out_of_range_flag_values_exit_2_with_one_line(flag, value):
    run = CliRunner().invoke(main, ["prove", MAJORITY_F2, flag, value])
    assert run.exit_code == 2, run.output
    assert flag in run.output and "Traceback" not in run.output and "internal error" not in run.output


@pytest.mark.parametrize("args", [["sweep", MAJORITY_F2, "--vary", "left.number_format.frac_bits=1:2", "--timeout", "nan"],
                                  ["compile", MAJORITY_F2, "--length", "-1", "--stats"],
                                  ["compile", MAJORITY_F2, "--lengths", "2:100000000", "--stats"],
                                  ["cnf", MAJORITY_F2, "--length", "100000", "-o", "x.cnf"]])
def test_other_commands_check_their_numbers(args):
    run = CliRunner().invoke(main, args)
    assert run.exit_code == 2 and ("Invalid value" in run.output or "--lengths" in run.output), run.output


def test_a_large_finite_timeout_is_a_limit_not_a_crash():
    run = CliRunner().invoke(main, ["prove", MAJORITY_F2, "--timeout", "1e6"])
    assert run.exit_code == 0, run.output


def test_closed_pipe_exits_quietly_with_the_verdicts_code(tmp_path):
    """`prove A B C | head -1`: the reader goes after one line; the run still ends
    with its own exit status (1: one unexpected counterexample), never 70, and
    prints no error."""
    cases = [MAJORITY_F2, write_case(tmp_path, "count", "{circuit: {builtin: count_at_least, symbol: '1', k: 3}}"),
             MAJORITY_F4]
    shell = f"{' '.join(TCVERIFY)} prove {' '.join(cases)} | head -1; exit ${{PIPESTATUS[0]}}"
    run = subprocess.run(["bash", "-c", shell], capture_output=True, text=True)
    assert run.stdout.startswith("PASS") and run.stdout.count("\n") == 1
    assert run.returncode == 1 and run.stderr == "", run.stderr
    shell = f"{' '.join(TCVERIFY)} prove {MAJORITY_F2} {MAJORITY_F4} {MAJORITY_F2} | head -1; exit ${{PIPESTATUS[0]}}"
    run = subprocess.run(["bash", "-c", shell], capture_output=True, text=True)
    assert run.returncode == 0 and run.stderr == "", run.stderr


def test_simulate_exit_status_is_1_when_the_models_differ():
    assert CliRunner().invoke(main, ["simulate", MAJORITY_F2, "--input", "000011111"]).exit_code == 1
    run = CliRunner().invoke(main, ["simulate", MAJORITY_F2, "--input", "00001111"])
    assert run.exit_code == 0 and "the models agree" in run.output


def test_dask_flag_followed_by_one_case_reads_the_case(tmp_path):
    run = CliRunner().invoke(main, ["prove", "--dask", MAJORITY_F2])
    assert run.exit_code == 0 and "Missing argument" not in run.output, run.output
    assert "counterexample at length 9" in run.output


# -- 2. output that reads well anywhere --------------------------------------------


def long_named_cases(folder) -> list:
    count = "{circuit: {builtin: count_at_least, symbol: '1', k: 3}}"
    return [write_case(folder, "majority-against-itself-with-a-rather-long-descriptive-name", "{circuit: {builtin: majority, symbol: '1'}}",
                       lengths="{min: 1, max: 12}"),
            write_case(folder, "majority-against-at-least-three", count),
            write_case(folder, "majority-against-at-least-three-expected", count, expect="counterexample"),
            MAJORITY_F4, LENGTH_CLASSES]


SUMMARY_WORDS = {"result", "case", "verdict", "how", "time", "(s)", "ok", "FAIL", "error",
                 "unknown", "equivalent", "counterexample", "at", "(expected", "equivalent)", "counterexample)",
                 "exhaustive", "sat", "trivial", "sampling"}
NUMBER = re.compile(r"^(\d+(\.\.\d+)?,?|\d+\.\d\d)$")


def test_summary_at_80_columns_without_a_terminal_breaks_no_word(tmp_path):
    paths = long_named_cases(tmp_path)
    names = {load_case(p, warn=lambda m: None).name for p in paths}
    run = cli("prove", *paths, env={"COLUMNS": "80"})
    assert run.returncode == 1, run.stdout + run.stderr
    lines = run.stdout.splitlines()
    top = next(i for i, line in enumerate(lines) if line.startswith("result "))
    table = lines[top:-1]
    assert all(len(line) <= 80 for line in table)
    seen = set()
    for line in table:
        for word in line.split():
            if word in SUMMARY_WORDS or NUMBER.match(word) or set(word) == {"─"}:
                continue
            if word in names or (word.endswith("…") and any(n.startswith(word[:-1]) for n in names)):
                seen.add(word)
                continue
            raise AssertionError(f"a broken or unknown word {word!r} in the summary:\n" + "\n".join(table))
    assert len(seen) == len(names)  # one row per case
    assert re.fullmatch(r"4 passed, 1 failed in \d+\.\d s", lines[-1]), lines[-1]


def test_select_with_k_and_stop_at_the_first_failure_with_x(tmp_path):
    paths = long_named_cases(tmp_path)
    run = CliRunner().invoke(main, ["prove", str(tmp_path), "-k", "three and not expected"])
    assert run.exit_code == 1 and run.output.count("FAIL ") == 1
    assert re.search(r"0 passed, 1 failed, 2 deselected \(-k\) in", run.output), run.output
    run = CliRunner().invoke(main, ["prove", *paths, "-x"])
    assert run.exit_code == 1 and "1 passed, 1 failed, 3 not run in" in run.output, run.output
    assert CliRunner().invoke(main, ["prove", *paths, "-k", "nothing-like-it"]).exit_code == 2


def test_progress_lines_without_a_terminal(tmp_path):
    case = write_case(tmp_path, "same", "{circuit: {builtin: majority, symbol: '1'}}", lengths="{min: 1, max: 6}")
    run = cli("prove", case, env={"TCVERIFY_PROGRESS_S": "0"})
    assert [line for line in run.stderr.splitlines() if line.startswith("  ... same: length ")] == \
           [f"  ... same: length {n} equivalent (exhaustive, {t})" for n, t in
            re.findall(r"length (\d) equivalent \(exhaustive, (\d+\.\d\d s)\)", run.stderr)]
    assert len(re.findall(r"same: length \d", run.stderr)) == 6
    run = cli("prove", case)  # a short case says nothing before its line (the rate limit)
    assert run.stderr == "" and run.returncode == 0


# -- 3. counterexamples a person can act on ------------------------------------------


def test_counterexample_names_the_kinds_decodes_classes_marks_the_difference(tmp_path):
    run = CliRunner().invoke(main, ["prove", LENGTH_CLASSES, "--cex-dir", str(tmp_path / "cex")])
    assert run.exit_code == 0, run.output
    lines = run.output.splitlines()
    assert "left transformer:   [3] 3 3 3" in lines[2] and "right transformer:  [4] 4 4 4" in lines[3], run.output
    assert "first difference: output at position 0 of 4" in run.output
    command = next(line for line in lines if "trace: " in line).split("trace: ")[1]
    assert command == f"tcverify simulate {LENGTH_CLASSES} --input aaaa"
    simulated = CliRunner().invoke(main, command.split()[1:])
    assert simulated.exit_code == 1 and "the models DIFFER" in simulated.output
    saved = tmp_path / "cex" / "length-f3-vs-f24-n4.json"
    assert json.loads(saved.read_text())["input"] == ["a"] * 4
    from_file = CliRunner().invoke(main, ["simulate", LENGTH_CLASSES, "--input", f"@{saved}", "--json"])
    record = json.loads(from_file.stdout)
    assert from_file.exit_code == 0 and record["input"] == ["a"] * 4 and record["agree"] is False
    bad = tmp_path / "bad.json"
    bad.write_text("{")
    run = CliRunner().invoke(main, ["simulate", LENGTH_CLASSES, "--input", f"@{bad}"])
    assert run.exit_code == 2 and str(bad) in run.output


def test_json_counterexample_carries_the_explanation():
    run = CliRunner().invoke(main, ["prove", MAJORITY_F2, "--json"])
    cex = json.loads(run.output)["counterexample"]
    assert cex["left_kind"] == "transformer" and cex["right_kind"].startswith("circuit")
    assert cex["first_difference"] == 0 and cex["simulate"].endswith("--input 000011111")


def test_a_simple_counterexample_of_the_same_length_is_preferred(tmp_path):
    """Majority against "at least 3 ones" at n = 6: the sampling pass finds the
    first separating string in order; a two-block one is reported."""
    case = write_case(tmp_path, "count", "{circuit: {builtin: count_at_least, symbol: '1', k: 3}}", lengths=6)
    cex = json.loads(CliRunner().invoke(main, ["prove", case, "--json"]).output)["counterexample"]
    assert cex["length"] == 6 and witness.changes(cex["input"]) <= 1


def test_local_search_removes_symbol_changes_and_keeps_the_length(tmp_path):
    """"contains 101" against "never": no constant or two-block string separates
    them; the merged witness has the two changes the pattern needs, and every
    string tried was checked on the exact evaluators."""
    dfa = "{dfa: {start: s, accept: [d], delta: {s: {'0': s, '1': a}, a: {'0': b, '1': a}, b: {'0': s, '1': d}, d: {'0': d, '1': d}}}}"
    never = "{dfa: {start: s, accept: [], delta: {s: {'0': s, '1': s}}}}"
    path = tmp_path / "pattern.yaml"
    path.write_text(f"tcverify: 1\nalphabet: ['0', '1']\nlengths: 12\nleft: {dfa}\nright: {never}\n")
    case = load_case(str(path))
    start = list("011010011010")
    assert witness._differs(case, [int(a) for a in start])
    simple = witness.simplest(case, start)
    assert len(simple) == 12 and witness.changes(simple) == 2 and "101" in "".join(simple)
    assert witness.replay(case, simple)["first_difference"] == 0


# -- 4. warnings with their case --------------------------------------------------


def test_warning_is_shown_with_its_case_names_the_parameter_and_saturation(tmp_path):
    path = tmp_path / "saturated.yaml"
    path.write_text(textwrap.dedent("""\
        tcverify: 1
        alphabet: ['0', '1']
        lengths: [1, 2]
        left:
          transformer:
            number_format: {int_bits: 4, frac_bits: 2}
            d_model: 1
            embedding: {'0': [-1], '1': [1]}
            blocks: []
            readout: {weights: [31.6], bias: 0.1}
        right: {circuit: {builtin: last, symbol: '1'}}
        """))
    run = CliRunner().invoke(main, ["prove", str(path), MAJORITY_F2])
    lines = run.output.splitlines()
    assert lines[0].startswith("PASS") and str(path) in lines[0]
    warning = lines[1]
    assert warning.startswith("        warning: left.transformer: 2 parameter(s)") and "readout" in warning
    assert "saturated: left.transformer.readout.weights[0] = 31.6 became 7.75 (int_bits: 6 would hold it)" in warning
    assert "the largest change is 23.85 (at left.transformer.readout.weights[0])" in warning  # a decimal, not 477/20
    assert lines[2].startswith("PASS") and MAJORITY_F2 in lines[2]
    record = json.loads(CliRunner().invoke(main, ["prove", str(path), "--json"]).output)
    assert len(record["warnings"]) == 1 and "saturated" in record["warnings"][0]


# -- 5. certificates that say what they cover ----------------------------------------


def test_certify_backs_trivial_lengths_with_a_checked_proof(monkeypatch):
    monkeypatch.setattr(pipeline, "AUTO_ENUMERATE_S", 0.0)  # auto tries SAT first past 4096 strings
    run = CliRunner().invoke(main, ["prove", MAJORITY_F4, "--certify", "--json"])
    assert run.exit_code == 0, run.output
    per_length = {r["n"]: r for r in json.loads(run.output)["per_length"]}
    assert {per_length[n]["method"] for n in range(13, 17)} == {"trivial"}
    assert all(per_length[n]["backing"] == "proof" and per_length[n]["certified"] for n in range(13, 17))
    assert all(per_length[n]["backing"] == "enumeration" for n in range(1, 13))
    run = CliRunner().invoke(main, ["prove", MAJORITY_F4, "--certify"])
    assert "(exhaustive 1..12: enumerated; trivial 13..16: DRUP proof checked)" in run.output


def test_certify_exits_3_when_a_trivial_length_stays_uncertified(monkeypatch, tmp_path):
    """No time to prove the unrewritten miter: lengths 13..16 are trusted rewriting,
    which --certify reports and exits 3 on (the workers fork, so they see the patch)."""
    monkeypatch.setattr(pipeline, "TRIVIAL_PROOF_S", 0.0)
    monkeypatch.setattr(pipeline, "AUTO_ENUMERATE_S", 0.0)  # auto tries SAT first past 4096 strings
    junit = tmp_path / "out.xml"
    run = CliRunner().invoke(main, ["prove", MAJORITY_F4, MAJORITY_F2, "--certify", "--junit", str(junit)])
    assert run.exit_code == 3, run.output
    assert run.output.startswith(f"UNKNOWN {MAJORITY_F4}: equivalent for lengths 1..16 (exhaustive 1..12: enumerated; "
                                 "trivial 13..16: trusted rewriting, NOT certified)")
    assert re.search(r"^unknown +majority-uniform-head-f4", run.output, re.M)
    assert "1 passed, 1 unknown in" in run.output
    error = ET.parse(junit).find(".//testcase/error")
    assert error.get("message").startswith("uncertified lengths 13..16: equivalent")
    run = CliRunner().invoke(main, ["prove", MAJORITY_F4])  # without --certify: trivial lengths pass, as before
    assert run.exit_code == 0 and "trivial 13..16)" in run.output


# -- 6. files only where asked ----------------------------------------------------


def test_compile_writes_no_plot_unless_asked_and_creates_folders(tmp_path):
    dyck = os.path.join(CASES, "dyck", "dyck1-counting-f2.yaml")
    with CliRunner().isolated_filesystem(temp_dir=tmp_path):
        run = CliRunner().invoke(main, ["compile", dyck, "--lengths", "2:3", "--stats", "-o", "out/deep/c_n{n}.json"])
        assert run.exit_code == 0, run.output
        assert sorted(os.listdir("out/deep")) == ["c_n2.json", "c_n3.json"] and os.listdir(".") == ["out"]
        run = CliRunner().invoke(main, ["compile", dyck, "--lengths", "2:3", "--stats", "--plot", "plots/growth.png"])
        assert run.exit_code == 0 and os.path.getsize("plots/growth.png") > 0, run.output
    assert not [f for f in os.listdir(os.path.dirname(CASES)) if f.endswith(".png")]  # none committed at the root


# -- 7. records for CI ----------------------------------------------------------


def test_json_and_junit_carry_version_and_settings(tmp_path):
    case = write_case(tmp_path, "count", "{circuit: {builtin: count_at_least, symbol: '1', k: 3}}")
    junit = tmp_path / "junit.xml"
    run = CliRunner().invoke(main, ["prove", case, "--json", "--junit", str(junit), "--cardinality", "totalizer"])
    options = json.loads(run.output)["options"]
    assert options["tcverify"] == __version__ and options["cardinality"] == "totalizer" and options["solver"]
    suite = ET.parse(junit).getroot()
    properties = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert properties["tcverify"] == __version__ and properties["cardinality"] == "totalizer"
    failure = suite.find(".//failure")
    assert failure.get("message") == "counterexample at length 6: 000111 (expected equivalent)"
    assert json.loads(failure.text)["verdict"] == "counterexample"


# -- smaller items --------------------------------------------------------------


def test_unquoted_symbol_corrupt_npz_and_one_file_name_per_error_line(tmp_path):
    symbol = write_case(tmp_path, "unquoted", "{circuit: {builtin: majority, symbol: 1}}")
    (tmp_path / "corrupt.npz").write_text("not a zip")
    npz = tmp_path / "npz.yaml"
    npz.write_text(textwrap.dedent("""\
        tcverify: 1
        alphabet: ['0', '1']
        lengths: 1
        left:
          transformer:
            number_format: {int_bits: 4, frac_bits: 4}
            d_model: 1
            embedding: {'0': [-1], '1': [1]}
            blocks: []
            readout: {weights: "@corrupt.npz:w", bias: 0}
        right: {circuit: {builtin: last, symbol: '1'}}
        """))
    run = CliRunner().invoke(main, ["prove", symbol, str(npz)])
    assert run.exit_code == 2
    lines = run.output.splitlines()
    assert lines[0] == f"ERROR   {symbol}: right.circuit.symbol: 1 is a number, not a symbol of the alphabet ['0', '1']: write it quoted, '1'"
    assert lines[1].startswith(f"ERROR   {npz}: left.transformer.readout.weights: cannot read the npz file")
    assert "not an .npz archive" in lines[1] and "allow_pickle" not in lines[1]
    assert all(line.count(".yaml") == 1 for line in lines[:2])


def test_on_a_terminal_the_running_length_is_shown(tmp_path):
    """stdout and stderr on a pseudo-terminal: rich's live line names the length being decided."""
    import pty

    case = write_case(tmp_path, "same", "{circuit: {builtin: majority, symbol: '1'}}", lengths="{min: 1, max: 40}")
    leader, follower = pty.openpty()
    process = subprocess.Popen([*TCVERIFY, "prove", case, "--method", "sat"], stdout=follower, stderr=follower,
                               env=os.environ | {"COLUMNS": "100"})
    os.close(follower)
    seen = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the terminal closed with the process
            break
        if not chunk:
            break
        seen += chunk
    assert process.wait() == 0
    os.close(leader)
    text = re.sub(r"\x1b\[[0-9;?]*[a-zA-Z]", "", seen.decode(errors="replace"))
    assert re.search(r"same: length \d+ running, \d+/40 decided", text), text
    assert "PASS" in text


@pytest.mark.parametrize("pattern, chosen", [
    ("a", ["a/b.yml", "a/c.yml", "d/a.yml"]), ("a and not c", ["a/b.yml", "d/a.yml"]),
    ("not (a or d)", ["e/f.yml"]), ("(b or c) and a", ["a/b.yml", "a/c.yml"]), ("B", ["a/b.yml"]),
    ("not not e", ["e/f.yml"]), ("f or d and a", ["d/a.yml", "e/f.yml"]),
])
def test_k_patterns_select_as_pytest_does(pattern, chosen):
    paths = ["a/b.yml", "a/c.yml", "d/a.yml", "e/f.yml"]
    assert select_cases(paths, pattern) == chosen


@pytest.mark.parametrize("pattern", ["a and", "(a", "a )", "and a", "not", "a b", "__import__('os')"])
def test_malformed_or_empty_k_patterns_are_user_errors(pattern):
    with pytest.raises(UserError):
        select_cases(["a/b.yml"], pattern)
