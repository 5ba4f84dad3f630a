"""Scheduling the work of `prove` in units, each bounded in time and memory.

A `Unit` is one case file and the lengths to decide in it: `None` for all of
the case's lengths in order (one unit per case: `prove` without `--jobs`, the
time limit covers the case), `()` to load the case and learn its lengths, or
`(n,)` for one length (`--jobs`: the time limit covers each unit). Running a
unit (`run_unit`, in a worker process) yields `Message`s: `Loaded`, `Warned`,
`Decided` per length (its counterexample already replayed on the exact
evaluators), `Failed` (bad input), `Crashed` (a bug), then `Finished`.

A backend runs units: `submit(unit, priority)`, `next()` -> (unit, message),
`cancel(unit)`, `close()`. `LocalBackend` keeps N worker processes (fork) and
kills the one whose unit passes its time limit, so the limit holds whatever
the unit is doing (loading, lowering, encoding, solving); the backend then
reports `Stopped(reason)` and `Finished` for that unit itself. A backend that
runs units elsewhere (e.g. Dask) can call `run_unit_bounded` there, which runs
one unit in a killable child process and returns its messages.

`Scheduler` turns messages into `CaseResult`s, in input order, with the
verdicts of a run in order: every case is decided shortest length first, and
once a length is not equivalent the case's longer lengths are cancelled.
"""

from __future__ import annotations

import ctypes
import heapq
import itertools
import multiprocessing
import os
import resource
import signal
import time
from collections import deque
from dataclasses import dataclass, field
from multiprocessing.connection import wait
from typing import Callable, Optional

from ..kinds.case import check_size
from ..kinds.case import load_case
from ..errors import InternalError, UserError
from .prove import CaseResult, LengthResult, ProveOptions, assemble, decide_lengths

KILL_GRACE_S = 0.5  # a unit past its limit may still report its own `unknown` this long
MEMORY_EXIT_CODE = 86  # a worker that ran out of memory even to answer
MEMORY_SIGNALS = (signal.SIGABRT, signal.SIGSEGV, signal.SIGBUS, signal.SIGKILL)


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


@dataclass(frozen=True)
class Crashed:
    message: str  # an internal error in the worker


@dataclass(frozen=True)
class Stopped:
    reason: str  # "timeout" | "memory": the unit was killed before it finished
    time_s: float = 0.0


@dataclass(frozen=True)
class Finished:
    pass


# -- running a unit (in a worker) --------------------------------------------------


def run_unit(unit: Unit, options: ProveOptions, cases: Optional[dict] = None):
    """The messages of one unit, ending with `Finished`. `cases` caches loaded
    cases by path across the units a worker runs (with the same `options`)."""
    start = time.monotonic()
    deadline = start + options.timeout if options.timeout else None
    cases = {} if cases is None else cases
    try:
        warnings = []
        if unit.path not in cases:
            case = load_case(unit.path, overrides=options.overrides, warn=warnings.append)
            check_size(case, options.max_length)
            cases[unit.path] = case
        case = cases[unit.path]
        if unit.lengths is None or unit.lengths == ():  # a length unit of a case loaded elsewhere says nothing
            yield from map(Warned, warnings)
        yield Loaded(case.name, case.expect, case.lengths, time.monotonic() - start)
        lengths = case.lengths if unit.lengths is None else unit.lengths
        for outcome, counterexample in decide_lengths(case, lengths, options, deadline):
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


