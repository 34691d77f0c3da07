"""The citizen's petitions: their status, due date and the agency's answer. Owner only."""

from __future__ import annotations

import re

from bot.messages import Button, Reply
from bot.storage import Petition
from bot.vocabulary import PETITION_STATUSES
from handlers.context import Context
from handlers.intents import answers
from knowledge.nlu.understand import Understanding

TICKET_RE = re.compile(r"\bPA-\d{4}-\d{6}\b", re.IGNORECASE)
MAX_LISTED = 8
# A forged "ticket:" button may carry anything; no more than a code's length is echoed.
MAX_CODE_CHARS = 20


def ticket_in(text: str) -> str | None:
    match = TICKET_RE.search(text or "")
    return match.group(0).upper() if match else None


def _status(ctx: Context, petition: Petition) -> str:
    return ctx.t(PETITION_STATUSES.text_key(petition.status))


def _due(petition: Petition) -> str:
    return petition.due_date.strftime("%d/%m/%Y")


@answers("status")
def status_turn(ctx: Context, understanding: Understanding) -> list[Reply]:
    return my_petitions(ctx)


def my_petitions(ctx: Context) -> list[Reply]:
    petitions = ctx.store.petitions_of(ctx.channel, ctx.user)
    if not petitions:
        return [Reply(ctx.t("status.none"), (Button(ctx.t("menu.petition"), "menu:petition"),))]
    lines = [ctx.t("status.list_intro", count=len(petitions))]
    for petition in petitions[:MAX_LISTED]:
        lines.append(ctx.t("status.line", code=petition.code, status=_status(ctx, petition),
                           due=_due(petition)))
    buttons = tuple(Button(p.code, f"ticket:{p.code}") for p in petitions[:MAX_LISTED])
    return [Reply("\n".join(lines), buttons)]


def show_ticket(ctx: Context, code: str) -> list[Reply]:
    """A petition by its code, to the citizen who sent it; anyone else learns nothing."""
    code = code[:MAX_CODE_CHARS]
    petition = ctx.store.petition_by_code(code)
    if petition is None or (petition.channel, petition.user_id) != (ctx.channel, ctx.user):
        return [Reply(ctx.t("status.not_found", code=code.upper()))]
    lines = [ctx.t("status.ticket", code=petition.code, status=_status(ctx, petition),
                   due=_due(petition), content=_short(petition.content))]
    if petition.answer:
        lines.append(ctx.t("status.answer", answer=petition.answer))
    return [Reply("\n".join(lines), (Button(ctx.t("menu.mine"), "menu:mine"),))]


def _short(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"
