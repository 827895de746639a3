"""Process pools for the work that splits into independent pieces: reading workbooks,
laying out the report's parts. One core (or one piece) runs in this process instead."""

from __future__ import annotations

import gc
import multiprocessing
import os
import signal
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


class _Pool(ProcessPoolExecutor):
    """A process pool that, when left by an error or Ctrl-C, stops its workers at once
    instead of waiting for the pieces they are working on."""

    def submit(self, fn, /, *args, **kwargs):
        # Workers are forked inside submit. A Ctrl-C arriving during a fork would be raised
        # in Python's at-fork hooks, where it is printed and then ignored; blocked here, it
        # waits until the fork is over and interrupts this process as usual.
        old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        try:
            return super().submit(fn, *args, **kwargs)
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, old)

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            return super().__exit__(exc_type, exc, tb)
        for process in list((self._processes or {}).values()):
            process.terminate()
        self.shutdown(wait=False, cancel_futures=True)
        return False


def _start_worker(initializer, initargs: tuple) -> None:
    # Ctrl-C reaches every process of the terminal's group: only the main process
    # answers it (and stops the workers), so no worker prints a KeyboardInterrupt.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})  # blocked while forking
    # What the worker inherited (WeasyPrint, its fonts, the plan) lives as long as it does:
    # kept out of the cycle collector's scans, which otherwise walk it again and again
    # while a part is laid out (8 % of a layout's CPU time, measured on the sample report),
    # and whose writes to every object's header would copy the parent's pages.
    gc.freeze()
    if initializer is not None:
        initializer(*initargs)


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
    return _Pool(workers, mp_context=context, initializer=_start_worker,
                 initargs=(initializer, initargs))
