"""Messages are kept for the retention period only; the server purges older ones."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from starlette.testclient import TestClient

from bot.config import Settings
from bot.dialogue import Dialogue
from bot.server import create_app
from bot.storage import Store
from knowledge.base import Knowledge

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


def dialogue_with_old_and_new_messages(knowledge: Knowledge, path: Path) -> Dialogue:
    store = Store(path)
    store.log_message("web", "u1", "in", "cũ", now=NOW - timedelta(days=91))
    store.log_message("web", "u1", "in", "mới", now=NOW - timedelta(days=89))
    settings = replace(Settings.from_env({}), message_retention_days=90)
    return Dialogue(knowledge, store, settings, clock=lambda: NOW)


def kept_texts(dialogue: Dialogue) -> list[str]:
    rows = dialogue.store.db.execute("SELECT text FROM messages ORDER BY id").fetchall()
    return [row[0] for row in rows]


def test_messages_past_the_retention_period_are_purged(knowledge: Knowledge,
                                                       tmp_path: Path) -> None:
    dialogue = dialogue_with_old_and_new_messages(knowledge, tmp_path / "bot.db")
    assert dialogue.purge_expired() == 1
    assert kept_texts(dialogue) == ["mới"]


def test_the_server_purges_when_it_starts(knowledge: Knowledge, tmp_path: Path) -> None:
    dialogue = dialogue_with_old_and_new_messages(knowledge, tmp_path / "bot.db")
    with TestClient(create_app(dialogue)) as client:
        assert client.get("/healthz").status_code == 200
    assert kept_texts(dialogue) == ["mới"]
