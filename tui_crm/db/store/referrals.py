"""The referral tree and its kept figures (core/referrals.py)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from tui_crm.db.store.area import Area, Row

# The day a referral happened, for customer alias `r` (a date on PostgreSQL, ISO text on
# SQLite; both read back as ISO text).
REFERRAL_DAY = "coalesce(r.acquired_on, date(r.created_at))"

# The live referrals: customer `r` referred by live customer `p`, self-referrals left out.
LIVE_REFERRALS = """FROM customer r JOIN customer p ON p.id = r.referred_by_id
WHERE r.deleted_at IS NULL AND p.deleted_at IS NULL AND r.referred_by_id != r.id"""

FIGURE_COLUMNS = (
    "customer_id, referrer_id, cut, in_loop, root, own_12m, below_12m, total_12m, descendants, "
    "referred"
)
FIGURE_SQL = f"SELECT {FIGURE_COLUMNS} FROM referral_figure"


def thanked_condition(thanks_from: str) -> str:
    """True when the referral of customer `r` by customer `r.referred_by_id` was thanked, the
    thanks read from `thanks_from` (alias `t`)."""
    return f"""EXISTS (
  SELECT 1 FROM {thanks_from}
  WHERE t.customer_id = r.referred_by_id AND t.kind = 'thanks'
    AND (t.regarding_id = r.id OR (t.regarding_id IS NULL AND date(t.at) >= {REFERRAL_DAY})))"""


class Referrals(Area):
    # Where the statements read thanks, referred customers and roots from: SQLite names the
    # indexes its plans were measured with (INDEXED BY); PostgreSQL's planner picks its own.
    THANKS_FROM = "interaction t"
    REFERRED_FROM = "customer r"
    ROOTS_FROM = "referral_figure"

    @property
    def referral_thanked(self) -> str:
        """True when the referral of customer `r` by customer `r.referred_by_id` was thanked."""
        return thanked_condition(self.THANKS_FROM)

    def live_referrals(self, referrer_ids: Iterable[int] | None) -> list[Row]:
        """(referrer, referred, name, company, day, thanked) of every live referral (of those
        referrers, or of everyone), oldest first."""
        where = ""
        params: list = []
        if referrer_ids is not None:
            where = f" AND r.referred_by_id IN ({self.ID_LIST})"
            params.append(self.ids(referrer_ids))
        sql = (
            "SELECT r.referred_by_id, r.id, trim(r.first_name || ' ' || r.last_name), "
            f"r.company, {REFERRAL_DAY}, {self.referral_thanked} {LIVE_REFERRALS}{where} "
            "ORDER BY 5, r.id"
        )
        return self.db.execute_sql(sql, params).fetchall()

    # The kept figures ------------------------------------------------------------------

    def figure_count(self) -> int:
        """How many customers take part in a live referral."""
        return self.db.execute_sql("SELECT count(*) FROM referral_figure").fetchone()[0]

    def root_count(self) -> int:
        return self.db.execute_sql(
            f"SELECT count(*) FROM {self.ROOTS_FROM} WHERE root = 1"
        ).fetchone()[0]

    def figure(self, customer_id: int) -> Row | None:
        """The `referral_figure` row of a customer (FIGURE_COLUMNS), if any."""
        return self.db.execute_sql(f"{FIGURE_SQL} WHERE customer_id = ?", (customer_id,)).fetchone()

    def figures(self) -> list[Row]:
        """Every row of `referral_figure`."""
        return self.db.execute_sql(FIGURE_SQL).fetchall()

    def figures_of(self, ids: Iterable[int]) -> list[Row]:
        return self.db.execute_sql(
            f"{FIGURE_SQL} WHERE customer_id IN ({self.ID_LIST})", (self.ids(ids),)
        ).fetchall()

    def figures_under(self, referrer_id: int) -> list[Row]:
        """The figures of the customers kept under a referrer, by id."""
        return self.db.execute_sql(
            f"{FIGURE_SQL} WHERE referrer_id = ? ORDER BY customer_id", (referrer_id,)
        ).fetchall()

    def roots_after(self, total: int, after: int, limit: int) -> list[Row]:
        """(customer id, total) of the roots after (total, after), most value first (ties by
        id until names are read)."""
        return self.db.execute_sql(
            f"""SELECT customer_id, total_12m FROM {self.ROOTS_FROM}
WHERE root = 1 AND (total_12m < :total OR (total_12m = :total AND customer_id > :after))
ORDER BY total_12m DESC, customer_id LIMIT :limit""",
            {"total": total, "after": after, "limit": limit},
        ).fetchall()

    def details(self, ids: Iterable[int]) -> list[Row]:
        """(id, first name, last name, company, tier or '') of those customers."""
        raise NotImplementedError

    def referred_by(self, referrer_ids: Iterable[int]) -> list[Row]:
        """(id, first, last, company, tier or '', referral day) of everyone those referrers
        referred."""
        return self.db.execute_sql(
            f"""SELECT r.id, r.first_name, r.last_name, r.company, coalesce(v.tier, ''),
  {REFERRAL_DAY}
