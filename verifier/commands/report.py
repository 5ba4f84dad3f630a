"""Running many cases: progress (on stderr), one line per case with its warnings
and, for a counterexample, what tells the models apart; then a summary table and
a pytest-style totals line, or `--json` lines; JUnit XML. The work runs on
the scheduler of `api.prove`.

Progress: on a terminal, the running length of the case being decided; without
one, a line per finished length, at most one every `PROGRESS_EVERY_S` seconds
(`TCVERIFY_PROGRESS_S` overrides it), so a long case is not silent in a CI log.
"""

from __future__ import annotations

import json
import os
import shlex
import sys
import time
import xml.etree.ElementTree as ET

import click
from rich import box
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from .. import __version__
from ..api import CaseResult
from ..errors import UserError
from .exit_codes import exit_code

PROGRESS_EVERY_S = 2.0
STATUS = {0: "PASS", 1: "FAIL", 2: "ERROR", 3: "UNKNOWN"}
# how an equivalent length is backed, with --certify (LengthResult.backing)
BACKING_TEXT = {"proof": "DRUP proof checked", "enumeration": "enumerated", "trusted": "trusted rewriting, NOT certified",
                None: "solver's answer, NOT certified"}


def progress_every() -> float:
    try:
        return max(0.0, float(os.environ.get("TCVERIFY_PROGRESS_S", PROGRESS_EVERY_S)))
    except ValueError:
        return PROGRESS_EVERY_S


class Report:
    """Prints what `prove` decides: per case a line (and details), then the totals."""

    def __init__(self, record: dict, as_json: bool = False, cex_dir=None):
        self.record, self.as_json, self.cex_dir = record, as_json, cex_dir
        self.certify = record.get("certify", False)
        self.console = Console(stderr=True)
        self.live = None  # the terminal's progress display, while it runs
        self.task = None  # its one task
        self.last_line = time.monotonic()
        self.lengths = {}  # case name -> its lengths
        self.decided = {}  # case name -> lengths decided so far

    # progress

    def on_loaded(self, name, lengths):
        self.lengths[name], self.decided[name] = tuple(lengths), set()
        self._show_running(name)

    def on_length(self, name, outcome):
        self.decided.setdefault(name, set()).add(outcome.n)
        if self.live is not None:
            self._show_running(name)
        elif not self.as_json and time.monotonic() - self.last_line >= progress_every():
            self.console.print(f"  ... {name}: length {outcome.n} {outcome.status} ({outcome.method}, "
                               f"{outcome.time_s:.2f} s)", markup=False, highlight=False, soft_wrap=True)
            self.last_line = time.monotonic()

    def _show_running(self, name):
        """On a terminal: the shortest length of `name` not yet decided, and how many are."""
        if self.live is None:
            return
        lengths = self.lengths.get(name, ())
        running = [n for n in lengths if n not in self.decided.get(name, ())]
        now = f"length {running[0]} running, " if running else ""
        self.live.update(self.task, description=f"{name}: {now}{len(lengths) - len(running)}/{len(lengths)} decided",
                         refresh=True)  # drawn now: a fast length must not go unseen between refreshes

    # per case

    def emit(self, result: CaseResult):
        if self.as_json:
            record = result.to_json() | {"options": self.record}
            if result.counterexample is not None:
                record["counterexample"] = result.counterexample | {"simulate": simulate_command(result.case, result.counterexample)}
            lines = [json.dumps(record)]
        else:
            lines = [describe(result, self.certify)] + [f"        warning: {w}" for w in result.warnings]
            if result.counterexample is not None:
                lines += explain(result.case, result.counterexample)
        if self.cex_dir and result.counterexample is not None:
            path = write_witness(self.cex_dir, result)
            if not self.as_json:
                lines.append(f"        witness: {path}")
        for line in lines:
            if self.live is not None:
                self.live.console.print(line, markup=False, highlight=False, soft_wrap=True)
            else:
                click.echo(line)
        self.last_line = time.monotonic()


def run_cases(scheduler, count: int, record: dict, as_json: bool = False, exitfirst: bool = False, cex_dir=None,
              deselected: int = 0) -> list:
    """Decide the `count` case files of `scheduler` (`api.prove`: worker
    processes bounded in time and memory); print each result as it completes,
    in input order; with `exitfirst`, stop after the first case that does not
    pass. `record` is the tool version and settings (`--json`, JUnit). On
    Ctrl-C the cases decided so far and the one in progress are printed, then
    exit 130."""
    start = time.monotonic()
    report = Report(record, as_json, cex_dir)
    certify = report.certify
    results = []
    scheduler.on_length, scheduler.on_loaded = report.on_length, report.on_loaded
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                  console=report.console, transient=True, disable=not report.console.is_terminal) as progress:
        report.task = progress.add_task("", total=count)
        report.live = progress if report.console.is_terminal else None
        decided = scheduler.results()
        interrupted = False
        try:
            for result in decided:
                progress.advance(report.task)
                results.append(result)
                report.emit(result)
                if exitfirst and exit_code(result, certify) != 0:
                    break
        except KeyboardInterrupt:
            decided.close()
            for result in scheduler.interrupted():
                results.append(result)
                report.emit(result)
            interrupted = True
        finally:
            decided.close()
    report.live = None
    if not as_json:
        console = Console()
        if len(results) > 1:
            console.print(summary(results, certify, console.width))
        if len(results) > 1 or count > len(results) or deselected:  # one case: its line says it all
            console.print(totals(results, certify, time.monotonic() - start,
                                 not_run=count - len(results), deselected=deselected), highlight=False)
    if interrupted:
        click.echo("tcverify: interrupted", err=True)
        sys.exit(130)
    return results


