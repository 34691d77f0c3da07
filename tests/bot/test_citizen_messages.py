"""Messages the bot starts to a citizen: pushed on Telegram and Zalo, fetched by the web chat,
every attempt kept in the outbox with why it failed."""

from __future__ import annotations

from pathlib import Path

import pytest
from starlette.testclient import TestClient

from bot.citizen_messages import CitizenMessenger
from bot.messages import Button, Reply
from bot.server import create_app
from bot.storage import Store
from tests.support.senders import Sender

ANSWER = [Reply("Cơ quan đã trả lời phản ánh PA-2026-000001 của Bạn:\n\nĐã sửa đèn.",
                (Button("⭐ 5", "rate:petition:PA-2026-000001:5"),))]


@pytest.fixture
def store(tmp_path: Path):
    with Store(tmp_path / "bot.db") as store:
        yield store


@pytest.mark.asyncio
async def test_a_pushed_message_is_delivered_and_recorded(store: Store) -> None:
    telegram = Sender()
    messenger = CitizenMessenger(store, {"telegram": telegram})

    outcome = await messenger.send("telegram", "42", ANSWER, reason="petition:1")

    assert outcome.status == "delivered" and outcome.error is None
    assert telegram.sent == [("42", ANSWER)]
    [row] = messenger.outcomes("petition:1")
    assert row["status"] == "delivered" and row["delivered_at"]


@pytest.mark.asyncio
async def test_a_citizen_outside_zalos_window_is_a_failure_with_its_reason(store: Store) -> None:
    zalo = Sender(delivers=False)
    messenger = CitizenMessenger(store, {"zalo": zalo})
    store.touch_user("zalo", "2468")
    store.record_failed_delivery("zalo", "2468", "…", -230,
                                 "outside the messaging window: The user has not interacted")

    outcome = await messenger.send("zalo", "2468", ANSWER, reason="petition:1")

    assert outcome.status == "failed" and "-230" in outcome.error
    assert messenger.outcomes("petition:1")[0]["error"] == outcome.error


@pytest.mark.asyncio
async def test_an_unreachable_citizen_is_not_sent_to_and_staff_are_told_why(
        store: Store) -> None:
    telegram = Sender()
    store.touch_user("telegram", "42")
    store.mark_unreachable("telegram", "42")

    outcome = await CitizenMessenger(store, {"telegram": telegram}).send(
        "telegram", "42", ANSWER, reason="petition:1")

    assert outcome.status == "failed" and "chặn" in outcome.error and telegram.sent == []


@pytest.mark.asyncio
async def test_a_channel_not_configured_here_is_a_failure_not_an_error(store: Store) -> None:
    outcome = await CitizenMessenger(store).send("telegram", "42", ANSWER, reason="p:1")
    assert outcome.status == "failed" and "chưa được cấu hình" in outcome.error


@pytest.mark.asyncio
async def test_a_citizen_who_deleted_their_data_cannot_be_sent_to(store: Store) -> None:
    outcome = await CitizenMessenger(store).send("zalo", None, ANSWER, reason="p:1")
    assert outcome.status == "failed" and "xóa dữ liệu" in outcome.error


@pytest.mark.asyncio
async def test_the_web_chat_fetches_its_messages_once(store: Store) -> None:
    messenger = CitizenMessenger(store)
    outcome = await messenger.send("web", "page-1", ANSWER, reason="petition:1")
    assert outcome.status == "queued"

    client = TestClient(create_app(_Dialogue(store)))
    first = client.get("/api/messages", params={"user": "page-1"})
    again = client.get("/api/messages", params={"user": "page-1"})
    other = client.get("/api/messages", params={"user": "page-2"})

    assert first.status_code == 200 and first.headers["cache-control"] == "no-store"
    assert first.json()["replies"] == [reply.to_dict() for reply in ANSWER]
    assert again.json()["replies"] == [] and other.json()["replies"] == []
    assert messenger.outcomes("petition:1")[0]["status"] == "delivered"
    assert client.get("/api/messages", params={"user": "<script>"}).status_code == 400


class _Dialogue:
    def __init__(self, store: Store) -> None:
        self.store = store

    def handle(self, incoming):
        return []
