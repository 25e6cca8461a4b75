"""Customer value, purchase rhythm and lapse, insights, recent contact (core/value.py, lapse.py, insights.py, recent_contact.py)."""

from __future__ import annotations

from tui_crm.db.store.area import Area


class Values(Area):
    pass
