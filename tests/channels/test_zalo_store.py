"""The store's tables for channels (migration 2): webhook events taken, Zalo tokens and
numbered choices, failed deliveries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.storage import Store

NOW = datetime(2026, 3, 6, 3, 0, tzinfo=UTC)


def test_a_webhook_event_is_claimed_once_across_connections(tmp_path: Path) -> None:
    with Store(tmp_path / "bot.db") as first, Store(tmp_path / "bot.db") as second:
        assert first.claim_webhook_event("zalo", "user_send_text:m1", now=NOW)
        assert not second.claim_webhook_event("zalo", "user_send_text:m1", now=NOW)
        assert second.claim_webhook_event("telegram", "user_send_text:m1", now=NOW)


def test_old_event_keys_are_purged(tmp_path: Path) -> None:
    with Store(tmp_path / "bot.db") as store:
        store.claim_webhook_event("zalo", "old", now=NOW - timedelta(days=3))
        store.claim_webhook_event("zalo", "new", now=NOW)
        assert store.purge_webhook_events(timedelta(days=2), now=NOW) == 1
        assert store.claim_webhook_event("zalo", "old", now=NOW)
        assert not store.claim_webhook_event("zalo", "new", now=NOW)


def test_zalo_tokens_are_replaced_and_survive_a_restart(tmp_path: Path) -> None:
    with Store(tmp_path / "bot.db") as store:
        assert store.zalo_tokens("app") is None
        store.save_zalo_tokens("app", "AT-0", "RT-0", "seed", now=NOW)
        store.save_zalo_tokens("app", "AT-1", "RT-1", "seed", now=NOW + timedelta(hours=25))
    with Store(tmp_path / "bot.db") as store:
        tokens = store.zalo_tokens("app")
    assert (tokens.access_token, tokens.refresh_token, tokens.seed) == ("AT-1", "RT-1", "seed")
    assert tokens.updated_at == NOW + timedelta(hours=25)


def test_choices_offered_replace_the_previous_ones(tmp_path: Path) -> None:
    with Store(tmp_path / "bot.db") as store:
        store.replace_zalo_choices("u1", {1: "menu:topics", 2: "menu:contacts"}, now=NOW)
        store.replace_zalo_choices("u2", {1: "menu:rate"}, now=NOW)
        assert store.zalo_choice("u1", 2) == "menu:contacts"
        store.replace_zalo_choices("u1", {1: "flow:cancel"}, now=NOW)
        assert (store.zalo_choice("u1", 1), store.zalo_choice("u1", 2)) == ("flow:cancel", None)
        store.replace_zalo_choices("u1", {}, now=NOW)
        assert store.zalo_choice("u1", 1) is None
        assert store.zalo_choice("u2", 1) == "menu:rate"


def test_failed_deliveries_are_listed_newest_first(tmp_path: Path) -> None:
    with Store(tmp_path / "bot.db") as store:
        store.record_failed_delivery("zalo", "u1", "Trả lời 1", -230, "outside", now=NOW)
        store.record_failed_delivery("zalo", "u2", "Trả lời 2", None, "no answer", now=NOW)
        store.record_failed_delivery("telegram", "u1", "Trả lời 3", 403, "blocked", now=NOW)
        assert [d.text for d in store.failed_deliveries()] == ["Trả lời 3", "Trả lời 2",
                                                               "Trả lời 1"]
        [only] = store.failed_deliveries("zalo", "u1")
        assert (only.error_code, only.error_message, only.created_at) == (-230, "outside", NOW)
        assert len(store.failed_deliveries(limit=1)) == 1
