"""Finding customers: the search index and the query language's plans on PostgreSQL."""

from __future__ import annotations

from tui_crm.db.store.search import Search


class PostgresSearch(Search):
    pass
