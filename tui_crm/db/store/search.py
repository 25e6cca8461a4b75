"""Finding customers: the search index and the query language's plans (core/search.py)."""

from __future__ import annotations

from tui_crm.db.store.area import Area


class Search(Area):
    pass
