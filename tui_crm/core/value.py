"""Customer value as of a date: spend windows, value rank and the gold/silver tiers.

The figures live in `customer_value`, rebuilt in one set-based pass whenever the as-of day
changes or a purchase or customer was written since (triggers drop the `values_as_of` mark).
Tiers: rank everyone not in the trash by 12-month spend (ties by id, oldest first); the top
10 % (rounded up) are gold, the next 10 % silver; a customer with no 12-month spend is neither.
"""

from __future__ import annotations

from datetime import date, timedelta

from peewee import Database

from tui_crm.core.dates import one_year_before
from tui_crm.core.types import Value
from tui_crm.db.meta import meta_value, set_meta

REBUILD = """
INSERT INTO customer_value (customer_id, spent_30d, spent_12m, lifetime, value_rank, tier)
WITH spend AS (
  SELECT c.id AS customer_id,
         coalesce(sum(CASE WHEN p.day > :d30 THEN p.cents END), 0) AS spent_30d,
         coalesce(sum(CASE WHEN p.day > :d12m THEN p.cents END), 0) AS spent_12m,
         coalesce(sum(p.cents), 0) AS lifetime
  FROM customer c
  LEFT JOIN purchase p ON p.customer_id = c.id AND p.day <= :as_of
  WHERE c.deleted_at IS NULL
  GROUP BY c.id),
ranked AS (
  SELECT *, row_number() OVER (ORDER BY spent_12m DESC, customer_id) AS rank,
         count(*) OVER () AS total
  FROM spend)
SELECT customer_id, spent_30d, spent_12m, lifetime, rank,
       CASE WHEN spent_12m <= 0 THEN ''
            WHEN rank <= (total + 9) / 10 THEN 'gold'
            WHEN rank <= (2 * total + 9) / 10 THEN 'silver'
            ELSE '' END
FROM ranked
"""


def _rebuild_sql(as_of: date) -> str:
    params = {
        "d30": (as_of - timedelta(days=30)).isoformat(),
        "d12m": one_year_before(as_of).isoformat(),
        "as_of": as_of.isoformat(),
    }
    sql = REBUILD
    for key, value in params.items():
        sql = sql.replace(f":{key}", f"'{value}'")  # ISO dates we formatted ourselves
    return sql


def ensure_values(db: Database, as_of: date) -> None:
    """Make `customer_value` hold the figures as of `as_of` (no-op when it already does)."""
    stamp = as_of.isoformat()
    if meta_value(db, "values_as_of") == stamp:
        return
    with db.atomic("IMMEDIATE"):
        if meta_value(db, "values_as_of") == stamp:  # another thread or process just did it
            return
        db.execute_sql("DELETE FROM customer_value")
        db.execute_sql(_rebuild_sql(as_of))
        set_meta(db, "values_as_of", stamp)


def customer_value(db: Database, customer_id: int, as_of: date) -> Value:
    ensure_values(db, as_of)
    row = db.execute_sql(
        "SELECT spent_30d, spent_12m, lifetime, value_rank, tier FROM customer_value "
        "WHERE customer_id = ?",
        (customer_id,),
    ).fetchone()
    if row is None:
        return Value(as_of=as_of)
    return Value(*row, as_of=as_of)
