"""Answers about one procedure (handlers/procedures.py, handlers/procedure_facts.py), built
from real records of the committed knowledge.

Facts are stated only where the importer parsed them with confidence; otherwise the answer
says so and points to the source. Every answer carries the record's source page.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest

from bot.dialogue import Dialogue, offline_dialogue
from bot.messages import Incoming
from handlers import procedure_facts as facts
from handlers.procedures import (
    FIRST_MESSAGE_CHARS,
    answer,
    aspect_payload,
    choice,
    parse_aspect_payload,
)
from knowledge.base import Knowledge
from knowledge.nlu.aspects import ASPECTS, OVERVIEW

PERMANENT_RESIDENCE = "1.004222"   # fee 10.000 đồng online, 20.000 đồng in person
HOUSEHOLD_BUSINESS = "1.001612"    # fee set by the provincial People's Council
# Customs procedure whose time cell is a bare "1" (no unit: ok false) and whose fee was not
# parsed with confidence either.
UNPARSED_TIME = "1.000005"

ALL_ASPECTS = (*ASPECTS, OVERVIEW)
# A spread of real records over the catalogue (every ~130th code), plus the two above.
SAMPLE_CODES = (
    "1.000005", "1.000828", "1.001737", "1.002845", "1.003593", "1.004417", "1.007638",
    "1.008510", "1.009393", "1.009821", "1.011478", "1.012785", "1.013438", "1.014154",
    "1.014740", "2.000511", "2.001337", "2.002467", "3.000198", "3.000508",
    PERMANENT_RESIDENCE, HOUSEHOLD_BUSINESS,
)
# A stated duration: a number followed by a time unit.
DURATION_RE = re.compile(r"\d+\s*(?:ngày|giờ|tháng)", re.IGNORECASE)


@pytest.fixture(scope="module")
def dialogue(knowledge: Knowledge) -> Dialogue:
    return offline_dialogue(knowledge)


def record(knowledge: Knowledge, code: str) -> dict:
    return knowledge.procedures[code]


# --- fees -----------------------------------------------------------------------------------

def line_with(text: str, *parts: str) -> str | None:
    """The first line of the text that contains every part, if any."""
    return next((line for line in text.splitlines() if all(p in line for p in parts)), None)


def test_fee_answer_states_each_mode_fee(knowledge: Knowledge, t) -> None:
    text = answer(record(knowledge, PERMANENT_RESIDENCE), "fee", t).text
    online = line_with(text, t("mode.online"), "10.000 đồng")
    in_person = line_with(text, t("mode.in_person"), "20.000 đồng")
    assert online and "20.000" not in online
    assert in_person and "10.000" not in in_person


def test_fee_answer_starts_with_the_procedure_name_and_code(knowledge: Knowledge, t) -> None:
    text = answer(record(knowledge, PERMANENT_RESIDENCE), "fee", t).text
    assert text.startswith(t("proc.title", name="Đăng ký thường trú", code=PERMANENT_RESIDENCE))
    assert t("heading.fee") in text


def test_province_decided_fee_says_the_provincial_council_decides(knowledge: Knowledge,
                                                                   t) -> None:
    text = answer(record(knowledge, HOUSEHOLD_BUSINESS), "fee", t).text
    assert t("fee.province_decides") in text
    assert t("fee.province_note") in text


def test_province_decided_fee_does_not_state_the_amount_as_fixed(knowledge: Knowledge,
                                                                 t) -> None:
    rec = record(knowledge, HOUSEHOLD_BUSINESS)
    amounts = {mode["fee"]["amount"] for mode in rec["modes"]["items"]}
    assert amounts, "the record should carry the amounts the portal lists"
    for mode_answer in (answer(rec, "fee", t).text, answer(rec, OVERVIEW, t).text):
        for amount in amounts:
            assert facts.format_vnd(amount) not in mode_answer
            assert facts.format_vnd(amount).removesuffix(" đồng") not in mode_answer


def test_unparsed_time_is_said_to_be_unknown(knowledge: Knowledge, t) -> None:
    rec = record(knowledge, UNPARSED_TIME)
    times = [mode["time"] for mode in rec["modes"]["items"]]
    # The portal gave a bare number without a unit; the importer marked it not ok.
    assert all(not time["ok"] for time in times)
    assert any(time["amount"] is not None for time in times)
    text = answer(rec, "duration", t).text
    assert t("fact.unknown") in text
    assert not DURATION_RE.search(text)


def test_unparsed_fee_is_said_to_be_unknown(knowledge: Knowledge, t) -> None:
    rec = record(knowledge, UNPARSED_TIME)
    fees = [mode["fee"] for mode in rec["modes"]["items"]]
    assert all(not fee["ok"] and fee["amount"] for fee in fees)
    text = answer(rec, "fee", t).text
    assert t("fact.unknown") in text
    assert "đồng" not in text
    for fee in fees:
        assert facts.format_vnd(fee["amount"]) not in text


def test_overview_of_an_unparsed_record_states_no_number(knowledge: Knowledge, t) -> None:
    text = answer(record(knowledge, UNPARSED_TIME), OVERVIEW, t).text
    assert not DURATION_RE.search(text)
    assert "đồng" not in text


# --- every answer ---------------------------------------------------------------------------

@pytest.mark.parametrize("code", SAMPLE_CODES)
def test_every_answer_gives_the_source_once_as_its_link(knowledge: Knowledge, t,
                                                        code: str) -> None:
    rec = record(knowledge, code)
    for aspect in ALL_ASPECTS:
        reply = answer(rec, aspect, t)
        assert [link.url for link in reply.links] == [rec["source_url"]], aspect
        # The link button (one line on Zalo) carries it; the text does not repeat it.
        assert rec["source_url"] not in reply.text, aspect


@pytest.mark.parametrize("code", SAMPLE_CODES)
def test_first_message_fits_a_phone_screen(knowledge: Knowledge, t, code: str) -> None:
    rec = record(knowledge, code)
    for aspect in ALL_ASPECTS:
        text = answer(rec, aspect, t).text
        assert len(text) <= FIRST_MESSAGE_CHARS, (aspect, len(text))


@pytest.mark.slow
def test_first_message_fits_for_every_record_and_aspect(knowledge: Knowledge, t) -> None:
    # Catches the off-by-one cases of cutting a long last line (about 1 s for the catalogue).
    too_long = [(code, aspect, len(text)) for code, rec in knowledge.procedures.items()
                for aspect in ALL_ASPECTS
                if len(text := answer(rec, aspect, t).text) > FIRST_MESSAGE_CHARS]
    assert too_long == []


@pytest.mark.parametrize("aspect", ALL_ASPECTS)
def test_answer_has_the_title_and_the_aspect_heading(knowledge: Knowledge, t,
                                                     aspect: str) -> None:
    text = answer(record(knowledge, PERMANENT_RESIDENCE), aspect, t).text
    assert f"{PERMANENT_RESIDENCE}" in text.splitlines()[1]
    if aspect != OVERVIEW:
        assert t(f"heading.{aspect}") in text


def test_unknown_aspect_falls_back_to_the_overview(knowledge: Knowledge, t) -> None:
    rec = record(knowledge, PERMANENT_RESIDENCE)
    assert answer(rec, "nonsense", t) == answer(rec, OVERVIEW, t)


# --- buttons --------------------------------------------------------------------------------

@pytest.mark.parametrize("aspect", ALL_ASPECTS)
def test_buttons_offer_the_other_aspects(knowledge: Knowledge, t, aspect: str) -> None:
    reply = answer(record(knowledge, PERMANENT_RESIDENCE), aspect, t)
    # The documents answer puts its cases first; the other aspects always end the buttons.
    parts = [button for button in reply.buttons if button.payload.startswith("proc:")]
    assert reply.buttons[-len(parts):] == tuple(parts)
    offered = [parse_aspect_payload(button.payload) for button in parts]
    assert offered == [(PERMANENT_RESIDENCE, other) for other in ASPECTS if other != aspect]
    assert [button.payload for button in parts] == \
        [f"proc:{PERMANENT_RESIDENCE}:{other}" for other in ASPECTS if other != aspect]


def test_buttons_are_labelled_with_the_aspect_texts(knowledge: Knowledge, t) -> None:
    reply = answer(record(knowledge, PERMANENT_RESIDENCE), "fee", t)
    assert [button.label for button in reply.buttons] == \
        [t(f"aspect.{other}") for other in ASPECTS if other != "fee"]


@pytest.mark.parametrize("aspect", ALL_ASPECTS)
def test_aspect_payload_round_trips(aspect: str) -> None:
    assert parse_aspect_payload(aspect_payload("2.000635", aspect)) == ("2.000635", aspect)


@pytest.mark.parametrize("payload", [
    "", "proc", "proc:1.004222", "proc:1.004222:fee:extra", "proc:1.004222:price",
    "guide:vneid", "PROC:1.004222:fee",
])
def test_parse_aspect_payload_rejects_malformed_payloads(payload: str) -> None:
    assert parse_aspect_payload(payload) is None


@dataclass(frozen=True)
class Candidate:
    code: str
    name: str


def test_choice_offers_each_candidate_for_the_asked_aspect(t) -> None:
    candidates = [Candidate("1.004194", "Đăng ký tạm trú"),
                  Candidate("1.004222", "Đăng ký thường trú")]
    reply = choice(candidates, "fee", t)
    assert reply.text == t("ask_which", count=len(candidates))
    assert [parse_aspect_payload(b.payload) for b in reply.buttons] == \
        [(c.code, "fee") for c in candidates]
    assert [b.label for b in reply.buttons] == [c.name for c in candidates]


def test_choice_without_an_aspect_offers_the_overview(t) -> None:
    reply = choice([Candidate("1.004194", "Đăng ký tạm trú")], None, t)
    assert parse_aspect_payload(reply.buttons[0].payload) == ("1.004194", OVERVIEW)


# --- button presses through the dialogue ----------------------------------------------------

def test_button_press_answers_that_aspect(knowledge: Knowledge, t, dialogue: Dialogue) -> None:
    turn = dialogue.turn(Incoming("test", "u1", button=aspect_payload(PERMANENT_RESIDENCE, "fee")))
    assert turn.replies[0] == answer(record(knowledge, PERMANENT_RESIDENCE), "fee", t)
    assert turn.replies[1].text == t("helpful.question")


@pytest.mark.parametrize("payload", [
    "",
    "garbage",
    "proc:9.999999:fee",               # a code that does not exist (or no longer does)
    "proc:1.004222:price",             # an aspect that does not exist
    "proc:1.004222",
    "proc::fee",
    "proc:1.004222:fee:extra",
    "guide:no-such-guide",
    "guide:",
    "x" * 5000,
])
def test_forged_or_stale_button_gets_a_polite_reply(t, dialogue: Dialogue,
                                                    payload: str) -> None:
    turn = dialogue.turn(Incoming("test", "u1", button=payload))
    assert [reply.text for reply in turn.replies] == [t("button.unknown")]


# --- facts ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("amount", "text"), [(10000, "10.000 đồng"), (0, "0 đồng"),
                                              (1500000, "1.500.000 đồng"), (500, "500 đồng")])
def test_format_vnd_uses_dots_between_thousands(amount: float, text: str) -> None:
    assert facts.format_vnd(amount) == text


def test_duration_of_a_parsed_time_is_stated(knowledge: Knowledge, t) -> None:
    text = "\n".join(facts.duration_lines(record(knowledge, PERMANENT_RESIDENCE), t))
    assert line_with(text, t("mode.online"), t("duration.working_days", amount="7"))
    assert line_with(text, t("mode.in_person"), t("duration.working_days", amount="7"))


def test_fee_text_does_not_state_an_amount_that_is_not_ok(t) -> None:
    fee = {"ok": False, "amount": 20000, "currency": "VND", "free": False,
           "province_decides": False, "per": None}
    assert facts.fee_text(fee, t) == t("fact.unknown")


def test_shorten_cuts_at_a_word_and_marks_the_cut() -> None:
    shortened = facts.shorten("Giấy tờ chứng minh chỗ ở hợp pháp của người đăng ký", 20)
    assert len(shortened) <= 20
    assert shortened.endswith("…")
    assert "Giấy tờ chứng minh".startswith(shortened.removesuffix("…"))


# --- labels of procedures offered side by side ---------------------------------------------

def test_choice_labels_lose_the_shared_words_not_the_ends() -> None:
    from handlers.procedure_facts import distinct_labels

    names = ["Cấp giấy chứng nhận kiểm dịch động vật, sản phẩm động vật trên cạn vận chuyển "
             "ra khỏi địa bàn cấp tỉnh",
             "Cấp giấy chứng nhận kiểm dịch động vật, sản phẩm động vật thủy sản vận chuyển "
             "ra khỏi địa bàn cấp tỉnh"]
    labels = distinct_labels(names, ["a", "b"], 60)
    assert len(set(labels)) == 2
    assert all(len(label) <= 60 for label in labels)
    assert "trên cạn" in labels[0] and "thủy sản" in labels[1]


def test_short_distinct_labels_are_the_names() -> None:
    from handlers.procedure_facts import distinct_labels

    assert distinct_labels(["Đăng ký tạm trú", "Xóa đăng ký tạm trú"], ["a", "b"], 60) == [
        "Đăng ký tạm trú", "Xóa đăng ký tạm trú"]


def test_the_same_name_twice_is_told_apart_by_its_code() -> None:
    from handlers.procedure_facts import distinct_labels

    labels = distinct_labels(["Hỗ trợ phát triển sản xuất cộng đồng."] * 2,
                             ["2.001709", "1.002544"], 60)
    assert labels[0] != labels[1]
    assert "2.001709" in labels[0] and "1.002544" in labels[1]


def test_no_choice_of_the_real_ranking_shows_two_labels_alike(knowledge, t) -> None:
    from handlers.procedures import handle
    from knowledge.nlu.understand import Understander

    understander = Understander(knowledge)
    for question in ("kiểm dịch động vật vận chuyển ra khỏi tỉnh", "giấy phép", "đăng kiểm xe",
                     "chứng chỉ hành nghề", "cấp lại giấy chứng nhận"):
        for reply in handle(understander.understand(question), knowledge):
            labels = [button.label for button in reply.buttons]
            assert len(set(labels)) == len(labels), (question, labels)


def test_a_note_that_the_file_is_done_the_same_day_is_said_beside_the_longest_time(
        knowledge: Knowledge, t) -> None:
    # Security-interest registrations: the cell says 3 working days, the note that a valid
    # file is registered the day it is received (the next working day after 15 giờ).
    text = answer(knowledge.procedures["1.011435"], "duration", t).text
    assert "trong ngày làm việc nhận được hồ sơ hợp lệ" in text and "sau 15 giờ" in text
    assert "3 ngày làm việc" in text


def test_an_address_given_alone_comes_with_the_office_there(knowledge: Knowledge, t) -> None:
    text = answer(knowledge.procedures["1.004417"], "where", t).text
    assert "Cục Hàng không Việt Nam — 119 Nguyễn Sơn" in text


def test_the_ways_of_submitting_say_when_there_is_only_one(knowledge: Knowledge, t) -> None:
    online_only = answer(knowledge.procedures["1.115132"], "where", t).text
    assert "Chỉ nộp trực tuyến" in online_only and "Có thể nộp trực tuyến" not in online_only
    in_person_only = answer(knowledge.procedures["1.008603"], "where", t).text
    assert "Chỉ nộp trực tiếp" in in_person_only
