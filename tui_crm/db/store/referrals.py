"""The referral tree and its kept figures (core/referrals.py)."""

from __future__ import annotations

from tui_crm.db.store.area import Area


class Referrals(Area):
    pass
