"""A citizen's request to delete their data: confirmed first, then done at once."""

from __future__ import annotations

from bot.messages import Button, Reply
from handlers.context import Context

CONFIRM = "privacy:delete"
KEEP = "privacy:keep"


def ask(ctx: Context) -> list[Reply]:
    return [Reply(ctx.t("privacy.confirm"),
                  (Button(ctx.t("privacy.delete_button"), CONFIRM),
                   Button(ctx.t("privacy.keep_button"), KEEP)))]


def delete(ctx: Context) -> list[Reply]:
    counts = ctx.store.delete_user_data(ctx.channel, ctx.user)
    return [Reply(ctx.t("privacy.deleted", petitions=counts.get("petitions", 0)))]


def keep(ctx: Context) -> list[Reply]:
    return [Reply(ctx.t("privacy.kept"))]
