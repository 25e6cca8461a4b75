"""Duplicates, their kept pairs, and merging on SQLite."""

from __future__ import annotations

from tui_crm.db.store.duplicates import Duplicates


class SqliteDuplicates(Duplicates):
    pass
