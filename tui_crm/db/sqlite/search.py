"""Finding customers: the search index and the query language's plans on SQLite."""

from __future__ import annotations

from tui_crm.db.store.search import Search


class SqliteSearch(Search):
    pass
