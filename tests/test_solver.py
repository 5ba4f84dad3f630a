"""The solver facade (proving/solver.py): answers with and without a deadline,
and the deadline loop itself, reached on a formula too hard to finish in time."""

import time

import pytest
from pysat.examples.genhard import PHP
from tcverify.errors import InternalError, UserError
from tcverify.proving.solver import SOLVERS, Engine, solve

HARD = PHP(9).clauses  # 10 pigeons in 9 holes: UNSAT, far beyond a second for CDCL (exponential resolution proofs)


def test_sat_and_unsat_without_deadline():
    sat = solve([[1, 2], [-1], [-2, 3]])
    assert sat.status == "sat" and {-1, 2, 3} <= set(sat.model) and sat.conflicts_slices == 0
    unsat = solve([[1], [-1, 2], [-2]])
    assert unsat.status == "unsat" and unsat.model is None


def test_deadline_loop_gives_unknown_after_running_slices():
    start = time.monotonic()
    result = solve(HARD, deadline=start + 0.5, conflicts_per_slice=500)
    assert result.status == "unknown" and result.model is None
    assert result.conflicts_slices >= 1  # the loop ran slices before the deadline stopped it
    assert time.monotonic() - start >= 0.5


def test_deadline_already_passed_runs_no_slice():
    result = solve(HARD, deadline=time.monotonic() - 1)
    assert result.status == "unknown" and result.conflicts_slices == 0


def test_deadline_loop_decides_easy_formulas_in_slices():
    """An easy UNSAT formula under a generous deadline: decided, by the sliced path."""
    result = solve(PHP(4).clauses, deadline=time.monotonic() + 60, conflicts_per_slice=5)
    assert result.status == "unsat" and result.conflicts_slices >= 2


@pytest.mark.parametrize("name", ["minisat22", "glucose4"])
def test_other_solvers(name):
    assert name in SOLVERS
    assert solve([[1, 2], [-1, 2], [-2, 1], [-1, -2]], solver=name).status == "unsat"


def test_unknown_solver_is_a_user_error():
    with pytest.raises(UserError, match="unknown solver 'nope'"):
        solve([[1]], solver="nope")


def test_engine_propagates_only_before_it_solves():
    """Unit propagation (the proof checker's) is refused after a solve: pysat issue #232."""
    with Engine("minisat22", [[1, 2], [-1]]) as engine:
        assert engine.propagate([-2])  # -1 by the unit clause, then [1, 2] conflicts
        assert not engine.propagate([2])
        assert engine.solve_within([], 100) == [-1, 2] and engine.solve_within([-2], 100) is False
        with pytest.raises(InternalError, match="#232"):
            engine.propagate([])
