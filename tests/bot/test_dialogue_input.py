"""Bad input to the dialogue core (bot/dialogue.py): too long, empty, forged buttons, floods,
markup, concurrent messages and a process killed after a petition was acknowledged.

Each case gets a polite reply, never an exception, and nothing acknowledged is lost.
"""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import textwrap
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from bot.config import Settings
from bot.dialogue import Dialogue
from bot.messages import Incoming, Reply
from bot.storage import Store
from knowledge.base import Knowledge
from tests.support.environment import child_environment

REPO = Path(__file__).resolve().parents[2]
FRIDAY = datetime(2026, 3, 6, 10, 0, tzinfo=timezone(timedelta(hours=7)))
SETTINGS = replace(Settings.from_env({}), flood_messages=1_000_000_000)
CODE_RE = re.compile(r"PA-\d{4}-\d{6}")
CONTENT = "Đèn đường ở tổ 5 phường An Bình hỏng đã hai tuần"


class Talk:
    """One dialogue over a database file, spoken to as one user unless told otherwise."""

    def __init__(self, dialogue: Dialogue) -> None:
        self.dialogue = dialogue
        self.store = dialogue.store

    def send(self, text: str | None, user: str = "u1", channel: str = "web") -> list[Reply]:
        return polite(self.dialogue.handle(Incoming(channel, user, text=text)))

    def press(self, payload: str, user: str = "u1", channel: str = "web") -> list[Reply]:
        return polite(self.dialogue.handle(Incoming(channel, user, button=payload)))

    def to_content_step(self, user: str = "u1") -> None:
        self.press("menu:petition", user)
        self.press("flow:choice:yes", user)
        assert self.store.session("web", user).step == "content"

    def finish_petition(self, user: str = "u1", contact: str = "0912345678") -> list[Reply]:
        """From the agency step on: skip the optional steps, name, contact, send."""
        for _ in range(3):
            self.press("flow:skip", user)
        self.send("Nguyễn Văn An", user)
        self.send(contact, user)
        return self.press("flow:choice:send", user)

    def rows(self, sql: str, params: list | None = None) -> list[dict]:
        return list(self.store.db.query(sql, params or []))


def polite(replies: list[Reply]) -> list[Reply]:
    assert replies and all(isinstance(r, Reply) and r.text.strip() for r in replies), replies
    return replies


def texts(replies: list[Reply]) -> list[str]:
    return [reply.text for reply in replies]


def make_dialogue(knowledge: Knowledge, path: Path, settings: Settings = SETTINGS) -> Dialogue:
    return Dialogue(knowledge, Store(path), settings, clock=lambda: FRIDAY)


@pytest.fixture
def talk(knowledge: Knowledge, tmp_path: Path):
    dialogue = make_dialogue(knowledge, tmp_path / "bot.db")
    yield Talk(dialogue)
    dialogue.store.close()


# --- Too long, empty --------------------------------------------------------------------


def test_a_message_over_4000_characters_is_refused_and_nothing_stored(talk: Talk, t) -> None:
    too_long = ("làm căn cước ở đâu " * 250)[:4001]
    assert len(too_long) == 4001
    assert texts(talk.send(too_long)) == [t("input.too_long", max=4000)]
    counts = talk.store.counts()
    assert (counts["answers"], counts["petitions"], counts["unanswered"]) == (0, 0, 0)
    # The dialogue still works after it.
    assert texts(talk.send("xin chào")) == [t("smalltalk_hello")]
    assert talk.send("làm căn cước ở đâu")[-1].text == t("helpful.question")
    assert talk.store.counts()["answers"] == 1


def test_a_too_long_petition_content_is_refused_and_the_form_waits(talk: Talk, t) -> None:
    talk.to_content_step()
    assert texts(talk.send("Đường hỏng. " * 400)) == [t("input.too_long", max=4000)]
    assert talk.store.session("web", "u1").step == "content"
    # Exactly the limit is taken whole.
    longest = ("Đường hỏng nặng. " * 300)[:3999] + "x"
    assert len(longest) == 4000
    assert texts(talk.send(longest)) == [t("petition.ask_agency")]
    [sent] = talk.finish_petition()
    code = CODE_RE.search(sent.text).group(0)
    assert talk.store.petition_by_code(code).content == longest
    assert talk.store.counts()["petitions"] == 1


