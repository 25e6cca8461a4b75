"""Customer value, purchase rhythm and lapse, insights, recent contact on SQLite."""

from __future__ import annotations

from tui_crm.db.store.values import Values


class SqliteValues(Values):
    pass
