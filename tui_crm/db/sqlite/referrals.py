"""The referral tree and its kept figures on SQLite."""

from __future__ import annotations

import json
from collections.abc import Iterable

from tui_crm.db.store.referrals import Referrals, Row

# Every live referral: the referred customer, the referrer and both 12-month values, as four
# JSON arrays in referrer order (the index's own order, so no sort). One JSON text per column
# parses in C; fetching 15 000 rows one tuple at a time costs about as much as the query.
# Once `ensure_values` has run, `customer_value` holds exactly the customers not in the trash
# (its triggers keep it so), so joining it checks liveness without reading the wide customer
# rows.
EDGES_SQL = """SELECT json_group_array(id), json_group_array(referrer),
  json_group_array(cents), json_group_array(referrer_cents)
FROM (SELECT r.id, r.referred_by_id AS referrer, v.spent_12m AS cents,
        w.spent_12m AS referrer_cents
      FROM customer r INDEXED BY customer_referred_by
      JOIN customer_value v ON v.customer_id = r.id
      JOIN customer_value w ON w.customer_id = r.referred_by_id
      WHERE r.referred_by_id IS NOT NULL AND r.referred_by_id != r.id
      ORDER BY r.referred_by_id, r.id)"""

DETAILS_SQL = """SELECT c.id, c.first_name, c.last_name, c.company, coalesce(v.tier, '')
FROM json_each(?) j JOIN customer c ON c.id = j.value
LEFT JOIN customer_value v ON v.customer_id = c.id"""


class SqliteReferrals(Referrals):
    THANKS_FROM = "interaction t INDEXED BY interaction_thanks"
    REFERRED_FROM = "customer r INDEXED BY customer_referred_by"
    ROOTS_FROM = "referral_figure INDEXED BY referral_figure_root"

    def details(self, ids: Iterable[int]) -> list[Row]:
        return self.db.execute_sql(DETAILS_SQL, (self.ids(ids),)).fetchall()

    def referral_edges(self) -> tuple[list[int], list[int], list[int], list[int]]:
        columns = self.db.execute_sql(EDGES_SQL).fetchone()
        referred, referrers, cents, referrer_cents = (json.loads(c) for c in columns)
        return referred, referrers, cents, referrer_cents

    def tidy_figure(self, customer_id: int) -> None:
        self.db.execute_sql(
            "DELETE FROM referral_figure WHERE customer_id = ? AND referred = 0 "
            "AND referrer_id IS NULL",
            (customer_id,),
        )
        self.db.execute_sql(
            "UPDATE referral_figure SET root = (referred > 0 AND (referrer_id IS NULL OR cut)) "
            "WHERE customer_id = ?",
            (customer_id,),
        )
