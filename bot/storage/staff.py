"""The agency's side: officers' accounts (`staff_accounts`), log-in attempts, the audit log,
and the secrets the bot makes for itself (`app_secrets`). The rules (roles, lock-out,
passwords) are bot/staff/accounts.py's; this module only keeps the rows."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.storage.database import Tables, as_json, iso, serialised, time_or_none
from bot.vocabulary import STAFF_ROLES

# What an admin may change about an account; each change ends the account's sessions.
_ACCOUNT_CHANGES = frozenset({"password_hash", "active", "role"})


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
        return STAFF_ROLES.values.index(self.role) >= STAFF_ROLES.values.index(role)


@dataclass(frozen=True)
class AuditEntry:
    id: int
    staff: str | None
    action: str
    target: str | None
    details: dict[str, Any]
    address: str | None
    created_at: datetime


class StaffTables(Tables):
    """The methods of Store over these tables (bot/storage/store.py)."""

    # --- accounts ----------------------------------------------------------------------------

    @serialised
    def staff_account(self, username: str) -> StaffAccount | None:
        rows = self._rows("SELECT * FROM staff_accounts WHERE username = ?", [username])
        return _account(rows[0]) if rows else None

    @serialised
    def staff_accounts(self) -> list[StaffAccount]:
        return [_account(row) for row in self._rows(
            "SELECT * FROM staff_accounts ORDER BY role DESC, username", [])]

    @serialised
    def staff_password_hash(self, username: str) -> str | None:
        row = self.db.execute("SELECT password_hash FROM staff_accounts WHERE username = ?",
                              [username]).fetchone()
        return row[0] if row else None

    def add_staff_account(self, username: str, display_name: str, role: str,
                          agency: str | None, password_hash: str, now: datetime) -> bool:
        """False when the username is taken."""
        with self.writing() as db:
            if db.execute("SELECT 1 FROM staff_accounts WHERE username = ?",
                          [username]).fetchone():
                return False
            db.execute(
                "INSERT INTO staff_accounts (username, display_name, role, agency, "
                "password_hash, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [username, display_name, role, agency, password_hash, iso(now), iso(now)])
        return True

    @serialised
    def change_staff_account(self, username: str, now: datetime, *,
                             unlock: bool = False, **values: Any) -> bool:
        """Sets the given columns (password_hash, active, role); a change of any of them ends
        every session of the account (its epoch moves on); `unlock` lifts a lock-out. False
        when there is no such account."""
        unknown = set(values) - _ACCOUNT_CHANGES
        if unknown:
            raise ValueError(f"an account has no changeable {sorted(unknown)}")
        assignments = [f"{column} = ?" for column in values]
        if unlock:
            assignments += ["failed_logins = 0", "locked_until = NULL"]
        if values:
            assignments.append("session_epoch = session_epoch + 1")
        params = [int(v) if isinstance(v, bool) else v for v in values.values()]
        return bool(self.db.execute(
            f"UPDATE staff_accounts SET {', '.join(assignments)}, updated_at = ? "
            "WHERE username = ?", [*params, iso(now), username]).rowcount)

    def record_log_in(self, username: str, address: str | None, now: datetime, *,
                      succeeded: bool, failed_logins: int | None = None,
                      locked_until: datetime | None = None) -> None:
        """The attempt, and with it the account's count of failures: reset on success, set to
        `failed_logins` (and the lock) on a failure against a known account."""
        with self.writing() as db:
            if succeeded:
                db.execute("UPDATE staff_accounts SET failed_logins = 0, locked_until = NULL "
                           "WHERE username = ?", [username])
            elif failed_logins is not None:
                db.execute("UPDATE staff_accounts SET failed_logins = ?, locked_until = ? "
                           "WHERE username = ?",
                           [failed_logins, iso(locked_until) if locked_until else None,
                            username])
            db.execute("INSERT INTO staff_login_attempts (username, address, succeeded, "
                       "created_at) VALUES (?, ?, ?, ?)",
                       [username, address, int(succeeded), iso(now)])

    @serialised
    def failed_log_ins_from(self, address: str, since: datetime) -> int:
        return self.db.execute(
            "SELECT count(*) FROM staff_login_attempts WHERE address = ? AND succeeded = 0 "
            "AND created_at >= ?", [address, iso(since)]).fetchone()[0]

    # --- the audit log -----------------------------------------------------------------------

    @serialised
    def record_audit(self, staff: str | None, action: str, target: str | None,
                     details: dict[str, Any], address: str | None, now: datetime) -> None:
        self._insert("audit_log", staff=staff, action=action, target=target,
                     details=as_json(details), address=address, created_at=iso(now))

    @serialised
    def audit_entries(self, *, limit: int, offset: int, staff: str | None = None,
                      action: str | None = None) -> list[AuditEntry]:
        """Entries newest first, optionally of one staff member or one action."""
        sql = "SELECT * FROM audit_log WHERE 1 = 1"
        params: list[Any] = []
        if staff:
            sql += " AND staff = ?"
            params.append(staff)
        if action:
            sql += " AND action = ?"
            params.append(action)
        rows = self._rows(sql + " ORDER BY id DESC LIMIT ? OFFSET ?", [*params, limit, offset])
        return [AuditEntry(row["id"], row["staff"], row["action"], row["target"],
                           json.loads(row["details"]), row["address"],
                           datetime.fromisoformat(row["created_at"])) for row in rows]

    # --- small facts kept between restarts (the day of the last digest) -----------------------

    @serialised
    def app_state(self, name: str) -> str | None:
        row = self.db.execute("SELECT value FROM app_state WHERE name = ?", [name]).fetchone()
        return row[0] if row else None

    @serialised
    def set_app_state(self, name: str, value: str, now: datetime) -> None:
        self.db.execute(
            "INSERT INTO app_state (name, value, updated_at) VALUES (?, ?, ?) "
            "ON CONFLICT (name) DO UPDATE SET value = excluded.value, "
            "updated_at = excluded.updated_at", [name, value, iso(now)])

    # --- secrets -----------------------------------------------------------------------------

    def app_secret(self, name: str, make: str, now: datetime) -> str:
        """The secret called `name`: `make` the first time any worker asks, then that one."""
        with self.writing() as db:
            db.execute("INSERT OR IGNORE INTO app_secrets (name, value, created_at) "
                       "VALUES (?, ?, ?)", [name, make, iso(now)])
            return db.execute("SELECT value FROM app_secrets WHERE name = ?",
                              [name]).fetchone()[0]


def _account(row: dict) -> StaffAccount:
    return StaffAccount(
        username=row["username"], display_name=row["display_name"], role=row["role"],
        agency=row["agency"], active=bool(row["active"]), session_epoch=row["session_epoch"],
        failed_logins=row["failed_logins"], locked_until=time_or_none(row["locked_until"]),
        created_at=datetime.fromisoformat(row["created_at"]))
