"""Customer value, purchase rhythm and lapse, insights, recent contact on SQLite."""

from __future__ import annotations

from tui_crm.db import derived
from tui_crm.db.store.values import Row, Values, rebuild_sql

# The gold and silver places from the 12-month spends as they are (the index
# `customer_value_rank` gives the order, and the scan stops after the silver places), with the
# customers who held one before, where rank or tier differ from the kept ones.
RANKS = """
INSERT INTO temp.value_ranks (customer_id, value_rank, tier, tier_changed)
WITH placed AS MATERIALIZED (
  SELECT customer_id, spent_12m, value_rank, tier,
         row_number() OVER (ORDER BY spent_12m DESC, customer_id) AS rank
  FROM (SELECT customer_id, spent_12m, value_rank, tier
        FROM customer_value INDEXED BY customer_value_rank
        ORDER BY spent_12m DESC, customer_id LIMIT :places)),
fresh AS (
  SELECT customer_id, value_rank, tier,
         CASE WHEN spent_12m <= 0 THEN ''
              WHEN rank <= :gold THEN 'gold'
              ELSE 'silver' END AS new_tier, rank
  FROM placed
  UNION ALL
  SELECT customer_id, value_rank, tier, '', 0 FROM customer_value INDEXED BY customer_value_tier
  WHERE tier IN ('gold', 'silver') AND customer_id NOT IN (SELECT customer_id FROM placed))
SELECT customer_id, CASE WHEN new_tier = '' THEN 0 ELSE rank END, new_tier, new_tier != tier
FROM fresh
WHERE new_tier != tier OR value_rank != CASE WHEN new_tier = '' THEN 0 ELSE rank END
"""

# The rank of a customer outside gold and silver: everyone before them in the index, plus one.
RANK_OF = """SELECT 1
  + (SELECT count(*) FROM customer_value INDEXED BY customer_value_rank WHERE spent_12m > :spent)
  + (SELECT count(*) FROM customer_value INDEXED BY customer_value_rank
     WHERE spent_12m = :spent AND customer_id < :id)"""

# Per customer, the cents of their purchases on the days (lo, hi] (the index on purchase
# days holds day, customer and cents: no table row is read).
SPENT_BETWEEN = """SELECT customer_id, sum(cents) FROM purchase INDEXED BY purchase_day
WHERE day > ? AND day <= ? GROUP BY customer_id"""


class SqliteValues(Values):
    RANKS = RANKS

    def hold_values(self) -> None:
        pass  # the writer's IMMEDIATE transaction holds the whole book already

    def rebuild_values(self, bounds: dict[str, str]) -> None:
        # The table's indexes dropped meanwhile and built again after: one sorted build each.
        derived.refill(self.db, "customer_value", [(rebuild_sql(bounds), None)])

    def spent_between(self, after: str, upto: str) -> list[Row]:
        return self.db.execute_sql(SPENT_BETWEEN, (after, upto)).fetchall()

    def rank_of(self, customer_id: int, spent_12m: int) -> int:
        return self.db.execute_sql(RANK_OF, {"spent": spent_12m, "id": customer_id}).fetchone()[0]

    def rebuild_rhythms(self) -> None:
        self.db.execute_sql("DELETE FROM purchase_rhythm")
        self.db.execute_sql(
            "INSERT INTO purchase_rhythm (customer_id, purchases, first_day, last_day) "
            + derived.RHYTHM_OF.format(where="")
        )

    def every_gap(self) -> list[int]:
        sql = f"""SELECT gap FROM (
  SELECT day - lag(day) OVER (PARTITION BY customer_id ORDER BY day) AS gap
  FROM (SELECT DISTINCT customer_id, {derived.ordinal("day")} AS day FROM purchase
        WHERE cents > 0 AND customer_id IN (
          SELECT r.customer_id FROM purchase_rhythm r JOIN customer c ON c.id = r.customer_id
          WHERE r.purchases > 1 AND c.deleted_at IS NULL)))
WHERE gap IS NOT NULL"""
        return [row[0] for row in self.db.execute_sql(sql)]
