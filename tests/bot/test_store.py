"""The store: migrations, WAL, sessions, petitions, ratings, answers, personal data, durability.

Every test uses its own database file under tmp_path; nothing touches var/.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlite_utils import Database

from bot.storage import Session, Store
from bot.storage.schema import MIGRATIONS, Migration, SchemaTooNewError, applied_versions, migrate

REPO = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 3, 5, 8, 30, tzinfo=UTC)
DUE = date(2026, 3, 19)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "var" / "bot.db"


@pytest.fixture
def store(db_path: Path):
    with Store(db_path) as opened:
        yield opened


def petition(store: Store, user_id: str | None = "42", **fields):
    values = {"content": "Đèn đường ở tổ 5 bị hỏng", "due_date": DUE, "now": NOW} | fields
    return store.create_petition("telegram", user_id, **values)


# Migrations and connection


def test_migrations_run_once_and_are_recorded(tmp_path: Path) -> None:
    db = Database(tmp_path / "bot.db")
    assert migrate(db) == [m.version for m in MIGRATIONS]
    assert applied_versions(db) == [m.version for m in MIGRATIONS]
    assert set(db.table_names()) >= {"migrations", "users", "sessions", "messages",
                                      "petitions", "ratings", "answers", "unanswered"}
    assert migrate(db) == []
    db.close()


def test_reopening_a_store_applies_nothing(db_path: Path) -> None:
    Store(db_path).close()
    with Store(db_path) as store:
        assert migrate(store.db) == []
        assert store.db.execute("SELECT count(*) FROM migrations").fetchone()[0] == len(
            MIGRATIONS)


def test_store_creates_its_folder_and_uses_wal(store: Store, db_path: Path) -> None:
    assert db_path.exists()
    with sqlite3.connect(db_path) as other:
        assert other.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.db.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
    assert store.db.execute("PRAGMA busy_timeout").fetchone()[0] == 5000
    assert store.db.execute("PRAGMA foreign_keys").fetchone()[0] == 1


def test_an_unknown_newer_schema_version_is_refused(db_path: Path) -> None:
    Store(db_path).close()
    with sqlite3.connect(db_path) as conn:
        conn.execute("INSERT INTO migrations VALUES (99, 'from the future', '2030-01-01')")
    conn.close()
    with pytest.raises(SchemaTooNewError, match="version 99"):
        Store(db_path)


def test_a_failing_migration_is_rolled_back_and_not_recorded(tmp_path: Path) -> None:
    def half_done(db: Database) -> None:
        db.execute("CREATE TABLE half (id INTEGER)")
        raise RuntimeError("boom")

    db = Database(tmp_path / "bot.db")
    with pytest.raises(RuntimeError, match="boom"):
        migrate(db, [*MIGRATIONS, Migration(len(MIGRATIONS) + 1, "broken", half_done)])
    assert applied_versions(db) == [m.version for m in MIGRATIONS]
    assert "half" not in db.table_names()
    db.close()


def test_memory_store_works() -> None:
    with Store(":memory:") as store:
        store.log_message("web", "u1", "in", "xin chào")
        assert store.counts()["messages"] == 1


# Users and subscriptions


def test_touch_user_creates_then_updates_last_seen(store: Store) -> None:
    first = store.touch_user("zalo", "z1", now=NOW)
    later = store.touch_user("zalo", "z1", now=NOW + timedelta(hours=2))
    assert first.created_at == later.created_at == NOW
    assert later.last_seen_at == NOW + timedelta(hours=2)
    assert later.language == "vi" and later.topics == [] and later.consent_at is None
    assert store.user("zalo", "nobody") is None


def test_subscribers_by_topic_and_channel_skip_unreachable(store: Store) -> None:
    store.set_topics("telegram", "a", ["cải cách hành chính", "đất đai"])
    store.set_topics("zalo", "b", ["đất đai"])
    store.set_topics("web", "c", [])
    store.set_topics("telegram", "d", ["đất đai"])
    store.mark_unreachable("telegram", "d")

    def ids(users):
        return [u.user_id for u in users]

    assert ids(store.subscribers()) == ["a", "b"]
    assert ids(store.subscribers("đất đai")) == ["a", "b"]
    assert ids(store.subscribers("cải cách hành chính")) == ["a"]
    assert ids(store.subscribers("đất đai", channel="zalo")) == ["b"]
    store.touch_user("telegram", "d")  # writing to us again means they can be reached
    assert ids(store.subscribers("đất đai", channel="telegram")) == ["a", "d"]


def test_consent_is_recorded_with_its_time(store: Store) -> None:
    store.set_consent("web", "u", now=NOW)
    user = store.user("web", "u")
    assert user is not None and user.consent_at == NOW


# Sessions


def test_conversation_topic_is_kept_per_citizen_and_replaced(store: Store) -> None:
    at = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    store.save_conversation_topic("zalo", "7", "1.004194", "fee", now=at)
    store.save_conversation_topic("zalo", "7", "1.001193", "documents", now=at)
    topic = store.conversation_topic("zalo", "7")
    assert (topic.procedure_code, topic.aspect, topic.updated_at) == ("1.001193", "documents", at)
    assert store.conversation_topic("zalo", "8") is None
    assert store.conversation_topic("web", "7") is None


def test_conversation_topic_lapses_when_set_before_since(store: Store) -> None:
    at = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    store.save_conversation_topic("web", "u", "1.004194", "fee", now=at)
    assert store.conversation_topic("web", "u", since=at) is not None
    assert store.conversation_topic("web", "u", since=at + timedelta(seconds=1)) is None


def test_a_form_ending_keeps_the_conversation_topic(store: Store) -> None:
    store.save_conversation_topic("web", "u", "1.004194", "fee")
    store.save_session("web", "u", "petition", "content", {})
    store.clear_session("web", "u")
    assert store.conversation_topic("web", "u").procedure_code == "1.004194"


def test_session_round_trip_with_vietnamese_and_nested_data(store: Store) -> None:
    assert store.session("telegram", "42") == Session(None, None, {})
    data = {"tên": "Nguyễn Thị Hằng", "địa chỉ": {"xã": "Phường Đông Hà", "tổ": 5},
            "tệp": ["ảnh 1.jpg", None], "đồng ý": True}
    store.save_session("telegram", "42", "petition", "phone", data)
    assert store.session("telegram", "42") == Session("petition", "phone", data)
    assert store.session("zalo", "42") == Session()

    store.save_session("telegram", "42", "rating", "score", {})
    assert store.session("telegram", "42") == Session("rating", "score", {})
    store.clear_session("telegram", "42")
    assert store.session("telegram", "42") == Session()


# Messages


def test_log_message_rejects_an_unknown_direction(store: Store) -> None:
    store.log_message("web", "u", "out", "Chào anh/chị", intent="greeting")
    with pytest.raises(ValueError, match="direction"):
        store.log_message("web", "u", "sideways", "?")
    assert store.counts()["messages"] == 1


def test_purge_messages_keeps_recent_ones(store: Store) -> None:
    store.log_message("web", "u", "in", "cũ", now=NOW - timedelta(days=91))
    store.log_message("web", "u", "in", "vừa hết hạn", now=NOW - timedelta(days=90, seconds=1))
    store.log_message("web", "u", "in", "mới", now=NOW - timedelta(days=89))
    assert store.purge_messages(90, now=NOW) == 2
    assert [row["text"] for row in store.db.query("SELECT text FROM messages")] == ["mới"]


# Petitions


def test_petition_codes_are_unique_and_formatted(store: Store) -> None:
    first = petition(store, name="Trần Văn An", phone="0905123456",
                     attachments=["photo-1", "photo-2"])
    second = petition(store)
    assert first.code == f"PA-2026-{first.id:06d}"
    assert second.code == f"PA-2026-{second.id:06d}" != first.code
    assert first.attachments == ["photo-1", "photo-2"]
    assert first.status == "new" and first.due_date == DUE and not first.anonymised
    assert first.created_at == first.updated_at == NOW


def test_petition_code_year_is_the_year_in_vietnam(store: Store) -> None:
    new_year_in_hanoi = datetime(2026, 12, 31, 18, 0, tzinfo=UTC)  # 01:00 on 1 January
    assert petition(store, now=new_year_in_hanoi).code.startswith("PA-2027-")


def test_petition_lookup_is_case_insensitive_and_lists_newest_first(store: Store) -> None:
    older = petition(store)
    newer = petition(store, content="Rác thải chưa được thu gom")
    petition(store, user_id="someone else")
    assert store.petition_by_code(f" {older.code.lower()} ") == older
    assert store.petition_by_code("PA-2026-999999") is None
    assert store.petitions_of("telegram", "42") == [newer, older]


# Ratings, answers, unanswered questions


@pytest.mark.parametrize("score", [0, 6, -1, True, 2.5])
def test_rating_scores_outside_one_to_five_are_refused(store: Store, score) -> None:
    with pytest.raises(ValueError, match="score"):
        store.add_rating("web", "u", "visit", score)
    assert store.counts()["ratings"] == 0


def test_ratings_from_one_to_five_are_stored(store: Store) -> None:
    ids = [store.add_rating("web", "u", "procedure", s, procedure_code="1.004194")
           for s in (1, 5)]
    assert len(set(ids)) == 2 and store.counts()["ratings"] == 2
    with pytest.raises(ValueError, match="subject"):
        store.add_rating("web", "u", "mood", 3)


def test_only_the_citizen_who_got_an_answer_may_mark_it(store: Store) -> None:
    answer = store.record_answer("zalo", "z1", "làm căn cước ở đâu", "procedure",
                                 "1.001234", "place")
    assert store.mark_answer(answer, "zalo", "intruder", helpful=False) is False
    assert store.mark_answer(answer, "telegram", "z1", helpful=False) is False
    assert store.mark_answer(answer + 1000, "zalo", "z1", helpful=True) is False
    assert store.counts()["unanswered"] == 0

    assert store.mark_answer(answer, "zalo", "z1", helpful=True) is True
    helpful = store.db.execute("SELECT helpful FROM answers WHERE id = ?", [answer]).fetchone()
    assert helpful == (1,)


def test_an_unhelpful_mark_records_the_question_once(store: Store) -> None:
    answer = store.record_answer("web", "u", "sổ đỏ mất bao lâu", "procedure", None, "time")
    assert store.mark_answer(answer, "web", "u", helpful=False, now=NOW)
    assert store.mark_answer(answer, "web", "u", helpful=False, now=NOW)
    rows = list(store.db.query("SELECT * FROM unanswered"))
    assert [(r["question"], r["reason"], r["user_id"]) for r in rows] == [
        ("sổ đỏ mất bao lâu", "unhelpful", "u")]


def test_record_unanswered_checks_the_reason(store: Store) -> None:
    store.record_unanswered("web", None, "giá vàng hôm nay", "out_of_scope")
    with pytest.raises(ValueError, match="reason"):
        store.record_unanswered("web", None, "?", "bored")
    assert store.counts()["unanswered"] == 1


# Personal data


def test_delete_user_data_anonymises_petitions_and_removes_the_rest(store: Store) -> None:
    store.touch_user("telegram", "42")
    store.set_topics("telegram", "42", ["đất đai"])
    store.save_session("telegram", "42", "petition", "content", {"x": 1})
    store.save_conversation_topic("telegram", "42", "1.004194", "fee")
    store.log_message("telegram", "42", "in", "tôi muốn phản ánh")
    store.log_message("telegram", "42", "out", "Anh/chị cho biết nội dung")
    store.add_rating("telegram", "42", "visit", 4)
    answer = store.record_answer("telegram", "42", "hộ khẩu", "procedure", None, None)
    store.mark_answer(answer, "telegram", "42", helpful=False)
    kept = petition(store, name="Lê Thị Mai", phone="0912000111", email="mai@example.vn")
    store.log_message("telegram", "43", "in", "người khác")
    other = petition(store, user_id="43", name="Người khác")

    now = "2026-11-25T03:00:00+00:00"
    store.execute("INSERT INTO outbox (channel, user_id, replies, reason, created_at) "
                  "VALUES ('telegram', '42', '[]', 'petition:1', ?)", [now])
    store.execute("INSERT INTO announcements (title, body, created_by, created_at, updated_at) "
                  "VALUES ('Tin', 'Nội dung', 'lan', ?, ?)", [now, now])
    for user in ("42", "43"):
        store.execute("INSERT INTO announcement_deliveries (announcement_id, channel, user_id, "
                      "updated_at) VALUES (1, 'telegram', ?, ?)", [user, now])

    counts = store.delete_user_data("telegram", "42")

    assert counts == {"messages": 2, "ratings": 1, "answers": 1, "unanswered": 1, "deliveries": 0,
                      "outbox": 1, "announcement_deliveries": 1, "sessions": 1, "users": 1,
                      "conversation_topics": 1, "petitions": 1}
    assert store.rows("SELECT user_id FROM announcement_deliveries") == [{"user_id": "43"}]
    anonymised = store.petition_by_code(kept.code)
    assert anonymised is not None and anonymised.anonymised
    assert (anonymised.user_id, anonymised.name, anonymised.phone, anonymised.email) == (
        None, None, None, None)
    assert anonymised.content == kept.content
    assert store.user("telegram", "42") is None
    assert store.session("telegram", "42") == Session()
    assert store.petition_by_code(other.code) == other
    assert store.conversation_topic("telegram", "42") is None
    assert store.counts() == {"users": 0, "sessions": 0, "conversation_topics": 0,
                              "messages": 1, "petitions": 2, "ratings": 0, "answers": 0,
                              "unanswered": 0}


# Workers and durability


def test_a_second_store_on_the_same_file_sees_committed_data(db_path: Path) -> None:
    with Store(db_path) as first, Store(db_path) as second:
        made = petition(first)
        first.save_session("web", "u", "petition", "name", {"nội dung": "Ổ gà"})
        assert second.petition_by_code(made.code) == made
        assert second.session("web", "u") == Session("petition", "name", {"nội dung": "Ổ gà"})
        second.save_session("web", "u", "petition", "phone", {})
        assert first.session("web", "u").step == "phone"
