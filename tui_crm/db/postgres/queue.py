"""The needs-attention queue and the agenda on PostgreSQL."""

from __future__ import annotations

from tui_crm.db.store.queue import Queue


class PostgresQueue(Queue):
    pass
