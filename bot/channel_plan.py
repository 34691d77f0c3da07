"""Which chat apps `bot serve` runs besides the web chat, decided by the environment
(bot.server builds them from this plan).

Telegram runs when TELEGRAM_BOT_TOKEN is set: by webhook on /webhooks/telegram when
TELEGRAM_WEBHOOK_URL gives the public address, by polling otherwise. Zalo runs when ZALO_APP_ID
is set. `check_channels` is called before the server starts, so that a missing or wrong
setting is one clear line, not a stack trace.

The chat apps run in one server process: one citizen's messages must be answered one at a
time and in order, Telegram's albums arrive as several updates to be taken together, and a
Zalo refresh token can be used only once; across processes none of that would hold. One
process answers about 300 Telegram updates or 250 Zalo events a second (make bench), far
above Telegram's own limit of 30 messages a second for a bot.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

import httpx

from bot.config import Settings

TELEGRAM_WEBHOOK_URL = "TELEGRAM_WEBHOOK_URL"
TELEGRAM_WEBHOOK_SECRET = "TELEGRAM_WEBHOOK_SECRET"


@dataclass(frozen=True)
class ChannelPlan:
    telegram: bool = False
    telegram_webhook_url: str | None = None
    telegram_secret: str | None = None
    zalo: bool = False
    problems: list[str] = field(default_factory=list)


def plan_channels(settings: Settings, workers: int = 1,
                  environ: Mapping[str, str] = os.environ) -> ChannelPlan:
    problems = []
    webhook_url = environ.get(TELEGRAM_WEBHOOK_URL) or None
    telegram = bool(settings.telegram_bot_token)
    zalo = bool(settings.zalo_app_id)
    if settings.staff_telegram_chat_id and not telegram:
        problems.append("STAFF_TELEGRAM_CHAT_ID is set but TELEGRAM_BOT_TOKEN is not: the bot "
                        "posts to the staff group as the Telegram bot")
    if (telegram or zalo) and workers > 1:
        problems.append("Telegram and Zalo are served by one process, so that each citizen's "
                        "messages are answered in order: serve with --workers 1")
    if zalo:
        for name, value in (("ZALO_OA_SECRET_KEY", settings.zalo_oa_secret_key),
                            ("ZALO_OA_ACCESS_TOKEN", settings.zalo_oa_access_token)):
            if not value:
                problems.append(f"ZALO_APP_ID is set but {name} is not: the Zalo channel "
                                "needs both")
    return ChannelPlan(telegram, webhook_url, environ.get(TELEGRAM_WEBHOOK_SECRET) or None,
                       zalo, problems)


def check_telegram_token(settings: Settings, timeout: float = 10.0) -> str | None:
    """None if the Bot API accepts TELEGRAM_BOT_TOKEN, else what is wrong (token not shown)."""
    url = f"{settings.telegram_api_base_url}/bot{settings.telegram_bot_token}/getMe"
    try:
        response = httpx.get(url, timeout=timeout)
    except httpx.HTTPError as error:
        return (f"the Telegram Bot API at TELEGRAM_API_BASE_URL="
                f"{settings.telegram_api_base_url} cannot be reached ({type(error).__name__})")
    if response.status_code in (401, 404):
        return "Telegram refused TELEGRAM_BOT_TOKEN: check the token @BotFather gave you"
    if response.status_code != 200:
        return f"the Telegram Bot API answered getMe with HTTP {response.status_code}"
    return None


def check_channels(settings: Settings, workers: int = 1,
                   environ: Mapping[str, str] = os.environ) -> list[str]:
    """Every problem that would stop a configured channel from starting."""
    plan = plan_channels(settings, workers, environ)
    problems = list(plan.problems)
    if plan.telegram:
        problem = check_telegram_token(settings)
        if problem:
            problems.append(problem)
    return problems
