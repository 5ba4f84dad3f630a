"""The command line: a thin click layer over `prove`, `loader`, `simulate`.

Exit codes (spec section 6): 0 all as expected, 1 an unexpected outcome,
2 bad input or usage, 3 out of time (unknown), 70 an internal error.
"""

from __future__ import annotations

import json
import os
import sys

import click
import yaml

from . import __version__
from .encodings.cnf import CARDINALITY_ENCODINGS, PB_ENCODINGS, EncodingOptions
from .errors import TcverifyError, UserError
from .prove import ProveOptions, overall_exit
from .report import format_lengths
from .solver import DEFAULT_SOLVER, SOLVERS


class Cli(click.Group):
    """Turns every TcverifyError into a one-line message and its exit code."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except TcverifyError as exc:
            click.echo(f"tcverify: error: {exc}" if isinstance(exc, UserError) else f"tcverify: internal error: {exc}", err=True)
            sys.exit(exc.exit_code)


@click.group(cls=Cli)
@click.version_option(__version__, prog_name="tcverify")
def main():
    """Prove or refute the equivalence of fixed-point transformers, threshold
    circuits and DFAs over all strings of the given lengths (SAT backend)."""


def case_files(paths) -> list:
    """Files as given; a directory stands for the case files below it
    (YAML files whose top level has the `tcverify` key), sorted."""
    found = []
    for path in paths:
        if not os.path.isdir(path):
            found.append(path)
            continue
        for root, dirs, files in os.walk(path):
            dirs.sort()
            for name in sorted(files):
                if name.endswith((".yaml", ".yml")) and is_case_file(os.path.join(root, name)):
                    found.append(os.path.join(root, name))
    return found


def is_case_file(path) -> bool:
    try:
        with open(path) as handle:
            top = yaml.safe_load(handle)
    except (OSError, yaml.YAMLError):
        return False
    return isinstance(top, dict) and "tcverify" in top


def solver_options(function):
    options = [
        click.option("--solver", default=DEFAULT_SOLVER, show_default=True, type=click.Choice(SOLVERS), help="SAT solver (python-sat)."),
        click.option("--cardinality", default=EncodingOptions().cardinality, show_default=True, type=click.Choice(CARDINALITY_ENCODINGS), help="Encoding of unit-weight threshold gates."),
        click.option("--pb", default=EncodingOptions().pb, show_default=True, type=click.Choice(PB_ENCODINGS), help="Encoding of weighted threshold gates."),
    ]
    for option in reversed(options):
        function = option(function)
    return function


@main.command()
@click.argument("cases", nargs=-1, required=True)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per case per line.")
@click.option("--timeout", type=float, default=None, help="Seconds per case; past it the case is 'unknown' (exit 3).")
@click.option("--no-sample", is_flag=True, help="Skip the batch-evaluator pass before SAT.")
@click.option("--jobs", type=int, default=1, show_default=True, help="Cases decided in parallel processes.")
@click.option("--junit", type=click.Path(dir_okay=False), default=None, help="Also write JUnit XML, one test case per case file.")
@solver_options
def prove(cases, as_json, timeout, no_sample, jobs, junit, solver, cardinality, pb):
    """Decide every CASE (files or directories) for every listed length."""
    from .report import run_cases

    paths = case_files(cases)
    if not paths:
        raise UserError("no case files found", key=" ".join(cases))
    options = ProveOptions(solver=solver, encoding=EncodingOptions(cardinality, pb), timeout=timeout, sample=not no_sample)
    results = run_cases(paths, options, jobs=jobs, as_json=as_json)
    if junit:
        from .report import write_junit

        write_junit(results, junit)
    sys.exit(overall_exit(results))


@main.command()
@click.argument("cases", nargs=-1, required=True)
def validate(cases):
    """Load and check every CASE (all lengths' netlists and positions); solve nothing."""
    from .loader import check_case, load_case

    failed = False
    for path in case_files(cases):
        try:
            case = load_case(path)
            check_case(case)
        except UserError as exc:
            click.echo(f"tcverify: error: {exc}", err=True)
            failed = True
            continue
        click.echo(f"ok  {path}: {case.name}, lengths {format_lengths(case.lengths)}, {kind(case.left)} vs {kind(case.right)}")
    sys.exit(2 if failed else 0)


@main.command()
@click.argument("case")
@click.option("--input", "text", required=True, help="Symbols joined by commas, or plain characters when every symbol is one character.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object with both models' bits and traces.")
def simulate(case, text, as_json):
    """Both models' output bits on one input, with a transformer's trace."""
    from .loader import load_case
    from .simulate import parse_input, render_text
    from .simulate import simulate as run_simulation

    loaded = load_case(case)
    result = run_simulation(loaded, parse_input(text, loaded.alphabet))
    if as_json:
        click.echo(json.dumps(result))
    else:
        click.echo(render_text(result))


def kind(model) -> str:
    return type(model).__name__.lower()
