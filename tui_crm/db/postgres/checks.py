"""The book's checks, repairs and backups on PostgreSQL."""

from __future__ import annotations

from tui_crm.db.store.checks import Checks


class PostgresChecks(Checks):
    pass