def show_word(word) -> str:
    """Plain characters when every symbol is one character (as `simulate --input` reads them), else commas."""
    if not word:
        return '""'
    return "".join(word) if all(len(a) == 1 and a != "," for a in word) else ",".join(word)


def simulate_command(case_path: str, counterexample: dict) -> str:
    word = counterexample["input"]
    return f"tcverify simulate {shlex.quote(case_path)} --input {shlex.quote(show_word(word) if word else '')}"


def describe(result: CaseResult, certify: bool = False) -> str:
    """The one-line report of a case: status, path, verdict and how it was decided."""
    head = f"{STATUS[exit_code(result, certify)]:7} {result.case}"
    if result.verdict == "error":
        return f"{head}: {result.message.removeprefix(result.case + ': ')}"
    return f"{head}: {reason(result, certify)} [{result.time_s:.2f} s]"


def reason(result: CaseResult, certify: bool = False) -> str:
    """The verdict in a phrase (a JUnit failure's message)."""
    if result.verdict == "error":
        return result.message
    lengths = format_lengths(result.lengths) if result.lengths else "none"
    text = result.verdict
    if result.verdict == "counterexample":
        cex = result.counterexample
        text += f" at length {cex['length']}: {show_word(cex['input'])}"
        text += " (expected)" if result.expect == "counterexample" else " (expected equivalent)"
    elif result.verdict == "equivalent":
        text += f" for lengths {lengths} ({format_methods(result.per_length, certify)})"
        undefined = max((r.dont_care for r in result.per_length), default=0)
        if undefined:
            text += f" (up to {undefined} output bits per string undefined, not compared)"
        if result.expect == "counterexample":
            text += " (a counterexample was expected)"
    else:
        limit = {"memory": "memory limit", "interrupted": "interrupted"}.get(result.reason, "time limit")
        text += f" ({limit}; decided lengths: {lengths})"
    return text


def explain(case_path: str, cex: dict) -> list:
    """What separates the models (a replayed counterexample of `witness.replay`): each
    side's kind and outputs per read position, the first difference marked, and the
    command that shows the trace."""
    first = cex.get("first_difference", 0)
    sides = [(side, cex.get(f"{side}_kind", ""), cex.get(f"{side}_outputs", cex[side])) for side in ("left", "right")]
    width = max(len(f"{side} {kind}:") for side, kind, _ in sides)
    lines = []
    for side, kind, values in sides:
        shown = " ".join(f"[{v}]" if i == first and len(values) > 1 else str(v) for i, v in enumerate(values))
        lines.append(f"        {f'{side} {kind}:':<{width}}  {shown}")
    for side, kind, outputs in sides:  # what each side read, when its kind says more than its outputs
        if f"{side}_values" in cex and cex[f"{side}_values"] != [str(v) for v in outputs]:
            shown = " ".join(f"[{v}]" if i == first and len(cex[f"{side}_values"]) > 1 else str(v)
                             for i, v in enumerate(cex[f"{side}_values"]))
            lines.append(f"        {f'{side} read:':<{width}}  {shown}")
    where = f"position {first} of {len(cex['input'])}" if cex.get("outputs") == "every" else "the last position"
    lines.append(f"        first difference: output at {where}"
                 + (f"; {cex['not_compared']} undefined bits not compared" if cex.get("not_compared") else ""))
    lines.append(f"        trace: {simulate_command(case_path, cex)}")
    return lines


def write_witness(cex_dir: str, result: CaseResult) -> str:
    """The counterexample as a small JSON file that `simulate --input @FILE` reads."""
    cex = result.counterexample
    stem = os.path.splitext(os.path.basename(result.case))[0]
    path = os.path.join(cex_dir, f"{stem}-n{cex['length']}.json")
    witness = {"tcverify_witness": 1, "tcverify": __version__, "case": os.path.abspath(result.case), **cex}
    try:
        os.makedirs(cex_dir, exist_ok=True)
        with open(path, "w") as handle:
            json.dump(witness, handle, indent=1)
            handle.write("\n")
    except OSError as exc:
        raise UserError(f"cannot write the witness: {exc.strerror}", path, "--cex-dir") from None
    return path


def format_lengths(lengths, separator: str = ",") -> str:
    """Lengths as runs: "1..12,16,31..32"."""
    lengths, runs = sorted(lengths), []
    for n in lengths:
        if runs and n == runs[-1][1] + 1:
            runs[-1][1] = n
        else:
            runs.append([n, n])
    return separator.join(f"{a}..{b}" if b > a + 1 else (f"{a}{separator}{b}" if b > a else f"{a}") for a, b in runs)


