"""Fixtures shared by the engine tests."""

from __future__ import annotations

import pytest

from tests.core.engine.toy_curve import TOY, TOY_PARAMS, TOY_PAYOFF
from tests.helpers import run_analysis


@pytest.fixture(scope="module")
def toy():
    analysis, _ = run_analysis(TOY, TOY_PAYOFF, TOY_PARAMS)
    return analysis.champion
