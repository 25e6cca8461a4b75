"""Customer value as of a date: spend windows, value rank and the gold/silver tiers.

Tiers: rank everyone not in the trash by 12-month spend (ties by id, oldest first); the top
10 % (rounded up) are gold, the next 10 % silver; a customer with no 12-month spend is neither.

The figures live in `customer_value`, one row per customer not in the trash, kept for one day
(meta `values_day`) without going back to every purchase:

- as purchases are written, triggers add or take away each purchase's cents in the windows it
  falls in, and a customer added, trashed or restored gains or loses their row (db/derived.py);
- when the day moves, only the customers with a purchase on a day entering or leaving one of
  the windows are worked out again (`_move_day`, from the index on purchase days): a day's
  worth of purchases, not the book;
- tiers follow in one pass down the index on 12-month spend over the gold and silver places
  only, writing just the rows whose tier or rank changed (`_rank`), once per day or after
  purchases or customers changed (the triggers drop meta `values_as_of`, which says
  everything is current).

`value_rank` is kept for gold and silver customers (what Insights lists); for everyone else it
is 0 and `customer_value` counts the rank when asked: keeping every customer's rank would mean
rewriting most rows whenever one customer's spend moves past many others.

After a bulk write (the triggers off; meta `values_day` dropped) the summary is built whole.
"""

from __future__ import annotations

from datetime import date, timedelta

from peewee import Database

from tui_crm.core.dates import one_year_before
from tui_crm.core.rows import Value
from tui_crm.db.meta import meta_value, set_meta

# Every live customer's figures from nothing: the purchases summed per customer from the index
# on purchase days (day, customer, cents: no table row is read), then ranked.
REBUILD = """
INSERT INTO customer_value (customer_id, spent_30d, spent_12m, lifetime, value_rank, tier)
WITH bought AS MATERIALIZED (
  SELECT customer_id,
         sum(CASE WHEN day > :d30 THEN cents END) AS spent_30d,
         sum(CASE WHEN day > :d12m THEN cents END) AS spent_12m,
         sum(cents) AS lifetime
  FROM purchase INDEXED BY purchase_day
  WHERE day <= :as_of
  GROUP BY customer_id),
spend AS (
  SELECT c.id AS customer_id, coalesce(b.spent_30d, 0) AS spent_30d,
         coalesce(b.spent_12m, 0) AS spent_12m, coalesce(b.lifetime, 0) AS lifetime
  FROM customer c LEFT JOIN bought b ON b.customer_id = c.id
  WHERE c.deleted_at IS NULL),
ranked AS (
  SELECT *, row_number() OVER (ORDER BY spent_12m DESC, customer_id) AS rank,
         count(*) OVER () AS total
  FROM spend)
SELECT customer_id, spent_30d, spent_12m, lifetime,
       CASE WHEN spent_12m > 0 AND rank <= (2 * total + 9) / 10 THEN rank ELSE 0 END,
       CASE WHEN spent_12m <= 0 THEN ''
            WHEN rank <= (total + 9) / 10 THEN 'gold'
            WHEN rank <= (2 * total + 9) / 10 THEN 'silver'
            ELSE '' END
FROM ranked
"""

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

# Far enough back that every purchase day is after it ('' sorts before any date).
BEGINNING = ""


def _bounds(as_of: date) -> dict[str, str]:
    return {
        "d30": (as_of - timedelta(days=30)).isoformat(),
        "d12m": one_year_before(as_of).isoformat(),
        "as_of": as_of.isoformat(),
    }


def _rebuild_sql(as_of: date) -> str:
    sql = REBUILD
    for key, value in _bounds(as_of).items():
        sql = sql.replace(f":{key}", f"'{value}'")  # ISO dates we formatted ourselves
    return sql


def _windows(as_of: date) -> tuple[tuple[str, str], tuple[str, str], tuple[str, str]]:
    """The days (after, up to] each figure counts as of `as_of`: 30 days, 12 months, lifetime."""
    bounds = _bounds(as_of)
    return (
        (bounds["d30"], bounds["as_of"]),
        (bounds["d12m"], bounds["as_of"]),
        (BEGINNING, bounds["as_of"]),
    )


def _minus(a: tuple[str, str], b: tuple[str, str]) -> list[tuple[str, str]]:
    """The days of window `a` outside window `b` (windows are (after, up to] in ISO text)."""
    out = []
    if min(a[1], b[0]) > a[0]:
        out.append((a[0], min(a[1], b[0])))
    if a[1] > max(a[0], b[1]):
        out.append((max(a[0], b[1]), a[1]))
    return out


def _keep_day(db: Database, as_of: date) -> None:
    bounds = _bounds(as_of)
    set_meta(db, "values_day", bounds["as_of"])
    set_meta(db, "values_from_30d", bounds["d30"])
    set_meta(db, "values_from_12m", bounds["d12m"])


