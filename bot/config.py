"""Settings of the running bot, read from environment variables.

Example:
    BOT_DB=/srv/bot/bot.db BOT_PORT=9000 python -m bot serve

Every outside service is named by a variable, base URL included, so that tests and staging can
point the bot at a local server (see DESIGN.md, "Interfaces that must keep working").
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

TELEGRAM_API_BASE_URL = "https://api.telegram.org"
ZALO_API_BASE_URL = "https://openapi.zalo.me"
ZALO_OAUTH_BASE_URL = "https://oauth.zaloapp.com"


@dataclass(frozen=True)
class Settings:
    db_path: Path = Path("var/bot.db")
    host: str = "127.0.0.1"
    port: int = 8080
    message_retention_days: int = 90
    petition_answer_working_days: int = 10
    max_message_chars: int = 4000
    flood_messages: int = 20
    flood_seconds: int = 60
    # How long a follow-up ("mất bao lâu?") is read as being about the last procedure answered.
    topic_minutes: int = 30
    # Secrets stay out of repr() so that logging the settings never leaks them.
    telegram_bot_token: str | None = field(default=None, repr=False)
    telegram_api_base_url: str = TELEGRAM_API_BASE_URL
    zalo_app_id: str | None = None
    zalo_app_secret: str | None = field(default=None, repr=False)
    zalo_oa_secret_key: str | None = field(default=None, repr=False)
    zalo_oa_access_token: str | None = field(default=None, repr=False)
    zalo_oa_refresh_token: str | None = field(default=None, repr=False)
    zalo_api_base_url: str = ZALO_API_BASE_URL
    zalo_oauth_base_url: str = ZALO_OAUTH_BASE_URL
    # The staff side (bot/staff).
    staff_secret_key: str | None = field(default=None, repr=False)
    staff_cookie_secure: bool = False
    # The address officers open the staff pages at, for links in notifications.
    staff_base_url: str | None = None
    staff_telegram_chat_id: str | None = None
    # Hour (Vietnam time) of the daily digest of overdue petitions to the staff group.
    staff_digest_hour: int = 8
    overrides_path: Path = Path("var/knowledge-overrides.yaml")
    # Announcements (bot/broadcast): a second officer approves before sending; messages a
    # second per channel (Telegram allows a bot about 30); the copies sent at once per
    # channel, which are also the most a crash can leave to be sent twice; the copies Zalo
    # may take a day (0: no limit of ours, Zalo's own "out of quota" still holds the rest).
    broadcast_requires_approval: bool = False
    broadcast_telegram_rate: int = 25
    broadcast_zalo_rate: int = 5
    broadcast_zalo_daily_quota: int = 0
    broadcast_in_flight: int = 4

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> Settings:
        """Settings from `environ`; an unset or blank variable keeps its default.

        Raises ValueError naming the variable when a number or a URL is malformed.
        """
        env = _Environment(environ)
        return cls(
            db_path=Path(env.text("BOT_DB") or "var/bot.db"),
            host=env.text("BOT_HOST") or "127.0.0.1",
            port=env.integer("BOT_PORT", 8080, minimum=1, maximum=65535),
            message_retention_days=env.integer("BOT_MESSAGE_RETENTION_DAYS", 90, minimum=1),
            petition_answer_working_days=env.integer("BOT_PETITION_WORKING_DAYS", 10, minimum=1),
            flood_messages=env.integer("BOT_FLOOD_MESSAGES", 20, minimum=1),
            flood_seconds=env.integer("BOT_FLOOD_SECONDS", 60, minimum=1),
            topic_minutes=env.integer("BOT_TOPIC_MINUTES", 30, minimum=1),
            telegram_bot_token=env.text("TELEGRAM_BOT_TOKEN"),
            telegram_api_base_url=env.url("TELEGRAM_API_BASE_URL", TELEGRAM_API_BASE_URL),
            zalo_app_id=env.text("ZALO_APP_ID"),
            zalo_app_secret=env.text("ZALO_APP_SECRET"),
            zalo_oa_secret_key=env.text("ZALO_OA_SECRET_KEY"),
            zalo_oa_access_token=env.text("ZALO_OA_ACCESS_TOKEN"),
            zalo_oa_refresh_token=env.text("ZALO_OA_REFRESH_TOKEN"),
            zalo_api_base_url=env.url("ZALO_API_BASE_URL", ZALO_API_BASE_URL),
            zalo_oauth_base_url=env.url("ZALO_OAUTH_BASE_URL", ZALO_OAUTH_BASE_URL),
            staff_secret_key=env.text("STAFF_SECRET_KEY"),
            staff_cookie_secure=env.flag("STAFF_COOKIE_SECURE"),
            staff_base_url=env.optional_url("STAFF_BASE_URL"),
            staff_telegram_chat_id=env.text("STAFF_TELEGRAM_CHAT_ID"),
            staff_digest_hour=env.integer("STAFF_DIGEST_HOUR", 8, minimum=0, maximum=23),
            overrides_path=Path(env.text("BOT_OVERRIDES") or "var/knowledge-overrides.yaml"),
            broadcast_requires_approval=env.flag("BROADCAST_REQUIRES_APPROVAL"),
            broadcast_telegram_rate=env.integer("BROADCAST_TELEGRAM_RATE", 25, minimum=1),
            broadcast_zalo_rate=env.integer("BROADCAST_ZALO_RATE", 5, minimum=1),
            broadcast_zalo_daily_quota=env.integer("BROADCAST_ZALO_DAILY_QUOTA", 0, minimum=0),
            broadcast_in_flight=env.integer("BROADCAST_IN_FLIGHT", 4, minimum=1, maximum=32),
        )


@dataclass(frozen=True)
class _Environment:
    environ: Mapping[str, str]

    def text(self, name: str) -> str | None:
        # A blank value counts as unset: env files and compose files often write `NAME=`.
        value = self.environ.get(name, "").strip()
        return value or None

    def integer(
        self, name: str, default: int, *, minimum: int, maximum: int | None = None
    ) -> int:
        raw = self.text(name)
        if raw is None:
            return default
        try:
            value = int(raw)
        except ValueError:
            raise ValueError(f"{name} must be a whole number, not {raw!r}") from None
        if value < minimum or (maximum is not None and value > maximum):
            bounds = f"between {minimum} and {maximum}" if maximum is not None else (
                f"at least {minimum}")
            raise ValueError(f"{name} must be {bounds}, not {value}")
        return value

    def flag(self, name: str) -> bool:
        raw = (self.text(name) or "0").lower()
        if raw not in ("0", "1", "true", "false", "yes", "no"):
            raise ValueError(f"{name} must be 1 or 0 (true or false), not {raw!r}")
        return raw in ("1", "true", "yes")

    def optional_url(self, name: str) -> str | None:
        return self.url(name, "") if self.text(name) else None

    def url(self, name: str, default: str) -> str:
        raw = self.text(name)
        if raw is None:
            return default
        if not raw.startswith(("http://", "https://")):
            raise ValueError(f"{name} must start with http:// or https://, not {raw!r}")
        # Without the trailing slash callers can always write f"{base}/path".
        return raw.rstrip("/")
