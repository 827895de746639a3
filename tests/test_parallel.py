"""parallel.shared_map: this process and forked workers share a list of small jobs; the
results come in the items' order whoever did them, and a worker's error reaches the
caller."""

from __future__ import annotations

import os

import pytest

from mine_report.common import parallel


def _square_and_pid(n: int) -> tuple[int, int]:
    if n < 0:
        raise ValueError(f"negative: {n}")
    return n * n, os.getpid()


@pytest.mark.parametrize(("jobs", "count"), [(1, 5), (2, 1), (2, 7), (3, 10), (8, 3)])
def test_results_in_order_from_this_process_and_the_workers(jobs, count):
    results = list(parallel.shared_map(_square_and_pid, list(range(count)), jobs))
    assert [square for square, _pid in results] == [n * n for n in range(count)]
    pids = [pid for _square, pid in results]
    assert pids[0] == os.getpid()  # the first run is this process's own
    # One process for one run; else some of the work was done by a worker (a pool may
    # give two runs to the same worker).
    assert (len(set(pids)) > 1) == (min(jobs, count) > 1)


def test_a_workers_error_reaches_the_caller():
    with pytest.raises(ValueError, match="negative: -1"):
        list(parallel.shared_map(_square_and_pid, [1, 2, 3, -1], 2))
