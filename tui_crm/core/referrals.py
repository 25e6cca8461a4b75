"""Who referred whom, and whether each referral was thanked.

A referral is a live customer whose `referred_by` is another live customer. It counts as
thanked when the referrer has a `thanks` interaction naming that referral (`regarding`), or a
`thanks` naming no one, at or after the day of the referral (the referred customer's
`acquired_on`, else the day they were added).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from peewee import Database

# The day a referral happened, for customer alias `r`.
REFERRAL_DAY = "coalesce(r.acquired_on, date(r.created_at))"

# 1 when the referral of customer `r` by customer `r.referred_by_id` was thanked.
THANKED_SQL = f"""EXISTS (
  SELECT 1 FROM interaction t INDEXED BY interaction_thanks
  WHERE t.customer_id = r.referred_by_id AND t.kind = 'thanks'
    AND (t.regarding_id = r.id OR (t.regarding_id IS NULL AND date(t.at) >= {REFERRAL_DAY})))"""

LIVE_REFERRALS = """FROM customer r JOIN customer p ON p.id = r.referred_by_id
WHERE r.deleted_at IS NULL AND p.deleted_at IS NULL AND r.referred_by_id != r.id"""


@dataclass(frozen=True)
class Referral:
    referrer_id: int
    referred_id: int
    referred_name: str
    day: date
    thanked: bool


def referrals(db: Database, referrer_ids: list[int] | None = None) -> list[Referral]:
    """Every live referral (of the given referrers, or of everyone), oldest first."""
    where = ""
    params: list = []
    if referrer_ids is not None:
        where = " AND r.referred_by_id IN (SELECT value FROM json_each(?))"
        params.append(_json_list(referrer_ids))
    sql = (
        "SELECT r.referred_by_id, r.id, trim(r.first_name || ' ' || r.last_name), r.company, "
        f"{REFERRAL_DAY}, {THANKED_SQL} {LIVE_REFERRALS}{where} ORDER BY 5, r.id"
    )
    return [
        Referral(referrer, referred, name or company, date.fromisoformat(day), bool(thanked))
        for referrer, referred, name, company, day, thanked in db.execute_sql(sql, params)
    ]


def _json_list(ids: list[int]) -> str:
    return "[" + ",".join(str(int(i)) for i in ids) + "]"
