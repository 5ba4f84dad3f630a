"""The command line: a thin click layer over the front door (`tcverify.api`).

Exit codes (spec section 6): 0 all as expected, 1 an unexpected outcome,
2 bad input or usage, 3 out of time (unknown), 70 an internal error.
"""

from __future__ import annotations

import json
import os
import re
import sys

import click

from .. import __version__, api
from ..api import (CARDINALITY_ENCODINGS, CERTIFYING_SOLVERS, DEFAULT_SOLVER, MAX_LENGTH, METHODS, PB_ENCODINGS,
                   SOLVERS, parse_override, parse_range)
from ..errors import TcverifyError, UserError
from .discovery import case_files, select_cases
from .exit_codes import overall_exit
from .flags import LENGTH, MAX_JOBS, MemorySize, Seconds
from .report import explain, format_lengths, show_word
from .streams import pipe_safe_streams


# The library's errors name the option field; the command line names its flag.
FLAG_OF_FIELD = {"solver": "--solver", "cardinality": "--cardinality", "pb": "--pb", "set": "--set",
                 "dask": "--dask", "method": "--method", "length": "--length"}


class Cli(click.Group):
    """Turns every TcverifyError into a one-line message and its exit code."""

    def invoke(self, ctx):
        with pipe_safe_streams():
            return self._invoke(ctx)

    def _invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except TcverifyError as exc:
            if isinstance(exc, UserError) and exc.key in FLAG_OF_FIELD:
                exc = exc.keyed(FLAG_OF_FIELD[exc.key])
            click.echo(f"tcverify: error: {exc}" if isinstance(exc, UserError) else f"tcverify: internal error: {exc}", err=True)
            sys.exit(exc.exit_code)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException, SystemExit):
            raise
        except Exception as exc:  # a bug in tcverify: say so, exit 70; TCVERIFY_DEBUG=1 shows the traceback
            if os.environ.get("TCVERIFY_DEBUG"):
                raise
            click.echo(f"tcverify: internal error (a bug; TCVERIFY_DEBUG=1 shows the traceback): {type(exc).__name__}: {exc}", err=True)
            sys.exit(70)


@click.group(cls=Cli)
@click.version_option(__version__, prog_name="tcverify")
def main():
    """Prove or refute the equivalence of fixed-point transformers, threshold
    circuits and DFAs over all strings of the given lengths (SAT backend)."""


max_length_option = click.option(
    "--max-length", type=click.IntRange(0), default=MAX_LENGTH, show_default=True,
    help="The longest input length a case may list (a guard against typos like 1000000000).")


def encoding_options(function):
    """--cardinality and --pb: how the CNF encodes threshold gates (`EncodingOptions`)."""
    options = [
        click.option("--cardinality", default=api.stages().miter.encoding.cardinality, show_default=True, type=click.Choice(CARDINALITY_ENCODINGS), help="Encoding of unit-weight threshold gates."),
        click.option("--pb", default=api.stages().miter.encoding.pb, show_default=True, type=click.Choice(PB_ENCODINGS), help="Encoding of weighted threshold gates."),
    ]
    for option in reversed(options):
        function = option(function)
    return function


def solver_options(function):
    """--solver and the encoding options: for the commands that solve."""
    return click.option("--solver", default=DEFAULT_SOLVER, show_default=True, type=click.Choice(SOLVERS),
                        help="SAT solver (python-sat).")(encoding_options(function))


@main.command()
@click.argument("cases", nargs=-1)
@click.option("-k", "pattern", default=None, metavar="PATTERN",
              help="Only the cases whose file path matches PATTERN: substrings joined by and / or / not, as pytest -k.")
@click.option("-x", "--exitfirst", is_flag=True, help="Stop after the first case that does not pass.")
@click.option("--cex-dir", type=click.Path(file_okay=False), default=None,
              help="Write each counterexample as DIR/<case>-n<length>.json, which `simulate --input @FILE` reads.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per case per line.")
