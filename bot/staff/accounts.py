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

ROLES = ("viewer", "officer", "admin")
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
class StaffAccount:
    username: str
    display_name: str
    role: str
    agency: str | None
    active: bool
    session_epoch: int
    failed_logins: int
    locked_until: datetime | None
    created_at: datetime

    def can(self, role: str) -> bool:
        """Whether this account has `role` or a higher one."""
        return ROLES.index(self.role) >= ROLES.index(role)


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
        rows = self.store.rows("SELECT * FROM staff_accounts WHERE username = ?",
                               [_normal(username)])
        return _account(rows[0]) if rows else None

    def all(self) -> list[StaffAccount]:
        return [_account(row) for row in self.store.rows(
            "SELECT * FROM staff_accounts ORDER BY role DESC, username")]

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
        now = self._now()
        with self.store.writing() as db:
            if db.execute("SELECT 1 FROM staff_accounts WHERE username = ?",
                          [username]).fetchone():
                raise AccountError(f"there is already an account {username!r}")
            db.execute(
                "INSERT INTO staff_accounts (username, display_name, role, agency, "
                "password_hash, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [username, display_name.strip(), role, (agency or "").strip() or None, hashed,
                 now, now])
        account = self.get(username)
        assert account is not None
        return account

    def set_password(self, username: str, password: str) -> None:
        """A new password; every open session of the account ends, any lock is lifted."""
        self._update(username, "password_hash = ?, failed_logins = 0, locked_until = NULL, "
                     "session_epoch = session_epoch + 1", [hash_password(password)])

    def set_active(self, username: str, active: bool) -> None:
        """Disables (ending every session) or re-enables an account."""
        self._update(username, "active = ?, session_epoch = session_epoch + 1",
                     [int(active)])

    def set_role(self, username: str, role: str) -> None:
        if role not in ROLES:
            raise AccountError(f"the role must be one of {', '.join(ROLES)}, not {role!r}")
        self._update(username, "role = ?, session_epoch = session_epoch + 1", [role])

    def unlock(self, username: str) -> None:
        self._update(username, "failed_logins = 0, locked_until = NULL", [])

    def _update(self, username: str, assignments: str, params: list) -> None:
        changed = self.store.execute(
            f"UPDATE staff_accounts SET {assignments}, updated_at = ? WHERE username = ?",
            [*params, self._now(), _normal(username)])
        if not changed:
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
        stored = self.store.rows("SELECT password_hash FROM staff_accounts WHERE username = ?",
                                 [username])[0]["password_hash"]
        if not verify_password(password, stored):
            self._failed(account, address, now)
            refreshed = self.get(username)
            if refreshed is not None and refreshed.locked_until is not None and \
                    refreshed.locked_until > now:
                return LoginResult(None, "locked", delay, refreshed.locked_until)
            return LoginResult(None, "wrong", delay)
        with self.store.writing() as db:
            db.execute("UPDATE staff_accounts SET failed_logins = 0, locked_until = NULL "
                       "WHERE username = ?", [username])
            _insert_attempt(db, username, address, True, now)
        return LoginResult(self.get(username), "ok")

    def _failed(self, account: StaffAccount, address: str | None, now: datetime) -> None:
        failures = account.failed_logins + 1
        locked_until = (now + LOCK_FOR).isoformat(timespec="seconds") \
            if failures >= LOCK_AFTER_FAILURES else None
        with self.store.writing() as db:
            db.execute("UPDATE staff_accounts SET failed_logins = ?, locked_until = ? "
                       "WHERE username = ?",
                       [0 if locked_until else failures, locked_until, account.username])
            _insert_attempt(db, account.username, address, False, now)

    def _attempt(self, username: str, address: str | None, succeeded: bool,
                 now: datetime) -> None:
        with self.store.writing() as db:
            _insert_attempt(db, username, address, succeeded, now)

    def _recent_failures(self, address: str | None, now: datetime) -> int:
        if address is None:
            return 0
        since = (now - ADDRESS_WINDOW).isoformat(timespec="seconds")
        return self.store.rows(
            "SELECT count(*) AS n FROM staff_login_attempts WHERE address = ? AND "
            "succeeded = 0 AND created_at >= ?", [address, since])[0]["n"]

    def _delay(self, failures: int) -> float:
        if failures <= 1:
            return 0.0
        return min(self.delay_base * 2 ** (failures - 2), DELAY_MAX_SECONDS)

    def _now(self) -> str:
        return self.clock().astimezone(UTC).isoformat(timespec="seconds")


@functools.cache
def _unknown_user_hash() -> str:
    """Checked against when the username is unknown, so that the answer takes as long."""
    return hash_password("no such staff account, ever")


def _insert_attempt(db, username: str, address: str | None, succeeded: bool,
                    now: datetime) -> None:
    db.execute("INSERT INTO staff_login_attempts (username, address, succeeded, created_at) "
               "VALUES (?, ?, ?, ?)",
               [username, address, int(succeeded), now.isoformat(timespec="seconds")])


def _normal(username: str) -> str:
    return username.strip().lower()


def _account(row: dict) -> StaffAccount:
    return StaffAccount(
        username=row["username"], display_name=row["display_name"], role=row["role"],
        agency=row["agency"], active=bool(row["active"]), session_epoch=row["session_epoch"],
        failed_logins=row["failed_logins"],
        locked_until=datetime.fromisoformat(row["locked_until"]) if row["locked_until"]
        else None,
        created_at=datetime.fromisoformat(row["created_at"]))
