"""Running many cases: progress (rich, on stderr), one line per case, a summary
table, `--json` lines and JUnit XML; the work runs on the scheduler of `api.prove`."""

from __future__ import annotations

import json
import os
import sys
import xml.etree.ElementTree as ET

import click
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from ..api import CaseResult
from ..errors import UserError
from .exit_codes import exit_code


def run_cases(scheduler, count: int, as_json: bool = False) -> list:
    """Decide the `count` case files of `scheduler` (`api.prove`: worker
    processes bounded in time and memory); print each result as it completes,
    in input order. On Ctrl-C the cases decided so far and the one in progress
    are printed, then exit 130."""
    console = Console(stderr=True)
    results = []
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                  console=console, transient=True, disable=not console.is_terminal) as progress:
        task = progress.add_task("", total=count)
        live = lambda: progress.console if progress.live.is_started else None

        def on_length(name, outcome):
            progress.update(task, description=f"{name}: length {outcome.n} {outcome.status} ({outcome.method}, {outcome.time_s:.2f} s)")

        def on_warning(text):
            (live() or console).print(f"tcverify: warning: {text}", markup=False, highlight=False, soft_wrap=True)

        scheduler.on_length, scheduler.on_warning = on_length, on_warning
        decided = scheduler.results()
        try:
            for result in decided:
                progress.advance(task)
                results.append(result)
                emit(result, as_json, live())
        except KeyboardInterrupt:
            decided.close()
            for result in scheduler.interrupted():
                results.append(result)
                emit(result, as_json, live())
            interrupted = True
        else:
            interrupted = False
        finally:
            decided.close()
    if not as_json and len(results) > 1:
        summary(results, Console())
    if interrupted:
        click.echo("tcverify: interrupted", err=True)
        sys.exit(130)
    return results


def emit(result: CaseResult, as_json: bool, live_console=None):
    line = json.dumps(result.to_json()) if as_json else describe(result)
    if live_console is not None and not as_json:
        live_console.print(line, markup=False, highlight=False, soft_wrap=True)
    else:
        click.echo(line)


def describe(result: CaseResult) -> str:
    status = {0: "PASS", 1: "FAIL", 2: "ERROR", 3: "UNKNOWN"}[exit_code(result)]
    head = f"{status:7} {result.case}"
    if result.verdict == "error":
        return f"{head}: {result.message}"
    lengths = format_lengths(result.lengths) if result.lengths else "none"
    text = f"{head}: {result.verdict}"
    if result.verdict == "counterexample":
        cex = result.counterexample
        word = ",".join(cex["input"]) if cex["input"] else '""'
        text += f" at length {cex['length']}: {word}  left {cex['left']}  right {cex['right']}"
        if result.expect == "counterexample":
            text += " (expected)"
    elif result.verdict == "equivalent":
        text += f" for lengths {lengths} ({format_methods(result.per_length)})"
    else:
        limit = {"memory": "memory limit", "interrupted": "interrupted"}.get(result.reason, "time limit")
        text += f" ({limit}; decided lengths: {lengths})"
    if result.verdict != "counterexample" and result.expect == "counterexample" and result.verdict != "unknown":
        text += " (a counterexample was expected)"
    return text + f" [{result.time_s:.2f} s]"


def format_lengths(lengths) -> str:
    lengths = list(lengths)
    if len(lengths) > 2 and lengths == list(range(lengths[0], lengths[-1] + 1)):
        return f"{lengths[0]}..{lengths[-1]}"
    return ",".join(map(str, lengths))


def format_methods(per_length) -> str:
    """How each decided length was decided, e.g. "exhaustive 1..5, sat 6,7"
    ("sat certified" for lengths whose proof was checked)."""
    by_method: dict = {}
    for outcome in per_length:
        if outcome.status != "unknown":
            checked = outcome.method == "sat" and outcome.status == "equivalent" and outcome.certified
            by_method.setdefault(outcome.method + " certified" * checked, []).append(outcome.n)
    return ", ".join(f"{method} {format_lengths(ns)}" for method, ns in by_method.items())


def summary(results, console: Console):
    table = Table(title="tcverify prove")
    for column in ("case", "verdict", "expected", "lengths", "methods", "shortest cex", "time (s)", ""):
        table.add_column(column, overflow="fold")
    for r in results:
        cex = r.counterexample
        table.add_row(r.name, r.verdict, r.expect or "equivalent", format_lengths(r.lengths),
                      format_methods(r.per_length), str(cex["length"]) if cex else "", f"{r.time_s:.2f}",
                      {0: "ok", 1: "FAIL", 2: "error", 3: "unknown"}[exit_code(r)])
    console.print(table)


def write_junit(results, path: str):
    """JUnit XML: one <testcase> per case file; unexpected outcomes are failures,
    input errors and time limits are errors."""
    suite = ET.Element("testsuite", name="tcverify", tests=str(len(results)),
                       failures=str(sum(exit_code(r) == 1 for r in results)),
                       errors=str(sum(exit_code(r) in (2, 3) for r in results)),
                       time=f"{sum(r.time_s for r in results):.3f}")
    for r in results:
        case = ET.SubElement(suite, "testcase", classname="tcverify.prove", name=r.case, time=f"{r.time_s:.3f}")
        code = exit_code(r)
        if code == 1:
            ET.SubElement(case, "failure", message=describe(r), type=r.verdict).text = json.dumps(r.to_json(), indent=1)
        elif code in (2, 3):
            ET.SubElement(case, "error", message=describe(r), type=r.verdict)
        ET.SubElement(case, "system-out").text = describe(r)
    try:
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        ET.ElementTree(suite).write(path, encoding="utf-8", xml_declaration=True)
    except OSError as exc:
        raise UserError(f"cannot write the JUnit file: {exc.strerror}", path, "--junit") from None
