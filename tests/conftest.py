"""Shared pytest fixtures."""

from __future__ import annotations

import pytest

# --- templates and sample workbooks (owned by the template's developer) ------------------


@pytest.fixture(scope="session")
def shipped_plan():
    """The default plan (第2期美祢市まち・ひと・しごと創生総合戦略), loaded once."""
    from mine_report.plan import load_plan

    return load_plan()


@pytest.fixture(scope="session")
def blank_template(tmp_path_factory, shipped_plan):
    """A blank template of the default plan (all measures, no evaluation year), made once.
    Read it only: copy it before changing it."""
    from workbooks import make_template

    return make_template(tmp_path_factory.mktemp("template"), shipped_plan)
