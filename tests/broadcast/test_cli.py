"""`python -m bot broadcast ...` (bot/broadcast/cli.py), driven through click's CliRunner."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from bot.broadcast.announcements import Announcements
from bot.cli import main
from bot.storage import Store
from bot.vocabulary import VIETNAM
from tests.broadcast.support import subscribe

LINK = "https://dichvucong.gov.vn/p/home/dvc-trang-chu.html"


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "bot.db"


def run(db: Path, *args: str, approval: bool = False) -> Result:
    env = {"BOT_DB": str(db), "BROADCAST_REQUIRES_APPROVAL": "1" if approval else "0",
           "TELEGRAM_BOT_TOKEN": "", "ZALO_APP_ID": ""}
    return CliRunner().invoke(main, ["broadcast", *args], env=env)


def create(db: Path, *extra: str, approval: bool = False) -> Result:
    return run(db, "create", "Nộp hồ sơ đất đai trực tuyến", "Từ 01/7 toàn tỉnh.",
               "--topic", "cchc", "--link", LINK, "--by", "hoa", *extra, approval=approval)


def test_create_makes_a_draft(db: Path) -> None:
    result = create(db, "--channel", "telegram")
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "announcement 1: draft (Bản nháp)"
    with Store(db) as store:
        announcement = Announcements(store).get(1)
    assert (announcement.channels, announcement.link, announcement.created_by) == (
        ("telegram",), LINK, "hoa")


def test_create_reads_the_text_from_a_file(db: Path, tmp_path: Path) -> None:
    body = tmp_path / "tin.txt"
    body.write_text("Dòng một.\nDòng hai.", encoding="utf-8")
    result = run(db, "create", "Lịch tiếp dân", "--text-file", str(body), "--topic", "cchc",
                 "--by", "hoa")
    assert result.exit_code == 0, result.output
    with Store(db) as store:
        assert Announcements(store).get(1).body == "Dòng một.\nDòng hai."


def test_create_needs_the_text_one_way_only(db: Path) -> None:
    result = run(db, "create", "Lịch tiếp dân", "--topic", "cchc", "--by", "hoa")
    assert result.exit_code == 2
    assert "TEXT or --text-file" in result.output


def test_an_unknown_topic_is_refused_with_the_reason(db: Path) -> None:
    result = run(db, "create", "Tin", "Nội dung", "--topic", "bong-da", "--by", "hoa")
    assert result.exit_code == 1
    assert "bong-da" in result.output


def test_create_at_a_time_schedules_it_for_that_vietnam_time(db: Path) -> None:
    result = create(db, "--at", "2026-07-01 08:00")
    assert result.exit_code == 0, result.output
    assert "scheduled" in result.output and "2026-07-01 08:00" in result.output
    with Store(db) as store:
        send_at = Announcements(store).get(1).send_at
    assert send_at.astimezone(VIETNAM).strftime("%Y-%m-%d %H:%M") == "2026-07-01 08:00"


def test_a_bad_time_is_a_usage_error(db: Path) -> None:
    result = create(db, "--at", "01/07/2026")
    assert result.exit_code == 2
    assert "2026-07-01 08:00" in result.output


def test_with_approval_a_second_officer_approves(db: Path) -> None:
    create(db, approval=True)
    submitted = run(db, "submit", "1", "--by", "hoa", approval=True)
    assert "awaiting_approval" in submitted.output
    same = run(db, "approve", "1", "--by", "hoa", approval=True)
    assert same.exit_code == 1 and "cán bộ khác" in same.output
    approved = run(db, "approve", "1", "--by", "lan", approval=True)
    assert approved.exit_code == 0, approved.output
    assert "scheduled" in approved.output


def test_cancel_and_list(db: Path) -> None:
    create(db)
    create(db)
    assert "cancelled" in run(db, "cancel", "2").output
    listed = run(db, "list").output.splitlines()
    assert [line.split("\t")[:2] for line in listed] == [["2", "cancelled (Đã hủy)"],
                                                         ["1", "draft (Bản nháp)"]]


def test_preview_shows_each_channel_with_its_buttons(db: Path) -> None:
    create(db)
    output = run(db, "preview", "1").output
    assert "--- telegram ---" in output and "--- zalo ---" in output
    assert "[🔕 Ngừng nhận tin] → unsub:all" in output
    assert "Nhắn «hủy nhận tin» để ngừng nhận tin." in output


def test_status_counts_the_copies_per_channel_with_the_reasons(db: Path) -> None:
    create(db, "--submit")
    with Store(db) as store:
        subscribe(store, "telegram", range(5))
        before = run(db, "status", "1").output
        assert "audience now: telegram 5" in before
        store.execute("UPDATE announcements SET status = 'sending' WHERE id = 1")
        for user, status, reason in [("0", "sent", None), ("1", "sent", None),
                                     ("2", "blocked", "Telegram 403: blocked"),
                                     ("3", "held", "22:00–06:00"), ("4", "pending", None)]:
            store.execute("INSERT INTO announcement_deliveries (announcement_id, channel, "
                          "user_id, status, reason, updated_at) VALUES (1, 'telegram', ?, ?, "
                          "?, '2026-03-10T03:00:00+00:00')", [user, status, reason])
    output = run(db, "status").output
    header, telegram = [line.split() for line in output.splitlines()[2:4]]
    assert header == ["channel", "sent", "pending", "sending", "held", "failed", "blocked",
                      "total"]
    assert telegram == ["telegram", "2", "1", "0", "1", "0", "1", "5"]
    assert "1  Telegram 403: blocked" in output and "1  22:00–06:00" in output


def test_run_needs_a_channel(db: Path) -> None:
    result = run(db, "run", "--until-done")
    assert result.exit_code == 1
    assert "TELEGRAM_BOT_TOKEN" in result.output
