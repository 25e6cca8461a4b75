"""Duplicates, their kept pairs, and merging on PostgreSQL."""

from __future__ import annotations

from tui_crm.db.store.duplicates import Duplicates


class PostgresDuplicates(Duplicates):
    pass
