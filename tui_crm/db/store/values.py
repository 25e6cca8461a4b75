"""Customer value, purchase rhythm and lapse, insights, recent contact (core/value.py, lapse.py, insights.py, recent_contact.py)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import NamedTuple

from tui_crm.db.store.area import Area, Row


class LapseRule(NamedTuple):
    """The figures of the "stopped buying" rule (core/lapse.py) that its SQL is written with."""

    prior_gaps: int
    odds: int
    min_days: int
    min_purchases: int


# Every live customer's figures from nothing: the purchases summed per customer from the index
# on purchase days (day, customer, cents: no table row is read), then ranked. `{indexed}`: how
# the engine is told to read that index; the bounds are ISO dates the domain formatted.
REBUILD = """
INSERT INTO customer_value (customer_id, spent_30d, spent_12m, lifetime, value_rank, tier)
WITH bought AS MATERIALIZED (
  SELECT customer_id,
         sum(CASE WHEN day > :d30 THEN cents END) AS spent_30d,
         sum(CASE WHEN day > :d12m THEN cents END) AS spent_12m,
         sum(cents) AS lifetime
  FROM purchase {indexed}
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


def rebuild_sql(bounds: dict[str, str], indexed: str = "INDEXED BY purchase_day") -> str:
    """REBUILD for the bounds (d30, d12m, as_of: ISO dates), SQLite's by default (what the
    health check compares the kept figures with)."""
    sql = REBUILD.replace("{indexed}", indexed)
    for key, value in bounds.items():
        sql = sql.replace(f":{key}", f"'{value}'")  # ISO dates the domain formatted
    return sql


# The gaps between purchase days over the live customers (the triggers keep this count in
# meta `purchase_gaps`).
GAP_COUNT = """SELECT coalesce(sum(r.purchases - 1), 0) FROM purchase_rhythm r
JOIN customer c ON c.id = r.customer_id WHERE r.purchases > 1 AND c.deleted_at IS NULL"""

# Lost reasons are counted over the live customers marked lost.
# The counts of answers read the indexes of migration 13, not every customer.
LOST_REASONS_SQL = (
    "SELECT lost_reason, count(*) FROM customer "
    "WHERE deleted_at IS NULL AND status = 'lost' GROUP BY lost_reason"
)
WHY_SQL = (
    "SELECT why_chose_us, count(*) FROM customer WHERE deleted_at IS NULL GROUP BY why_chose_us"
)
SOURCES_SQL = (
    "SELECT c.source, count(*), coalesce(sum(v.spent_12m), 0) "
    "FROM customer c LEFT JOIN customer_value v ON v.customer_id = c.id "
    "WHERE c.deleted_at IS NULL GROUP BY c.source"
)
# The live referrals: the referred and their referrer both out of the trash (migration 14's
# index `customer_referred_live` holds them).
LIVE_REFERRALS = """FROM customer r JOIN customer p ON p.id = r.referred_by_id
WHERE r.deleted_at IS NULL AND p.deleted_at IS NULL AND r.referred_by_id != r.id"""


class Values(Area):
    # -- the value summary (core/value.py) ------------------------------------------------------

    def hold_values(self) -> None:
        """Inside a writing transaction: the value summary kept from other writers until it
        ends, so one of two readers bringing it to a new day does it and the other finds it
        done."""
        raise NotImplementedError

    def rebuild_values(self, bounds: dict[str, str]) -> None:
        """`customer_value` emptied and built again from the purchases as of bounds["as_of"]."""
        raise NotImplementedError

    def forget_kept_figures(self) -> None:
        """The queue's scores and the referral figures are to be built again whole."""
        self.db.execute_sql("DELETE FROM meta WHERE key IN ('attention_kept', 'referrals_kept')")

    def spent_between(self, after: str, upto: str) -> list[Row]:
        """(customer id, cents) of each customer's purchases on the days (after, upto] (ISO
        text; '' for after: from the first purchase)."""
        raise NotImplementedError

    def shift_values(self, moved: Sequence[tuple[int, int, int, int]]) -> None:
        """Add (30-day, 12-month, lifetime cents) to each customer's figures: (d30, d12m,
        lifetime, customer id) rows."""
        self.executemany(  # type: ignore[attr-defined]
            "UPDATE customer_value SET spent_30d = spent_30d + ?, spent_12m = spent_12m + ?, "
            "lifetime = lifetime + ? WHERE customer_id = ?",
            moved,
        )

    def values_changed(self, ids: Iterable[int]) -> None:
        """Their queue scores and the referral figures above them are worked out again."""
        wanted = (self.ids(ids),)
        self.db.execute_sql(
            f"UPDATE attention_score SET valid_until = 0 WHERE customer_id IN ({self.ID_LIST})",
            wanted,
        )
        self.db.execute_sql(
            "INSERT INTO referral_dirty (customer_id) SELECT customer_id FROM referral_figure "
            f"WHERE customer_id IN ({self.ID_LIST}) ON CONFLICT DO NOTHING",
            wanted,
        )

    RANKS = ""  # the statement filling {TEMP}.value_ranks (each engine's own)

    def rank_values(self, places: int, gold: int) -> list[int]:
        """Tiers and the ranks of the first `places` customers (the first `gold` of them gold,
        the rest silver) from the spends as they are, writing only the rows that change; the
        ids of the customers whose tier changed."""
        db, ranks = self.db, f"{self.TEMP}.value_ranks"
        db.execute_sql(
            "CREATE TEMP TABLE IF NOT EXISTS value_ranks (customer_id INTEGER PRIMARY KEY, "
            "value_rank INTEGER, tier TEXT, tier_changed INTEGER)"
        )
        db.execute_sql(f"DELETE FROM {ranks}")
        db.execute_sql(self.RANKS, {"places": places, "gold": gold})
        db.execute_sql(
            "UPDATE customer_value SET value_rank = r.value_rank, tier = r.tier "
            f"FROM {ranks} r WHERE r.customer_id = customer_value.customer_id"
        )
        changed = [
            row[0]
            for row in db.execute_sql(f"SELECT customer_id FROM {ranks} WHERE tier_changed = 1")
        ]
        db.execute_sql(f"DELETE FROM {ranks}")
        return changed

    def anyone_tiered(self) -> bool:
        """Whether any customer is gold or silver (as the values were last kept)."""
        found = self.db.execute_sql(
            "SELECT 1 FROM customer_value WHERE tier IN ('gold', 'silver') LIMIT 1"
        ).fetchone()
        return found is not None

    def value_count(self) -> int:
        return int(self.db.execute_sql("SELECT count(*) FROM customer_value").fetchone()[0])

    def value_row(self, customer_id: int) -> Row | None:
        """(30-day, 12-month, lifetime cents, rank, tier) of a customer, if kept."""
        return self.db.execute_sql(
            "SELECT spent_30d, spent_12m, lifetime, value_rank, tier FROM customer_value "
            "WHERE customer_id = ?",
            (customer_id,),
        ).fetchone()

    def rank_of(self, customer_id: int, spent_12m: int) -> int:
        """The rank of a customer outside gold and silver: everyone before them, plus one."""
        raise NotImplementedError

    # -- purchase rhythms and lapse (core/lapse.py) ----------------------------------------------

    def rebuild_rhythms(self) -> None:
        """Every customer's purchase days worked out again, in one pass over the purchases."""
        raise NotImplementedError

    def gap_count(self) -> int:
        """The gaps between purchase days over the live customers."""
        return int(self.db.execute_sql(GAP_COUNT).fetchone()[0])

    def every_gap(self) -> list[int]:
        """Every gap between the purchase days of the live customers with a rhythm, in days."""
        raise NotImplementedError

    def rescore_rhythms(self, min_purchases: int) -> None:
        """The queue scores of the repeat buyers are worked out again (the book's gap moved)."""
        self.db.execute_sql(
            "UPDATE attention_score SET valid_until = 0 WHERE customer_id IN "
            "(SELECT customer_id FROM purchase_rhythm WHERE purchases >= ?)",
            (min_purchases,),
        )

    def lapse_days_sql(self, rule: LapseRule, limit: bool) -> str:
        """`lapse_limit` (or `lapse_again`) in SQL over `purchase_rhythm`, with :book_gap: the
        same IEEE operations in the same order as core/lapse.py's, so SQL and Python agree to
        the last bit."""
        gap = (
            f"((last_day - first_day) + {rule.prior_gaps}.0 * :book_gap) "
            f"/ (purchases - 1 + {rule.prior_gaps})"
        )
        life = f"((last_day - first_day) + {gap})"
        days = f"{rule.odds - 1} * {life}" if limit else life
        return f"{self.GREATEST}({days}, {rule.min_days})"

    # SQLite's max(a, b) is PostgreSQL's greatest(a, b).
    GREATEST = "max"

    def rhythms_sql(self, rule: LapseRule) -> str:
        """Repeat buyers, with when silence means they lapsed and when it does again after a
        contact."""
        return f"""SELECT customer_id, purchases, first_day, last_day,
  {self.lapse_days_sql(rule, limit=True)} AS limit_days, {
            self.lapse_days_sql(rule, limit=False)
        } AS again_days
FROM purchase_rhythm WHERE purchases >= {rule.min_purchases}"""

    def _lapsed_sql(self, rule: LapseRule) -> str:
        # "Lapsed" has one meaning: what the rule says about the purchases (the status a
        # customer has, `status:lapsed`), whatever was done about it. The queue's
        # `reason:lapsed` is the part of it that needs attention now.
        return f"""WITH rhythms AS ({self.rhythms_sql(rule)})
SELECT c.id, r.purchases, r.first_day, r.last_day FROM customer c
JOIN rhythms r ON r.customer_id = c.id
WHERE c.deleted_at IS NULL AND c.status != 'lost' AND :today - r.last_day > r.limit_days"""

    def lapsed_rows(
        self, rule: LapseRule, today: int, book_gap: float, among: Iterable[int] | None
    ) -> list[Row]:
        """(id, purchase days, first day, last day) of every live customer, not lost, who has
        stopped buying on the day numbered `today` (of `among` only, when given)."""
        sql = self._lapsed_sql(rule)
        params: dict[str, object] = {"today": today, "book_gap": book_gap}
        if among is not None:
            sql += f" AND c.id IN ({self.ID_LIST.replace('?', ':among')})"
            params["among"] = self.ids(among)
        return self.db.execute_sql(sql, params).fetchall()

    def lapsed_count(self, rule: LapseRule, today: int, book_gap: float) -> int:
        """How many live customers, not lost, have stopped buying: counted in one step."""
        return self.db.execute_sql(
            f"SELECT count(*) FROM ({self._lapsed_sql(rule)}) AS lapsed",
            {"today": today, "book_gap": book_gap},
        ).fetchone()[0]

    # -- insights (core/insights.py) ---------------------------------------------------------------

    def value_totals(self) -> tuple[int, ...]:
        """(customers, buyers, 12-month cents, gold count, gold cents, silver count, silver
        cents) over the summary."""
        row = self.db.execute_sql(
            "SELECT count(*), count(CASE WHEN spent_12m > 0 THEN 1 END), "
            "coalesce(sum(spent_12m), 0), "
            "count(CASE WHEN tier = 'gold' THEN 1 END), "
            "coalesce(sum(CASE WHEN tier = 'gold' THEN spent_12m END), 0), "
            "count(CASE WHEN tier = 'silver' THEN 1 END), "
            "coalesce(sum(CASE WHEN tier = 'silver' THEN spent_12m END), 0) "
            "FROM customer_value"
        ).fetchone()
        return tuple(int(figure) for figure in row)  # PostgreSQL's sums are numeric

    def tier_members(self, tier: str, top: int) -> list[Row]:
        """(id, first name, last name, company, rank, 12-month cents) of the first `top` of a
        tier, by rank."""
        # Pick the top rows first, then fetch names for just those.
        return self.db.execute_sql(
            "SELECT c.id, c.first_name, c.last_name, c.company, v.value_rank, v.spent_12m "
            "FROM (SELECT customer_id, value_rank, spent_12m FROM customer_value "
            "      WHERE tier = ? ORDER BY value_rank LIMIT ?) AS v "
            "JOIN customer c ON c.id = v.customer_id ORDER BY v.value_rank",
            (tier, top),
        ).fetchall()

    def source_spend(self) -> list[Row]:
        """(source, customers, 12-month cents) per source as written, over live customers."""
        return [
            (source, customers, int(spent))
            for source, customers, spent in self.db.execute_sql(SOURCES_SQL)
        ]

    WHY = WHY_SQL

    def why_counts(self) -> list[Row]:
        """(why they chose us, customers) over live customers."""
        return self.db.execute_sql(self.WHY).fetchall()

    def lost_reason_counts(self) -> list[Row]:
        """(lost reason, customers) over the live customers marked lost."""
        return self.db.execute_sql(LOST_REASONS_SQL).fetchall()

    def top_referrers(self, top: int) -> list[Row]:
        """(id, first name, last name, company, referrals, 12-month and lifetime cents they
        brought, how many customers referred anyone) of the `top` referrers by value brought."""
        # Materialising the live referrals first lets SQLite walk only the referred customers;
        # grouping by the referrer's row instead makes it visit every customer.
        rows = self.db.execute_sql(
            "WITH live AS MATERIALIZED ("
            f"  SELECT r.id AS referred_id, r.referred_by_id AS referrer_id {LIVE_REFERRALS}), "
            "brought AS ("
            "  SELECT live.referrer_id, count(*) AS n, coalesce(sum(v.spent_12m), 0) AS b12, "
            "         coalesce(sum(v.lifetime), 0) AS blife, count(*) OVER () AS referrers "
            "  FROM live LEFT JOIN customer_value v ON v.customer_id = live.referred_id "
            "  GROUP BY live.referrer_id ORDER BY b12 DESC, blife DESC, n DESC, live.referrer_id "
            "  LIMIT ?) "
            "SELECT p.id, p.first_name, p.last_name, p.company, n, b12, blife, referrers "
            "FROM brought JOIN customer p ON p.id = brought.referrer_id "
            "ORDER BY b12 DESC, blife DESC, n DESC, p.id",
            (top,),
        ).fetchall()
        return [(*row[:5], int(row[5]), int(row[6]), row[7]) for row in rows]

    # -- recent contact (core/recent_contact.py) -------------------------------------------------

    def newest_contact(
        self, customer_id: int, since: str, until: str, kinds: Sequence[str]
    ) -> Row | None:
        """(id, kind, at, notes, outcome, logged by) of the customer's newest interaction of
        these kinds at times since..until (ISO text), if any (one indexed query)."""
        return self.db.execute_sql(
            "SELECT id, kind, at, notes, outcome, logged_by FROM interaction "
            "WHERE customer_id = ? AND at >= ? AND at <= ? AND kind IN "
            f"({', '.join('?' * len(kinds))}) ORDER BY at DESC, id DESC LIMIT 1",
            (customer_id, since, until, *kinds),
        ).fetchone()
