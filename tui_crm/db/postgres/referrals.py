"""The referral tree and its kept figures on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterable

from tui_crm.db.store.referrals import Referrals, Row

# SQLite's EDGES_SQL as four arrays; an empty book gives NULLs, read as empty lists.
EDGES_SQL = """SELECT array_agg(r.id ORDER BY r.referred_by_id, r.id),
  array_agg(r.referred_by_id ORDER BY r.referred_by_id, r.id),
  array_agg(v.spent_12m ORDER BY r.referred_by_id, r.id),
  array_agg(w.spent_12m ORDER BY r.referred_by_id, r.id)
FROM customer r
JOIN customer_value v ON v.customer_id = r.id
JOIN customer_value w ON w.customer_id = r.referred_by_id
WHERE r.referred_by_id IS NOT NULL AND r.referred_by_id != r.id"""


class PostgresReferrals(Referrals):
    def details(self, ids: Iterable[int]) -> list[Row]:
        return self.db.execute_sql(
            """SELECT c.id, c.first_name, c.last_name, c.company, coalesce(v.tier, '')
FROM unnest(?::integer[]) AS j(value) JOIN customer c ON c.id = j.value
LEFT JOIN customer_value v ON v.customer_id = c.id""",
            (self.ids(ids),),
        ).fetchall()

    def referral_edges(self) -> tuple[list[int], list[int], list[int], list[int]]:
        columns = self.db.execute_sql(EDGES_SQL).fetchone()
        referred, referrers, cents, referrer_cents = (list(c or []) for c in columns)
        return referred, referrers, cents, referrer_cents

    def tidy_figure(self, customer_id: int) -> None:
        self.db.execute_sql(
            "DELETE FROM referral_figure WHERE customer_id = ? AND referred = 0 "
            "AND referrer_id IS NULL",
            (customer_id,),
        )
        self.db.execute_sql(
            "UPDATE referral_figure "
            "SET root = (referred > 0 AND (referrer_id IS NULL OR cut != 0))::int "
            "WHERE customer_id = ?",
            (customer_id,),
        )
