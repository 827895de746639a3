"""Process pools for the work that splits into independent pieces: reading workbooks,
laying out the report's parts. One core (or one piece) runs in this process instead."""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import Executor, Future, ProcessPoolExecutor


class InProcess(Executor):
    """Runs each job at once, here: for one core, and where there is only one job."""

    def submit(self, fn, /, *args, **kwargs):
        future: Future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # handed over like a worker's error
            future.set_exception(exc)
        return future


def default_jobs() -> int:
    """The cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


def executor(jobs: int | None, pieces: int, initializer=None, initargs: tuple = ()) -> Executor:
    """A pool of min(jobs, pieces) processes (jobs None: every core), or InProcess for one.

    Workers are forked where the platform allows it: they start with what this process
    has already loaded (WeasyPrint and its fonts, the plan) instead of importing it again.
    """
    workers = max(1, min(jobs or default_jobs(), pieces))
    if workers == 1:
        if initializer is not None:
            initializer(*initargs)
        return InProcess()
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else None)
    return ProcessPoolExecutor(workers, mp_context=context, initializer=initializer,
                               initargs=initargs)
