"""What staff did, in the `audit_log` table, for admins to read.

Example:
    audit = AuditLog(store)
    audit.record("lan.nguyen", "petition.answer", target="PA-2026-000123",
                 details={"status": "answered"}, address="10.0.0.7")
    audit.recent(limit=50)   # newest first
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bot.storage import Store


@dataclass(frozen=True)
class AuditEntry:
    id: int
    staff: str | None
    action: str
    target: str | None
    details: dict[str, Any]
    address: str | None
    created_at: datetime


class AuditLog:
    def __init__(self, store: Store,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.store = store
        self.clock = clock

    def record(self, staff: str | None, action: str, *, target: str | None = None,
               details: dict[str, Any] | None = None, address: str | None = None) -> None:
        self.store.execute(
            "INSERT INTO audit_log (staff, action, target, details, address, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [staff, action, target, json.dumps(details or {}, ensure_ascii=False), address,
             self.clock().astimezone(UTC).isoformat(timespec="seconds")])

    def recent(self, *, limit: int = 100, offset: int = 0, staff: str | None = None,
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
        rows = self.store.rows(sql + " ORDER BY id DESC LIMIT ? OFFSET ?",
                               [*params, limit, offset])
        return [AuditEntry(row["id"], row["staff"], row["action"], row["target"],
                           json.loads(row["details"]), row["address"],
                           datetime.fromisoformat(row["created_at"])) for row in rows]
