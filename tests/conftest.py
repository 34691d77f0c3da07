"""Shared fixtures: the committed knowledge, loaded once per test session.

Only what the repository commits is read (knowledge/data, knowledge/yaml, knowledge/locales),
never ../shared, so the suite runs the same on a fresh clone as in CI.
"""

from __future__ import annotations

import pytest

from knowledge.base import Knowledge
from tests.support.network_guard import NetworkGuard


@pytest.fixture(scope="session")
def knowledge() -> Knowledge:
    """The real knowledge: procedure records, hand-kept YAML and texts, indexed."""
    return Knowledge.load()


@pytest.fixture(scope="session")
def t(knowledge: Knowledge):
    """The interface-text function handlers use (`t("key", **values)`), in Vietnamese."""
    return knowledge.handkept.text


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch):
    """Every test: nothing but loopback is reached (tests/support/network_guard.py)."""
    guard = NetworkGuard()
    guard.install(monkeypatch)
    yield guard
    if guard.attempts:
        pytest.fail("the test tried to reach the network: " + "; ".join(guard.attempts))
