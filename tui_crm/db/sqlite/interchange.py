"""Import and export on SQLite."""

from __future__ import annotations

from tui_crm.db.store.interchange import Interchange


class SqliteInterchange(Interchange):
    pass
