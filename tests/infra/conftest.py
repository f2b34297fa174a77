"""Template assertions share the session-scoped synth of every stage (``synthesized``, in tests/conftest.py)."""

from __future__ import annotations

import pytest

from stacks.config import ENVIRONMENT_NAMES
from tests.conftest import ROOT, Synthesized, cdk_context

__all__ = ["ROOT", "Synthesized", "cdk_context"]


@pytest.fixture(params=ENVIRONMENT_NAMES)
def env(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name
