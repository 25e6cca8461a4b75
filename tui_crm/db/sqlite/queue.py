"""The needs-attention queue and the agenda on SQLite."""

from __future__ import annotations

from tui_crm.db.store.queue import Queue


class SqliteQueue(Queue):
    pass
