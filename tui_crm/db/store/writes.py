"""Writing customers, interactions, corrections, the trash, undo and bulk actions (core/customers.py, corrections.py, trash.py, undo.py, bulk_actions.py, book.py, demo.py)."""

from __future__ import annotations

from tui_crm.db.store.area import Area


class Writes(Area):
    pass
