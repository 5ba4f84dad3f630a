"""A generic pool of worker processes, each task bounded in time and memory.

A task is any picklable value; the pool is handed `run(task, cache)`, a
callable that yields the task's messages (any picklable values) and ends
with `Finished()`; `cache` is a dict a worker keeps across its tasks. A
`Backend` runs tasks: `submit(task, priority)`, `next()` -> (task, message),
`cancel(task)`, `close()`. `LocalBackend` keeps N worker processes (fork) and
kills the one whose task passes the time limit, so the limit holds whatever
the task is doing; the backend then reports `Stopped(reason)` and `Finished`
for that task itself. A backend that runs tasks elsewhere (`DaskBackend`,
`dask_backend.py`) calls `run_bounded` there: one task in a killable child
process, its messages returned as a list.
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
from dataclasses import dataclass
from multiprocessing.connection import wait
from typing import Any, Callable, Iterable, Optional, Protocol

from .results import Reason

KILL_GRACE_S = 0.5  # a task past its limit may still report its own `unknown` this long
MEMORY_EXIT_CODE = 86  # a worker that ran out of memory even to answer
MEMORY_SIGNALS = (signal.SIGABRT, signal.SIGSEGV, signal.SIGBUS, signal.SIGKILL)

Run = Callable[[Any, dict], Iterable]  # (task, the worker's cache) -> messages, the last `Finished()`


@dataclass(frozen=True)
class Crashed:
    message: str  # an internal error in the worker


@dataclass(frozen=True)
class Stopped:
    reason: Reason  # "timeout" | "memory": the task was killed before it finished
    time_s: float = 0.0


@dataclass(frozen=True)
class Finished:
    pass


class Backend(Protocol):
    """What runs tasks for a scheduler."""

    def submit(self, task, priority) -> None:
        """Queue `task`; smaller priorities run first."""

    def next(self) -> Optional[tuple]:
        """(task, message): the next message of a running task; None when no
        task is queued or running."""

    def cancel(self, task) -> None:
        """No more messages come for `task`."""

    def close(self) -> None:
        """Stop everything: nothing is left running."""


# -- a worker's life ---------------------------------------------------------------


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


def _serve(connection, next_task: Callable, run: Run, memory_limit: Optional[int]):
    """A worker's life: run tasks from `next_task()` until it gives None, sending
    their messages; never returns (no traceback, no atexit of the parent's)."""
    become_worker(memory_limit)
    cache = {}
    try:
        for task in iter(next_task, None):
            for message in run(task, cache):
                connection.send(message)
    except MemoryError:  # even the answer did not fit: the parent reads the exit code
        os._exit(MEMORY_EXIT_CODE)
    except BaseException:  # the parent closed the pipe, or a bug
        os._exit(1)
    os._exit(0)


def _worker_main(connection, run: Run, memory_limit: Optional[int]):
    _serve(connection, connection.recv, run, memory_limit)


def death_reason(exitcode: Optional[int], memory_limit: Optional[int]) -> Optional[Reason]:
    """"memory" when a worker that died without answering was most likely out of
    memory (a signal while a memory cap applies); None for any other death."""
    if exitcode == MEMORY_EXIT_CODE or (exitcode is not None and exitcode < 0 and memory_limit
                                        and -exitcode in MEMORY_SIGNALS):
        return "memory"
    return None


def _died(exitcode, memory_limit, time_s):
    reason = death_reason(exitcode, memory_limit)
    if reason is None:
        return Crashed(f"a worker process died (exit code {exitcode})")
    return Stopped(reason, time_s)


def run_bounded(task, run: Run, timeout: Optional[float] = None, memory_limit: Optional[int] = None) -> list:
    """The messages of `task` run in a child process that is killed at the time
    limit (plus a grace) — for a backend whose workers are elsewhere. A plain
    fork, so it works in daemonic worker processes (Dask's), which
    multiprocessing does not let have children."""
    receiver, sender = multiprocessing.Pipe(duplex=False)
    start = time.monotonic()
    pid = os.fork()
    if pid == 0:
        receiver.close()
        tasks = iter([task])
        _serve(sender, lambda: next(tasks, None), run, memory_limit)
    sender.close()
    limit = start + timeout + KILL_GRACE_S if timeout else None
    messages = []
    try:
        while not messages or not isinstance(messages[-1], Finished):
            wait_s = None if limit is None else max(0.0, limit - time.monotonic())
            if not receiver.poll(wait_s):
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


def default_memory_limit(workers: int) -> int:
    """Bytes of address space per worker by default: 3/4 of the machine's memory
    shared by the workers (at least 1 GiB)."""
    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    return max(1 << 30, total * 3 // 4 // max(1, workers))


# -- the local backend -------------------------------------------------------------


@dataclass
class _Worker:
    process: multiprocessing.Process
    connection: object
    task: Optional[object] = None
    started: float = 0.0


class LocalBackend:
    """Tasks run by `run` in `jobs` worker processes forked from this one,
    highest priority (smallest) first; a worker whose task passes `timeout`
    (plus KILL_GRACE_S) or is cancelled is killed and replaced."""

    def __init__(self, run: Run, jobs: int = 1, timeout: Optional[float] = None, memory_limit: Optional[int] = None):
        self.run, self.timeout, self.memory_limit = run, timeout, memory_limit
        self.context = multiprocessing.get_context("fork")
        self.queue = []  # heap of (priority, sequence number, task)
        self.sequence = itertools.count()
        self.ready = deque()  # (task, message) received, not yet returned
        self.workers = [self._start() for _ in range(max(1, jobs))]

    def _start(self) -> _Worker:
        ours, theirs = self.context.Pipe()
        process = self.context.Process(target=_worker_main, args=(theirs, self.run, self.memory_limit), daemon=True)
        process.start()
        theirs.close()
        return _Worker(process, ours)

    def pids(self) -> list:
        return [w.process.pid for w in self.workers]

    def submit(self, task, priority=0):
        heapq.heappush(self.queue, (priority, next(self.sequence), task))

    def cancel(self, task):
        """No more messages come for `task`; a worker running it is killed."""
        self.queue = [entry for entry in self.queue if entry[2] != task]
        heapq.heapify(self.queue)
        self.ready = deque(entry for entry in self.ready if entry[0] != task)
        for k, worker in enumerate(self.workers):
            if worker.task == task:
                self._replace(k)

    def next(self):
        """(task, message): the next message of a running task; None when no
        task is queued or running."""
        while not self.ready:
            self._dispatch()
            busy = [w for w in self.workers if w.task is not None]
            if not busy:
                return None
            limits = [w.started + self.timeout + KILL_GRACE_S for w in busy] if self.timeout else []
            wait_s = max(0.0, min(limits) - time.monotonic()) if limits else None
            answered = wait([w.connection for w in busy], wait_s)
            for k, worker in enumerate(self.workers):
                if worker.task is None:
                    continue
                if worker.connection in answered:
                    self._receive(k)
                elif limits and time.monotonic() >= worker.started + self.timeout + KILL_GRACE_S:
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
        self.ready.append((worker.task, message))
        if isinstance(message, Finished):
            worker.task = None

    def _stop(self, k: int, message):
        task = self.workers[k].task
        self._replace(k)
        self.ready.extend([(task, message), (task, Finished())])

    def _replace(self, k: int):
        worker = self.workers[k]
        worker.process.kill()
        worker.process.join()
        worker.connection.close()
        self.workers[k] = self._start()

    def _dispatch(self):
        for worker in self.workers:
            if worker.task is None and self.queue:
                _, _, task = heapq.heappop(self.queue)
                worker.connection.send(task)
                worker.task, worker.started = task, time.monotonic()

    def close(self):
        """Kill every worker and wait for it: nothing is left running."""
        for worker in self.workers:
            worker.process.kill()
        for worker in self.workers:
            worker.process.join()
            worker.connection.close()
        self.workers = []
