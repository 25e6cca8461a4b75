"""The book's checks, repairs and backups on PostgreSQL."""

from __future__ import annotations

from pathlib import Path

from tui_crm.db.postgres.backup import dump
from tui_crm.db.retention import Retention
from tui_crm.db.store.checks import Checks


class PostgresChecks(Checks):
    def take_backup(self, reason: str, keep: Retention) -> Path | None:
        """A checked pg_dump archive of the book."""
        return dump(self.db.url, reason, keep=keep)
