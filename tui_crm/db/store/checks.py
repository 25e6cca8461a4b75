"""The book's checks, repairs and backups (core/check.py, backups.py)."""

from __future__ import annotations

from tui_crm.db.store.area import Area


class Checks(Area):
    pass
