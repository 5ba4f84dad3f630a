"""The front door of tcverify: plain functions with keyword arguments that the
command line (`commands/`), the bench scripts and the tests call.

- `load` a case (the size guards always run), `check` every length of it;
- `decide` a case in this process, `decide_path` a case file (bad input is an
  `error` result), `prove` many case files on a worker pool (local processes,
  or Dask) bounded in time and memory;
- `miter`, `miter_cnf`, `length_method`: the pipeline's pieces, for benches;
- `compile` a transformer side into a threshold circuit, `circuit_stats`;
- `export_cnf`, `export_aiger`, `export_netlist`, and `decode` an external
  solver's answer to an exported CNF;
- `simulate` one string on both models.

Deciding is configured by keywords, each read by one stage of the pipeline
(`proving/options.py`): `sample`, `seed` (sampling), `method` (exhaustive),
`rewrite`, `cardinality`, `pb` (miter), `sweep` (sweeping), `solver` (solve),
`certify`, `proof_dir` (certify); `timeout` bounds a case (or, with jobs or
Dask, each length); `overrides`, `max_length` and `warn` are the loader's.
"""

from __future__ import annotations

import dataclasses
import functools
import os
import time
from typing import Callable, Optional

from .casefile.limits import MAX_LENGTH
from .casefile.overrides import parse_override, parse_range
from .core.ir import GateCircuit
from .core.models import Case, Transformer
from .encodings.cnf import CARDINALITY_ENCODINGS, PB_ENCODINGS, EncodingOptions
from .errors import UserError
from .exporters.aiger import AigerModel, lower_to_aig, write_aiger
from .exporters.dimacs import read_answer, read_header, write_dimacs
from .exporters.netlist import CircuitStats, stats, write_netlist
from .kinds import lower_model
from .kinds.case import check_case, check_size, load_case
from .kinds.simulate import simulate
from .kinds.transformer.lower import lower_transformer
from .proving import pipeline
from .proving.certify import CERTIFYING_SOLVERS
from .proving.miter import Miter, MiterCnf, build_miter, decode_word
from .proving.miter import miter_cnf as encode_miter
from .proving.options import (METHODS, CertifyOptions, ExhaustiveOptions, MiterOptions, SampleOptions, SolveOptions, Stages,
                              SweepOptions)
from .proving.pool import LocalBackend, default_memory_limit
from .proving.results import CaseResult, LengthResult, Verdict
from .proving.schedule import Scheduler, run_unit
from .proving.solver import DEFAULT_SOLVER, SOLVERS, solve
from .proving.witness import replay

__all__ = ["load", "check", "check_length", "stages", "decide", "decide_path", "prove", "unit_runner", "length_method", "miter",
           "miter_cnf", "solve", "compile", "circuit_stats", "CircuitStats", "export_cnf", "aiger_model",
           "export_aiger", "export_netlist", "decode", "simulate", "CaseResult", "LengthResult", "Verdict", "Case", "Miter", "MiterCnf",
           "parse_override", "parse_range", "MAX_LENGTH", "METHODS", "SOLVERS", "DEFAULT_SOLVER", "CERTIFYING_SOLVERS",
           "CARDINALITY_ENCODINGS", "PB_ENCODINGS"]


# -- loading -----------------------------------------------------------------------


def load(path, *, overrides=(), max_length: int = MAX_LENGTH, warn: Optional[Callable] = None) -> Case:
    """A case file, loaded, validated and checked against the size guards
    (`casefile/limits.py`; the longest length against `max_length`).
    `overrides` are `--set` pairs (keys, value); `warn(message)` receives the
    parameter rounding warnings (default: stderr)."""
    case = load_case(path, warn=warn, overrides=overrides)
    check_size(case, max_length)
    return case


def check(case: Case) -> None:
    """Every length of both models built (netlists, layouts): what `load` leaves lazy."""
    check_case(case)


def check_length(case: Case, n: int) -> None:
    """A UserError unless n is one of the case's lengths."""
    if n not in case.lengths:
        raise UserError(f"length {n} is not among the case's lengths {list(case.lengths)}", case.path, "length")


# -- deciding ----------------------------------------------------------------------


