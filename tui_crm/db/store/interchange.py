"""Import and export (core/interchange/)."""

from __future__ import annotations

from tui_crm.db.store.area import Area


class Interchange(Area):
    pass
