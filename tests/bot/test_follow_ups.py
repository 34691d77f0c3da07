"""Follow-ups read against the conversation's procedure, through the dialogue core.

A citizen asks about a procedure, then follows up the way people do with a clerk: a part of it
("mất bao lâu"), a case of it ("thế còn người nước ngoài?"), or a question of their own. The
topic lives in the store (conversation_topics), so it survives a restart and is shared by
workers, and it lapses after BOT_TOPIC_MINUTES.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from bot.config import Settings
from bot.dialogue import Dialogue
from bot.messages import Incoming
from bot.storage import Store
from knowledge.base import Knowledge
from tests.bot.test_conversation import FRIDAY, SETTINGS, Chat

TEMPORARY_RESIDENCE = "1.004194"
BIRTH = "1.001193"
BIRTH_FOREIGN = "2.000528"
BIRTH_MOBILE = "1.003583"
ID_CARD = "1.014061"
ID_CARD_CHILD = ("1.014062", "1.012549", "1.012543")
ID_CARD_LOST = ("1.014064", "2.001194", "1.000757")
ONE_MEMBER_COMPANY = "2.001583"
TWO_MEMBER_COMPANY = "2.001199"
MARRIAGE = "1.000894"


class Clock:
    def __init__(self) -> None:
        self.now = FRIDAY

    def __call__(self):
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def chat(knowledge: Knowledge, tmp_path: Path, clock: Clock):
    opened = Chat(knowledge, tmp_path / "bot.db", clock=clock)
    yield opened
    opened.close()


def read(chat: Chat, text: str, user: str = "u1"):
    """How the bot read the message, and its replies' texts."""
    turn = chat.turn(text, user=user)
    return turn.understanding, [reply.text for reply in turn.replies]


@pytest.mark.parametrize(("follow_up", "aspect"), [
    ("còn lệ phí?", "fee"),
    ("còn lệ phí thì sao?", "fee"),
    ("mất bao lâu", "duration"),
    ("mat bao lau", "duration"),
    ("nộp ở đâu", "where"),
    ("làm ở đâu", "where"),
    ("làm online được không", "online"),
    ("nộp online được không?", "online"),
    ("cần mang gì", "documents"),
    ("điều kiện gì", "conditions"),
    ("các bước thế nào", "steps"),
    ("nhận kết quả ở đâu", "result"),
])
def test_an_aspect_alone_answers_that_part_of_the_procedure_just_answered(
        chat: Chat, t, follow_up: str, aspect: str) -> None:
    first, _ = read(chat, "đăng ký tạm trú")
    assert first.procedure.code == TEMPORARY_RESIDENCE and first.context is None

    understanding, texts = read(chat, follow_up)

    assert understanding.procedure.code == TEMPORARY_RESIDENCE
    assert understanding.aspect == aspect
    assert understanding.context == TEMPORARY_RESIDENCE
    assert "Đăng ký tạm trú" in texts[0] and t(f"heading.{aspect}") in texts[0]
    assert chat.session().flow is None, "a follow-up never opens a form"


def test_a_part_asked_with_a_word_or_two_more_stays_on_the_procedure(chat: Chat) -> None:
    read(chat, "đăng ký tạm trú")
    understanding, _ = read(chat, "xong thì được nhận giấy tờ gì, có biên nhận không")
    assert (understanding.procedure.code, understanding.aspect) == (TEMPORARY_RESIDENCE,
                                                                    "result")
    assert understanding.context == TEMPORARY_RESIDENCE


def test_follow_ups_chain_and_each_becomes_the_topic(chat: Chat) -> None:
    read(chat, "đăng ký tạm trú")
    read(chat, "mất bao lâu")
    understanding, _ = read(chat, "còn lệ phí thì sao?")
    assert (understanding.procedure.code, understanding.aspect) == (TEMPORARY_RESIDENCE, "fee")
    topic = chat.store.conversation_topic("web", "u1")
    assert (topic.procedure_code, topic.aspect) == (TEMPORARY_RESIDENCE, "fee")


@pytest.mark.parametrize(("first", "follow_up", "sibling"), [
    ("đăng ký khai sinh", "thế còn người nước ngoài?", (BIRTH_FOREIGN,)),
    ("đăng ký khai sinh", "nếu làm lưu động", (BIRTH_MOBILE,)),
    ("làm căn cước công dân", "con em dưới 14 tuổi", ID_CARD_CHILD),
    ("làm căn cước công dân", "con em mới 10 tuổi thì sao", ID_CARD_CHILD),
    ("làm căn cước công dân", "bị mất thì sao", ID_CARD_LOST),
    ("thành lập công ty tnhh một thành viên", "hai thành viên thì sao", (TWO_MEMBER_COMPANY,)),
])
def test_a_case_alone_moves_to_the_sibling_procedure_and_says_so(
        chat: Chat, t, first: str, follow_up: str, sibling: tuple[str, ...]) -> None:
    before, _ = read(chat, first)

    understanding, texts = read(chat, follow_up)

    assert understanding.procedure.code in sibling
    assert understanding.context == before.procedure.code
    assert texts[0] == t("follow_up.sibling")
    record = chat.knowledge.procedures[understanding.procedure.code]
    assert understanding.procedure.code in texts[1] and record["name"][:40] in texts[1]


def test_a_case_follow_up_keeps_the_part_asked_before(chat: Chat) -> None:
    read(chat, "đăng ký khai sinh mất bao lâu")
    understanding, _ = read(chat, "thế còn người nước ngoài?")
    assert (understanding.procedure.code, understanding.aspect) == (BIRTH_FOREIGN, "duration")