@pytest.mark.parametrize("text", ["", "   ", "\n\t  \r\n", "😀", "🙏🎉👍 ❤️", "...!!! ???",
                                  "\u200b\u200b", None])
def test_empty_whitespace_and_emoji_only_messages(talk: Talk, t, text: str | None) -> None:
    assert texts(talk.send(text)) == [t("input.empty")]
    counts = talk.store.counts()
    assert (counts["answers"], counts["unanswered"]) == (0, 0)


def test_an_empty_message_in_a_form_keeps_the_form(talk: Talk, t) -> None:
    talk.to_content_step()
    assert texts(talk.send("🙂🙂")) == [t("input.empty")]
    assert talk.store.session("web", "u1").step == "content"
    assert texts(talk.send(CONTENT)) == [t("petition.ask_agency")]


# --- Stale and forged buttons -----------------------------------------------------------

FORGED = [
    "", ":", ":::", "xyz", "tC8#kq!p0z", "💥", "menu:xyz", "menu::", "topic:", "topic:không-có",
    "proc:9.999999:fee", "proc:1.014061", "proc:1.014061:fee:extra", "proc:1.014061:price",
    "proc::", "guide:", "guide:xyz", "helpful:999:yes", "helpful:1:maybe", "helpful:abc:no",
    "helpful::yes", "helpful:-1:yes", "helpful:1", "ticket:", "ticket:PA-2026-999999",
    "ticket:pa-2026-000001", "ticket:' OR 1=1 --", "sub:nope", "sub:", "unsub:", "unsub:xyz",
    "privacy:xyz", "privacy:", "flow:choice:yes", "flow:choice:send", "flow:back",
    "flow:cancel", "flow:skip", "flow:", "x" * 100_000, "proc:" + "1" * 10_000 + ":fee",
    "ticket:" + "A" * 10_000, "menu:" + "x" * 10_000, "sub:" + "y" * 10_000,
    "flow:choice:" + "z" * 10_000, "guide:" + "g" * 10_000, "helpful:1:" + "y" * 10_000,
    "privacy:" + "d" * 10_000,
]


@pytest.mark.parametrize("payload", FORGED, ids=lambda p: p[:30] or "empty")
def test_stale_or_forged_buttons_get_a_polite_reply(talk: Talk, t, payload: str) -> None:
    replies = talk.press(payload)
    unknown, not_found = t("button.unknown"), t("status.not_found", code="@@").split("@@")[0]
    assert replies[0].text == unknown or replies[0].text.startswith(not_found)
    counts = talk.store.counts()
    assert (counts["petitions"], counts["ratings"], counts["answers"]) == (0, 0, 0)
    assert talk.store.session("web", "u1").flow is None


def test_specific_stale_buttons(talk: Talk, t) -> None:
    assert texts(talk.press("ticket:PA-2026-999999")) == [
        t("status.not_found", code="PA-2026-999999")]
    [reply] = talk.press("flow:choice:yes")
    assert reply.text == t("button.unknown")
    assert [b.payload for b in reply.buttons] == ["menu"]
    assert texts(talk.press("helpful:999:yes")) == [t("button.unknown")]


def test_another_users_ticket_or_helpful_button_is_not_theirs(talk: Talk, t) -> None:
    talk.to_content_step("owner")
    talk.send(CONTENT, "owner")
    code = CODE_RE.search(talk.finish_petition("owner")[0].text).group(0)
    assert texts(talk.press(f"ticket:{code}")) == [t("status.not_found", code=code)]
    helpful = talk.send("làm căn cước ở đâu", "owner")[-1].buttons[1].payload
    assert texts(talk.press(helpful)) == [t("button.unknown")]
    assert talk.store.counts()["unanswered"] == 0