@click.option("--timeout", type=Seconds(), default=None, help="Seconds per case (with --jobs: per length), covering loading, lowering and solving; past it the case is 'unknown' (exit 3).")
@click.option("--no-sample", is_flag=True, help="Do not use the batch evaluator: no sampling pass before SAT, and --method auto proves by SAT.")
@click.option("--no-rewrite", is_flag=True, help="Build every transformer sum as a word (no linear-form rewriting).")
@click.option("--no-counts", is_flag=True, help="No count forms: values of one small-range linear form are not tabulated over it, and its comparisons do not share one sum (docs/lowering.md).")
@click.option("--no-sweep", is_flag=True, help="Skip SAT sweeping (merging proved-equal nodes) before the final solve.")
@click.option("--method", type=click.Choice(METHODS), default="auto", show_default=True,
              help="How an 'equivalent' is proved: 'sat' by the SAT solver, 'exhaustive' by checking every string, 'auto' by the cheaper estimate.")
@click.option("--certify", is_flag=True, help="Check every SAT proof of unsatisfiability inside tcverify (RUP check); see docs/proofs.md.")
@click.option("--proof-dir", type=click.Path(file_okay=False), default=None,
              help="With --certify (implied): write each UNSAT length's CNF (DIMACS) and proof (DRAT) here.")
@click.option("--jobs", type=click.IntRange(1, MAX_JOBS), default=1, show_default=True, help="Worker processes; with more than one, the lengths of every case are decided in parallel (shortest first; verdicts as with one).")
@click.option("--dask", "dask_address", is_flag=False, flag_value="local", default=None, metavar="[ADDRESS]",
              help="Run the units on a Dask cluster: the scheduler at ADDRESS (tcp://HOST:8786), or without one a LocalCluster of --jobs workers (default one per core).")
@click.option("--max-memory", "max_memory", type=MemorySize(), default=None, help="Address space per worker process, e.g. 4G or 500M (default: 3/4 of the memory shared by the workers); past it a length is 'unknown (memory)'.")
@click.option("--junit", type=click.Path(dir_okay=False), default=None, help="Also write JUnit XML, one test case per case file.")
@max_length_option
@click.option("--set", "settings", multiple=True, metavar="KEY=VALUE", help="Override a case field, e.g. left.number_format.frac_bits=6 (repeatable).")
@solver_options
def prove(cases, pattern, exitfirst, cex_dir, as_json, timeout, no_sample, no_rewrite, no_counts, no_sweep, method, certify, proof_dir, jobs, dask_address, max_memory,
          junit, max_length, settings, solver, cardinality, pb):
    """Decide every CASE (files or directories) for every listed length."""
    from .report import run_cases

    if method == "exhaustive" and no_sample:
        raise UserError("an exhaustive proof runs the batch evaluator; drop --no-sample", key="--method")
    certify = certify or proof_dir is not None
    if certify and solver not in CERTIFYING_SOLVERS:
        raise UserError(f"--certify checks proofs of {', '.join(CERTIFYING_SOLVERS)} only", key="--solver")
    if dask_address is not None and dask_address != "local" and os.path.exists(dask_address):
        cases, dask_address = (*cases, dask_address), "local"  # `--dask CASE`: a path is not an address
    if not cases:
        raise click.UsageError("Missing argument 'CASES...': give case files or directories.")
    paths = case_files(cases)
    if not paths:
        raise UserError("no case files found", key=" ".join(cases))
    selected = select_cases(paths, pattern) if pattern is not None else paths
    overrides = tuple(parse_override(s) for s in settings)
    if dask_address is not None:
        check_dask_address(dask_address, jobs)
    settings = dict(solver=solver, cardinality=cardinality, pb=pb, sample=not no_sample, sweep=not no_sweep,
                    method=method, certify=certify, proof_dir=proof_dir, rewrite=not no_rewrite,
                    counts=not no_counts)
    scheduler = api.prove(selected, jobs=jobs, memory_limit=max_memory, dask=dask_address, timeout=timeout,
                          overrides=overrides, max_length=max_length, **settings)
    record = {"tcverify": __version__, **settings, "timeout": timeout}
    results = run_cases(scheduler, len(selected), record, as_json=as_json, exitfirst=exitfirst, cex_dir=cex_dir,
                        deselected=len(paths) - len(selected))
    if junit:
        from .report import write_junit

        write_junit(results, junit, record)
    sys.exit(overall_exit(results, certify))


def check_dask_address(address: str, jobs: int):
    """`--dask`: "local" (a LocalCluster of `jobs` workers), or a scheduler address without `--jobs`."""
    if address == "local":
        return
    if not re.fullmatch(r"[a-z]+://\S+|[\w.-]+:\d+", address):
        raise UserError(f"{address!r} is not a scheduler address like tcp://HOST:8786, nor a case file "
                        "(for a local cluster, give --dask without a value)", key="--dask")
    if jobs > 1:
        raise UserError("--jobs sets the size of a local cluster; a scheduler's workers are started with `dask worker`", key="--dask")


