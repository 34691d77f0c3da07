"""Conversations through the dialogue core (bot/dialogue.py), one test per flow.

Every test builds its own Dialogue over a fresh database file and talks to it as a citizen on
the web chat would. Each reply the dialogue gives is checked by `Chat` on the way: it has text,
and every button it offers is one the dialogue understands — pressed on a copy of the database
as it was then, it never yields the "out-of-date button" text.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from bot.config import Settings
from bot.dialogue import Dialogue
from bot.messages import Incoming, Reply
from bot.storage import Store
from handlers import contacts, online_help
from handlers.menu import MAIN_MENU
from handlers.petition_form import MAX_ATTACHMENT_BYTES
from handlers.procedures import answer, aspect_payload
from knowledge.base import Knowledge
from knowledge.nlu.aspects import OVERVIEW

VIETNAM = timezone(timedelta(hours=7))
# A Friday morning in Vietnam: 10 working days later is Friday 20 March (two weekends skipped).
FRIDAY = datetime(2026, 3, 6, 10, 0, tzinfo=VIETNAM)
DUE_FROM_FRIDAY = date(2026, 3, 20)
# Conversations here are longer than the flood limit; the flood guard is tested elsewhere.
SETTINGS = replace(Settings.from_env({}), flood_messages=1_000_000_000)
CODE_RE = re.compile(r"PA-\d{4}-\d{6}")
DATE_RE = re.compile(r"\b(\d{2})/(\d{2})/(\d{4})\b")
ID_CARD = "1.014061"   # Cấp thẻ căn cước cho người từ đủ 14 tuổi trở lên (topic can-cuoc)
LOST_ID_CARD = "1.014064"
CONTENT = "Đèn đường ở tổ 5 phường An Bình hỏng đã hai tuần"
NAME = "Nguyễn Văn An"
PHONE = "0912345678"
JPEG = {"name": "a.jpg", "mime": "image/jpeg", "size": 1000, "ref": "x"}


class Chat:
    """A dialogue over a database file, and a scratch copy to try every offered button on."""

    def __init__(self, knowledge: Knowledge, path: Path, clock=lambda: FRIDAY) -> None:
        self.knowledge = knowledge
        self.t = knowledge.handkept.text
        self.store = Store(path)
        self.dialogue = Dialogue(knowledge, self.store, SETTINGS, clock=clock)
        self._scratch = Store(":memory:")
        self._scratch_dialogue = Dialogue(knowledge, self._scratch, SETTINGS,
                                          topics=self.dialogue.topics, clock=clock)

    def close(self) -> None:
        self.store.close()
        self._scratch.close()

    def send(self, text: str | None, user: str = "u1", channel: str = "web",
             extras: dict | None = None) -> list[Reply]:
        return self._checked(Incoming(channel, user, text=text, extras=extras or {}))

    def press(self, payload: str, user: str = "u1", channel: str = "web") -> list[Reply]:
        return self._checked(Incoming(channel, user, button=payload))

    def turn(self, text: str, user: str = "u1", channel: str = "web"):
        turn = self.dialogue.turn(Incoming(channel, user, text=text))
        self.check(turn.replies, user, channel)
        return turn

    def _checked(self, incoming: Incoming) -> list[Reply]:
        replies = self.dialogue.handle(incoming)
        self.check(replies, incoming.user, incoming.channel)
        return replies

    def check(self, replies: list[Reply], user: str, channel: str) -> None:
        """Every reply has text; every button, pressed now, is understood."""
        assert replies, "no reply at all"
        unknown = self.t("button.unknown")
        for reply in replies:
            assert reply.text.strip(), f"empty reply text in {replies}"
            for button in reply.buttons:
                assert button.label.strip(), f"button without a label: {button}"
                self.store.db.conn.backup(self._scratch.db.conn)
                pressed = self._scratch_dialogue.handle(
                    Incoming(channel, user, button=button.payload))
                assert pressed, f"no reply to button {button.payload!r}"
                for answer_ in pressed:
                    assert answer_.text.strip(), f"empty reply to button {button.payload!r}"
                    assert unknown not in answer_.text, (
                        f"button {button.payload!r} ({button.label!r}) is not understood")

    # Helpers for the petition form

    def petition(self, user: str = "u1", channel: str = "web", content: str = CONTENT,
                 name: str = NAME, contact: str = PHONE) -> str:
        """Walks a whole petition (optional steps skipped) and returns its code."""
        self.press("menu:petition", user, channel)
        self.press("flow:choice:yes", user, channel)
        self.send(content, user, channel)
        for _ in range(4 if channel == "telegram" else 3):
            self.press("flow:skip", user, channel)
        self.send(name, user, channel)
        self.send(contact, user, channel)
        return code_in(self.press("flow:choice:send", user, channel))

    def topics_label(self, topic_id: str) -> str:
        return self.dialogue.topics.news_topic(topic_id).label["vi"]

    def session(self, user: str = "u1", channel: str = "web"):
        return self.store.session(channel, user)

    def rows(self, sql: str, params: list | None = None) -> list[dict]:
        return list(self.store.db.query(sql, params or []))


def code_in(replies: list[Reply]) -> str:
    match = CODE_RE.search(replies[-1].text)
    assert match, replies[-1].text
    return match.group(0)


def texts(replies: list[Reply]) -> list[str]:
    return [reply.text for reply in replies]


def payloads(reply: Reply) -> list[str]:
    return [button.payload for button in reply.buttons]


@pytest.fixture
def chat(knowledge: Knowledge, tmp_path: Path):
    opened = Chat(knowledge, tmp_path / "bot.db")
    yield opened
    opened.close()


# --- Menu, topics, procedures -------------------------------------------------------------


@pytest.mark.parametrize("text, greeting_key", [("/start", "greeting"), ("menu", "menu_title"),
                                                 ("Menu", "menu_title")])
def test_main_menu(chat: Chat, t, text: str, greeting_key: str) -> None:
    [reply] = chat.send(text)
    assert reply.text == t(greeting_key)
    assert [(b.label, b.payload) for b in reply.buttons] == [
        (t(key), payload) for key, payload in MAIN_MENU]
    assert len(reply.buttons) == 7


def test_topic_then_procedure_gives_its_overview_and_asks_if_helpful(
        chat: Chat, t, knowledge: Knowledge) -> None:
    [topics] = chat.press("menu:topics")
    assert topics.text == t("menu.topics_intro")
    assert "topic:can-cuoc" in payloads(topics)
    [procedures] = chat.press("topic:can-cuoc")
    assert aspect_payload(ID_CARD, OVERVIEW) in payloads(procedures)
    assert payloads(procedures)[-1] == "menu:topics"

    overview, helpful = chat.press(aspect_payload(ID_CARD, OVERVIEW))
    assert overview == answer(knowledge.procedures[ID_CARD], OVERVIEW, t)
    assert ID_CARD in overview.text
    assert helpful.text == t("helpful.question")
    assert [b.label for b in helpful.buttons] == [t("helpful.yes"), t("helpful.no")]
    [row] = chat.rows("SELECT * FROM answers")
    assert (row["procedure_code"], row["aspect"], row["user_id"]) == (ID_CARD, OVERVIEW, "u1")
    assert payloads(helpful) == [f"helpful:{row['id']}:yes", f"helpful:{row['id']}:no"]


def test_helpful_yes_thanks(chat: Chat, t) -> None:
    _, helpful = chat.press(aspect_payload(ID_CARD, OVERVIEW))
    assert texts(chat.press(helpful.buttons[0].payload)) == [t("helpful.thanks")]
    assert chat.rows("SELECT helpful FROM answers") == [{"helpful": 1}]
    assert chat.store.counts()["unanswered"] == 0


def test_helpful_no_is_recorded_for_staff_and_offers_a_petition(chat: Chat, t) -> None:
    _, helpful = chat.press(aspect_payload(ID_CARD, OVERVIEW))
    before = chat.store.counts()["unanswered"]
    [sorry] = chat.press(helpful.buttons[1].payload)
    assert sorry.text == t("helpful.sorry")
    assert "menu:petition" in payloads(sorry)
    assert chat.store.counts()["unanswered"] == before + 1
    [row] = chat.rows("SELECT * FROM unanswered")
    [answered] = chat.rows("SELECT * FROM answers")
    assert (row["reason"], row["user_id"], row["question"]) == (
        "unhelpful", "u1", answered["question"])
    assert answered["helpful"] == 0


def test_another_user_cannot_mark_someone_elses_answer(chat: Chat, t) -> None:
    _, helpful = chat.press(aspect_payload(ID_CARD, OVERVIEW), user="u1")
    for button in helpful.buttons:
        assert texts(chat.press(button.payload, user="u2")) == [t("button.unknown")]
        assert texts(chat.press(button.payload, channel="telegram")) == [t("button.unknown")]
    assert chat.rows("SELECT helpful FROM answers") == [{"helpful": None}]
    assert chat.store.counts()["unanswered"] == 0


def test_procedure_question_by_text_is_answered_and_recorded(chat: Chat, t) -> None:
    question = "cấp lại căn cước công dân bị mất"
    turn = chat.turn(question)
    assert turn.understanding.intent == "procedure"
    code = turn.understanding.procedure.code
    assert code == LOST_ID_CARD
    assert code in turn.replies[0].text
    assert turn.replies[-1].text == t("helpful.question")
    [row] = chat.rows("SELECT * FROM answers")
    assert (row["question"], row["procedure_code"], row["intent"], row["channel"],
            row["user_id"]) == (question, code, "procedure", "web", "u1")
    assert payloads(turn.replies[-1])[0] == f"helpful:{row['id']}:yes"


def test_questions_about_contacts_and_online_services_count_as_answered(chat: Chat) -> None:
    for question in ("số điện thoại đường dây nóng", "cách đăng nhập vneid"):
        chat.turn(question)

    rows = chat.rows("SELECT question, intent, procedure_code FROM answers ORDER BY id")
    assert [(row["question"], row["intent"], row["procedure_code"]) for row in rows] == [
        ("số điện thoại đường dây nóng", "contact", None),
        ("cách đăng nhập vneid", "online_help", None)]


# --- Petitions ------------------------------------------------------------------------------


def test_petition_from_text(chat: Chat, t) -> None:
    intro, consent = chat.send("tôi muốn phản ánh")
    assert intro.text == t("complaint_intro")
    assert consent.text == t("petition.privacy")
    assert payloads(consent) == ["flow:choice:yes", "flow:cancel"]
    assert chat.session().flow == "petition"


def test_petition_from_the_menu(chat: Chat, t) -> None:
    [consent] = chat.press("menu:petition")
    assert consent.text == t("petition.privacy")
    assert (chat.session().flow, chat.session().step) == ("petition", "consent")


@pytest.mark.parametrize("refusal", ["không", "ko", "không đồng ý", "Không đồng ý!", "no", "k"])
def test_saying_no_to_the_consent_ends_the_petition_without_keeping_anything(
        chat: Chat, t, refusal: str) -> None:
    chat.press("menu:petition")
    [declined] = chat.send(refusal)
    assert declined.text == t("petition.consent_declined")
    assert chat.session().flow is None
    assert chat.store.counts()["petitions"] == 0
    assert chat.store.user("web", "u1").consent_at is None


@pytest.mark.parametrize("unclear", ["để sau", "chưa biết", "ừm"])
def test_petition_needs_consent(chat: Chat, t, unclear: str) -> None:
    chat.press("menu:petition")
    [again] = chat.send(unclear)
    assert again.text == f"{t('petition.consent_needed')}\n{t('petition.privacy')}"
    assert chat.session().step == "consent"
    [content] = chat.send("đồng ý")
    assert content.text == t("petition.ask_content")
    assert chat.session().step == "content"


def test_petition_content_too_short_is_asked_again(chat: Chat, t) -> None:
    chat.press("menu:petition")
    chat.press("flow:choice:yes")
    [again] = chat.send("đường hỏng")
    assert again.text == f"{t('petition.content_too_short', min=15)}\n{t('petition.ask_content')}"
    assert chat.session().step == "content"
    [agency] = chat.send(CONTENT)
    assert agency.text == t("petition.ask_agency")


def test_petition_optional_steps_skip_by_button_and_by_text(chat: Chat, t) -> None:
    chat.press("menu:petition")
    chat.press("flow:choice:yes")
    [agency] = chat.send(CONTENT)
    assert "flow:skip" in payloads(agency)
    [place] = chat.send("bỏ qua")
    assert place.text == t("petition.ask_place")
    [procedure] = chat.press("flow:skip")
    assert procedure.text == t("petition.ask_procedure")
    [name] = chat.send("Bỏ qua")
    assert name.text == t("petition.ask_name")
    assert "flow:skip" not in payloads(name)
    data = chat.session().data
    assert (data["agency"], data["place"], data["procedure"]) == (None, None, None)


def test_petition_back_goes_to_the_previous_step(chat: Chat, t) -> None:
    chat.press("menu:petition")
    chat.press("flow:choice:yes")
    chat.send(CONTENT)
    chat.send("UBND phường An Bình")
    assert chat.session().step == "place"
    [agency] = chat.send("quay lại")
    assert agency.text == t("petition.ask_agency")
    [content] = chat.press("flow:back")
    assert content.text == t("petition.ask_content")
    [consent] = chat.send("Quay lại")
    assert consent.text == t("petition.privacy")
    assert "flow:back" not in payloads(consent)
    # At the first step there is nothing before: the question is asked again.
    [still] = chat.press("flow:back")
    assert still.text == t("petition.privacy")
    assert chat.session().step == "consent"


# How many answers to give before cancelling: at consent, content, place, name, confirm.
FORWARD = [("button", "flow:choice:yes"), ("text", CONTENT), ("button", "flow:skip"),
           ("text", "Phường An Bình"), ("button", "flow:skip"), ("text", NAME),
           ("text", "0912 345 678")]


@pytest.mark.parametrize("answered", [0, 1, 3, 5, 7])
@pytest.mark.parametrize("how", ["hủy", "Huỷ", "flow:cancel"])
def test_petition_cancel_stores_nothing(chat: Chat, t, answered: int, how: str) -> None:
    chat.press("menu:petition")
    for kind, value in FORWARD[:answered]:
        chat.press(value) if kind == "button" else chat.send(value)
    assert chat.session().flow == "petition"
    replies = chat.press(how) if how.startswith("flow:") else chat.send(how)
    assert texts(replies) == [t("petition.cancelled")]
    assert chat.session().flow is None
    assert chat.store.counts()["petitions"] == 0
    assert chat.store.user("web", "u1").consent_at is None


def _petition_at_name_step(chat: Chat) -> None:
    chat.press("menu:petition")
    chat.press("flow:choice:yes")
    chat.send(CONTENT)
    for _ in range(3):
        chat.press("flow:skip")
    assert chat.session().step == "name"


def _to_contact_step(chat: Chat) -> None:
    _petition_at_name_step(chat)
    chat.send(NAME)
    assert chat.session().step == "contact"


@pytest.mark.parametrize("phone", ["0912 345 67", "12345", "+1 202 555 0100", "0212345678",
                                   "09123456789", "091234567a"])
def test_petition_rejects_invalid_phone_numbers(chat: Chat, t, phone: str) -> None:
    _to_contact_step(chat)
    [again] = chat.send(phone)
    assert again.text == f"{t('petition.contact_invalid')}\n{t('petition.ask_contact')}"
    assert chat.session().step == "contact"


@pytest.mark.parametrize("phone", ["0912 345 678", "+84912345678", "84 912.345.678",
                                   "0912-345-678", "(+84) 912 345 678"])
def test_petition_accepts_phone_numbers_stored_normalised(chat: Chat, t, phone: str) -> None:
    _to_contact_step(chat)
    [summary] = chat.send(phone)
    assert chat.session().step == "confirm"
    assert PHONE in summary.text
    code = code_in(chat.press("flow:choice:send"))
    petition = chat.store.petition_by_code(code)
    assert (petition.phone, petition.email) == (PHONE, None)


def test_petition_accepts_an_email(chat: Chat) -> None:
    _to_contact_step(chat)
    [summary] = chat.send("an.nguyen@example.com.vn")
    assert "an.nguyen@example.com.vn" in summary.text
    petition = chat.store.petition_by_code(code_in(chat.press("flow:choice:send")))
    assert (petition.phone, petition.email) == (None, "an.nguyen@example.com.vn")


def test_petition_summary_send_code_and_due_date(chat: Chat, t) -> None:
    chat.send("tôi muốn phản ánh")
    chat.send("đồng ý")
    chat.send(CONTENT)
    chat.send("UBND phường An Bình")
    chat.send("Phường An Bình")
    chat.send(LOST_ID_CARD)
    chat.send(f"  {NAME}  ")
    [summary] = chat.send("84 912.345.678")
    assert summary.text == t("petition.summary", content=CONTENT, agency="UBND phường An Bình",
                             place="Phường An Bình", procedure=LOST_ID_CARD, attachments=0,
                             name=NAME, contact=PHONE)
    assert payloads(summary) == ["flow:choice:send", "flow:back", "flow:cancel"]
    assert chat.store.counts()["petitions"] == 0

    [sent] = chat.press("flow:choice:send")
    code = code_in([sent])
    assert re.fullmatch(r"PA-2026-\d{6}", code)
    due = DUE_FROM_FRIDAY.strftime("%d/%m/%Y")
    assert sent.text == t("petition.sent", code=code, due=due)
    assert payloads(sent) == ["menu:mine", "menu"]
    # 10 working days after Friday 6 March: two weekends skipped, not Monday 16 March.
    day, month, year = DATE_RE.search(sent.text).groups()
    due_date = date(int(year), int(month), int(day))
    assert due_date == date(2026, 3, 20) and due_date.weekday() < 5
    assert sum(1 for n in range(1, (due_date - FRIDAY.date()).days + 1)
               if (FRIDAY.date() + timedelta(days=n)).weekday() < 5) == 10

    petition = chat.store.petition_by_code(code)
    assert (petition.channel, petition.user_id, petition.name, petition.phone) == (
        "web", "u1", NAME, PHONE)
    assert (petition.content, petition.agency, petition.place, petition.procedure_code) == (
        CONTENT, "UBND phường An Bình", "Phường An Bình", LOST_ID_CARD)
    assert (petition.status, petition.due_date, petition.attachments) == (
        "new", DUE_FROM_FRIDAY, [])
    assert chat.store.user("web", "u1").consent_at is not None
    assert chat.session().flow is None


def test_petition_sent_on_a_saturday_is_due_ten_working_days_after(
        knowledge: Knowledge, tmp_path: Path, t) -> None:
    saturday = datetime(2026, 3, 7, 9, 0, tzinfo=VIETNAM)
    chat = Chat(knowledge, tmp_path / "bot.db", clock=lambda: saturday)
    try:
        code = chat.petition()
        # Mon 9 … Fri 20 March are the 10 working days.
        assert chat.store.petition_by_code(code).due_date == date(2026, 3, 20)
    finally:
        chat.close()


def test_a_restart_continues_a_half_filled_form(knowledge: Knowledge, tmp_path: Path,
                                                t) -> None:
    path = tmp_path / "bot.db"
    first = Chat(knowledge, path)
    first.press("menu:petition")
    first.send("đồng ý")
    first.send(CONTENT)
    first.send("UBND phường An Bình")
    first.close()

    second = Chat(knowledge, path)
    try:
        assert (second.session().flow, second.session().step) == ("petition", "place")
        [procedure] = second.send("Phường An Bình")
        assert procedure.text == t("petition.ask_procedure")
        second.press("flow:skip")
        second.send(NAME)
        second.send("an@example.com")
        petition = second.store.petition_by_code(code_in(second.press("flow:choice:send")))
        assert (petition.content, petition.agency, petition.place, petition.procedure_code,
                petition.name, petition.email) == (
            CONTENT, "UBND phường An Bình", "Phường An Bình", None, NAME, "an@example.com")
        # Back after the restart still knows the steps before it.
        assert second.session().flow is None
    finally:
        second.close()


# --- Changing one's mind in a form ---------------------------------------------------------


def test_a_procedure_question_in_a_form_is_answered_and_the_draft_kept(chat: Chat, t) -> None:
    _petition_at_name_step(chat)
    answer_, *_, helpful, paused = chat.send("đăng ký tạm trú cần giấy tờ gì?")
    assert "Đăng ký tạm trú" in answer_.text and t("heading.documents") in answer_.text
    assert helpful.text == t("helpful.question")
    assert paused.text == t("form.paused", form=t("form.name.petition"))
    session = chat.session()
    assert (session.flow, session.step, session.data["content"]) == ("petition", "name", CONTENT)
    # While the draft waits, the citizen may go on asking: a follow-up reads the procedure.
    duration, *_ = chat.send("mất bao lâu")
    assert "Đăng ký tạm trú" in duration.text and t("heading.duration") in duration.text
    [name] = chat.send("tiếp tục")
    assert name.text == t("petition.ask_name")
    [contact] = chat.send(NAME)
    assert contact.text == t("petition.ask_contact")
    chat.send(PHONE)
    assert CODE_RE.search(chat.press("flow:choice:send")[-1].text)


def test_asking_for_a_petition_again_takes_up_the_paused_draft(chat: Chat, t) -> None:
    _petition_at_name_step(chat)
    chat.send("số điện thoại một cửa là số nào?")
    assert chat.session().data.get("_paused")
    for start in (lambda: chat.press("menu:petition"), lambda: chat.send("tôi muốn phản ánh")):
        replies = start()
        assert replies[-1].text == t("petition.ask_name")
        assert chat.session().data["content"] == CONTENT
        chat.send("số điện thoại một cửa là số nào?")


def test_a_paused_draft_can_be_dropped(chat: Chat, t) -> None:
    _petition_at_name_step(chat)
    *_, paused = chat.send("căn cước bị mất làm lại ở đâu?")
    [dropped] = chat.press("flow:drop")
    assert dropped.text == t("form.dropped", form=t("form.name.petition"))
    assert chat.session().flow is None
    assert chat.store.counts()["petitions"] == 0


def test_a_question_typed_as_the_content_is_confirmed_first(chat: Chat, t) -> None:
    chat.press("menu:petition")
    chat.press("flow:choice:yes")
    question = "đăng ký thường trú cần những giấy tờ gì vậy?"
    [confirm] = chat.send(question)
    assert confirm.text == t("form.answer_or_question", form=t("form.name.petition"))
    assert payloads(confirm) == ["flow:keep", "flow:ask"]
    answer_, *_, paused = chat.press("flow:ask")
    assert "thường trú" in answer_.text.lower() and t("heading.documents") in answer_.text
    assert paused.text == t("form.paused", form=t("form.name.petition"))
    assert chat.session().step == "content" and "content" not in chat.session().data
    chat.press("flow:resume")
    chat.send(question)
    [agency] = chat.press("flow:keep")
    assert agency.text.startswith(t("petition.ask_agency"))
    assert chat.session().data["content"] == question


def test_a_plain_complaint_with_a_procedure_in_it_is_taken_as_the_content(chat: Chat, t) -> None:
    chat.press("menu:petition")
    chat.press("flow:choice:yes")
    complaint = "Hồ sơ đăng ký tạm trú của tôi nộp ở phường An Bình đã quá hạn hai tuần"
    [agency] = chat.send(complaint)
    assert agency.text.startswith(t("petition.ask_agency"))
    assert chat.session().data["content"] == complaint


def test_a_question_at_a_rating_score_pauses_the_rating(chat: Chat, t) -> None:
    chat.press("menu:rate")
    chat.press("flow:choice:procedure")
    *answers, paused = chat.send("làm hộ chiếu mất bao lâu?")
    assert any("hộ chiếu" in reply.text.lower() for reply in answers)
    assert paused.text == t("form.paused", form=t("form.name.rating"))
    [score] = chat.press("flow:resume")
    assert score.text == t("rating.ask_score")


# --- Attachments ------------------------------------------------------------------------


def test_attachments_are_not_asked_on_the_web(chat: Chat, t) -> None:
    chat.press("menu:petition")
    chat.press("flow:choice:yes")
    chat.send(CONTENT)
    chat.press("flow:skip")
    chat.press("flow:skip")
    [name] = chat.press("flow:skip")
    assert name.text == t("petition.ask_name")


def _to_attachments_step(chat: Chat) -> None:
    chat.press("menu:petition", channel="telegram")
    chat.press("flow:choice:yes", channel="telegram")
    chat.send(CONTENT, channel="telegram")
    for _ in range(2):
        chat.press("flow:skip", channel="telegram")
    [ask] = chat.press("flow:skip", channel="telegram")
    assert ask.text == chat.t("petition.ask_attachments")
    assert chat.session(channel="telegram").step == "attachments"


def test_attachments_on_telegram_are_asked_accepted_and_stored(chat: Chat, t) -> None:
    _to_attachments_step(chat)
    pdf = {"name": "don.pdf", "mime": "application/pdf", "size": MAX_ATTACHMENT_BYTES, "ref": "y"}
    [name] = chat.send("ảnh hiện trường", channel="telegram",
                       extras={"attachments": [JPEG, pdf]})
    assert name.text == t("petition.ask_name")
    chat.send(NAME, channel="telegram")
    [summary] = chat.send(PHONE, channel="telegram")
    assert t("petition.summary", content=CONTENT, agency=t("petition.none"),
             place=t("petition.none"), procedure=t("petition.none"), attachments=2,
             name=NAME, contact=PHONE) == summary.text
    code = code_in(chat.press("flow:choice:send", channel="telegram"))
    petition = chat.store.petition_by_code(code)
    assert petition.attachments == [JPEG, pdf]
    assert petition.channel == "telegram"


def test_attachments_without_a_caption_are_accepted(chat: Chat, t) -> None:
    _to_attachments_step(chat)
    [name] = chat.send(None, channel="telegram", extras={"attachments": [JPEG]})
    assert name.text == t("petition.ask_name")


@pytest.mark.parametrize("item, key, values", [
    ({**JPEG, "name": "a.gif", "mime": "image/gif"}, "petition.attachment_type", {}),
    ({**JPEG, "name": "a.exe", "mime": "application/octet-stream"},
     "petition.attachment_type", {}),
    ({**JPEG, "size": MAX_ATTACHMENT_BYTES + 1}, "petition.attachment_size",
     {"mb": MAX_ATTACHMENT_BYTES // (1024 * 1024)}),
])
def test_attachments_of_a_wrong_type_or_size_are_refused(chat: Chat, t, item: dict, key: str,
                                                          values: dict) -> None:
    _to_attachments_step(chat)
    [again] = chat.send("tệp", channel="telegram", extras={"attachments": [JPEG, item]})
    assert again.text == f"{t(key, **values)}\n{t('petition.ask_attachments')}"
    assert chat.session(channel="telegram").step == "attachments"


def test_attachments_expected_too_many_and_skipped(chat: Chat, t) -> None:
    _to_attachments_step(chat)
    [again] = chat.send("ảnh đây", channel="telegram")
    assert again.text == f"{t('petition.attachment_expected')}\n{t('petition.ask_attachments')}"
    [again] = chat.send("ảnh", channel="telegram", extras={"attachments": [JPEG] * 6})
    assert again.text.startswith(t("petition.attachment_too_many", max=5))
    [name] = chat.press("flow:skip", channel="telegram")
    assert name.text == t("petition.ask_name")
    chat.send(NAME, channel="telegram")
    chat.send(PHONE, channel="telegram")
    code = code_in(chat.press("flow:choice:send", channel="telegram"))
    assert chat.store.petition_by_code(code).attachments == []


def test_attachments_skipped_by_text_on_telegram(chat: Chat, t) -> None:
    code = chat.petition(channel="telegram")
    assert chat.store.petition_by_code(code).attachments == []
    _to_attachments_step(chat)
    [name] = chat.send("không có", channel="telegram")
    assert name.text == t("petition.ask_name")


# --- My petitions -----------------------------------------------------------------------


def test_my_petitions_none_yet(chat: Chat, t) -> None:
    [none] = chat.press("menu:mine")
    assert none.text == t("status.none")
    assert payloads(none) == ["menu:petition"]
    assert texts(chat.send("xem phản ánh của tôi")) == [t("status.none")]


def test_my_petitions_lists_newest_first_and_shows_a_ticket_to_its_owner(chat: Chat, t) -> None:
    first = chat.petition(content="Đèn đường ở tổ 5 bị hỏng đã hai tuần")
    second = chat.petition(content="Cống thoát nước ở chợ bị tắc nhiều ngày", contact="an@x.vn")
    chat.petition(user="u2", content="Một phản ánh của người khác không liên quan")
    due = DUE_FROM_FRIDAY.strftime("%d/%m/%Y")
    new = t("petition.status.new")
    [listing] = chat.press("menu:mine")
    assert listing.text == "\n".join([
        t("status.list_intro", count=2),
        t("status.line", code=second, status=new, due=due),
        t("status.line", code=first, status=new, due=due)])
    assert payloads(listing) == [f"ticket:{second}", f"ticket:{first}"]
    assert texts(chat.send("tôi muốn xem phản ánh của tôi")) == [listing.text]

    ticket_text = t("status.ticket", code=first, status=new, due=due,
                    content="Đèn đường ở tổ 5 bị hỏng đã hai tuần")
    for typed in (first, first.lower(), f"cho tôi hỏi phản ánh {first.lower()} đến đâu rồi?"):
        [ticket] = chat.send(typed)
        assert ticket.text == ticket_text
    assert texts(chat.press(f"ticket:{first}")) == [ticket_text]


def test_a_ticket_code_in_a_form_shows_the_ticket_and_keeps_the_form(chat: Chat, t) -> None:
    code = chat.petition()
    chat.press("menu:rate")
    chat.press("flow:choice:visit")
    [ticket, paused] = chat.send(f"mã {code.lower()}")
    assert code in ticket.text and CONTENT in ticket.text
    assert paused.text == t("form.paused", form=t("form.name.rating"))
    assert payloads(paused) == ["flow:resume", "flow:drop"]
    assert (chat.session().flow, chat.session().step) == ("rating", "score")
    [score] = chat.press("flow:resume")
    assert score.text == t("rating.ask_score")
    chat.press("flow:choice:5")
    assert chat.session().step == "comment"


def test_another_user_typing_the_code_learns_nothing(chat: Chat, t) -> None:
    code = chat.petition(content="Bí mật: cán bộ Trần Văn Bê đòi tiền khi nhận hồ sơ",
                         name="Lê Thị Cúc")
    for user, channel in (("u2", "web"), ("u1", "telegram")):
        for reply in (chat.send(f"phản ánh {code.lower()} sao rồi", user, channel)
                      + chat.press(f"ticket:{code}", user, channel)):
            assert reply.text == t("status.not_found", code=code)
            assert "Bê" not in reply.text and "Cúc" not in reply.text
            assert reply.buttons == ()


# --- Rating -----------------------------------------------------------------------------


def test_rating_from_text_with_typed_score_and_comment(chat: Chat, t) -> None:
    intro, subject = chat.send("đánh giá sự hài lòng")
    assert intro.text == t("feedback_intro")
    assert subject.text == t("rating.ask_subject")
    assert payloads(subject) == ["flow:choice:visit", "flow:choice:procedure",
                                 "flow:choice:bot", "flow:cancel"]
    # The subject is chosen by button only.
    [again] = chat.send("lần đến làm thủ tục")
    assert again.text == f"{t('form.press_a_button')}\n{t('rating.ask_subject')}"
    [score] = chat.press("flow:choice:procedure")
    assert score.text == t("rating.ask_score")
    assert payloads(score)[:5] == [f"flow:choice:{n}" for n in (5, 4, 3, 2, 1)]
    for invalid in ("7", "0", "năm", "4.5"):
        [again] = chat.send(invalid)
        assert again.text == f"{t('rating.score_invalid')}\n{t('rating.ask_score')}"
    [comment] = chat.send("5")
    assert comment.text == t("rating.ask_comment")
    [thanks] = chat.send("Cán bộ hướng dẫn tận tình, <b>nhanh</b>")
    assert thanks.text == t("rating.thanks")
    assert "menu:petition" not in payloads(thanks)
    [row] = chat.rows("SELECT * FROM ratings")
    assert (row["subject"], row["score"], row["comment"], row["user_id"]) == (
        "procedure", 5, "Cán bộ hướng dẫn tận tình, <b>nhanh</b>", "u1")


@pytest.mark.parametrize("score", [1, 2, 3, 4])
def test_rating_from_the_menu_with_score_buttons(chat: Chat, t, score: int) -> None:
    [subject] = chat.press("menu:rate")
    assert subject.text == t("rating.ask_subject")
    chat.press("flow:choice:visit")
    chat.press(f"flow:choice:{score}")
    [thanks] = chat.press("flow:skip")
    if score <= 2:
        assert thanks.text == t("rating.thanks_low")
        assert payloads(thanks) == ["menu:petition", "menu"]
        [consent] = chat.press("menu:petition")
        assert consent.text == t("petition.privacy")
    else:
        assert thanks.text == t("rating.thanks")
        assert payloads(thanks) == ["menu"]
    [row] = chat.rows("SELECT * FROM ratings")
    assert (row["subject"], row["score"], row["comment"]) == ("visit", score, None)


def test_rating_comment_skipped_by_text_and_cancelled(chat: Chat, t) -> None:
    chat.press("menu:rate")
    chat.press("flow:choice:bot")
    chat.send("1")
    [thanks] = chat.send("bỏ qua")
    assert thanks.text == t("rating.thanks_low")
    chat.press("menu:rate")
    chat.press("flow:choice:bot")
    assert texts(chat.send("hủy")) == [t("rating.cancelled")]
    assert [(r["subject"], r["score"], r["comment"]) for r in chat.rows(
        "SELECT * FROM ratings")] == [("bot", 1, None)]


# --- Subscriptions ----------------------------------------------------------------------


def test_subscribing_asks_which_news_and_says_what_was_chosen(chat: Chat, t) -> None:
    [offer] = chat.send("đăng ký nhận tin")
    assert offer.text == t("subscribe_intro")
    assert chat.store.user("web", "u1").topics == [], "nothing is subscribed before a choice"
    assert payloads(offer) == ["sub:cchc", "sub:dich-vu-cong", "sub:ho-tich-cu-tru",
                               "sub:dat-dai-xay-dung", "sub:kinh-doanh-bao-hiem"]
    assert all(button.label.startswith("☐") for button in offer.buttons)

    [chosen] = chat.press("sub:cchc")
    assert chat.store.user("web", "u1").topics == ["cchc"]
    general = chat.topics_label("cchc")
    assert chosen.text.startswith(t("subscribe.chosen", topics=general))
    assert chosen.buttons[0].label.startswith("✅")
    [chosen] = chat.press("sub:dich-vu-cong")
    assert chat.store.user("web", "u1").topics == ["cchc", "dich-vu-cong"]
    assert chosen.text.startswith(t("subscribe.chosen", topics=(
        f"{general}, {chat.topics_label('dich-vu-cong')}")))
    assert payloads(chosen)[-1] == "unsub:all"
    chat.press("sub:cchc")
    [none] = chat.press("sub:dich-vu-cong")
    assert chat.store.user("web", "u1").topics == []
    assert none.text.startswith(t("subscribe.chosen_none"))
    chat.press("sub:ho-tich-cu-tru")
    # Asking again keeps what was chosen.
    [offer] = chat.send("đăng ký nhận tin")
    assert chat.store.user("web", "u1").topics == ["ho-tich-cu-tru"]
    assert offer.buttons[2].label.startswith("✅")

    [bye] = chat.send("hủy nhận tin")
    assert bye.text == t("unsubscribe_intro")
    assert payloads(bye) == ["menu:news"]
    assert chat.store.user("web", "u1").topics == []
    assert texts(chat.send("hủy nhận tin")) == [t("unsubscribe.none")]


def test_news_menu_and_unsubscribe_button(chat: Chat, t) -> None:
    [choose] = chat.press("menu:news")
    assert choose.text == t("subscribe.choose")
    assert "unsub:all" not in payloads(choose)
    chat.press("sub:dat-dai-xay-dung")
    assert chat.store.user("web", "u1").topics == ["dat-dai-xay-dung"]
    [bye] = chat.press("unsub:all")
    assert bye.text == t("unsubscribe_intro")
    assert chat.store.user("web", "u1").topics == []
    assert texts(chat.press("unsub:all")) == [t("unsubscribe.none")]


def test_unknown_news_topic_is_refused(chat: Chat, t) -> None:
    chat.send("đăng ký nhận tin")
    chat.press("sub:cchc")
    for payload in ("sub:nope", "sub:ho-tich", "sub:", "sub:CCHC"):
        assert texts(chat.press(payload)) == [t("button.unknown")]
    assert chat.store.user("web", "u1").topics == ["cchc"]


# --- Personal data ----------------------------------------------------------------------


def test_delete_my_data_asks_first_and_keep_keeps(chat: Chat, t) -> None:
    chat.send("đăng ký nhận tin")
    chat.press("sub:cchc")
    [confirm] = chat.send("xóa dữ liệu của tôi")
    assert confirm.text == t("privacy.confirm")
    assert payloads(confirm) == ["privacy:delete", "privacy:keep"]
    assert [b.label for b in confirm.buttons] == [t("privacy.delete_button"),
                                                  t("privacy.keep_button")]
    before = chat.store.counts()
    assert texts(chat.press("privacy:keep")) == [t("privacy.kept")]
    after = chat.store.counts()
    assert after["messages"] == before["messages"] + 2
    assert chat.store.user("web", "u1").topics == ["cchc"]


def _history_of_u1(chat: Chat) -> str:
    chat.send("cấp lại căn cước công dân bị mất")
    chat.press("menu:rate")
    chat.press("flow:choice:visit")
    chat.send("4")
    chat.send("Tốt")
    chat.send("đăng ký nhận tin")
    chat.press("sub:cchc")
    return chat.petition(content="Đèn đường ở tổ 5 bị hỏng đã hai tuần")


def test_delete_my_data_removes_it_and_anonymises_petitions(chat: Chat, t) -> None:
    code = _history_of_u1(chat)
    chat.send("xin chào", user="u2")
    chat.send("Anh ơi, XÓA DỮ LIỆU CỦA TÔI đi")
    [done] = chat.press("privacy:delete")
    assert done.text == t("privacy.deleted", petitions=1)

    def mine(table: str) -> int:
        return chat.rows(f"SELECT count(*) AS n FROM {table} WHERE user_id = 'u1'")[0]["n"]

    assert (mine("ratings"), mine("answers"), mine("unanswered"), mine("sessions")) == (
        0, 0, 0, 0)
    said = {row["text"] for row in chat.rows("SELECT text FROM messages WHERE user_id = 'u1'")}
    assert not said & {"cấp lại căn cước công dân bị mất", NAME, PHONE, "Tốt"}
    assert chat.store.user("web", "u1") is None or chat.store.user("web", "u1").topics == []
    assert chat.rows("SELECT count(*) AS n FROM messages WHERE user_id = 'u2'")[0]["n"] == 2

    petition = chat.store.petition_by_code(code)
    assert petition is not None and petition.anonymised
    assert (petition.user_id, petition.name, petition.phone, petition.email) == (
        None, None, None, None)
    assert petition.content == "Đèn đường ở tổ 5 bị hỏng đã hai tuần"
    assert texts(chat.send(code)) == [t("status.not_found", code=code)]
    assert texts(chat.press("menu:mine")) == [t("status.none")]


def test_delete_my_data_leaves_no_messages(chat: Chat) -> None:
    _history_of_u1(chat)
    chat.send("xóa dữ liệu của tôi")
    chat.press("privacy:delete")
    assert chat.rows("SELECT text FROM messages WHERE user_id = 'u1'") == []


# --- Small talk, help, out of scope, contacts, online help --------------------------------


@pytest.mark.parametrize("text, key", [("xin chào", "smalltalk_hello"),
                                       ("cảm ơn bạn nhiều", "smalltalk_thanks"),
                                       ("tạm biệt", "smalltalk_bye")])
def test_small_talk(chat: Chat, t, text: str, key: str) -> None:
    turn = chat.turn(text)
    assert turn.understanding.intent == "smalltalk"
    assert texts(turn.replies) == [t(key)]


@pytest.mark.parametrize("text", ["giúp tôi", "bạn giúp được gì"])
def test_help_shows_the_help_text_and_the_menu(chat: Chat, t, text: str) -> None:
    turn = chat.turn(text)
    assert turn.understanding.intent == "help"
    help_, menu = turn.replies
    assert help_.text == t("help")
    assert menu.text == t("menu_title")
    assert payloads(menu) == [payload for _, payload in MAIN_MENU]


@pytest.mark.parametrize("text", ["giá vàng hôm nay", "thời tiết hôm nay thế nào"])
def test_out_of_scope_is_said_and_recorded(chat: Chat, t, text: str) -> None:
    turn = chat.turn(text)
    assert turn.understanding.intent == "out_of_scope"
    assert turn.replies[0].text.startswith(t("out_of_scope"))
    assert [(r["question"], r["reason"], r["user_id"]) for r in chat.rows(
        "SELECT * FROM unanswered")] == [(text, "out_of_scope", "u1")]
    assert chat.store.counts()["answers"] == 0


def test_contact_question(chat: Chat, t, knowledge: Knowledge) -> None:
    turn = chat.turn("cho xin số hotline")
    assert turn.understanding.intent == "contact"
    assert turn.replies[0].text.startswith(t("contact.intro"))
    assert turn.replies == contacts.handle(turn.understanding, knowledge)
    [shown] = chat.press("menu:contacts")
    assert shown.text.startswith(t("contact.intro"))


def test_online_help_question(chat: Chat, t, knowledge: Knowledge) -> None:
    turn = chat.turn("quên mật khẩu dịch vụ công")
    assert turn.understanding.intent == "online_help"
    assert turn.replies == online_help.handle(turn.understanding, knowledge)
    assert turn.replies[0].text.startswith("💡")
    [menu] = chat.press("menu:online")
    assert menu.text == t("online_help.menu")
    guides = knowledge.handkept.guides
    assert payloads(menu) == [f"guide:{guide.id}" for guide in guides]
    [guide] = chat.press(f"guide:{guides[0].id}")
    assert guide.text.startswith(f"💡 {guides[0].title['vi']}")


def test_cancel_with_nothing_in_progress(chat: Chat, t) -> None:
    [reply] = chat.send("hủy")
    assert reply.text == t("form.nothing_to_cancel")
    assert payloads(reply) == ["menu"]


def test_menu_during_a_form_asks_before_dropping_the_draft(chat: Chat, t) -> None:
    chat.press("menu:petition")
    chat.send("đồng ý")
    chat.send(CONTENT)
    [asked] = chat.send("menu")
    assert asked.text == t("form.leave_confirm", form=t("form.name.petition"))
    assert payloads(asked) == ["flow:resume", "flow:drop_menu"]
    assert chat.session().data["content"] == CONTENT
    [agency] = chat.press("flow:resume")
    assert agency.text.startswith(t("petition.ask_agency"))
    [asked] = chat.press("menu")
    assert asked.text == t("form.leave_confirm", form=t("form.name.petition"))
    [menu] = chat.press("flow:drop_menu")
    assert menu.text == t("menu_title")
    assert chat.session().flow is None
