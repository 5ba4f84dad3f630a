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


def check_solver(name: str) -> str:
    if name not in SOLVERS:
        raise UserError(f"unknown solver {name!r}; choose one of: {', '.join(SOLVERS)}", key="--solver")
    return name


def solve(clauses, solver: str = DEFAULT_SOLVER, deadline: Optional[float] = None, proof: bool = False,
          conflicts_per_slice: Optional[int] = None) -> SolveResult:
    """Decide `clauses`; with a `deadline` (time.monotonic() value) answer
    "unknown" once it has passed (checked between slices of conflicts). With
    `proof`, an "unsat" answer carries the solver's clausal proof of all slices.
    A slice is `conflicts_per_slice` conflicts (default `CONFLICTS_PER_SLICE`)."""
    start = time.monotonic()
    with Solver(name=check_solver(solver), bootstrap_with=clauses, with_proof=proof) as engine:
        slices = 0
        while True:
            if deadline is None:
                answer = engine.solve()
            else:
                if time.monotonic() >= deadline:
                    return SolveResult("unknown", time_s=time.monotonic() - start, conflicts_slices=slices)
                engine.conf_budget(conflicts_per_slice or CONFLICTS_PER_SLICE)
                answer = engine.solve_limited()
                slices += 1
            if answer is True:
                return SolveResult("sat", engine.get_model(), time.monotonic() - start, slices)
            if answer is False:
                return SolveResult("unsat", None, time.monotonic() - start, slices, engine.get_proof() if proof else None)
