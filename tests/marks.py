"""Marks shared by the tests (the `slow` marker itself is registered in setup.cfg)."""

from __future__ import annotations

from collections.abc import Iterable

import pytest


def first_fast(cases: Iterable) -> list:
    """The cases of a parametrized family with all but the first marked slow: `make check`
    runs one case of each family (the code path), `make test` runs every case."""
    out = []
    for i, case in enumerate(cases):
        if hasattr(case, "marks"):
            raise TypeError("first_fast takes plain values or tuples, not pytest.param")
        values = case if isinstance(case, tuple) else (case,)
        out.append(case if i == 0 else pytest.param(*values, marks=pytest.mark.slow))
    return out
