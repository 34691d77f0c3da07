"""The citizen's rating of how their petition was handled.

When staff close a petition the citizen gets buttons from 5 (rất hài lòng) to 1, whose payloads
are `rate:petition:<code>:<score>` (bot/staff/petitions.py). A press counts once per petition
and only from the petition's owner, on the channel and account that sent it; the rating is
committed before the thanks is returned. Anything else is a stale or forged button: None, and
the dialogue gives its polite "out-of-date button" reply.
"""

from __future__ import annotations

from bot.messages import Button, Reply
from handlers.context import Context
from handlers.status import TICKET_RE

SUBJECT = "petition"
SCORES = frozenset("12345")
LOW_SCORE = 2


def rate(ctx: Context, rest: str) -> list[Reply] | None:
    """The reply to a `rate:<rest>` button, or None when the button cannot count."""
    subject, _, tail = rest.partition(":")
    code, _, score = tail.rpartition(":")
    if subject != SUBJECT or score not in SCORES or not TICKET_RE.fullmatch(code):
        return None
    petition = ctx.store.petition_by_code(code)
    if petition is None or (petition.channel, petition.user_id) != (ctx.channel, ctx.user):
        return None
    if petition.status != "closed":
        return None  # reopened since the buttons were sent
    if not ctx.store.rate_petition(ctx.channel, ctx.user, petition.id, int(score),
                                   now=ctx.now):
        return [Reply(ctx.t("petition.rate.already", code=petition.code))]
    if int(score) <= LOW_SCORE:
        return [Reply(ctx.t("petition.rate.thanks_low", code=petition.code),
                      (Button(ctx.t("menu.petition"), "menu:petition"),
                       Button(ctx.t("menu.button"), "menu")))]
    return [Reply(ctx.t("petition.rate.thanks", code=petition.code),
                  (Button(ctx.t("menu.button"), "menu"),))]
