"""The book's checks, repairs and backups on SQLite."""

from __future__ import annotations

from pathlib import Path

from tui_crm.db.backup import backup_file
from tui_crm.db.retention import Retention
from tui_crm.db.store.checks import Checks


class SqliteChecks(Checks):
    def take_backup(self, reason: str, keep: Retention) -> Path | None:
        """A checked copy of the book's file (none for a book that is not a file, or one with
        nothing in it yet)."""
        name = str(self.db.database or "")
        if not name or name == ":memory:" or name.startswith("file:"):
            return None
        path = Path(name)
        if not path.exists() or path.stat().st_size == 0:
            return None
        return backup_file(path, reason, keep=keep)
