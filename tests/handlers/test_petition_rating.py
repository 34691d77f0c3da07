"""The citizen rates how their petition was handled with the buttons sent when it closed:
`rate:petition:<code>:<score>`, once per petition, from its owner only."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from bot.config import Settings
from bot.dialogue import Dialogue
from bot.messages import Incoming
from bot.storage import Store

NOW = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)
SETTINGS = replace(Settings.from_env({}), flood_messages=1_000_000_000)


@pytest.fixture
def store(tmp_path: Path):
    with Store(tmp_path / "bot.db") as store:
        yield store


@pytest.fixture
def dialogue(knowledge, store) -> Dialogue:
    return Dialogue(knowledge, store, SETTINGS, clock=lambda: NOW)


def closed_petition(store: Store, channel: str = "telegram", user: str | None = "42",
                    status: str = "closed") -> str:
    petition = store.create_petition(channel, user, content="Đèn đường hỏng đã hai tuần",
                                     due_date=date(2026, 12, 9), now=NOW)
    store.execute("UPDATE petitions SET status = ? WHERE id = ?", [status, petition.id])
    return petition.code


def press(dialogue: Dialogue, payload: str, channel: str = "telegram", user: str = "42"):
    return dialogue.handle(Incoming(channel, user, button=payload))


def ratings(store: Store) -> list[dict]:
    return store.rows("SELECT channel, user_id, subject, petition_id, score FROM ratings")


def test_the_owner_rates_once_and_is_thanked(dialogue, store, t) -> None:
    code = closed_petition(store)

    [thanks] = press(dialogue, f"rate:petition:{code}:5")
    [again] = press(dialogue, f"rate:petition:{code}:1")

    assert thanks.text == t("petition.rate.thanks", code=code)
    assert again.text == t("petition.rate.already", code=code)
    petition_id = store.petition_by_code(code).id
    assert ratings(store) == [{"channel": "telegram", "user_id": "42", "subject": "petition",
                               "petition_id": petition_id, "score": 5}]


def test_a_low_score_is_met_with_an_apology_and_a_way_on(dialogue, store, t) -> None:
    code = closed_petition(store, channel="zalo", user="z1")

    [reply] = press(dialogue, f"rate:petition:{code}:2", channel="zalo", user="z1")

    assert reply.text == t("petition.rate.thanks_low", code=code)
    assert "menu:petition" in [button.payload for button in reply.buttons]
    assert ratings(store)[0]["score"] == 2


def test_nobody_else_can_rate_a_petition(dialogue, store, t) -> None:
    code = closed_petition(store)

    other_user = press(dialogue, f"rate:petition:{code}:1", user="43")
    other_channel = press(dialogue, f"rate:petition:{code}:1", channel="zalo")

    assert [r.text for r in other_user] == [r.text for r in other_channel] == \
        [t("button.unknown")]
    assert ratings(store) == []


@pytest.mark.parametrize("payload", [
    "rate:petition:{code}:6", "rate:petition:{code}:0", "rate:petition:{code}:", "rate:petition:",
    "rate:visit:{code}:5", "rate:petition:PA-2026-999999:5", "rate:petition:{code}:5:5",
    "rate:petition:<script>:5", "rate:" + "x" * 500,
])
def test_stale_or_forged_payloads_get_the_polite_reply(dialogue, store, t, payload) -> None:
    code = closed_petition(store)

    replies = press(dialogue, payload.format(code=code))

    assert [r.text for r in replies] == [t("button.unknown")]
    assert ratings(store) == []


def test_a_petition_reopened_since_cannot_be_rated_yet(dialogue, store, t) -> None:
    code = closed_petition(store, status="in_progress")

    assert [r.text for r in press(dialogue, f"rate:petition:{code}:4")] == [t("button.unknown")]


def test_every_button_of_the_thanks_is_understood(dialogue, store, t) -> None:
    code = closed_petition(store)
    [reply] = press(dialogue, f"rate:petition:{code}:1")

    for button in reply.buttons:
        answers = press(dialogue, button.payload)
        assert t("button.unknown") not in [r.text for r in answers]
