"""Writing customers, interactions, corrections, the trash, undo and bulk actions on PostgreSQL."""

from __future__ import annotations

from tui_crm.db.store.writes import Writes


class PostgresWrites(Writes):
    pass
