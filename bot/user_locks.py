"""One lock per citizen, so that each citizen's messages are answered one at a time and in
order, whichever channel they come from (the web chat, Telegram, Zalo).

Example:
    locks = UserLocks()
    async with locks.hold("telegram:12345"):
        replies = dialogue.handle(incoming)
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


class UserLocks:
    """One asyncio.Lock per user, dropped as soon as nobody holds or awaits it."""

    def __init__(self) -> None:
        self._locks: dict[str, asyncio.Lock] = {}
        self._users: dict[str, int] = {}

    def __len__(self) -> int:
        return len(self._locks)

    @asynccontextmanager
    async def hold(self, user: str) -> AsyncIterator[None]:
        lock = self._locks.setdefault(user, asyncio.Lock())
        self._users[user] = self._users.get(user, 0) + 1
        try:
            async with lock:
                yield
        finally:
            self._users[user] -= 1
            if not self._users[user]:
                del self._users[user], self._locks[user]
