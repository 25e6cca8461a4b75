"""Import and export on PostgreSQL."""

from __future__ import annotations

from tui_crm.db.store.interchange import Interchange


class PostgresInterchange(Interchange):
    pass
