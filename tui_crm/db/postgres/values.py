"""Customer value, purchase rhythm and lapse, insights, recent contact on PostgreSQL."""

from __future__ import annotations

from tui_crm.db.store.values import Row, Values, rebuild_sql

# As SQLite's (tui_crm/db/sqlite/values.py), in a temporary table of PostgreSQL's schema
# pg_temp, with the changed tier as 0 or 1.
RANKS = """
INSERT INTO pg_temp.value_ranks (customer_id, value_rank, tier, tier_changed)
WITH placed AS MATERIALIZED (
  SELECT customer_id, spent_12m, value_rank, tier,
         row_number() OVER (ORDER BY spent_12m DESC, customer_id) AS rank
  FROM (SELECT customer_id, spent_12m, value_rank, tier
        FROM customer_value
        ORDER BY spent_12m DESC, customer_id LIMIT :places) AS first_places),
fresh AS (
  SELECT customer_id, value_rank, tier,
         CASE WHEN spent_12m <= 0 THEN ''
              WHEN rank <= :gold THEN 'gold'
              ELSE 'silver' END AS new_tier, rank
  FROM placed
  UNION ALL
  SELECT customer_id, value_rank, tier, '', 0 FROM customer_value
  WHERE tier IN ('gold', 'silver') AND customer_id NOT IN (SELECT customer_id FROM placed))
SELECT customer_id, CASE WHEN new_tier = '' THEN 0 ELSE rank END, new_tier,
  (new_tier != tier)::integer
FROM fresh
WHERE new_tier != tier OR value_rank != CASE WHEN new_tier = '' THEN 0 ELSE rank END
"""

# Counted over the whole book by the schema's crm_rank_of, for a salesperson who sees only their
# own customers too (migration 18).
RANK_OF = "SELECT crm_rank_of(:id::integer, :spent::bigint)"


# SQLite's WHY_SQL from the index of the answers an index entry holds (migration 19), and the
# few longer ones apart.
WHY = """SELECT why_chose_us, count(*) FROM customer
WHERE deleted_at IS NULL AND octet_length(why_chose_us) < 2000 GROUP BY why_chose_us
UNION ALL SELECT why_chose_us, count(*) FROM customer
WHERE deleted_at IS NULL AND octet_length(why_chose_us) >= 2000 GROUP BY why_chose_us"""


class PostgresValues(Values):
    GREATEST = "greatest"
    RANKS = RANKS
    WHY = WHY

    def hold_values(self) -> None:
        # A lock of the book's (7443524, as its migrations'), number 1: the value summary. Two
        # transactions both finding it a day behind would otherwise both build it.
        self.db.execute_sql("SELECT pg_advisory_xact_lock(7443524, 1)")

    def rebuild_values(self, bounds: dict[str, str]) -> None:
        self.db.execute_sql("DELETE FROM customer_value")
        self.db.execute_sql(rebuild_sql(bounds, indexed=""))
        # The planner's statistics of the summary made whole again, now rather than when
        # autovacuum gets to it: planned from an empty summary's (a new or copied book's), a
        # search of gold customers sorted all 10 000 of them rather than walking the first
        # page down the ranking (100 ms, not 1). Left to autovacuum for a user who does not
        # own the table (ANALYZE would only warn).
        owner = self.db.execute_sql(
            "SELECT pg_has_role(relowner, 'USAGE') FROM pg_class "
            "WHERE oid = 'customer_value'::regclass"
        ).fetchone()[0]
        if owner:
            self.db.execute_sql("ANALYZE customer_value")

    def spent_between(self, after: str, upto: str) -> list[Row]:
        # '' (before every purchase) is no date on PostgreSQL: no lower bound then.
        since, params = ("day > ? AND ", (after, upto)) if after else ("", (upto,))
        return [
            (customer_id, int(cents))
            for customer_id, cents in self.db.execute_sql(
                f"SELECT customer_id, sum(cents) FROM purchase WHERE {since}day <= ? "
                "GROUP BY customer_id",
                params,
            )
        ]

    def rank_of(self, customer_id: int, spent_12m: int) -> int:
        return self.db.execute_sql(RANK_OF, {"spent": spent_12m, "id": customer_id}).fetchone()[0]

    def rebuild_rhythms(self) -> None:
        self.db.execute_sql("DELETE FROM purchase_rhythm")
        self.db.execute_sql(
            "INSERT INTO purchase_rhythm (customer_id, purchases, first_day, last_day) "
            "SELECT customer_id, count(DISTINCT day_number(day)), min(day_number(day)), "
            "max(day_number(day)) FROM purchase WHERE cents > 0 GROUP BY customer_id"
        )

    def every_gap(self) -> list[int]:
        sql = """SELECT gap FROM (
  SELECT day - lag(day) OVER (PARTITION BY customer_id ORDER BY day) AS gap
  FROM (SELECT DISTINCT customer_id, day_number(day) AS day FROM purchase
        WHERE cents > 0 AND customer_id IN (
          SELECT r.customer_id FROM purchase_rhythm r JOIN customer c ON c.id = r.customer_id
          WHERE r.purchases > 1 AND c.deleted_at IS NULL)) AS days) AS gaps
WHERE gap IS NOT NULL"""
        return [row[0] for row in self.db.execute_sql(sql)]
