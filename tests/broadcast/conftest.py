"""Fixtures of the broadcast tests: a database, the locale texts, a clock moved by hand."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from bot.broadcast.announcements import Announcements
from bot.storage import Store
from knowledge.handkept.model import load_handkept
from tests.broadcast.support import NEWS_TOPICS, Clock


@pytest.fixture(scope="session")
def text():
    """The locale texts (knowledge/locales/texts.yaml), as render() takes them."""
    return load_handkept().text


@pytest.fixture
def clock() -> Clock:
    # 10:00 in Vietnam: Zalo may send.
    return Clock(datetime(2026, 3, 10, 3, 0, tzinfo=UTC))


@pytest.fixture
def store(tmp_path) -> Iterator[Store]:
    with Store(tmp_path / "bot.db") as store:
        yield store


@pytest.fixture
def board(store: Store, clock: Clock) -> Announcements:
    return Announcements(store, news_topics=NEWS_TOPICS, clock=clock)