def test_a_question_of_its_own_switches_topic(chat: Chat) -> None:
    read(chat, "đăng ký tạm trú")
    understanding, _ = read(chat, "đăng ký kết hôn cần giấy tờ gì")
    assert (understanding.procedure.code, understanding.aspect) == (MARRIAGE, "documents")
    assert understanding.context is None
    understanding, _ = read(chat, "mất bao lâu")
    assert (understanding.procedure.code, understanding.context) == (MARRIAGE, MARRIAGE)


def test_another_intent_in_between_keeps_the_topic(chat: Chat) -> None:
    read(chat, "đăng ký tạm trú")
    contact, _ = read(chat, "cho xin số điện thoại hỗ trợ")
    assert contact.intent == "contact" and contact.context is None
    understanding, _ = read(chat, "còn lệ phí?")
    assert (understanding.procedure.code, understanding.aspect) == (TEMPORARY_RESIDENCE, "fee")


def test_a_button_press_sets_the_topic(chat: Chat) -> None:
    chat.press(f"proc:{BIRTH}:fee")
    understanding, _ = read(chat, "nộp ở đâu")
    assert (understanding.procedure.code, understanding.aspect) == (BIRTH, "where")


def test_each_citizen_has_their_own_topic(chat: Chat) -> None:
    read(chat, "đăng ký tạm trú", user="u1")
    read(chat, "đăng ký khai sinh", user="u2")
    assert read(chat, "mất bao lâu", user="u1")[0].procedure.code == TEMPORARY_RESIDENCE
    assert read(chat, "mất bao lâu", user="u2")[0].procedure.code == BIRTH


@pytest.mark.parametrize("bare", ["mất bao lâu", "làm ở đâu", "cần mang gì", "hết bao nhiêu tiền"])
def test_an_aspect_with_no_topic_asks_which_procedure_and_opens_no_form(
        chat: Chat, t, bare: str) -> None:
    understanding, texts = read(chat, bare)
    assert understanding.procedure is None and understanding.asks_which_procedure
    assert texts == [t("procedure.which")]
    assert chat.session().flow is None
    assert chat.store.counts()["unanswered"] == 0, "not a gap in the knowledge"


def test_online_asked_with_no_topic_is_about_online_services(chat: Chat) -> None:
    understanding, _ = read(chat, "nộp online được không?")
    assert understanding.intent == "online_help"


def test_the_topic_lapses_after_the_configured_minutes(chat: Chat, clock: Clock, t) -> None:
    read(chat, "đăng ký tạm trú")
    clock.now += timedelta(minutes=SETTINGS.topic_minutes - 1)
    assert read(chat, "mất bao lâu")[0].procedure.code == TEMPORARY_RESIDENCE
    clock.now += timedelta(minutes=SETTINGS.topic_minutes + 1)
    understanding, texts = read(chat, "còn lệ phí?")
    assert understanding.procedure is None and texts == [t("procedure.which")]


def test_the_topic_minutes_come_from_the_settings(knowledge: Knowledge, tmp_path: Path) -> None:
    assert Settings.from_env({"BOT_TOPIC_MINUTES": "5"}).topic_minutes == 5
    clock = Clock()
    with Store(tmp_path / "bot.db") as store:
        dialogue = Dialogue(knowledge, store, replace(SETTINGS, topic_minutes=5), clock=clock)
        dialogue.handle(Incoming("web", "u", text="đăng ký tạm trú"))
        clock.now += timedelta(minutes=6)
        assert dialogue.turn(Incoming("web", "u", text="mất bao lâu")).understanding.procedure \
            is None


def test_the_topic_survives_a_restart_and_is_shared_by_workers(
        knowledge: Knowledge, tmp_path: Path) -> None:
    path = tmp_path / "bot.db"
    clock = Clock()
    with Store(path) as first_store:
        first = Dialogue(knowledge, first_store, SETTINGS, clock=clock)
        first.handle(Incoming("zalo", "z1", text="đăng ký khai sinh"))
        with Store(path) as second_store:
            second = Dialogue(knowledge, second_store, SETTINGS, clock=clock)
            turn = second.turn(Incoming("zalo", "z1", text="thế còn người nước ngoài?"))
            assert turn.understanding.procedure.code == BIRTH_FOREIGN
    with Store(path) as restarted:
        again = Dialogue(knowledge, restarted, SETTINGS, clock=clock)
        turn = again.turn(Incoming("zalo", "z1", text="cần giấy tờ gì"))
        assert (turn.understanding.procedure.code, turn.understanding.aspect) == (
            BIRTH_FOREIGN, "documents")


def test_a_case_told_in_full_keeps_the_part_asked_before(chat: Chat) -> None:
    read(chat, "đăng ký kết hôn làm ở đâu")
    understanding, _ = read(chat, "nếu phải đăng ký lại kết hôn vì cả giấy lẫn sổ ở xã đều "
                                  "mất thì sao")
    assert (understanding.procedure.code, understanding.aspect) == ("1.004746", "where")
    assert understanding.context == MARRIAGE


def test_the_deceased_is_no_lost_paper(chat: Chat) -> None:
    read(chat, "đăng ký khai tử cần những giấy tờ gì")
    understanding, _ = read(chat, "người mất là người nước ngoài thì sao")
    assert understanding.procedure.code == "1.001766"
    assert understanding.aspect == "documents"


@pytest.mark.parametrize(("message", "intent"), [("xin chào", "smalltalk"), ("cảm ơn", "smalltalk"),
                                                 ("giá vàng hôm nay", "out_of_scope")])
def test_small_talk_after_an_answer_is_small_talk(chat: Chat, message: str, intent: str) -> None:
    read(chat, "làm căn cước ở đâu")
    understanding, _ = read(chat, message)
    assert understanding.intent == intent
    assert understanding.procedure is None and understanding.context is None