def stages(*, sample: bool = True, seed: int = 0, method: str = "auto", rewrite: bool = True, counts: bool = True,
           cardinality: str = EncodingOptions.cardinality, pb: str = EncodingOptions.pb, sweep: bool = True,
           solver: str = DEFAULT_SOLVER, certify: bool = False, proof_dir: Optional[str] = None) -> Stages:
    """The pipeline's options, each given to the stage that reads it; a
    `proof_dir` implies `certify`."""
    return Stages(SampleOptions(sample, seed), ExhaustiveOptions(method),
                  MiterOptions(rewrite, counts, EncodingOptions(cardinality, pb)), SweepOptions(sweep, seed),
                  SolveOptions(solver), CertifyOptions(certify or proof_dir is not None, proof_dir))


def decide(case: Case, *, timeout: Optional[float] = None, on_length: Optional[Callable] = None,
           label: Optional[str] = None, **settings) -> CaseResult:
    """Decide every length of `case`, shortest first, in this process (the time
    limit is checked between lengths and inside the solver)."""
    return pipeline.decide_case(case, stages(**settings), timeout, on_length, label)


def decide_path(path, *, overrides=(), max_length: int = MAX_LENGTH, timeout: Optional[float] = None,
                on_length: Optional[Callable] = None, **settings) -> CaseResult:
    """`load` and `decide` one case file; bad input becomes an `error` result."""
    start = time.monotonic()
    try:
        case = load(path, overrides=overrides, max_length=max_length)
    except UserError as exc:
        return CaseResult.error(str(path), str(exc), time.monotonic() - start)
    return decide(case, timeout=timeout, on_length=on_length, label=str(path), **settings)


def prove(paths, *, jobs: int = 1, memory_limit: Optional[int] = None, dask: Optional[str] = None,
          timeout: Optional[float] = None, overrides=(), max_length: int = MAX_LENGTH,
          on_length: Optional[Callable] = None, on_loaded: Optional[Callable] = None, **settings) -> Scheduler:
    """A `Scheduler` deciding the case files `paths` in worker processes, each
    unit killed at `timeout` and capped at `memory_limit` bytes (default: 3/4
    of the memory shared by the workers); `.results()` yields the CaseResults
    in input order. With one job each case is one unit (the time limit covers
    the case); with more, or on Dask (`dask`: a scheduler address, or "local"
    for a LocalCluster of `jobs` workers, one per core by default), each length
    is one."""
    settings = stages(**settings)
    if dask is not None:
        from .proving.dask_backend import DaskBackend

        if settings.certify.proof_dir is not None:  # the workers may run elsewhere
            settings = dataclasses.replace(settings, certify=dataclasses.replace(
                settings.certify, proof_dir=os.path.abspath(settings.certify.proof_dir)))
        run = _runner(settings, timeout, overrides, max_length, base=os.getcwd())
        backend = DaskBackend(run, timeout, None if dask == "local" else dask, memory_limit,
                              workers=jobs if dask == "local" and jobs > 1 else None)
        return Scheduler(paths, backend, True, on_length, on_loaded)
    if memory_limit is None:
        memory_limit = default_memory_limit(jobs)
    backend = LocalBackend(_runner(settings, timeout, overrides, max_length), jobs, timeout, memory_limit)
    return Scheduler(paths, backend, jobs > 1, on_length, on_loaded)


def unit_runner(*, timeout: Optional[float] = None, overrides=(), max_length: int = MAX_LENGTH, **settings):
    """What a worker of `prove` runs: `run(unit, cache)` yields a `schedule.Unit`'s
    messages (for a `Backend`, or `pool.run_bounded`)."""
    return _runner(stages(**settings), timeout, overrides, max_length)


def _runner(settings: Stages, timeout, overrides, max_length, base: Optional[str] = None):
    """`schedule.run_unit` handed the loader (paths relative to `base` when
    given, for workers in another directory) and the pipeline's options."""
    loader = functools.partial(_load_at, base=base, overrides=tuple(overrides), max_length=max_length)
    return functools.partial(run_unit, load=loader, stages=settings, timeout=timeout)


def _load_at(path, warn=None, *, base=None, overrides=(), max_length=MAX_LENGTH) -> Case:
    return load(os.path.join(base, path) if base else path, overrides=overrides, max_length=max_length, warn=warn)


def length_method(case: Case, n: int, **settings) -> str:
    """"exhaustive", "sat" or "auto" (decided after the sampling pass times the
    evaluators): how the pipeline would prove length n."""
    chosen = stages(**settings)
    return pipeline.length_method(case, n, chosen.exhaustive, chosen.sample)


