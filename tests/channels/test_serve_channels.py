"""`bot serve` runs Telegram and Zalo beside the web chat, in one process, from the
environment; a wrong setting is one clear line and exit code 2, not a stack trace."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.channels.zalo import event_signature
from tests.channels.fake_telegram import FakeTelegram
from tests.channels.fake_zalo import FakeZalo
from tests.support.environment import child_environment

ROOT = Path(__file__).resolve().parents[2]
APP_ID = "1234567890"
OA_SECRET_KEY = "oa-secret"
WAIT = 30.0

# Each starts `bot serve` in its own process (seconds apiece).
pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serve(env: dict[str, str], db: Path, port: int) -> subprocess.Popen:
    command = [sys.executable, "-m", "bot", "serve", "--host", "127.0.0.1", "--port", str(port),
               "--db", str(db)]
    return subprocess.Popen(command, cwd=ROOT, env=child_environment(**env), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def wait_until(condition, what: str) -> None:
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as response:
            return response.status == 200
    except OSError:
        return False


@pytest.fixture(scope="module")
def telegram() -> Iterator[FakeTelegram]:
    with FakeTelegram().serving() as fake:
        yield fake


@pytest.fixture(scope="module")
def zalo() -> Iterator[FakeZalo]:
    with FakeZalo() as fake:
        yield fake


def test_a_wrong_telegram_token_is_one_clear_line(telegram: FakeTelegram,
                                                  tmp_path: Path) -> None:
    process = serve({"TELEGRAM_BOT_TOKEN": "999:WRONG",
                     "TELEGRAM_API_BASE_URL": telegram.base_url}, tmp_path / "bot.db",
                    free_port())
    _, err = process.communicate(timeout=WAIT)
    assert process.returncode == 2
    assert "TELEGRAM_BOT_TOKEN" in err and "Traceback" not in err
    assert "999:WRONG" not in err


def test_zalo_without_its_secret_key_is_refused(tmp_path: Path) -> None:
    process = serve({"ZALO_APP_ID": APP_ID, "ZALO_OA_ACCESS_TOKEN": "token"},
                    tmp_path / "bot.db", free_port())
    _, err = process.communicate(timeout=WAIT)
    assert process.returncode == 2
    assert "ZALO_OA_SECRET_KEY" in err and "Traceback" not in err


@pytest.mark.parametrize("env", [{"TELEGRAM_BOT_TOKEN": "123:ABC"},
                                 {"ZALO_APP_ID": APP_ID, "ZALO_OA_SECRET_KEY": OA_SECRET_KEY,
                                  "ZALO_OA_ACCESS_TOKEN": "token"}])
def test_chat_apps_with_several_workers_are_refused(env: dict[str, str],
                                                    tmp_path: Path) -> None:
    process = serve({**env, "BOT_WORKERS": "2"}, tmp_path / "bot.db", free_port())
    _, err = process.communicate(timeout=WAIT)
    assert process.returncode == 2
    assert "--workers 1" in err and "Traceback" not in err


def test_one_process_serves_the_web_chat_telegram_and_zalo(
        telegram: FakeTelegram, zalo: FakeZalo, tmp_path: Path) -> None:
    telegram.reset()
    zalo.reset()
    port = free_port()
    process = serve({"TELEGRAM_BOT_TOKEN": telegram.token,
                     "TELEGRAM_API_BASE_URL": telegram.base_url,
                     "ZALO_APP_ID": APP_ID, "ZALO_OA_SECRET_KEY": OA_SECRET_KEY,
                     "ZALO_OA_ACCESS_TOKEN": "access-0", "ZALO_OA_REFRESH_TOKEN": "RT-0",
                     "ZALO_APP_SECRET": zalo.app_secret, "ZALO_API_BASE_URL": zalo.url,
                     "ZALO_OAUTH_BASE_URL": zalo.url}, tmp_path / "bot.db", port)
    try:
        wait_until(lambda: healthy(port), "the server")
        # Telegram, by polling.
        telegram.queue(telegram.text_update(4242, "đăng ký tạm trú hết bao nhiêu tiền"))
        wait_until(lambda: telegram.texts(4242), "a Telegram reply")
        assert "1.004194" in " ".join(telegram.texts(4242))
        # Zalo, by its webhook.
        stamp = str(int(time.time() * 1000))
        event = {"app_id": APP_ID, "sender": {"id": "zalo-user-1"},
                 "recipient": {"id": "388613280878808645"}, "event_name": "user_send_text",
                 "message": {"msg_id": "m-serve-1", "text": "xin chào"}, "timestamp": stamp}
        body = json.dumps(event, ensure_ascii=False).encode()
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/webhooks/zalo", data=body, method="POST",
            headers={"X-ZEvent-Signature": event_signature(APP_ID, body, stamp, OA_SECRET_KEY),
                     "Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=5) as response:
            assert response.status == 200
        wait_until(lambda: zalo.delivered("zalo-user-1"), "a Zalo reply")
        # And the web chat still answers.
        chat = urllib.request.Request(
            f"http://127.0.0.1:{port}/api/chat", method="POST",
            data=json.dumps({"user": "w1", "text": "xin chào"}).encode(),
            headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(chat, timeout=5) as response:
            assert json.load(response)["replies"]
    finally:
        process.terminate()
        process.wait(timeout=WAIT)
