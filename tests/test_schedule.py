"""The scheduling of (case, length) units (`proving/schedule.py`) and the limits
that hold on any input: a time limit that covers loading and lowering, a memory
cap, Ctrl-C, and no worker process left behind (checked by process id)."""

import json
import os
import random
import select
import signal
import subprocess
import sys
import time

import pytest
import yaml
from click.testing import CliRunner
from conftest import CONFORMANCE
from tcverify.commands.cli import main
from tcverify.commands.flags import parse_size
from tcverify import api
from tcverify.proving.pool import Finished, Stopped, run_bounded
from tcverify.proving.schedule import Decided, Loaded, Scheduler, Unit

TCVERIFY = os.path.join(os.path.dirname(sys.executable), "tcverify")
EXPECTED = json.load(open(os.path.join(CONFORMANCE, "expected.json"))) if os.path.isdir(CONFORMANCE) else {}


def slow_case(tmp_path, lengths):
    """Two copies of a random softmax transformer (d_model 8, two blocks, 6 fraction
    bits): lowering length 40 alone takes minutes; lengths 1-2 take a fraction of a second."""
    rng = random.Random(1)
    value = lambda: rng.randint(-8, 8) / 4
    matrix = lambda: [[value() for _ in range(8)] for _ in range(8)]
    head = lambda: {"type": "softmax", "wq": matrix(), "wk": matrix(), "wv": matrix(), "wo": matrix()}
    model = {"number_format": {"int_bits": 6, "frac_bits": 6}, "d_model": 8,
             "embedding": {"0": [value() for _ in range(8)], "1": [value() for _ in range(8)]},
             "blocks": [{"attention": {"heads": [head()]}} for _ in range(2)],
             "readout": {"weights": [value() for _ in range(8)], "bias": 0}}
    path = tmp_path / "slow.yaml"
    path.write_text(yaml.safe_dump({"tcverify": 1, "alphabet": ["0", "1"], "lengths": lengths,
                                    "left": {"transformer": model}, "right": {"transformer": model}}))
    return str(path)


def greedy_case(tmp_path):
    """Parity by a builder that, from length 3 on, asks for 8 GB first."""
    (tmp_path / "greedy.py").write_text(
        "def build(n, alphabet):\n"
        "    if n >= 3:\n"
        "        hoard = bytearray(8 << 30)\n"
        "    gates = [{'id': 'p0', 'op': 'or', 'in': ['x[0][b]']}]\n"
        "    gates += [{'id': f'p{i}', 'op': 'xor', 'in': [f'p{i - 1}', f'x[{i}][b]']} for i in range(1, n)]\n"
        "    return {'tcverify_netlist': 1, 'alphabet': list(alphabet), 'length': n, 'gates': gates,\n"
        "            'outputs': [f'p{n - 1}']}\n")
    path = tmp_path / "greedy.yaml"
    path.write_text(yaml.safe_dump({"tcverify": 1, "alphabet": ["a", "b"], "lengths": {"min": 1, "max": 4},
                                    "left": {"circuit": {"python": "greedy.py:build"}},
                                    "right": {"circuit": {"builtin": "parity", "symbol": "b"}}}))
    return str(path)


def conformance(name):
    return os.path.join(CONFORMANCE, name, name + ".yaml")


def children(pid) -> set:
    """Process ids whose parent is `pid` (Linux /proc)."""
    found = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as handle:
                    fields = handle.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid and fields[0] != "Z":
                found.add(int(entry))
    return found


def alive(pids) -> set:
    living = set()
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as handle:
                if handle.read().rsplit(")", 1)[1].split()[0] != "Z":
                    living.add(pid)
        except OSError:
            pass
    return living


