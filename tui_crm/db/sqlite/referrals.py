"""The referral tree and its kept figures on SQLite."""

from __future__ import annotations

from tui_crm.db.store.referrals import Referrals


class SqliteReferrals(Referrals):
    pass
