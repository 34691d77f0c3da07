"""The officers' knowledge overrides file (knowledge/handkept/overrides.py) and how the running bot
follows it (knowledge/nlu/live_overrides.py): saved whole or not at all, with who and when; a
broken file names its line and never stops the bot, which keeps the last good overrides."""

from __future__ import annotations

import logging
import os
import threading
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from knowledge.base import Knowledge
from knowledge.handkept import overrides as overrides_module
from knowledge.handkept.overrides import (
    InvalidOverride,
    OverridesError,
    add_alias,
    add_faq,
    list_overrides,
    load_overrides,
    remove_override,
)
from knowledge.nlu.live_overrides import OverridesWatcher
from knowledge.nlu.understand import Understander

NOW = datetime(2026, 3, 12, 18, 30, tzinfo=UTC)
HOUSEHOLD_BUSINESS = "1.001612"   # Đăng ký thành lập hộ kinh doanh
OFFICER = "Nguyễn Văn An"


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "var" / "knowledge-overrides.yaml"


def test_no_file_means_no_overrides(path: Path) -> None:
    assert len(load_overrides(path)) == 0
    assert not path.exists()


def test_an_alias_is_saved_with_who_and_when(path: Path, knowledge: Knowledge) -> None:
    saved = add_alias(path, ["quán hát cho khách", "quan hat cho khach", "  quán  hát cho khách "],
                      HOUSEHOLD_BUSINESS, OFFICER, now=NOW, procedures=knowledge.procedures)
    assert saved.phrases == ("quán hát cho khách", "quan hat cho khach")   # spaces, repeats
    assert (saved.procedure, saved.by, saved.at) == (HOUSEHOLD_BUSINESS, OFFICER,
                                                     "2026-03-12T18:30:00+00:00")
    assert list_overrides(path).aliases == (saved,)
    assert "Nguyễn Văn An" in path.read_text(encoding="utf-8")   # readable, not escaped


def test_an_faq_entry_cites_the_agency_by_the_officer_on_the_day(path: Path) -> None:
    saved = add_faq(path, ["Căng tin ở đâu?", "căng tin"], "Căng tin ở tầng 1, mở 7h–17h.",
                    "Lê Thị Bình", now=NOW)
    assert list_overrides(path).faq == (saved,)
    assert saved.question == "Căng tin ở đâu?"
    # 18:30 UTC is already the next day in Vietnam.
    assert (saved.source.url, saved.source.title, saved.source.checked) == (
        "", "the agency, by Lê Thị Bình", "2026-03-13")
    linked = add_faq(path, ["giờ làm việc"], "7h30–17h.", "Lê Thị Bình",
                     link="https://example.gov.vn/gio-lam-viec", now=NOW)
    assert linked.source.url == "https://example.gov.vn/gio-lam-viec"
    entry = linked.as_faq_entry()
    assert (entry.id, entry.question, entry.answer) == (linked.id, "giờ làm việc", "7h30–17h.")


def test_entries_are_listed_in_the_order_saved_and_removed_by_id(path: Path) -> None:
    first = add_alias(path, ["quán hát cho khách"], HOUSEHOLD_BUSINESS, OFFICER, now=NOW)
    second = add_faq(path, ["căng tin ở đâu"], "Tầng 1.", OFFICER, now=NOW)
    third = add_alias(path, ["mở tiệm tạp hóa"], HOUSEHOLD_BUSINESS, OFFICER, now=NOW)
    listed = list_overrides(path)
    assert [a.id for a in listed.aliases] == [first.id, third.id]
    assert [f.id for f in listed.faq] == [second.id]
    assert len({first.id, second.id, third.id}) == 3

    assert remove_override(path, first.id) is True
    assert remove_override(path, first.id) is False
    assert remove_override(path, "faq-nope") is False
    listed = list_overrides(path)
    assert listed.aliases == (third,) and listed.faq == (second,)
    assert listed.get(second.id) == second and listed.get(first.id) is None


