"""Answers about one procedure: exactly the part asked, then the others as buttons.

The first message fits a phone screen (about 600 characters): the official name and code, the
part asked, where to submit and whether it can be done online, and the source link.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date

from bot.messages import Button, Link, Reply
from handlers import documents
from handlers import procedure_facts as facts
from handlers.contacts import contact_lines, contacts_for
from knowledge.base import Knowledge
from knowledge.nlu.aspects import ASPECTS, OVERVIEW
from knowledge.nlu.ranking import RankedProcedure
from knowledge.nlu.understand import Understanding

Text = Callable[..., str]

FIRST_MESSAGE_CHARS = 600
# A button's label: what a phone shows whole on every channel (Telegram's LABEL_LIMIT too).
LABEL_CHARS = 60
# The title (name, code) and the part's heading, above the first line of an answer's body.
HEADER_LINES = 3
# Other cases of the documents offered as buttons (the rest are at the source).
MAX_CASE_BUTTONS = 5
MAX_CASES_TO_CHOOSE = 8

# The lines of each part but the fee, which is read against a date (_body).
_ASPECT_LINES: dict[str, Callable[[Mapping, Text], list[str]]] = {
    "documents": facts.document_lines,
    "duration": facts.duration_lines,
    "where": facts.where_lines,
    "online": facts.online_lines,
    "steps": facts.step_lines,
    "result": facts.result_lines,
    "conditions": facts.condition_lines,
}


def aspect_payload(code: str, aspect: str) -> str:
    return f"proc:{code}:{aspect}"


def parse_aspect_payload(payload: str) -> tuple[str, str] | None:
    """(code, aspect) from a button payload, or None if it is not a well-formed one."""
    parts = payload.split(":")
    if len(parts) != 3 or parts[0] != "proc":
        return None
    code, aspect = parts[1], parts[2]
    if aspect not in (*ASPECTS, OVERVIEW):
        return None
    return code, aspect


def answer(record: Mapping, aspect: str, t: Text, today: date | None = None) -> Reply:
    """The reply for one aspect of a procedure, with the other aspects as buttons. The source
    is the reply's link (a button on the web and Telegram, one line on Zalo), not a URL in
    the text. `today` (default: the date now) is what dated fee rules are read against."""
    aspect = aspect if aspect in ASPECTS else OVERVIEW
    if aspect == "documents" and (record.get("documents") or {}).get("ok"):
        return documents_reply(record, documents.GENERAL, 0, t)
    text = _fit("\n".join([_title(record, t), *_body(record, aspect, t, today)]), t)
    return Reply(text, _aspect_buttons(record, aspect, t), _source_links(record, t))


def documents_reply(record: Mapping, case: str, start: int, t: Text) -> Reply | None:
    """A page of documents: the general case (or the case asked) from `start`, a button for
    the next page, buttons for the other cases, then the other parts of the procedure."""
    head = [_title(record, t), t("heading.documents")]
    tail = [_where_and_online(record, t)] if start == 0 else []
    room = FIRST_MESSAGE_CHARS - sum(len(line) + 1 for line in head + tail)
    shown = documents.page(record, t, case, start, room)
    if shown is None:
        return None
    lines = [*head, *shown.lines, *tail]
    buttons: list[Button] = []
    if shown.next_start is not None:
        buttons.append(Button(t("documents.next", count=shown.remaining),
                              documents.payload(record["code"], case, shown.next_start)))
    labels = facts.distinct_labels([label for _, label in shown.other_cases],
                                   [case_id for case_id, _ in shown.other_cases], LABEL_CHARS)
    # A citizen who must choose sees every case (up to a screenful); beside the general
    # case, the first few.
    most = MAX_CASES_TO_CHOOSE if shown.choosing else MAX_CASE_BUTTONS
    buttons += [Button(label, documents.payload(record["code"], case_id))
                for (case_id, _), label in list(zip(shown.other_cases, labels,
                                                    strict=True))[:most]]
    if case != documents.GENERAL and any(g.get("general") for g in documents.groups_of(record)):
        buttons.append(Button(t("documents.general_button"),
                              documents.payload(record["code"], documents.GENERAL)))
    buttons += _aspect_buttons(record, "documents", t)
    return Reply("\n".join(lines), tuple(buttons), _source_links(record, t))


def _title(record: Mapping, t: Text) -> str:
    return t("proc.title", name=facts.shorten(record["name"], 160), code=record["code"])


def _aspect_buttons(record: Mapping, aspect: str, t: Text) -> tuple[Button, ...]:
    return tuple(Button(t(f"aspect.{other}"), aspect_payload(record["code"], other))
                 for other in ASPECTS if other != aspect)


def _source_links(record: Mapping, t: Text) -> tuple[Link, ...]:
    return (Link(t("source_label"), record["source_url"]),)


def _body(record: Mapping, aspect: str, t: Text, today: date | None) -> list[str]:
    if aspect == OVERVIEW:
        return _overview(record, t, today)
    lines = [t(f"heading.{aspect}")] + (facts.fee_lines(record, t, today) if aspect == "fee"
                                        else _ASPECT_LINES[aspect](record, t))
    if aspect == "fee" and facts.province_decides_fee(record):
        lines.append(t("fee.province_note"))
    if aspect == "where":
        # Where to go, and whether the citizen need go at all: online, by post.
        lines += facts.online_lines(record, t)
    elif aspect != "online":
        lines.append(_where_and_online(record, t))
    return lines


def _overview(record: Mapping, t: Text, today: date | None) -> list[str]:
    lines = [_where_and_online(record, t)]
    lines.append(t("heading.fee") + " " + "; ".join(
        line.removeprefix("• ") for line in facts.fee_lines(record, t, today)))
    lines.append(t("heading.duration") + " " + "; ".join(
        line.removeprefix("• ") for line in facts.duration_lines(record, t)))
    return lines


def _where_and_online(record: Mapping, t: Text) -> str:
    where = " ".join(facts.where_lines(record, t)[:1])
    online = " ".join(facts.online_lines(record, t)[:1])
    return f"{where} {online}".strip()


def _fit(text: str, t: Text, limit: int = FIRST_MESSAGE_CHARS) -> str:
    """Cut whole lines so that the text and a line saying the rest is at the source fit in
    `limit` characters. A line is shortened (at a word) only when it is the first after the
    title and heading: a half line further down ("vốn điều lệ tối thiểu: 50…") misleads."""
    if len(text) <= limit:
        return text
    rest = t("proc.rest_at_source")
    # Each kept line costs its length plus a newline; the line about the rest follows.
    budget = limit - len(rest) - 1
    kept: list[str] = []
    used = 0
    for line in text.split("\n"):
        if used + len(line) + 1 > budget:
            room = budget - used - 1
            if len(kept) <= HEADER_LINES and room >= 40:
                kept.append(facts.shorten(line, room))
            break
        kept.append(line)
        used += len(line) + 1
    return "\n".join(kept + [rest])


def choice(candidates: Sequence[RankedProcedure], aspect: str | None, t: Text) -> Reply:
    """Asks which of several close procedures the citizen means."""
    return Reply(t("ask_which", count=len(candidates)),
                 _procedure_buttons(candidates, aspect or OVERVIEW))


def _procedure_buttons(procedures: Sequence[RankedProcedure],
                       aspect: str) -> tuple[Button, ...]:
    """One button per procedure, labelled so that no two read the same."""
    labels = facts.distinct_labels([p.name for p in procedures], [p.code for p in procedures],
                                   LABEL_CHARS)
    return tuple(Button(label, aspect_payload(p.code, aspect))
                 for label, p in zip(labels, procedures, strict=True))


def not_in_data(knowledge: Knowledge, body: str | None = None) -> Reply:
    """Said plainly when the records hold no procedure for the question (and whose procedure
    it is, when that is known): where to look it up, whom to call, and that a petition
    reaches the agency."""
    t = knowledge.handkept.text
    ids = (contacts_for(knowledge, "procedures") + contacts_for(knowledge, "support")
           + contacts_for(knowledge, "petition"))
    lines, links = contact_lines(knowledge, tuple(dict.fromkeys(ids)))
    said = t("procedure.not_in_data_body", body=body) if body else t("procedure.not_in_data")
    return Reply("\n".join([said, *lines]),
                 (Button(t("menu.petition"), "menu:petition"), Button(t("menu.button"), "menu")),
                 tuple(links))


def handle(understanding: Understanding, knowledge: Knowledge,
           today: date | None = None) -> list[Reply]:
    t = knowledge.handkept.text
    chosen = understanding.procedure
    if chosen is None:
        if understanding.alternatives:
            return [choice(understanding.alternatives, understanding.aspect, t)]
        if understanding.not_in_data:
            return [not_in_data(knowledge, understanding.outside_body)]
        return [Reply(t("procedure.which"), (Button(t("menu.topics"), "menu:topics"),))]
    replies = []
    if understanding.context is not None and understanding.context != chosen.code:
        # "Thế còn người nước ngoài?": the answer moves to another procedure; say so.
        replies.append(Reply(t("follow_up.sibling")))
    replies.append(answer(knowledge.procedures[chosen.code], understanding.aspect or OVERVIEW, t,
                          today))
    if understanding.alternatives:
        replies.append(Reply(t("procedure.related"),
                             _procedure_buttons(understanding.alternatives, OVERVIEW)))
    return replies
