"""The one facade over python-sat's solvers: nothing else in tcverify opens one.

`solve(clauses)` returns a `SolveResult`; an `Engine` is one open solver for
incremental use (sweeping's solvers, the proof checker of `certify.py`). A
deadline is kept by solving in slices of a conflict budget (`conf_budget` +
`solve_limited`): CaDiCaL in pysat has no `interrupt()`, and a slice loop
leaves nothing running. Kissat is not offered (in pysat it ignores
assumptions, and once gave a wrong SAT here), nor Lingeling (no limited solve,
so no time limit). Unit propagation (`Engine.propagate`) is only offered on an
engine that has not solved: pysat issue #232, `propagate()` after `solve()`
can report a false conflict (CaDiCaL 1.5.3 and 1.9.5).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Literal, Optional

from pysat.solvers import Solver

from ..errors import InternalError, UserError

DEFAULT_SOLVER = "cadical300"  # CaDiCaL 3.0.0: faster than 1.9.5 on every row of bench/solvers.py (docs/bench/long.md)
SOLVERS = (
    "cadical300", "cadical195", "cadical153", "cadical103", "glucose4", "glucose42", "glucose3",
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
    with Engine(solver, clauses, proof=proof) as engine:
        result = engine.solve((), deadline, max_conflicts, conflicts_per_slice)
        if result.status == "unsat" and proof:
            result.proof = engine.proof()
        return result


class Engine:
    """One open solver of `SOLVERS`, for incremental use: clauses added over
    time, answers under assumptions, kept learnt clauses; or (never after a
    solve) unit propagation. Close it (`with`, or `close()`)."""

    def __init__(self, solver: str = DEFAULT_SOLVER, clauses=(), proof: bool = False):
        self._solver = Solver(name=check_solver(solver), bootstrap_with=clauses, with_proof=proof)
        self._solved = False

    def __enter__(self) -> "Engine":
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        self._solver.delete()

    def add_clause(self, clause):
        self._solver.add_clause(clause)

    def conflicts(self) -> int:
        """The conflicts of every solve so far."""
        return _conflicts(self._solver)

    def solve(self, assumptions=(), deadline: Optional[float] = None, max_conflicts: Optional[int] = None,
              conflicts_per_slice: Optional[int] = None) -> SolveResult:
        """Decide the clauses under `assumptions`, with `solve`'s deadline,
        conflict limit and slices; `conflicts` counts this call's only."""
        self._solved = True
        return _solve_slices(self._solver, assumptions, deadline, max_conflicts, conflicts_per_slice)

    def solve_within(self, assumptions, conflicts: int):
        """One solve under `assumptions` within `conflicts` conflicts: the model
        (literals) if satisfiable, False if not, None if undecided."""
        self._solved = True
        self._solver.conf_budget(conflicts)
        answer = self._solver.solve_limited(assumptions=list(assumptions))
        return self._solver.get_model() if answer is True else answer

    def proof(self) -> Optional[list]:
        """The clausal proof (DRUP lines) of an UNSAT answer, for an engine made with `proof=True`."""
        return self._solver.get_proof()

    def propagate(self, assumptions) -> bool:
        """True iff unit propagation from the clauses and `assumptions` reaches a conflict."""
        if self._solved:
            raise InternalError("unit propagation after a solve is unreliable in python-sat (issue #232)")
        no_conflict, _ = self._solver.propagate(assumptions=list(assumptions))
        return no_conflict is False  # propagate answers False exactly when it conflicts


def _solve_slices(engine, assumptions=(), deadline: Optional[float] = None, max_conflicts: Optional[int] = None,
                  conflicts_per_slice: Optional[int] = None) -> SolveResult:
    """Decide an open pysat `engine` under `assumptions` in slices of conflicts."""
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