FROM customer r LEFT JOIN customer_value v ON v.customer_id = r.id
WHERE r.referred_by_id IN ({self.ID_LIST})""",
            (self.ids(referrer_ids),),
        ).fetchall()

    def thanks_of(self, referrer_ids: Iterable[int]) -> list[Row]:
        """(referrer, regarding id or None, day) of those referrers' thanks."""
        return self.db.execute_sql(
            f"""SELECT t.customer_id, t.regarding_id, date(t.at)
FROM {self.THANKS_FROM}
WHERE t.customer_id IN ({self.ID_LIST}) AND t.kind = 'thanks'""",
            (self.ids(referrer_ids),),
        ).fetchall()

    def referral_edges(self) -> tuple[list[int], list[int], list[int], list[int]]:
        """Every live referral as four columns in referrer order (then referred id): the
        referred customer, the referrer, and both 12-month values (`ensure_values` first)."""
        raise NotImplementedError

    # Keeping the figures ---------------------------------------------------------------

    def referral_dirty(self) -> list[int]:
        """The customers whose referral or 12-month value changed since the figures were kept."""
        return [row[0] for row in self.db.execute_sql("SELECT customer_id FROM referral_dirty")]

    def clear_referral_dirty(self) -> None:
        self.db.execute_sql("DELETE FROM referral_dirty")

    def replace_figures(self, rows: Sequence[Sequence]) -> None:
        """`referral_figure` holding exactly these rows (FIGURE_COLUMNS)."""
        self.db.execute_sql("DELETE FROM referral_figure")
        self.executemany(  # type: ignore[attr-defined]
            f"INSERT INTO referral_figure ({FIGURE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )

    def referrer_now(self, customer_id: int) -> int | None:
        """The customer's live referrer in the book as it is."""
        row = self.db.execute_sql(
            "SELECT r.referred_by_id FROM customer r JOIN customer p ON p.id = r.referred_by_id "
            "WHERE r.id = ? AND r.deleted_at IS NULL AND p.deleted_at IS NULL "
            "AND r.referred_by_id != r.id",
            (customer_id,),
        ).fetchone()
        return row[0] if row else None

    def referred_now(self, customer_id: int) -> set[int]:
        """The live customers this live customer referred, in the book as it is."""
        return {
            row[0]
            for row in self.db.execute_sql(
                f"SELECT r.id FROM {self.REFERRED_FROM} "
                "JOIN customer p ON p.id = r.referred_by_id "
                "WHERE r.referred_by_id = ? AND r.deleted_at IS NULL AND p.deleted_at IS NULL "
                "AND r.id != r.referred_by_id",
                (customer_id,),
            )
        }

    def referred_kept(self, customer_id: int) -> set[int]:
        """The customers the figures keep under this one."""
        return {
            row[0]
            for row in self.db.execute_sql(
                "SELECT customer_id FROM referral_figure WHERE referrer_id = ?", (customer_id,)
            )
        }

    def spent_12m(self, customer_id: int) -> int:
        row = self.db.execute_sql(
            "SELECT spent_12m FROM customer_value WHERE customer_id = ?", (customer_id,)
        ).fetchone()
        return row[0] if row else 0

    def set_figure_referrer(self, customer_id: int, referrer_id: int | None) -> None:
        self.db.execute_sql(
            "UPDATE referral_figure SET referrer_id = ? WHERE customer_id = ?",
            (referrer_id, customer_id),
        )

    def add_figure(self, customer_id: int, spent: int) -> None:
        """A figure for a customer new to the referrals: no referrer, nobody below yet."""
        self.db.execute_sql(
            f"INSERT INTO referral_figure ({FIGURE_COLUMNS}) VALUES (?, NULL, 0, 0, 0, ?, 0, ?, "
            "0, 0)",
            (customer_id, spent, spent),
        )

    def add_below(self, ids: Iterable[int], cents: int, customers: int) -> None:
        """Add value and customers below each of those customers."""
        self.db.execute_sql(
            "UPDATE referral_figure SET below_12m = below_12m + ?, total_12m = total_12m + ?, "
            f"descendants = descendants + ? WHERE customer_id IN ({self.ID_LIST})",
            (cents, cents, customers, self.ids(ids)),
        )

    def add_referred(self, customer_id: int, referred: int) -> None:
        self.db.execute_sql(
            "UPDATE referral_figure SET referred = referred + ? WHERE customer_id = ?",
            (referred, customer_id),
        )

    def tidy_figure(self, customer_id: int) -> None:
        """A customer in no live referral any more leaves the figures; the others are roots
        when they referred someone and have nobody above."""
        raise NotImplementedError

    def add_own(self, customer_id: int, change: int) -> None:
        self.db.execute_sql(
            "UPDATE referral_figure SET own_12m = own_12m + ?, total_12m = total_12m + ? "
            "WHERE customer_id = ?",
            (change, change, customer_id),
        )

    def add_value_below(self, ids: Iterable[int], change: int) -> None:
        self.db.execute_sql(
            "UPDATE referral_figure SET below_12m = below_12m + ?, total_12m = total_12m + ? "
            f"WHERE customer_id IN ({self.ID_LIST})",
            (change, change, self.ids(ids)),
        )