def miter(case: Case, n: int, *, rewrite: bool = True, counts: bool = True) -> Miter:
    """Both models at length n in one gate circuit, with the output `diff`."""
    return build_miter(case, n, rewrite=rewrite, counts=counts)


def miter_cnf(built: Miter, *, cardinality: str = EncodingOptions.cardinality, pb: str = EncodingOptions.pb) -> MiterCnf:
    """A miter's CNF with `diff = 1` and one symbol per position: satisfiable
    iff a string of its length separates the models."""
    return encode_miter(built, EncodingOptions(cardinality, pb))


# -- compiling ---------------------------------------------------------------------


def compile(case: Case, side: str, n: int) -> tuple:
    """(GateCircuit, output nodes) of the transformer on `side` at length n as a
    constant-depth threshold circuit (Merrill & Sabharwal 2023)."""
    model = getattr(case, side)
    if not isinstance(model, Transformer):
        raise UserError(f"the {side} model is a {type(model).__name__.lower()}, not a transformer", case.path, side)
    circuit = GateCircuit(n, case.alphabet)
    return circuit, lower_transformer(model, circuit, case.outputs, style="threshold")


def circuit_stats(circuit: GateCircuit, outputs) -> CircuitStats:
    """Depth, gates, wires, largest fan-in and weight of the cone of `outputs`."""
    return stats(circuit, outputs)


# -- exporting ---------------------------------------------------------------------


def export_cnf(case: Case, n: int, output: str, *, cardinality: str = EncodingOptions.cardinality,
               pb: str = EncodingOptions.pb, counts: bool = True) -> dict:
    """The miter at length n (one of the case's lengths) as DIMACS with the
    comment lines `decode` reads; its variable and clause counts."""
    check_length(case, n)
    cnf = miter_cnf(miter(case, n, counts=counts), cardinality=cardinality, pb=pb)
    try:
        with open(output, "w") as handle:
            write_dimacs(handle, cnf.clauses, cnf.nvars, cnf.input_lits, case.path, n)
    except OSError as exc:
        raise UserError(f"cannot write: {exc.strerror}", output) from None
    return {"variables": cnf.nvars, "clauses": len(cnf.clauses)}


def aiger_model(case: Case, n: int, *, side: Optional[str] = None, comments=()) -> AigerModel:
    """The miter (side None; output `diff`) or the `left` / `right` model
    (outputs `accept` or `accept[i]`) of the case at length n as an AIG."""
    check_length(case, n)
    comments = list(comments) + [f"case {os.path.abspath(case.path)}", f"length {n}"]
    if side is None:
        built = miter(case, n)
        circuit, outputs = built.circuit, [("diff", built.diff)]
        comments.append("miter: output diff is 1 iff the two models' outputs differ on the input string")
    else:
        circuit = GateCircuit(n, case.alphabet)
        nodes = lower_model(getattr(case, side), circuit, case.outputs)
        names = ["accept"] if case.outputs == "last" else [f"accept[{i}]" for i in range(len(nodes))]
        outputs = list(zip(names, nodes))
        comments.append(f"model: the case's {side} side" + ("" if case.outputs == "last" else "; accept[i] is its bit for the prefix ending at position i"))
    return lower_to_aig(circuit, outputs, comments)


def export_aiger(case: Case, n: int, output: str, *, side: Optional[str] = None, comments=()) -> dict:
    """`aiger_model` written as binary AIGER; its counts (inputs, ands, outputs)."""
    return write_aiger(aiger_model(case, n, side=side, comments=comments), output)


def export_netlist(circuit: GateCircuit, outputs, output: str) -> None:
    """The cone of `outputs` as a spec netlist (JSON)."""
    write_netlist(circuit, outputs, output)


def decode(cnf_path: str, answer: str, *, max_length: int = MAX_LENGTH) -> tuple:
    """(n, counterexample) for an external solver's `answer` to a CNF written by
    `export_cnf`: the counterexample replayed on both models (`witness.replay`'s dict
    and the case's path under "case"), or None when the answer is UNSAT (the models
    agree on every string of length n)."""
    case_path, n, inputs = read_header(cnf_path)
    true = read_answer(answer)
    if true is None:
        return n, None
    case = load(case_path, max_length=max_length)
    try:
        word = decode_word(true, inputs, case.alphabet, n)
    except ValueError as exc:
        raise UserError(f"{exc}: not a model of this CNF", "model") from None
    return n, {"case": case_path} | replay(case, word)