def foreground_signals():
    """Ctrl-C as at a terminal: a run started in the background of a non-interactive
    shell (a CI script) inherits SIGINT ignored, and Python then keeps it ignored."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def run_watched(args, interrupt_after_line=0):
    """Run tcverify; record its children while it runs; optionally send SIGINT
    this many seconds after it printed a line. (stdout, stderr, exit code, seconds, child pids)."""
    start = time.monotonic()
    process = subprocess.Popen([TCVERIFY, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               preexec_fn=foreground_signals)
    seen, out = set(), b""
    while True:
        seen |= children(process.pid)
        if select.select([process.stdout], [], [], 0.05)[0]:
            chunk = os.read(process.stdout.fileno(), 1 << 16)
            if not chunk:
                break
            out += chunk
        if interrupt_after_line and b"\n" in out and seen:  # checked every round: a worker may show up after the line
            time.sleep(interrupt_after_line)
            process.send_signal(signal.SIGINT)
            interrupt_after_line = 0
    err = process.stderr.read().decode()
    process.wait()
    return out.decode(), err, process.returncode, time.monotonic() - start, seen


def startup_seconds():
    start = time.monotonic()
    subprocess.run([TCVERIFY, "--version"], check=True, capture_output=True)
    return time.monotonic() - start


# -- time limits that hold -------------------------------------------------------


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_time_limit_covers_lowering_and_leaves_no_process(tmp_path, jobs):
    slow = slow_case(tmp_path, 40)
    quick = conformance("01-avg-majority")
    out, err, code, elapsed, seen = run_watched(["prove", quick, slow, "--timeout", "1", "--json", "--jobs", jobs])
    assert code == 3, err
    reports = [json.loads(line) for line in out.splitlines()]
    assert [r["verdict"] for r in reports] == ["equivalent", "unknown"]
    assert reports[1]["reason"] == "timeout" and reports[1]["per_length"][0]["reason"] == "timeout"
    assert reports[1]["per_length"][0]["time_s"] <= 1 + 1  # the unit that was stopped
    assert elapsed <= 1 + 1 + 2 * startup_seconds() + (reports[0]["time_s"] if jobs == "1" else 0)
    assert seen and not alive(seen)


def test_lengths_decided_before_the_deadline_are_kept(tmp_path):
    run = CliRunner().invoke(main, ["prove", slow_case(tmp_path, [1, 2, 40]), "--timeout", "3", "--json"])
    assert run.exit_code == 3, run.output
    report = json.loads(run.output)
    assert report["lengths"] == [1, 2] and report["verdict"] == "unknown"
    assert [(r["n"], r["status"]) for r in report["per_length"]] == [(1, "equivalent"), (2, "equivalent"), (40, "unknown")]


def test_run_bounded_stops_a_unit_at_its_limit(tmp_path):
    """What a remote backend (Dask) runs in its workers."""
    start = time.monotonic()
    messages = run_bounded(Unit(0, slow_case(tmp_path, 40), (40,)), api.unit_runner(timeout=1), timeout=1)
    assert time.monotonic() - start < 1 + 1
    assert isinstance(messages[0], Loaded) and isinstance(messages[-2], Stopped) and isinstance(messages[-1], Finished)
    assert messages[-2].reason == "timeout"
    messages = run_bounded(Unit(0, conformance("02-avg-majority-breaks")), api.unit_runner())
    decided = [m for m in messages if isinstance(m, Decided)]
    assert decided[-1].result.status == "counterexample" and decided[-1].counterexample["left"] != decided[-1].counterexample["right"]


# -- the scheduler ---------------------------------------------------------------


class InlineBackend:
    """Runs each unit to its end in this process when asked for a message, the
    longest length first — the opposite of the order the verdict needs."""

    def __init__(self, run):
        self.run, self.queue, self.ready = run, [], []

    def submit(self, unit, priority=0):
        self.queue.append(unit)

    def cancel(self, unit):
        self.queue.remove(unit)

    def next(self):
        if not self.ready:
            if not self.queue:
                return None
            unit = max(self.queue, key=lambda u: (u.lengths is not None and u.lengths != (), u.lengths))
            self.queue.remove(unit)
            self.ready = [(unit, message) for message in self.run(unit, {})]
        return self.ready.pop(0)

    def close(self):
        pass


QUICK = ("01-avg-majority", "02-avg-majority-breaks", "05-hard-leftmost-first", "13-rounding-floor-vs-truncate",
         "14-overflow-wrap-vs-saturate", "21-builder-parity-every", "23-dyck1-vs-shallow-dfa",
         "24-builtin-majority-vs-count")


def test_scheduler_per_length_gives_the_sequential_verdicts():
    paths = [conformance(name) for name in QUICK] + [os.path.join(CONFORMANCE, "bad", "no-such-case.yaml")]
    backend = InlineBackend(api.unit_runner())
    results = list(Scheduler(paths, backend, per_length=True).results())
    for path, result in zip(paths, results):
        sequential = api.decide_path(path)
        assert (result.case, result.verdict, result.lengths, result.counterexample, result.message) == \
               (path, sequential.verdict, sequential.lengths, sequential.counterexample, sequential.message)
    assert {r.verdict for r in results} == {"equivalent", "counterexample", "error"}


def test_jobs_cancel_the_lengths_past_a_counterexample():
    path = conformance("02-avg-majority-breaks")
    run = CliRunner().invoke(main, ["prove", path, "--json", "--jobs", "2"])
    report = json.loads(run.output)
    shortest = EXPECTED["02-avg-majority-breaks/02-avg-majority-breaks.yaml"]["shortest_len"]
    assert report["counterexample"]["length"] == shortest
    assert max(r["n"] for r in report["per_length"]) == shortest  # longer lengths are not reported


# -- memory ---------------------------------------------------------------------


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_memory_cap_makes_a_length_unknown(tmp_path, jobs):
    run = CliRunner().invoke(main, ["prove", greedy_case(tmp_path), "--max-memory", "2G", "--json", "--jobs", jobs])
    assert run.exit_code == 3, run.output
    report = json.loads(run.output)
    assert report["verdict"] == "unknown" and report["reason"] == "memory" and report["lengths"] == [1, 2]
    assert report["per_length"][-1]["n"] == 3 and report["per_length"][-1]["reason"] == "memory"
    run = CliRunner().invoke(main, ["prove", greedy_case(tmp_path), "--max-memory", "2G"])
    assert "unknown (memory limit; decided lengths: 1,2)" in run.output


@pytest.mark.parametrize("text,size", [("4G", 4 << 30), ("500M", 500 << 20), ("64k", 64 << 10), ("2GiB", 2 << 30),
                                       ("1.5G", 3 << 29), ("1000000", 10 ** 6)])
def test_sizes(text, size):
    assert parse_size(text) == size


@pytest.mark.parametrize("text", ["", "G", "-1G", "lots", "0", "inf"])
def test_bad_sizes_are_user_errors(text):
    with pytest.raises(ValueError):
        parse_size(text)
    run = CliRunner().invoke(main, ["prove", conformance("01-avg-majority"), "--max-memory", text])
    assert run.exit_code == 2 and "--max-memory" in run.output


# -- Ctrl-C ---------------------------------------------------------------------


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_ctrl_c_prints_what_was_decided_and_exits_130(tmp_path, jobs):
    slow = slow_case(tmp_path, [1, 2, 40])
    quick = conformance("01-avg-majority")
    out, err, code, elapsed, seen = run_watched(["prove", quick, slow, "--jobs", jobs], interrupt_after_line=1.5)
    assert code == 130, err
    assert "Traceback" not in err and "interrupted" in err
    lines = out.splitlines()
    assert lines[0].startswith("PASS") and "01-avg-majority" in lines[0]
    assert lines[1].startswith("UNKNOWN") and "slow.yaml: unknown (interrupted; decided lengths: " in lines[1]
    assert seen and not alive(seen)
