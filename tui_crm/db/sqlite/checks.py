"""The book's checks, repairs and backups on SQLite."""

from __future__ import annotations

from tui_crm.db.store.checks import Checks


class SqliteChecks(Checks):
    pass