@main.command()
@click.argument("cases", nargs=-1, required=True)
@max_length_option
def validate(cases, max_length):
    """Load and check every CASE (all lengths' netlists and positions, the size guards); solve nothing."""
    failed = False
    for path in case_files(cases):
        try:
            case = api.load(path, max_length=max_length)
            api.check(case)
        except UserError as exc:
            click.echo(f"tcverify: error: {exc}", err=True)
            failed = True
            continue
        click.echo(f"ok  {path}: {case.name}, lengths {format_lengths(case.lengths)}, {kind(case.left)} vs {kind(case.right)}")
    sys.exit(2 if failed else 0)


@main.command()
@click.argument("case")
@click.option("--input", "text", required=True,
              help="Symbols joined by commas, plain characters when every symbol is one character, "
                   "or @FILE: a witness written by `prove --cex-dir`.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object with both models' bits and traces.")
def simulate(case, text, as_json):
    """Both models' output bits on one input, with a transformer's trace.
    Exit status 0 when the models agree, 1 when they differ; with --json always 0
    (the record's `agree` says it: the conformance suite reads it so)."""
    from .simulate import parse_input, read_witness, render_text

    loaded = api.load(case)
    word = read_witness(text[1:]) if text.startswith("@") else parse_input(text, loaded.alphabet)
    result = api.simulate(loaded, word)
    if as_json:
        click.echo(json.dumps(result))
        return
    click.echo(render_text(result))
    sys.exit(0 if result["agree"] else 1)


def kind(model) -> str:
    return type(model).__name__.lower()


@main.command(name="compile")
@click.argument("case")
@click.option("--side", type=click.Choice(["left", "right"]), default="left", show_default=True, help="Which model of the case to compile.")
@click.option("--length", "length", type=LENGTH, default=None, help="The input length n.")
@click.option("--lengths", "length_range", default=None, help="A range A:B of lengths, compiled one netlist each.")
@click.option("-o", "--output", default=None, help="Netlist file to write (JSON); '{n}' is replaced by the length.")
@click.option("--stats", is_flag=True, help="Print depth, gates, wires, largest fan-in and weight per length.")
@click.option("--plot", default=None, metavar="PATH", help="With --stats: write a PNG of the growth with n to PATH (folders are created).")
def compile_command(case, side, length, length_range, output, stats, plot):
    """Compile a transformer into a constant-depth threshold circuit (Merrill & Sabharwal 2023)."""
    from .compile import compile_lengths

    if (length is None) == (length_range is None):
        raise UserError("give exactly one of --length N and --lengths A:B", key="--length")
    lengths = [length] if length is not None else parse_range(length_range, "--lengths")
    if not 0 <= min(lengths) <= max(lengths) <= MAX_LENGTH:
        raise UserError(f"lengths run from 0 to {MAX_LENGTH} (the length guard)", key="--lengths")
    if output and len(lengths) > 1 and "{n}" not in output:
        raise UserError("with several lengths, -o must contain {n}", key="-o")
    if not output and not stats:
        raise UserError("nothing to do: give -o FILE and/or --stats", key="-o")
    if plot is not None and not stats:
        raise UserError("a plot draws the stats: add --stats", key="--plot")
    compile_lengths(case, side, lengths, output, stats, plot)


@main.command()
@click.argument("case")
@click.option("--length", "length", type=LENGTH, required=True, help="The input length n.")
@click.option("-o", "--output", required=True, help="DIMACS file to write.")
@click.option("--no-counts", is_flag=True, help="No count forms in the lowering (as prove --no-counts).")
@encoding_options
def cnf(case, length, output, cardinality, pb, no_counts):
    """Write the miter of CASE at one length as DIMACS, for any external solver.

    Satisfiable iff some string of that length separates the models; comment
    lines map variables to input positions and symbols (see `tcverify decode`)."""
    stats = api.export_cnf(api.load(case), length, output, cardinality=cardinality, pb=pb, counts=not no_counts)
    click.echo(f"wrote {output}: {stats['variables']} variables, {stats['clauses']} clauses")


