"""Settings from environment variables: defaults, overrides and clear errors."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from bot.config import Settings


def test_defaults_when_nothing_is_set() -> None:
    settings = Settings.from_env({})
    assert settings == Settings()
    assert settings.db_path == Path("var/bot.db")
    assert (settings.host, settings.port) == ("127.0.0.1", 8080)
    assert settings.message_retention_days == 90
    assert settings.petition_answer_working_days == 10
    assert settings.max_message_chars == 4000
    assert (settings.flood_messages, settings.flood_seconds) == (20, 60)
    assert settings.telegram_bot_token is None and settings.zalo_app_id is None
    assert settings.telegram_api_base_url == "https://api.telegram.org"
    assert settings.zalo_api_base_url == "https://openapi.zalo.me"
    assert settings.zalo_oauth_base_url == "https://oauth.zaloapp.com"


def test_every_variable_is_read() -> None:
    settings = Settings.from_env({
        "BOT_DB": "/srv/bot/bot.db",
        "BOT_HOST": "0.0.0.0",
        "BOT_PORT": "9000",
        "BOT_MESSAGE_RETENTION_DAYS": "30",
        "BOT_PETITION_WORKING_DAYS": "15",
        "BOT_FLOOD_MESSAGES": "5",
        "BOT_FLOOD_SECONDS": "10",
        "TELEGRAM_BOT_TOKEN": "123:abc",
        "TELEGRAM_API_BASE_URL": "http://127.0.0.1:8081/",
        "ZALO_APP_ID": "app",
        "ZALO_APP_SECRET": "app-secret",
        "ZALO_OA_SECRET_KEY": "oa-key",
        "ZALO_OA_ACCESS_TOKEN": "access",
        "ZALO_OA_REFRESH_TOKEN": "refresh",
        "ZALO_API_BASE_URL": "http://127.0.0.1:8082",
        "ZALO_OAUTH_BASE_URL": "http://127.0.0.1:8083/",
    })
    assert settings == Settings(
        db_path=Path("/srv/bot/bot.db"), host="0.0.0.0", port=9000,
        message_retention_days=30, petition_answer_working_days=15,
        flood_messages=5, flood_seconds=10,
        telegram_bot_token="123:abc", telegram_api_base_url="http://127.0.0.1:8081",
        zalo_app_id="app", zalo_app_secret="app-secret", zalo_oa_secret_key="oa-key",
        zalo_oa_access_token="access", zalo_oa_refresh_token="refresh",
        zalo_api_base_url="http://127.0.0.1:8082", zalo_oauth_base_url="http://127.0.0.1:8083",
    )


def test_blank_values_keep_the_defaults() -> None:
    assert Settings.from_env({"BOT_PORT": "", "TELEGRAM_BOT_TOKEN": "  ", "BOT_DB": ""}) == (
        Settings())


@pytest.mark.parametrize(("name", "value"), [
    ("BOT_PORT", "80a"),
    ("BOT_PORT", "70000"),
    ("BOT_PORT", "0"),
    ("BOT_MESSAGE_RETENTION_DAYS", "ninety"),
    ("BOT_PETITION_WORKING_DAYS", "1.5"),
    ("BOT_FLOOD_MESSAGES", "-3"),
    ("BOT_FLOOD_SECONDS", "0"),
    ("TELEGRAM_API_BASE_URL", "api.telegram.org"),
    ("ZALO_API_BASE_URL", "ftp://openapi.zalo.me"),
])
def test_a_malformed_value_names_its_variable(name: str, value: str) -> None:
    with pytest.raises(ValueError, match=name):
        Settings.from_env({name: value})


def test_secrets_stay_out_of_repr_and_settings_are_frozen() -> None:
    settings = Settings.from_env({"TELEGRAM_BOT_TOKEN": "123:very-secret",
                                  "ZALO_OA_ACCESS_TOKEN": "also-secret"})
    assert "secret" not in repr(settings)
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.port = 1  # type: ignore[misc]
