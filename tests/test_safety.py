"""The guards that keep the suite safe to run on a developer's machine."""

from __future__ import annotations

import socket

import pytest

from tests.support.environment import CLOSED, child_environment
from tests.support.network_guard import NetworkGuard, is_loopback


@pytest.fixture
def guard(monkeypatch: pytest.MonkeyPatch) -> NetworkGuard:
    """A second guard over the suite's own, so that what it refuses is not a failure here."""
    inner = NetworkGuard()
    inner.install(monkeypatch)
    return inner


def test_a_connection_beyond_loopback_is_refused_and_recorded(guard: NetworkGuard) -> None:
    with socket.socket() as sock, pytest.raises(ConnectionRefusedError, match="local fake"):
        sock.connect(("192.0.2.1", 443))  # TEST-NET-1: would time out, never answer
    assert guard.attempts == ["connection to 192.0.2.1:443"]


def test_a_name_lookup_beyond_loopback_is_refused(guard: NetworkGuard) -> None:
    with pytest.raises(socket.gaierror):
        socket.getaddrinfo("api.telegram.org", 443)
    assert guard.attempts == ["name lookup of 'api.telegram.org'"]


def test_loopback_is_reached(guard: NetworkGuard) -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        with socket.create_connection(server.getsockname(), timeout=5):
            pass
    assert guard.attempts == []


@pytest.mark.parametrize(("host", "local"), [
    ("127.0.0.1", True), ("::1", True), ("localhost", True), ("127.5.5.5", True),
    ("10.0.0.1", False), ("api.telegram.org", False), ("openapi.zalo.me", False),
])
def test_loopback_is_told_from_the_rest(host: str, local: bool) -> None:
    assert is_loopback(host) is local


def test_a_child_process_gets_no_secret_of_the_developers(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123:real-token")
    monkeypatch.setenv("ZALO_OA_ACCESS_TOKEN", "real")
    monkeypatch.setenv("STAFF_SECRET_KEY", "real")
    env = child_environment(BOT_DB="x.db")
    assert not {"TELEGRAM_BOT_TOKEN", "ZALO_OA_ACCESS_TOKEN", "STAFF_SECRET_KEY"} & set(env)
    assert env["BOT_DB"] == "x.db" and env["TELEGRAM_API_BASE_URL"] == CLOSED
    assert child_environment(TELEGRAM_API_BASE_URL="http://127.0.0.1:5000")[
        "TELEGRAM_API_BASE_URL"] == "http://127.0.0.1:5000"
