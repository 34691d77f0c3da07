"""What staff did, in the `audit_log` table, for admins to read.

Example:
    audit = AuditLog(store)
    audit.record("lan.nguyen", "petition.answer", target="PA-2026-000123",
                 details={"status": "answered"}, address="10.0.0.7")
    audit.recent(limit=50)   # newest first
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from bot.storage import Store
from bot.storage.staff import AuditEntry


class AuditLog:
    def __init__(self, store: Store,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.store = store
        self.clock = clock

    def record(self, staff: str | None, action: str, *, target: str | None = None,
               details: dict[str, Any] | None = None, address: str | None = None) -> None:
        self.store.record_audit(staff, action, target, details or {}, address, self.clock())

    def recent(self, *, limit: int = 100, offset: int = 0, staff: str | None = None,
               action: str | None = None) -> list[AuditEntry]:
        """Entries newest first, optionally of one staff member or one action."""
        return self.store.audit_entries(limit=limit, offset=offset, staff=staff, action=action)
