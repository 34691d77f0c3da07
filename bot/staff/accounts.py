"""Staff accounts: roles, log-in with lock-out, and the changes an admin makes.

Example:
    accounts = Accounts(store)
    accounts.add("lan.nguyen", "Nguyễn Thị Lan", "officer", "mật khẩu đủ dài",
                 agency="UBND phường An Bình")
    result = accounts.authenticate("lan.nguyen", "mật khẩu đủ dài", address="10.0.0.7")
    result.account          # StaffAccount(...), or None with result.reason

Roles, each able to do what the one before can: a viewer reads petitions and reports; an
officer also works petitions and reviews the knowledge; an admin also manages accounts and
reads the audit log.

Guessing is slowed in three ways: every failure from an address makes the next answer to that
address wait longer (`delay`, which the log-in page sleeps); five failures in a row lock the
account for 15 minutes, during which even the right password is refused; and an address with
too many failures in 15 minutes is refused for any account.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot.staff.passwords import hash_password, verify_password
from bot.storage import Store
from bot.storage.staff import StaffAccount
from bot.vocabulary import STAFF_ROLES

ROLES = STAFF_ROLES.values
LOCK_AFTER_FAILURES = 5
LOCK_FOR = timedelta(minutes=15)
ADDRESS_WINDOW = timedelta(minutes=15)
ADDRESS_FAILURE_LIMIT = 20
# Seconds the answer to a failed log-in waits, doubling with each recent failure, at most MAX.
DELAY_BASE_SECONDS = 0.25
DELAY_MAX_SECONDS = 4.0
_USERNAME_RE = re.compile(r"[a-z0-9][a-z0-9._-]{1,39}")


class AccountError(ValueError):
    """A change to an account that cannot be made; the message says why."""


@dataclass(frozen=True)
class LoginResult:
    account: StaffAccount | None
    # "ok", "wrong" (username or password), "locked" (this account), "too_many" (address).
    reason: str
    # Seconds to wait before answering, to slow guessing.
    delay: float = 0.0
    # When refused for lock-out: until when.
    retry_at: datetime | None = None


class Accounts:
    def __init__(self, store: Store, clock: Callable[[], datetime] = lambda: datetime.now(UTC),
                 delay_base: float = DELAY_BASE_SECONDS) -> None:
        self.store = store
        self.clock = clock
        self.delay_base = delay_base

    # --- reading --------------------------------------------------------------------------

    def get(self, username: str) -> StaffAccount | None:
        return self.store.staff_account(_normal(username))

    def all(self) -> list[StaffAccount]:
        return self.store.staff_accounts()

    # --- changes --------------------------------------------------------------------------

    def add(self, username: str, display_name: str, role: str, password: str,
            agency: str | None = None) -> StaffAccount:
        username = _normal(username)
        if not _USERNAME_RE.fullmatch(username):
            raise AccountError("a username is 2 to 40 characters: lower-case letters without "
                               "accents, digits, '.', '_' or '-'")
        if role not in ROLES:
            raise AccountError(f"the role must be one of {', '.join(ROLES)}, not {role!r}")
        if not display_name.strip():
            raise AccountError("the display name must not be empty")
        hashed = hash_password(password)  # WeakPasswordError (an AccountError's kin) if short
        if not self.store.add_staff_account(username, display_name.strip(), role,
                                            (agency or "").strip() or None, hashed,
                                            self.clock()):
            raise AccountError(f"there is already an account {username!r}")
        account = self.get(username)
        assert account is not None
        return account

    def set_password(self, username: str, password: str) -> None:
        """A new password; every open session of the account ends, any lock is lifted."""
        self._change(username, unlock=True, password_hash=hash_password(password))

    def set_active(self, username: str, active: bool) -> None:
        """Disables (ending every session) or re-enables an account."""
        self._change(username, active=active)

    def set_role(self, username: str, role: str) -> None:
        if role not in ROLES:
            raise AccountError(f"the role must be one of {', '.join(ROLES)}, not {role!r}")
        self._change(username, role=role)

    def unlock(self, username: str) -> None:
        self._change(username, unlock=True)

    def _change(self, username: str, **changes) -> None:
        if not self.store.change_staff_account(_normal(username), self.clock(), **changes):
            raise AccountError(f"there is no account {username!r}")

    # --- log-in ---------------------------------------------------------------------------

    def authenticate(self, username: str, password: str,
                     address: str | None = None) -> LoginResult:
        username = _normal(username)
        now = self.clock().astimezone(UTC)
        recent_failures = self._recent_failures(address, now)
        delay = self._delay(recent_failures + 1)
        if recent_failures >= ADDRESS_FAILURE_LIMIT:
            self._attempt(username, address, False, now)
            return LoginResult(None, "too_many", delay, now + ADDRESS_WINDOW)
        account = self.get(username)
        if account is None or not account.active:
            verify_password(password, _unknown_user_hash())
            self._attempt(username, address, False, now)
            return LoginResult(None, "wrong", delay)
        if account.locked_until is not None and account.locked_until > now:
            self._attempt(username, address, False, now)
            return LoginResult(None, "locked", delay, account.locked_until)
        stored = self.store.staff_password_hash(username) or _unknown_user_hash()
        if not verify_password(password, stored):
            self._failed(account, address, now)
            refreshed = self.get(username)
            if refreshed is not None and refreshed.locked_until is not None and \
                    refreshed.locked_until > now:
                return LoginResult(None, "locked", delay, refreshed.locked_until)
            return LoginResult(None, "wrong", delay)
        self.store.record_log_in(username, address, now, succeeded=True)
        return LoginResult(self.get(username), "ok")

    def _failed(self, account: StaffAccount, address: str | None, now: datetime) -> None:
        failures = account.failed_logins + 1
        locked_until = now + LOCK_FOR if failures >= LOCK_AFTER_FAILURES else None
        self.store.record_log_in(account.username, address, now, succeeded=False,
                                 failed_logins=0 if locked_until else failures,
                                 locked_until=locked_until)

    def _attempt(self, username: str, address: str | None, succeeded: bool,
                 now: datetime) -> None:
        self.store.record_log_in(username, address, now, succeeded=succeeded)

    def _recent_failures(self, address: str | None, now: datetime) -> int:
        if address is None:
            return 0
        return self.store.failed_log_ins_from(address, now - ADDRESS_WINDOW)

    def _delay(self, failures: int) -> float:
        if failures <= 1:
            return 0.0
        return min(self.delay_base * 2 ** (failures - 2), DELAY_MAX_SECONDS)

@functools.cache
def _unknown_user_hash() -> str:
    """Checked against when the username is unknown, so that the answer takes as long."""
    return hash_password("no such staff account, ever")


def _normal(username: str) -> str:
    return username.strip().lower()
