"""A backend of `schedule.Scheduler` that runs the (case, length) units as
tasks on a Dask `distributed` cluster (`prove --dask [ADDRESS]`): the
scheduler at ADDRESS, or a `LocalCluster` of one single-threaded worker
process per core started for the run.

Each task runs `schedule.run_unit_bounded` on its worker: the unit in a child
process killed at the time limit, so `--timeout` covers each unit there as it
does locally, and the unit's messages come back as the task's result. Workers
load the cases from the paths given, made absolute here: they need the same
files at the same paths (a shared checkout) and the same tcverify installed.
The Scheduler keeps the semantics of `--jobs`: shortest length first per
case, longer lengths cancelled after a counterexample, verdicts as in order.
A cancelled task that already runs finishes (bounded by the time limit) and
its answer is dropped.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from collections import deque
from typing import Optional

from ..errors import UserError
from .prove import ProveOptions
from .schedule import Unit, default_memory_limit, run_unit_bounded

CONNECT_TIMEOUT_S = 10
LENGTHS_PER_CASE = 1 << 20  # for Dask's integer priorities: more lengths than any case has


def run_on_worker(unit: Unit, options: ProveOptions, memory_limit: Optional[int]) -> list:
    """The messages of one unit, run on a Dask worker in a killable child process;
    without a memory limit, 3/4 of the worker machine's memory per core."""
    if memory_limit is None:
        memory_limit = default_memory_limit(os.cpu_count() or 1)
    return run_unit_bounded(unit, options, memory_limit)


class DaskBackend:
    """`submit(unit, priority)`, `next()`, `cancel(unit)`, `close()` (the
    backend interface of `schedule.py`) over a Dask client."""

    def __init__(self, options: ProveOptions, address: Optional[str] = None, memory_limit: Optional[int] = None,
                 workers: Optional[int] = None):
        from distributed import Client, LocalCluster, as_completed

        self.options = options if options.proof_dir is None else \
            dataclasses.replace(options, proof_dir=os.path.abspath(options.proof_dir))
        self.memory_limit = memory_limit
        self.cluster = None
        try:
            if address is None:
                self.cluster = LocalCluster(n_workers=workers or os.cpu_count() or 1, threads_per_worker=1,
                                            processes=True, dashboard_address=None, silence_logs=logging.ERROR)
                self.client = Client(self.cluster)
            else:
                self.client = Client(address, timeout=CONNECT_TIMEOUT_S)
        except (OSError, TimeoutError, ValueError) as exc:
            self._close_cluster()
            raise UserError(f"cannot reach the Dask scheduler at {address}: {exc}", key="dask") from None
        self.completed = as_completed()
        self.units = {}  # running or queued future -> unit
        self.ready = deque()  # (unit, message) received, not yet returned

    def submit(self, unit: Unit, priority=(0, 0)):
        """Dask runs higher priorities first; the scheduler's are (case index, length rank), smaller first."""
        index, rank = priority
        remote = dataclasses.replace(unit, path=os.path.abspath(unit.path))
        future = self.client.submit(run_on_worker, remote, self.options, self.memory_limit, pure=False,
                                    priority=-(index * LENGTHS_PER_CASE + rank + 1))
        self.units[future] = unit
        self.completed.add(future)

    def cancel(self, unit: Unit):
        for future in [f for f, u in self.units.items() if u == unit]:
            del self.units[future]
            future.cancel()
        self.ready = deque(entry for entry in self.ready if entry[0] != unit)

    def next(self):
        """(unit, message), or None when no unit is queued or running."""
        while not self.ready:
            if not self.units:
                return None
            future = next(self.completed)
            unit = self.units.pop(future, None)
            if unit is None:  # cancelled
                continue
            try:
                messages = future.result()
            except Exception as exc:  # the task failed on the worker: the cluster's fault, not the case's
                raise UserError(f"a Dask task failed: {type(exc).__name__}: {exc}", unit.path, "dask") from None
            self.ready.extend((unit, message) for message in messages)
        return self.ready.popleft()

    def close(self):
        for future in self.units:
            future.cancel()
        self.units = {}
        self.client.close()
        self._close_cluster()

    def _close_cluster(self):
        if self.cluster is not None:
            self.cluster.close()
            self.cluster = None
