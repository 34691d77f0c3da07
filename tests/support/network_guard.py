"""A guard that stops tests from reaching anything but this machine.

Every test runs under it (tests/conftest.py, autouse): a connection or a name lookup for
a host other than loopback is refused *and* recorded, and the test fails at its end even if
the code under test caught the refusal as a network error (it would have reached the real
Telegram or Zalo). Tests talk to local fakes through the base-URL settings instead.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass, field

import pytest

LOCAL_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost", ""})


def is_loopback(host: object) -> bool:
    if host is None:
        return True
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    name = str(host).strip("[]").lower()
    if name in LOCAL_NAMES or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name.split("%")[0]).is_loopback
    except ValueError:
        return False


@dataclass
class NetworkGuard:
    """Installed with `install(monkeypatch)`; `attempts` lists what was refused."""

    attempts: list[str] = field(default_factory=list)

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex
        real_getaddrinfo = socket.getaddrinfo
        guard = self

        def connect(sock: socket.socket, address):
            guard.check(sock, address)
            return real_connect(sock, address)

        def connect_ex(sock: socket.socket, address):
            guard.check(sock, address)
            return real_connect_ex(sock, address)

        def getaddrinfo(host, *args, **kwargs):
            if not is_loopback(host):
                guard.refuse(f"name lookup of {host!r}", socket.gaierror)
            return real_getaddrinfo(host, *args, **kwargs)

        monkeypatch.setattr(socket.socket, "connect", connect)
        monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
        monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)

    def check(self, sock: socket.socket, address) -> None:
        if sock.family in (socket.AF_INET, socket.AF_INET6) and not is_loopback(address[0]):
            self.refuse(f"connection to {address[0]}:{address[1]}", ConnectionRefusedError)

    def refuse(self, what: str, error: type[OSError]) -> None:
        self.attempts.append(what)
        raise error(f"tests may not reach the network ({what}); use a local fake and the "
                    "base-URL settings (see tests/support/network_guard.py)")
