"""The referral tree and its kept figures on PostgreSQL."""

from __future__ import annotations

from tui_crm.db.store.referrals import Referrals


class PostgresReferrals(Referrals):
    pass