@main.command(name="aiger")
@click.argument("case")
@click.option("--length", "length", type=LENGTH, required=True, help="The input length n.")
@click.option("-o", "--output", required=True, help="Binary AIGER file to write.")
@click.option("--side", type=click.Choice(["left", "right"]), default=None, help="Write one model instead of the miter.")
def aiger_command(case, length, output, side):
    """Write the miter of CASE at one length (output diff: 1 iff the models
    differ) as binary AIGER, for ABC's cec/&cec and the AIGER tools. Each
    position's symbol is a binary code of ceil(log2 |alphabet|) inputs."""
    stats = api.export_aiger(api.load(case), length, output, side=side, comments=[f"tcverify {__version__} aiger"])
    click.echo(f"wrote {output}: {stats['inputs']} inputs, {stats['ands']} and gates, {stats['outputs']} outputs")


@main.command()
@click.argument("cnf_file")
@click.argument("model", default="-")
def decode(cnf_file, model):
    """Decode an external solver's answer (MODEL file, or '-' for stdin) for CNF_FILE
    written by `tcverify cnf`, and replay the string on both models. Exit status
    0 for UNSAT (the models agree at that length), 1 for a replayed counterexample."""
    text = sys.stdin.read() if model == "-" else read_text(model)
    n, cex = api.decode(cnf_file, text)
    if cex is None:
        click.echo(f"UNSAT: the models agree on every string of length {n}")
        sys.exit(0)
    click.echo(f"counterexample of length {n}: {show_word(cex['input'])}")
    click.echo("\n".join(explain(cex["case"], cex)))
    sys.exit(1)


def read_text(path: str) -> str:
    try:
        with open(path) as handle:
            return handle.read()
    except OSError as exc:
        raise UserError(f"cannot read: {exc.strerror}", path) from None


@main.command(name="sweep")
@click.argument("case")
@click.option("--vary", required=True, metavar="KEY=A:B", help="The field to vary and its values, e.g. left.number_format.frac_bits=2:12 (or a comma list).")
@click.option("--max-len", type=LENGTH, default=None, help="Decide lengths from the case's smallest up to this one.")
@click.option("--set", "settings", multiple=True, metavar="KEY=VALUE", help="Further overrides (repeatable).")
@click.option("--plot", default=None, metavar="PATH", help="Write a PNG of the value needed against length to PATH (folders are created).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per value.")
@click.option("--timeout", type=Seconds(), default=None, help="Seconds per value.")
@solver_options
def sweep_command(case, vary, max_len, settings, plot, as_json, timeout, solver, cardinality, pb):
    """Sweep one parameter: longest length proved and shortest counterexample per value."""
    from rich.console import Console
    from rich.table import Table

    from .sweep import parse_vary, sweep
    from .sweep import plot as draw

    keys, values = parse_vary(vary)
    overrides = [parse_override(s) for s in settings]
    console = Console(stderr=True)

    def on_row(row):
        if as_json:
            click.echo(json.dumps({"value": row.value, "verdict": row.verdict, "longest_proved": row.longest_proved,
                                   "counterexample": row.shortest_counterexample, "time_s": round(row.time_s, 3)}, default=str))
        else:
            console.print(f"{'.'.join(keys)} = {row.value}: {row.verdict} ({row.time_s:.1f} s)", highlight=False)

    rows = sweep(case, keys, values, max_len, overrides, on_row, timeout=timeout, solver=solver, cardinality=cardinality, pb=pb)
    base = api.load(case, overrides=overrides, warn=lambda message: None)
    lengths = list(range(min(base.lengths), max_len + 1)) if max_len is not None else list(base.lengths)
    if not as_json:
        table = Table(title=f"{base.name}: sweep of {'.'.join(keys)}")
        for column in ("value", "longest length proved", "shortest counterexample", "time (s)"):
            table.add_column(column, justify="right")
        for row in rows:
            cex = row.shortest_counterexample
            table.add_row(str(row.value), "-" if row.longest_proved is None else str(row.longest_proved),
                          f"{cex['length']}: {','.join(cex['input'])}" if cex else ("none" if row.verdict == "equivalent" else row.verdict),
                          f"{row.time_s:.2f}")
        Console().print(table)
    if plot is not None:
        draw(rows, lengths, ".".join(keys), f"{base.name}: precision needed against length", plot)
        if not as_json:
            click.echo(f"plot: {plot}")
