"""Guides to the online public services: VNeID, submitting, paying, tracking, results by post."""

from __future__ import annotations

from datetime import date

from bot.messages import Button, Link, Reply
from handlers.context import Context
from handlers.intents import answers
from knowledge.base import Knowledge
from knowledge.nlu.understand import Understanding


def guide_payload(guide_id: str) -> str:
    return f"guide:{guide_id}"


def guide_reply(knowledge: Knowledge, guide_id: str) -> Reply | None:
    guide = next((g for g in knowledge.handkept.guides if g.id == guide_id), None)
    if guide is None:
        return None
    steps = [f"{number}. {step}" for number, step in enumerate(guide.steps, 1)]
    text = "\n".join([f"💡 {guide.title['vi']}", guide.summary, *steps])
    links = tuple(Link(link.label, link.url) for link in guide.links)
    others = tuple(Button(g.title["vi"], guide_payload(g.id))
                   for g in knowledge.handkept.guides if g.id != guide_id)[:4]
    return Reply(text, others, links)


def faq_reply(knowledge: Knowledge, faq_id: str) -> Reply | None:
    entry = next((e for e in knowledge.handkept.faq if e.id == faq_id), None)
    if entry is None:
        return None
    t = knowledge.handkept.text
    if entry.source.url:
        return Reply(f"❓ {entry.question}\n{entry.answer}",
                     links=(Link(t("source_label"), entry.source.url),))
    # An answer the agency wrote itself (knowledge/handkept/overrides.py) has no page to cite: the
    # agency is its source, on the day it was written.
    source = t("faq.agency_source", date=_day(entry.source.checked))
    return Reply(f"❓ {entry.question}\n{entry.answer}\n\n{source}")


def _day(iso_day: str) -> str:
    try:
        return date.fromisoformat(iso_day).strftime("%d/%m/%Y")
    except ValueError:
        return iso_day


def guide_menu(knowledge: Knowledge) -> Reply:
    t = knowledge.handkept.text
    buttons = tuple(Button(g.title["vi"], guide_payload(g.id)) for g in knowledge.handkept.guides)
    return Reply(t("online_help.menu"), buttons)


def handle(understanding: Understanding, knowledge: Knowledge) -> list[Reply]:
    for reply in (guide_reply(knowledge, understanding.guide_id or ""),
                  faq_reply(knowledge, understanding.faq_id or "")):
        if reply is not None:
            return [reply]
    return [guide_menu(knowledge)]


@answers("online_help")
def answer(ctx: Context, understanding: Understanding) -> list[Reply]:
    ctx.record_answered(understanding.text, "online_help")
    return handle(understanding, ctx.knowledge)
