"""A `pool.Backend` that runs tasks on a Dask `distributed` cluster (`prove
--dask [ADDRESS]`): the scheduler at ADDRESS, or a `LocalCluster` of one
single-threaded worker process per core started for the run.

Each Dask task runs `pool.run_bounded` on its worker: the task in a child
process killed at the time limit, so `--timeout` covers each task there as it
does locally, and the task's messages come back as the Dask task's result.
`run` and the tasks are pickled to the workers: they need the same tcverify
installed and the same files at the same paths (a shared checkout; the front
door hands them absolute paths). The Scheduler keeps the semantics of
`--jobs`: shortest length first per case, longer lengths cancelled after a
counterexample, verdicts as in order. A cancelled task that already runs
finishes (bounded by the time limit) and its answer is dropped.
"""

from __future__ import annotations

import logging
import os
from collections import deque
from typing import Optional

from ..errors import UserError
from .pool import Run, default_memory_limit, run_bounded

CONNECT_TIMEOUT_S = 10
LENGTHS_PER_CASE = 1 << 20  # for Dask's integer priorities: more lengths than any case has


def run_on_worker(task, run: Run, timeout: Optional[float], memory_limit: Optional[int]) -> list:
    """The messages of one task, run on a Dask worker in a killable child process;
    without a memory limit, 3/4 of the worker machine's memory per core."""
    if memory_limit is None:
        memory_limit = default_memory_limit(os.cpu_count() or 1)
    return run_bounded(task, run, timeout, memory_limit)


class DaskBackend:
    """`pool.Backend` over a Dask client: each task is `run` on a worker."""

    def __init__(self, run: Run, timeout: Optional[float] = None, address: Optional[str] = None,
                 memory_limit: Optional[int] = None, workers: Optional[int] = None):
        from distributed import Client, LocalCluster, as_completed

        self.run, self.timeout, self.memory_limit = run, timeout, memory_limit
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
        self.tasks = {}  # running or queued future -> task
        self.ready = deque()  # (task, message) received, not yet returned

    def submit(self, task, priority=(0, 0)):
        """Dask runs higher priorities first; the scheduler's are (case index, length rank), smaller first."""
        index, rank = priority
        future = self.client.submit(run_on_worker, task, self.run, self.timeout, self.memory_limit, pure=False,
                                    priority=-(index * LENGTHS_PER_CASE + rank + 1))
        self.tasks[future] = task
        self.completed.add(future)

    def cancel(self, task):
        for future in [f for f, t in self.tasks.items() if t == task]:
            del self.tasks[future]
            future.cancel()
        self.ready = deque(entry for entry in self.ready if entry[0] != task)

    def next(self):
        """(task, message), or None when no task is queued or running."""
        while not self.ready:
            if not self.tasks:
                return None
            future = next(self.completed)
            task = self.tasks.pop(future, None)
            if task is None:  # cancelled
                continue
            try:
                messages = future.result()
            except Exception as exc:  # the task failed on the worker: the cluster's fault, not the case's
                raise UserError(f"a Dask task failed: {type(exc).__name__}: {exc}", getattr(task, "path", None), "dask") from None
            self.ready.extend((task, message) for message in messages)
        return self.ready.popleft()

    def close(self):
        for future in self.tasks:
            future.cancel()
        self.tasks = {}
        self.client.close()
        self._close_cluster()

    def _close_cluster(self):
        if self.cluster is not None:
            self.cluster.close()
            self.cluster = None
