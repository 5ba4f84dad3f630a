"""The one facade over python-sat's solvers.

`solve(clauses)` returns a `SolveResult`. A deadline is kept by solving in
slices of a conflict budget (`conf_budget` + `solve_limited`): CaDiCaL in
pysat has no `interrupt()`, and a slice loop leaves nothing running.
Kissat is not offered (in pysat it ignores assumptions and once gave a wrong
SAT here), nor Lingeling (no limited solve, so no time limit).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Literal, Optional

from pysat.solvers import Solver

from ..errors import UserError

DEFAULT_SOLVER = "cadical195"
SOLVERS = (
    "cadical195", "cadical153", "cadical103", "glucose4", "glucose42", "glucose3",
    "maplechrono", "maplecm", "maplesat", "mergesat3", "minisat22", "minisatep",
    "gluecard3", "gluecard4", "minicard",
)
CONFLICTS_PER_SLICE = 20000


@dataclass
class SolveResult:
    status: Literal["sat", "unsat", "unknown"]
    model: Optional[list] = None  # literals of a satisfying assignment
    time_s: float = 0.0
    conflicts_slices: int = 0
    proof: Optional[list] = None  # with `proof=True` and "unsat": the DRUP lines (certify.py)
    conflicts: int = 0  # the solver's conflict count (pysat accum_stats)


def check_solver(name: str) -> str:
    if name not in SOLVERS:
        raise UserError(f"unknown solver {name!r}; choose one of: {', '.join(SOLVERS)}", key="solver")
    return name


def solve(clauses, solver: str = DEFAULT_SOLVER, deadline: Optional[float] = None, proof: bool = False,
          max_conflicts: Optional[int] = None, conflicts_per_slice: Optional[int] = None) -> SolveResult:
    """Decide `clauses`; with a `deadline` (time.monotonic() value) answer
    "unknown" once it has passed (checked between slices of conflicts), and
    likewise after `max_conflicts` conflicts. With `proof`, an "unsat" answer
    carries the solver's clausal proof of all slices. A slice is
    `conflicts_per_slice` conflicts (default `CONFLICTS_PER_SLICE`)."""
    with Solver(name=check_solver(solver), bootstrap_with=clauses, with_proof=proof) as engine:
        result = solve_on(engine, (), deadline, max_conflicts, conflicts_per_slice)
        if result.status == "unsat" and proof:
            result.proof = engine.get_proof()
        return result


def solve_on(engine, assumptions=(), deadline: Optional[float] = None, max_conflicts: Optional[int] = None,
             conflicts_per_slice: Optional[int] = None) -> SolveResult:
    """Decide an open pysat `engine` under `assumptions` (incremental use), with
    `solve`'s deadline, conflict limit and slices; `conflicts` counts this call's only."""
    start = time.monotonic()
    before = _conflicts(engine)
    per_slice = conflicts_per_slice or CONFLICTS_PER_SLICE
    slices = 0
    while True:
        if deadline is None and max_conflicts is None:
            answer = engine.solve(assumptions=list(assumptions))
        else:
            spent = _conflicts(engine) - before
            if (deadline is not None and time.monotonic() >= deadline) or (max_conflicts is not None and spent >= max_conflicts):
                return SolveResult("unknown", time_s=time.monotonic() - start, conflicts_slices=slices, conflicts=spent)
            engine.conf_budget(per_slice if max_conflicts is None else min(per_slice, max_conflicts - spent))
            answer = engine.solve_limited(assumptions=list(assumptions))
            slices += 1
        if answer is True:
            return SolveResult("sat", engine.get_model(), time.monotonic() - start, slices, conflicts=_conflicts(engine) - before)
        if answer is False:
            return SolveResult("unsat", None, time.monotonic() - start, slices, conflicts=_conflicts(engine) - before)


def _conflicts(engine) -> int:
    return (engine.accum_stats() or {}).get("conflicts", 0)