@pytest.mark.parametrize(("call", "message"), [
    (lambda p: add_alias(p, [], HOUSEHOLD_BUSINESS, OFFICER), "at least one phrase"),
    (lambda p: add_alias(p, ["  "], HOUSEHOLD_BUSINESS, OFFICER), "at least one phrase"),
    (lambda p: add_alias(p, ["x" * 301], HOUSEHOLD_BUSINESS, OFFICER), "longer than 300"),
    (lambda p: add_alias(p, ["quán hát"], "1001612", OFFICER), "not a procedure code"),
    (lambda p: add_alias(p, ["quán hát"], "9.999999", OFFICER, procedures={"1.001612"}),
     "no procedure has the code 9.999999"),
    (lambda p: add_alias(p, ["quán hát"], HOUSEHOLD_BUSINESS, " "), "which officer"),
    (lambda p: add_faq(p, ["căng tin"], " ", OFFICER), "the answer is empty"),
    (lambda p: add_faq(p, ["căng tin"], "x" * 501, OFFICER), "keep it to 500"),
    (lambda p: add_faq(p, ["căng tin"], "Tầng 1.", OFFICER, link="javascript:alert(1)"),
     "must be an address starting with https://"),
])
def test_a_wrong_request_is_refused_with_a_clear_message_and_nothing_written(
        path: Path, call, message: str) -> None:
    with pytest.raises(InvalidOverride, match=message):
        call(path)
    assert len(load_overrides(path)) == 0


def test_a_write_that_fails_midway_leaves_the_saved_file_whole(path: Path,
                                                               monkeypatch) -> None:
    saved = add_faq(path, ["căng tin ở đâu"], "Tầng 1.", OFFICER, now=NOW)
    before = path.read_bytes()

    def crash(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(overrides_module.os, "replace", crash)
    with pytest.raises(OSError, match="disk full"):
        add_faq(path, ["giờ làm việc"], "7h30.", OFFICER, now=NOW)
    assert path.read_bytes() == before
    assert load_overrides(path).faq == (saved,)
    # No temporary file is left behind either.
    assert sorted(p.name for p in path.parent.iterdir()) == sorted(
        [path.name, path.name + ".lock"])


def test_the_file_is_replaced_never_rewritten_in_place(path: Path) -> None:
    add_faq(path, ["căng tin ở đâu"], "Tầng 1.", OFFICER, now=NOW)
    inode = os.stat(path).st_ino
    add_faq(path, ["giờ làm việc"], "7h30.", OFFICER, now=NOW)
    assert os.stat(path).st_ino != inode
    assert len(load_overrides(path).faq) == 2


def test_officers_saving_at_the_same_time_keep_every_entry(path: Path) -> None:
    errors: list[BaseException] = []

    def save(number: int) -> None:
        try:
            add_faq(path, [f"câu hỏi số {number}"], f"Trả lời {number}.", OFFICER, now=NOW)
        except BaseException as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=save, args=(n,)) for n in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(f.question for f in load_overrides(path).faq) == sorted(
        f"câu hỏi số {n}" for n in range(12))