def ensure_values(db: Database, as_of: date) -> None:
    """Make `customer_value` hold the figures as of `as_of` (no-op when it already does)."""
    stamp = as_of.isoformat()
    if meta_value(db, "values_as_of") == stamp:
        return
    with db.atomic("IMMEDIATE"):
        if meta_value(db, "values_as_of") == stamp:  # another thread or process just did it
            return
        kept = meta_value(db, "values_day")
        if kept is None:
            rebuild_values(db, as_of)
        else:
            if kept != stamp:
                _move_day(db, date.fromisoformat(kept), as_of)
            _rank(db)
        set_meta(db, "values_as_of", stamp)


def rebuild_values(db: Database, as_of: date) -> None:
    """Build the whole summary as of `as_of` from the purchases (after a bulk write, or by
    `check --repair`). The queue's scores and the referral figures are built again after it."""
    from tui_crm.db.derived import refill  # only to build it whole: not for every search

    with db.atomic():
        refill(db, "customer_value", [(_rebuild_sql(as_of), None)])
    _keep_day(db, as_of)
    set_meta(db, "values_as_of", as_of.isoformat())
    db.execute_sql("DELETE FROM meta WHERE key IN ('attention_kept', 'referrals_kept')")


def _move_day(db: Database, kept: date, as_of: date) -> None:
    """Move the spends from the day `kept` to `as_of`: only the purchases on days that enter or
    leave a window change anyone's figures."""
    change: dict[int, list[int]] = {}
    for n, (old, new) in enumerate(zip(_windows(kept), _windows(as_of), strict=True)):
        for sign, days in [(1, _minus(new, old)), (-1, _minus(old, new))]:
            for after, upto in days:
                for customer_id, cents in db.execute_sql(SPENT_BETWEEN, (after, upto)):
                    change.setdefault(customer_id, [0, 0, 0])[n] += sign * cents
    moved = [(*d, cid) for cid, d in change.items() if any(d)]
    db.connection().executemany(
        "UPDATE customer_value SET spent_30d = spent_30d + ?, spent_12m = spent_12m + ?, "
        "lifetime = lifetime + ? WHERE customer_id = ?",
        moved,
    )
    _keep_day(db, as_of)
    values_changed(db, [cid for d30, d12m, life, cid in moved if d12m])


def values_changed(db: Database, ids: list[int]) -> None:
    """These customers' 12-month spend or tier changed: what is read from them is worked out
    again (their queue score; the referral figures above them)."""
    if not ids:
        return
    wanted = (_json_ids(ids),)
    db.execute_sql(
        "UPDATE attention_score SET valid_until = 0 "
        "WHERE customer_id IN (SELECT value FROM json_each(?))",
        wanted,
    )
    db.execute_sql(
        "INSERT OR IGNORE INTO referral_dirty (customer_id) SELECT customer_id FROM "
        "referral_figure WHERE customer_id IN (SELECT value FROM json_each(?))",
        wanted,
    )


def _rank(db: Database) -> None:
    """Tiers (and the ranks of gold and silver customers) from the spends as they are; only
    rows that change are written."""
    db.execute_sql(
        "CREATE TEMP TABLE IF NOT EXISTS value_ranks (customer_id INTEGER PRIMARY KEY, "
        "value_rank INTEGER, tier TEXT, tier_changed INTEGER)"
    )
    db.execute_sql("DELETE FROM temp.value_ranks")
    total = int(db.execute_sql("SELECT count(*) FROM customer_value").fetchone()[0])
    db.execute_sql(RANKS, {"places": (2 * total + 9) // 10, "gold": (total + 9) // 10})
    db.execute_sql(
        "UPDATE customer_value SET value_rank = r.value_rank, tier = r.tier "
        "FROM temp.value_ranks r WHERE r.customer_id = customer_value.customer_id"
    )
    changed = [
        row[0]
        for row in db.execute_sql("SELECT customer_id FROM temp.value_ranks WHERE tier_changed")
    ]
    db.execute_sql("DELETE FROM temp.value_ranks")
    values_changed(db, changed)


def _json_ids(ids: list[int]) -> str:
    return "[" + ",".join(str(int(i)) for i in ids) + "]"


def customer_value(db: Database, customer_id: int, as_of: date) -> Value:
    ensure_values(db, as_of)
    row = db.execute_sql(
        "SELECT spent_30d, spent_12m, lifetime, value_rank, tier FROM customer_value "
        "WHERE customer_id = ?",
        (customer_id,),
    ).fetchone()
    if row is None:
        return Value(as_of=as_of)
    spent_30d, spent_12m, lifetime, rank, tier = row
    if not rank:
        rank = db.execute_sql(RANK_OF, {"spent": spent_12m, "id": customer_id}).fetchone()[0]
    return Value(spent_30d, spent_12m, lifetime, rank, tier, as_of=as_of)