def format_methods(per_length, certify: bool = False, separator: str = ",") -> str:
    """How each decided length was decided, e.g. "exhaustive 1..5, sat 6,7"; with
    `certify`, how each equivalent length is backed: "exhaustive 1..12: enumerated;
    trivial 13..16: DRUP proof checked"."""
    groups: dict = {}
    for outcome in per_length:
        if outcome.status != "unknown":
            backing = ""
            if certify and outcome.status == "equivalent":
                backing = outcome.backing if outcome.certified or outcome.backing == "trusted" else None
            groups.setdefault((outcome.method, backing), []).append(outcome.n)
    if not certify:
        return ", ".join(f"{method} {format_lengths(ns, separator)}" for (method, _), ns in groups.items())
    return "; ".join(f"{method} {format_lengths(ns, separator)}" + (f": {BACKING_TEXT[backing]}" if backing != "" else "")
                     for (method, backing), ns in groups.items())


SUMMARY_WIDTHS = {"result": len("unknown"), "verdict": len("counterexample"), "how": len("exhaustive"), "time (s)": 8}
COLUMN_GAP = 2  # SIMPLE_HEAD without edges, padding collapsed: one space of padding, one of separator


def summary(results, certify: bool = False, width: int = 80) -> Table:
    """One row per case. Cells wrap between words only: result, verdict and time
    have fixed widths that hold their longest word, `how` (the only column rich
    shrinks) keeps at least the longest method name, and a case name wider than
    what the `width` leaves is shortened with an ellipsis, never broken."""
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, collapse_padding=True)
    rest = sum(SUMMARY_WIDTHS.values()) + COLUMN_GAP * len(SUMMARY_WIDTHS)
    table.add_column("result", no_wrap=True, width=SUMMARY_WIDTHS["result"])
    table.add_column("case", overflow="ellipsis", no_wrap=True, max_width=max(12, width - rest))
    table.add_column("verdict", width=SUMMARY_WIDTHS["verdict"])
    table.add_column("how", min_width=SUMMARY_WIDTHS["how"])
    table.add_column("time (s)", justify="right", no_wrap=True, width=SUMMARY_WIDTHS["time (s)"])
    for r in results:
        code = exit_code(r, certify)
        cex = r.counterexample
        verdict = f"counterexample at {cex['length']}" if cex else r.verdict
        if r.verdict not in ("error", "unknown") and not r.ok:
            verdict += f" (expected {r.expect or 'equivalent'})"
        how = format_methods(r.per_length, certify, ", ") if r.verdict != "error" else ""
        table.add_row({0: "ok", 1: "FAIL", 2: "error", 3: "unknown"}[code], r.name, verdict, how, f"{r.time_s:.2f}")
    return table


def totals(results, certify: bool, wall_s: float, not_run: int = 0, deselected: int = 0) -> str:
    """pytest's last line: "12 passed, 1 failed, 1 unknown in 3.4 s"."""
    codes = [exit_code(r, certify) for r in results]
    parts = [f"{codes.count(code)} {word}" for code, word in ((0, "passed"), (1, "failed"), (2, "error"), (3, "unknown"))
             if codes.count(code) or code == 0]
    if not_run:
        parts.append(f"{not_run} not run")
    if deselected:
        parts.append(f"{deselected} deselected (-k)")
    return f"{', '.join(parts)} in {wall_s:.1f} s"


def write_junit(results, path: str, record: dict):
    """JUnit XML: one <testcase> per case file; unexpected outcomes are failures,
    input errors and time limits (and uncertified lengths, with --certify) are
    errors. A failure's message is the one-line reason, its body the JSON
    record; the suite's properties are the tool version and settings."""
    certify = record.get("certify", False)
    suite = ET.Element("testsuite", name="tcverify", tests=str(len(results)),
                       failures=str(sum(exit_code(r, certify) == 1 for r in results)),
                       errors=str(sum(exit_code(r, certify) in (2, 3) for r in results)),
                       time=f"{sum(r.time_s for r in results):.3f}")
    properties = ET.SubElement(suite, "properties")
    for name, value in record.items():
        ET.SubElement(properties, "property", name=name, value=str(value))
    for r in results:
        case = ET.SubElement(suite, "testcase", classname="tcverify.prove", name=r.case, time=f"{r.time_s:.3f}")
        code = exit_code(r, certify)
        message = reason(r, certify)
        if code == 3 and r.verdict == "equivalent":
            message = f"uncertified lengths {format_lengths(r.uncertified)}: {message}"
        if code == 1:
            ET.SubElement(case, "failure", message=message, type=r.verdict).text = json.dumps(r.to_json(), indent=1)
        elif code in (2, 3):
            ET.SubElement(case, "error", message=message, type=r.verdict)
        ET.SubElement(case, "system-out").text = describe(r, certify)
    try:
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        ET.ElementTree(suite).write(path, encoding="utf-8", xml_declaration=True)
    except OSError as exc:
        raise UserError(f"cannot write the JUnit file: {exc.strerror}", path, "--junit") from None
