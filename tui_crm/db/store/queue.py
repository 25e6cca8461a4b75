"""The needs-attention queue and the agenda (core/attention.py, agenda.py)."""

from __future__ import annotations

from tui_crm.db.store.area import Area


class Queue(Area):
    pass