def test_stale_buttons_inside_a_form_ask_the_question_again(talk: Talk, t) -> None:
    talk.to_content_step()
    for payload in ("flow:choice:send", "flow:choice:yes", "flow:skip", "flow:choice:",
                    "flow:whatever", "flow:choice:" + "z" * 10_000):
        [again] = talk.press(payload)
        assert again.text == f"{t('button.unknown')}\n{t('petition.ask_content')}"
        assert talk.store.session("web", "u1").step == "content"
    assert talk.store.counts()["petitions"] == 0


@pytest.mark.parametrize("payload", ["helpful:99999999999999999999:yes",
                                     "helpful:" + "9" * 5000 + ":yes", "helpful:²:no"],
                         ids=["over-64-bit", "5000-digits", "superscript"])
def test_forged_helpful_ids_that_are_not_integers(talk: Talk, t, payload: str) -> None:
    assert texts(talk.press(payload)) == [t("button.unknown")]


def test_a_superscript_digit_as_a_rating_score(talk: Talk, t) -> None:
    talk.press("menu:rate")
    talk.press("flow:choice:visit")
    assert texts(talk.send("²")) == [f"{t('rating.score_invalid')}\n{t('rating.ask_score')}"]


# --- Flood ------------------------------------------------------------------------------


def test_a_flood_from_one_user_is_slowed_down_others_are_not(knowledge: Knowledge,
                                                            tmp_path: Path, t) -> None:
    settings = replace(Settings.from_env({}), flood_messages=5, flood_seconds=60)
    dialogue = make_dialogue(knowledge, tmp_path / "bot.db", settings)
    talk = Talk(dialogue)
    try:
        for _ in range(5):
            assert texts(talk.send("xin chào")) == [t("smalltalk_hello")]
        assert texts(talk.send("xin chào")) == [t("input.flood")]
        assert texts(talk.press("menu")) == [t("input.flood")]
        assert texts(talk.send("làm căn cước ở đâu")) == [t("input.flood")]
        for user, channel in (("u2", "web"), ("u3", "web"), ("u1", "telegram")):
            for _ in range(5):
                assert texts(talk.send("xin chào", user, channel)) == [t("smalltalk_hello")]
        assert texts(talk.send("xin chào", "u2")) == [t("input.flood")]
        assert talk.store.counts()["answers"] == 0
    finally:
        dialogue.store.close()


# --- Markup is plain text to the dialogue -----------------------------------------------

MARKUP = "<script>alert('x')</script><b>đèn</b> & <a href=\"javascript:alert(1)\">hỏng</a> &amp;"


def test_markup_in_a_message_is_stored_as_typed(talk: Talk) -> None:
    talk.send(MARKUP)
    [logged] = talk.rows("SELECT text FROM messages WHERE direction = 'in'")
    assert logged["text"] == MARKUP


def test_markup_in_a_petition_round_trips_unchanged(talk: Talk, t) -> None:
    content = f"{MARKUP} ở tổ 5 đã hai tuần"
    agency = "<img src=x onerror=alert(1)> UBND"
    talk.to_content_step()
    talk.send(content)
    talk.send(agency)
    talk.press("flow:skip")
    talk.press("flow:skip")
    talk.send("Nguyễn Văn An")
    [summary] = talk.send("0912345678")
    assert f"{content}\n" in summary.text and f"{agency}\n" in summary.text
    [sent] = talk.press("flow:choice:send")
    code = CODE_RE.search(sent.text).group(0)
    petition = talk.store.petition_by_code(code)
    assert (petition.content, petition.agency) == (content, agency)
    [ticket] = talk.send(code)
    assert ticket.text.endswith(content)
    said = {row["text"] for row in talk.rows("SELECT text FROM messages")}
    assert {content, agency, summary.text, ticket.text} <= said


# --- Concurrency ------------------------------------------------------------------------