def become_worker(memory_limit: Optional[int]):
    """In a fresh child: Ctrl-C is the parent's to handle, the child dies with
    its parent (Linux), and its address space is capped at `memory_limit` bytes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    if memory_limit:
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        limit = memory_limit if hard == resource.RLIM_INFINITY else min(memory_limit, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def _serve(connection, next_unit: Callable, options: ProveOptions, memory_limit: Optional[int]):
    """A worker's life: run units from `next_unit()` until it gives None, sending
    their messages; never returns (no traceback, no atexit of the parent's)."""
    become_worker(memory_limit)
    cases = {}
    try:
        for unit in iter(next_unit, None):
            for message in run_unit(unit, options, cases):
                connection.send(message)
    except MemoryError:  # even the answer did not fit: the parent reads the exit code
        os._exit(MEMORY_EXIT_CODE)
    except BaseException:  # the parent closed the pipe, or a bug
        os._exit(1)
    os._exit(0)


def _worker_main(connection, options: ProveOptions, memory_limit: Optional[int]):
    _serve(connection, connection.recv, options, memory_limit)


def death_reason(exitcode: Optional[int], memory_limit: Optional[int]) -> Optional[str]:
    """"memory" when a worker that died without answering was most likely out of
    memory (a signal while a memory cap applies); None for any other death."""
    if exitcode == MEMORY_EXIT_CODE or (exitcode is not None and exitcode < 0 and memory_limit
                                        and -exitcode in MEMORY_SIGNALS):
        return "memory"
    return None


def run_unit_bounded(unit: Unit, options: ProveOptions, memory_limit: Optional[int] = None) -> list:
    """The messages of `unit` run in a child process that is killed at the time
    limit (plus a grace) — for a backend whose workers are elsewhere. A plain
    fork, so it works in daemonic worker processes (Dask's), which
    multiprocessing does not let have children."""
    receiver, sender = multiprocessing.Pipe(duplex=False)
    start = time.monotonic()
    pid = os.fork()
    if pid == 0:
        receiver.close()
        units = iter([unit])
        _serve(sender, lambda: next(units, None), options, memory_limit)
    sender.close()
    limit = start + options.timeout + KILL_GRACE_S if options.timeout else None
    messages = []
    try:
        while not messages or not isinstance(messages[-1], Finished):
            timeout = None if limit is None else max(0.0, limit - time.monotonic())
            if not receiver.poll(timeout):
                messages += [Stopped("timeout", time.monotonic() - start), Finished()]
                break
            try:
                messages.append(receiver.recv())
            except EOFError:
                _, status = os.waitpid(pid, 0)
                pid = None
                messages += [_died(os.waitstatus_to_exitcode(status), memory_limit, time.monotonic() - start), Finished()]
    finally:
        if pid is not None:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        receiver.close()
    return messages


def _died(exitcode, memory_limit, time_s):
    reason = death_reason(exitcode, memory_limit)
    if reason is None:
        return Crashed(f"a worker process died (exit code {exitcode})")
    return Stopped(reason, time_s)


# -- the local backend -------------------------------------------------------------


@dataclass
class _Worker:
    process: multiprocessing.Process
    connection: object
    unit: Optional[Unit] = None
    started: float = 0.0


class LocalBackend:
    """Units run in `jobs` worker processes forked from this one, highest
    priority (smallest) first; a worker whose unit passes `options.timeout`
    (plus KILL_GRACE_S) or is cancelled is killed and replaced."""

    def __init__(self, jobs: int, options: ProveOptions, memory_limit: Optional[int] = None):
        self.options, self.memory_limit = options, memory_limit
        self.context = multiprocessing.get_context("fork")
        self.queue = []  # heap of (priority, sequence number, unit)
        self.sequence = itertools.count()
        self.ready = deque()  # (unit, message) received, not yet returned
        self.workers = [self._start() for _ in range(max(1, jobs))]

    def _start(self) -> _Worker:
        ours, theirs = self.context.Pipe()
        process = self.context.Process(target=_worker_main, args=(theirs, self.options, self.memory_limit), daemon=True)
        process.start()
        theirs.close()
        return _Worker(process, ours)

    def pids(self) -> list:
        return [w.process.pid for w in self.workers]

    def submit(self, unit: Unit, priority=0):
        heapq.heappush(self.queue, (priority, next(self.sequence), unit))

    def cancel(self, unit: Unit):
        """No more messages come for `unit`; a worker running it is killed."""
        self.queue = [entry for entry in self.queue if entry[2] != unit]
        heapq.heapify(self.queue)
        self.ready = deque(entry for entry in self.ready if entry[0] != unit)
        for k, worker in enumerate(self.workers):
            if worker.unit == unit:
                self._replace(k)

    def next(self):
        """(unit, message): the next message of a running unit; None when no
        unit is queued or running."""
        while not self.ready:
            self._dispatch()
            busy = [w for w in self.workers if w.unit is not None]
            if not busy:
                return None
            limits = [w.started + self.options.timeout + KILL_GRACE_S for w in busy] if self.options.timeout else []
            timeout = max(0.0, min(limits) - time.monotonic()) if limits else None
            answered = wait([w.connection for w in busy], timeout)
            for k, worker in enumerate(self.workers):
                if worker.unit is None:
                    continue
                if worker.connection in answered:
                    self._receive(k)
                elif limits and time.monotonic() >= worker.started + self.options.timeout + KILL_GRACE_S:
                    self._stop(k, Stopped("timeout", time.monotonic() - worker.started))
        return self.ready.popleft()

    def _receive(self, k: int):
        worker = self.workers[k]
        try:
            message = worker.connection.recv()
        except EOFError:
            worker.process.join()
            self._stop(k, _died(worker.process.exitcode, self.memory_limit, time.monotonic() - worker.started))
            return
        self.ready.append((worker.unit, message))
        if isinstance(message, Finished):
            worker.unit = None

    def _stop(self, k: int, message):
        unit = self.workers[k].unit
        self._replace(k)
        self.ready.extend([(unit, message), (unit, Finished())])

    def _replace(self, k: int):
        worker = self.workers[k]
        worker.process.kill()
        worker.process.join()
        worker.connection.close()
        self.workers[k] = self._start()

    def _dispatch(self):
        for worker in self.workers:
            if worker.unit is None and self.queue:
                _, _, unit = heapq.heappop(self.queue)
                worker.connection.send(unit)
                worker.unit, worker.started = unit, time.monotonic()

    def close(self):
        """Kill every worker and wait for it: nothing is left running."""
        for worker in self.workers:
            worker.process.kill()
        for worker in self.workers:
            worker.process.join()
            worker.connection.close()
        self.workers = []


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
    loaded: bool = False


class Scheduler:
    """Decides case files on a backend, one unit per case (`per_length=False`)
    or one unit per length; `results()` yields each CaseResult in input order."""

    def __init__(self, paths, backend, per_length: bool, on_length: Callable = None, on_warning: Callable = None):
        self.paths, self.backend, self.per_length = list(paths), backend, per_length
        self.on_length, self.on_warning = on_length, on_warning
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
            if self.on_warning is not None:
                self.on_warning(message.text)
        elif isinstance(message, Loaded):
            state.time_s += message.time_s
            if not state.loaded:
                state.loaded = True
                state.name, state.expect, state.lengths = message.name, message.expect, message.lengths
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
                    (LengthResult(n, "unknown", message.reason, spent, reason=message.reason), None)
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


def default_memory_limit(workers: int) -> int:
    """Bytes of address space per worker by default: 3/4 of the machine's memory
    shared by the workers (at least 1 GiB)."""
    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    return max(1 << 30, total * 3 // 4 // max(1, workers))


def decide_cases(paths, options: ProveOptions, jobs: int = 1, memory_limit: Optional[int] = None,
                 backend=None, on_length: Callable = None, on_warning: Callable = None) -> Scheduler:
    """A Scheduler for `paths`: with one job, each case is one unit (the time
    limit covers the case); with more, or another backend, each length is one."""
    if memory_limit is None:
        memory_limit = default_memory_limit(jobs)
    per_length = backend is not None or jobs > 1
    backend = backend or LocalBackend(jobs, options, memory_limit)
    return Scheduler(paths, backend, per_length, on_length, on_warning)
