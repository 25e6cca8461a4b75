"""Duplicates, their kept pairs, and merging (core/duplicates.py, duplicates_kept.py, merge.py)."""

from __future__ import annotations

from tui_crm.db.store.area import Area


class Duplicates(Area):
    pass