BROKEN = {
    "syntax": ("alias:\n  - id: alias-1\n    phrases: [quán hát\n", 4,
               "YAML syntax error: did not find expected ',' or ']' (while parsing a flow "
               "sequence at line 3)"),
    "code": ("alias:\n  - id: alias-1\n    phrases: [quán hát]\n    procedure: 'abc'\n"
             "    by: An\n    at: '2026-03-12T09:00:00+07:00'\n", 4,
             "alias[0].procedure: 'abc' is not a procedure code"),
    "missing": ("faq:\n  - id: faq-1\n    questions: [căng tin]\n    by: An\n"
                "    at: '2026-03-12T09:00:00+07:00'\n", 2, "faq[0].answer: missing"),
    "unknown": ("faqs: []\n", 1, "faqs: unknown top-level key"),
    "when": ("faq:\n  - id: faq-1\n    questions: [căng tin]\n    answer: Tầng 1.\n"
             "    by: An\n    at: hôm qua\n", 6, "faq[0].at: 'hôm qua' is not a date and time"),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_a_broken_file_names_the_file_line_and_field(path: Path, case: str) -> None:
    content, line, message = BROKEN[case]
    path.parent.mkdir(parents=True)
    path.write_text(content, encoding="utf-8")
    with pytest.raises(OverridesError) as raised:
        load_overrides(path)
    text = str(raised.value)
    assert f"{path}:{line}: " in text and message in text, text


def test_hand_written_entries_with_unquoted_dates_and_codes_are_read(path: Path) -> None:
    path.parent.mkdir(parents=True)
    path.write_text("# written by hand\nalias:\n  - id: alias-hand\n    phrases: [quán hát]\n"
                    "    procedure: 1.001612\n    by: An\n    at: 2026-03-12 09:00:00+07:00\n"
                    "faq:\n", encoding="utf-8")
    listed = load_overrides(path)
    assert listed.aliases[0].procedure == "1.001612" and listed.faq == ()


def test_a_broken_file_is_never_overwritten(path: Path) -> None:
    path.parent.mkdir(parents=True)
    path.write_text("alias: [\n", encoding="utf-8")
    with pytest.raises(OverridesError):
        add_faq(path, ["căng tin"], "Tầng 1.", OFFICER)
    assert path.read_text(encoding="utf-8") == "alias: [\n"


# --- following the file while the bot runs ----------------------------------------------


def touch_later(path: Path) -> None:
    """Make sure a rewrite is seen even on a file system with coarse modification times."""
    stamp = path.stat().st_mtime + 2
    os.utime(path, (stamp, stamp))


def test_the_watcher_reloads_only_when_the_file_changes(path: Path,
                                                        knowledge: Knowledge) -> None:
    watcher = OverridesWatcher(path, knowledge)
    first = watcher.refresh()
    assert first is not None and first.knowledge is knowledge and first.matcher is None
    assert watcher.refresh() is None

    add_faq(path, ["căng tin ở đâu"], "Căng tin ở tầng 1.", OFFICER, now=NOW)
    overlay = watcher.refresh()
    assert overlay is not None and len(overlay.overrides.faq) == 1
    assert watcher.refresh() is None
    # The committed knowledge is left as it was: other dialogues share it.
    assert overlay.knowledge is not knowledge
    assert len(overlay.knowledge.handkept.faq) == len(knowledge.handkept.faq) + 1
    assert knowledge.handkept.faq == overlay.knowledge.handkept.faq[:-1]


def test_a_broken_edit_keeps_the_last_good_overrides_and_logs_where(
        path: Path, knowledge: Knowledge, caplog) -> None:
    add_faq(path, ["căng tin ở đâu"], "Căng tin ở tầng 1.", OFFICER, now=NOW)
    watcher = OverridesWatcher(path, knowledge)
    good = watcher.refresh()
    assert good is not None

    path.write_text(path.read_text(encoding="utf-8") + "  - id: [oops\n", encoding="utf-8")
    touch_later(path)
    with caplog.at_level(logging.ERROR, logger="knowledge.nlu.live_overrides"):
        assert watcher.refresh() is None
        assert watcher.refresh() is None     # logged once, not at every message
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1
    assert str(path) in errors[0].getMessage() and "YAML syntax error" in errors[0].getMessage()
    assert "last good overrides (1 entries)" in errors[0].getMessage()
    assert watcher.overlay is good and watcher.error is not None

    understander = Understander(good.knowledge, overrides=good.matcher)
    assert understander.understand("căng tin ở đâu").faq_id == good.overrides.faq[0].id

    # Fixed by hand: taken up again.
    path.write_text(path.read_text(encoding="utf-8").replace("  - id: [oops\n", ""),
                    encoding="utf-8")
    touch_later(path)
    assert watcher.refresh() is not None and watcher.error is None


def test_a_file_broken_from_the_start_means_no_overrides(path: Path,
                                                         knowledge: Knowledge) -> None:
    path.parent.mkdir(parents=True)
    path.write_text("faq: nothing\n", encoding="utf-8")
    watcher = OverridesWatcher(path, knowledge)
    assert watcher.refresh() is None
    assert watcher.overlay.knowledge is knowledge and watcher.overlay.matcher is None
    assert "faq: expected a list" in str(watcher.error)


def test_an_alias_to_a_procedure_that_no_longer_exists_is_left_out(
        path: Path, knowledge: Knowledge, caplog) -> None:
    add_alias(path, ["quán hát cho khách"], "9.999999", OFFICER, now=NOW)
    with caplog.at_level(logging.WARNING, logger="knowledge.nlu.live_overrides"):
        overlay = OverridesWatcher(path, knowledge).refresh()
    assert overlay is not None and overlay.matcher is not None
    assert overlay.matcher.match_text("quán hát cho khách") is None
    assert "9.999999" in caplog.text


def test_an_overrides_date_is_the_agencys_day() -> None:
    vietnam = timezone(timedelta(hours=7))
    entry = overrides_module.FaqOverride("faq-1", ("q",), "a", "An",
                                         datetime(2026, 3, 12, 23, 0, tzinfo=vietnam)
                                         .isoformat())
    assert entry.source.checked == "2026-03-12"