def test_messages_at_once_from_the_same_and_other_users(knowledge: Knowledge,
                                                        tmp_path: Path) -> None:
    dialogue = make_dialogue(knowledge, tmp_path / "bot.db")
    talk = Talk(dialogue)
    questions = ["xin chào", "làm căn cước ở đâu", "đăng ký nhận tin", "menu", "giá vàng"]
    jobs = [(f"u{i % 7}" if i % 3 else "same", questions[i % len(questions)])
            for i in range(60)]
    try:
        with ThreadPoolExecutor(max_workers=20) as pool:
            results = list(pool.map(
                lambda job: dialogue.handle(Incoming("web", job[0], text=job[1])), jobs))
        for replies in results:
            polite(replies)
        rows = talk.rows("SELECT user_id, direction, count(*) AS n FROM messages "
                         "GROUP BY user_id, direction")
        ins = {row["user_id"]: row["n"] for row in rows if row["direction"] == "in"}
        outs = {row["user_id"]: row["n"] for row in rows if row["direction"] == "out"}
        expected = {user: sum(1 for u, _ in jobs if u == user) for user, _ in jobs}
        assert ins == expected
        assert all(outs[user] >= count for user, count in expected.items())
        assert talk.store.counts()["messages"] >= 2 * len(jobs)
        assert talk.store.counts()["answers"] == sum(1 for _, q in jobs if "căn cước" in q)
    finally:
        dialogue.store.close()


def test_petitions_at_once_get_distinct_codes(knowledge: Knowledge, tmp_path: Path) -> None:
    dialogue = make_dialogue(knowledge, tmp_path / "bot.db")
    talk = Talk(dialogue)

    def walk(user: str) -> str:
        talk.to_content_step(user)
        talk.send(f"{CONTENT} — {user}", user)
        return CODE_RE.search(talk.finish_petition(user)[0].text).group(0)

    try:
        users = [f"p{i}" for i in range(20)]
        with ThreadPoolExecutor(max_workers=20) as pool:
            codes = list(pool.map(walk, users))
        assert len(set(codes)) == 20
        for user, code in zip(users, codes, strict=True):
            petition = talk.store.petition_by_code(code)
            assert (petition.user_id, petition.content) == (user, f"{CONTENT} — {user}")
    finally:
        dialogue.store.close()


# --- A killed process -------------------------------------------------------------------

CHILD = """
import os, re, signal
from dataclasses import replace
from bot.config import Settings
from bot.dialogue import Dialogue
from bot.messages import Incoming
from bot.storage import Store
from knowledge.base import Knowledge

settings = replace(Settings.from_env({{}}), flood_messages=1_000_000)
dialogue = Dialogue(Knowledge.load(), Store({path!r}), settings)

def say(text=None, button=None):
    return dialogue.handle(Incoming("web", "u1", text=text, button=button))

say(button="menu:petition")
say("đồng ý")
say({content!r})
for _ in range(3):
    say(button="flow:skip")
say("Nguyễn Văn An")
say("0912 345 678")
replies = say(button="flow:choice:send")
print(re.search(r"PA-\\d{{4}}-\\d{{6}}", replies[-1].text).group(0), flush=True)
os.kill(os.getpid(), signal.SIGKILL)
"""


@pytest.mark.slow
def test_a_petition_survives_the_process_being_killed(tmp_path: Path) -> None:
    """Killed (-9) right after the citizen was told the code: the petition is in the file,
    as the citizen gave it, and the form is closed."""
    path = tmp_path / "bot.db"
    code = textwrap.dedent(CHILD.format(path=str(path), content=CONTENT))
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True,
                            text=True, timeout=120, env=child_environment())
    assert result.returncode == -signal.SIGKILL, result.stderr
    ticket = result.stdout.strip()
    assert CODE_RE.fullmatch(ticket), (result.stdout, result.stderr)
    with Store(path) as store:
        petition = store.petition_by_code(ticket)
        assert petition is not None
        assert (petition.content, petition.phone, petition.user_id) == (
            CONTENT, "0912345678", "u1")
        assert store.session("web", "u1").flow is None
