"""Scheduling the work of `prove`: cases and lengths as units of work on a
worker pool (`pool.py`), and the units' messages folded into case results.

A `Unit` is one case file and the lengths to decide in it: `None` for all of
the case's lengths in order (one unit per case: `prove` without `--jobs`, the
time limit covers the case), `()` to load the case and learn its lengths, or
`(n,)` for one length (`--jobs`: the time limit covers each unit). Running a
unit (`run_unit`, in a worker process) yields `Loaded`, `Warned`, `Decided`
per length (its counterexample already replayed on the exact evaluators),
`Failed` (bad input), `Crashed` (a bug), then `Finished`. It is handed the
loader (`load(path, warn) -> Case`, the front door's, size guard included):
nothing here reads files.

`Scheduler` turns messages into `CaseResult`s, in input order, with the
verdicts of a run in order: every case is decided shortest length first, and
once a length is not equivalent the case's longer lengths are cancelled.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable, Optional

from ..errors import InternalError, UserError
from .options import Stages
from .pipeline import decide_lengths
from .pool import Backend, Crashed, Finished, Stopped
from .results import CaseResult, LengthResult, assemble


@dataclass(frozen=True)
class Unit:
    index: int  # the case's place in the input
    path: str
    lengths: Optional[tuple] = None  # None: all of the case's lengths; (): load only


@dataclass(frozen=True)
class Loaded:
    name: str
    expect: Optional[str]
    lengths: tuple
    time_s: float = 0.0  # loading (0 when the worker had the case already)


@dataclass(frozen=True)
class Warned:
    text: str


@dataclass(frozen=True)
class Decided:
    result: LengthResult
    counterexample: Optional[dict]  # replayed on the exact evaluators


@dataclass(frozen=True)
class Failed:
    message: str  # a UserError's one line


# -- running a unit (in a worker) --------------------------------------------------


def run_unit(unit: Unit, cases: Optional[dict] = None, *, load: Callable, stages: Stages = Stages(),
             timeout: Optional[float] = None):
    """The messages of one unit, ending with `Finished`. `load(path, warn)` loads
    a case; `cases` caches loaded cases by path across the units a worker runs."""
    start = time.monotonic()
    deadline = start + timeout if timeout else None
    cases = {} if cases is None else cases
    try:
        warnings = []
        if unit.path not in cases:
            cases[unit.path] = load(unit.path, warn=warnings.append)
        case = cases[unit.path]
        if unit.lengths is None or unit.lengths == ():  # a length unit of a case loaded elsewhere says nothing
            yield from map(Warned, warnings)
        yield Loaded(case.name, case.expect, case.lengths, time.monotonic() - start)
        lengths = case.lengths if unit.lengths is None else unit.lengths
        for outcome, counterexample in decide_lengths(case, lengths, stages, deadline):
            yield Decided(outcome, counterexample)
        ending = None
    except UserError as exc:
        ending = Failed(str(exc))
    except MemoryError:
        ending = Stopped("memory", time.monotonic() - start)
    except InternalError as exc:  # e.g. a counterexample that does not replay, a proof that does not check
        ending = Crashed(str(exc))
    except Exception as exc:  # a bug in tcverify, reported by the parent as exit 70
        ending = Crashed(f"{type(exc).__name__}: {exc}")
    if isinstance(ending, Stopped):
        cases.clear()
    if ending is not None:  # sent outside the handler, once the failed work's memory is freed
        yield ending
    yield Finished()


# -- from messages to case results -------------------------------------------------


@dataclass
class _CaseState:
    path: str
    time_s: float = 0.0  # spent on it by workers: loading and lengths
    name: Optional[str] = None
    expect: Optional[str] = None
    lengths: tuple = ()
    outcomes: dict = field(default_factory=dict)  # n -> (LengthResult, counterexample) or Failed
    failure: Optional[object] = None  # Failed or Stopped before any length
    units: Optional[set] = field(default_factory=set)  # submitted, not finished; None once decided
    warnings: list = field(default_factory=list)  # the loader's, reported with the case's result
    loaded: bool = False


class Scheduler:
    """Decides case files on a backend, one unit per case (`per_length=False`)
    or one unit per length; `results()` yields each CaseResult in input order."""

    def __init__(self, paths, backend: Backend, per_length: bool, on_length: Callable = None, on_loaded: Callable = None):
        self.paths, self.backend, self.per_length = list(paths), backend, per_length
        self.on_length, self.on_loaded = on_length, on_loaded
        self.states = {}
        self.done = {}  # index -> CaseResult not yet yielded
        self.yielded = 0

    def results(self):
        try:
            for index, path in enumerate(self.paths):
                self.states[index] = _CaseState(path)
                self._submit(Unit(index, path, () if self.per_length else None), (index, -1))
            while self.yielded < len(self.paths):
                while self.yielded in self.done:
                    yield self.done.pop(self.yielded)
                    self.yielded += 1
                if self.yielded == len(self.paths):
                    return
                event = self.backend.next()
                if event is None:
                    raise InternalError("the scheduler waits for a case that has no work left")
                self._handle(*event)
        finally:
            self.backend.close()

    def interrupted(self) -> list:
        """The cases not yet reported that started, as results so far (unknown, reason "interrupted")."""
        partial = []
        for index in sorted(self.states):
            state = self.states[index]
            if index < self.yielded or not (state.loaded or state.outcomes):
                continue
            result = self._result(state)
            if result.verdict == "equivalent" and len(result.lengths) < len(state.lengths):
                result.verdict, result.reason = "unknown", "interrupted"
            partial.append(result)
        return partial

    def _submit(self, unit: Unit, priority):
        self.states[unit.index].units.add(unit)
        self.backend.submit(unit, priority)

    def _handle(self, unit: Unit, message):
        state = self.states.get(unit.index)
        if state is None or state.units is None or unit not in state.units:
            return  # a cancelled unit, or a case already decided
        if isinstance(message, Warned):
            state.warnings.append(message.text)
        elif isinstance(message, Loaded):
            state.time_s += message.time_s
            if not state.loaded:
                state.loaded = True
                state.name, state.expect, state.lengths = message.name, message.expect, message.lengths
                if self.on_loaded is not None:
                    self.on_loaded(state.name, state.lengths)
                if self.per_length:
                    for k, n in enumerate(message.lengths):
                        self._submit(Unit(unit.index, unit.path, (n,)), (unit.index, k))
        elif isinstance(message, Decided):
            state.time_s += message.result.time_s
            state.outcomes[message.result.n] = (message.result, message.counterexample)
            if self.on_length is not None:
                self.on_length(state.name, message.result)
            if message.result.status != "equivalent":
                self._cancel_longer(state, message.result.n)
        elif isinstance(message, Crashed):
            raise InternalError(f"{unit.path}: {message.message}")
        elif isinstance(message, (Failed, Stopped)):
            n = self._length_of(unit, state)
            spent = getattr(message, "time_s", 0.0)
            if unit.lengths is None:  # a whole-case unit's time includes its lengths already counted
                spent = max(0.0, spent - state.time_s)
            state.time_s += spent
            if n is None:
                state.failure = message
            else:
                state.outcomes[n] = message if isinstance(message, Failed) else \
                    (LengthResult.unknown(n, message.reason, spent), None)
                self._cancel_longer(state, n)
        elif isinstance(message, Finished):
            state.units.discard(unit)
        if state.units is not None and self._decided(state):
            state.units = None  # the units still running are shorter lengths finishing: not waited for
            self.done[unit.index] = self._result(state)

    @staticmethod
    def _length_of(unit: Unit, state: _CaseState) -> Optional[int]:
        """The length a unit was deciding when it failed or stopped (None: loading)."""
        if not state.loaded:
            return None
        if unit.lengths is None:
            return next((n for n in state.lengths if n not in state.outcomes), None)
        return unit.lengths[0] if unit.lengths else None

    def _cancel_longer(self, state: _CaseState, n: int):
        for pending in [u for u in state.units if u.lengths and u.lengths[0] > n]:
            self.backend.cancel(pending)
            state.units.discard(pending)

    def _decided(self, state: _CaseState) -> bool:
        if state.failure is not None:
            return True
        if not state.loaded:
            return False
        for n in state.lengths:
            outcome = state.outcomes.get(n)
            if outcome is None:
                return not state.units  # a whole-case unit finished early: nothing more comes
            if isinstance(outcome, Failed) or outcome[0].status != "equivalent":
                return True
        return True

    def _result(self, state: _CaseState) -> CaseResult:
        result = self._outcome(state)
        result.warnings = list(state.warnings)
        return result

    def _outcome(self, state: _CaseState) -> CaseResult:
        elapsed = state.time_s
        if isinstance(state.failure, Failed):
            return CaseResult.error(state.path, state.failure.message, elapsed)
        if isinstance(state.failure, Stopped):
            return CaseResult(state.path, state.name or state.path, "unknown", state.expect,
                              time_s=elapsed, reason=state.failure.reason)

        def in_order():
            for n in state.lengths:
                outcome = state.outcomes.get(n)
                if outcome is None:
                    return
                if isinstance(outcome, Failed):
                    raise UserError(outcome.message)
                yield outcome

        result = assemble(state.name, state.expect, state.path, in_order(), time.monotonic())
        result.time_s = elapsed
        return result
