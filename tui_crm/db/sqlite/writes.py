"""Writing customers, interactions, corrections, the trash, undo and bulk actions on SQLite."""

from __future__ import annotations

from tui_crm.db.store.writes import Writes


class SqliteWrites(Writes):
    pass
