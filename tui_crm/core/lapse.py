"""Who has stopped buying: the rule, each customer's purchase days and the book's usual gap.

A customer's status (`status:lapsed`, the LAPSED mark in lists) is this rule on a day, read
from what the purchase triggers keep (`purchase_rhythm`, meta `purchase_gaps`); the
needs-attention queue (core/attention.py) builds its "stopped buying" reason on it. Apart from
the queue, so that showing statuses (`tui-crm find`, a profile) loads neither the queue nor
the referral tree.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from peewee import Database

from tui_crm.db.meta import meta_value, set_meta
from tui_crm.db.store import store_of
from tui_crm.db.store.values import GAP_COUNT as GAP_COUNT  # the health check's
from tui_crm.db.store.values import LapseRule

DEFAULT_BOOK_GAP = 30  # the usual gap between purchase days in a book without repeat buyers
MIN_PURCHASES = 2  # purchase days before "stopped buying" can be said: one gap
MIN_LAPSE_DAYS = 14  # never call a customer lapsed sooner than this after a purchase


@dataclass(frozen=True)
class Rhythm:
    """A customer's purchase days (credit notes aside): how many, the first and the last."""

    purchases: int  # distinct purchase days
    first: int  # day numbers, as date.toordinal() counts them
    last: int

    @property
    def span(self) -> int:
        """Days from the first purchase to the last: how long they have been buying."""
        return self.last - self.first


def rhythm(days: Sequence[date]) -> Rhythm | None:
    """A customer's purchase days, or None before they bought on two different days."""
    distinct = sorted({day.toordinal() for day in days})
    if len(distinct) < MIN_PURCHASES:
        return None
    return Rhythm(len(distinct), distinct[0], distinct[-1])


# "Stopped buying"
#
# A customer who bought on n days over a span of t days (first to last purchase) and has been
# silent for s days is still buying with a chance of about (t + g) / (t + g + s), where g is
# their usual gap shrunk toward the book's: g = (t + PRIOR_GAPS × G) / (n − 1 + PRIOR_GAPS),
# G the median gap between purchase days over the whole book. They have lapsed once that
# chance is below 1 in LAPSED_ODDS, that is once s > (LAPSED_ODDS − 1) × (t + g).
#
# This is the lifetime half of the Pareto/NBD model (a lifetime whose chance of going on
# falls as 1 / (age) — the longer someone has been buying, the longer a silence they may
# keep and still come back), without the other half's evidence from how often they bought:
# purchases come in bursts, and on real purchase logs that evidence makes the ranking worse,
# not better (see README, "Stopped buying"). The numbers and the evidence are in
# benchmarks/attention_quality.py.

PRIOR_GAPS = 2  # the book's usual gap weighs as much as two gaps of a customer's own
LAPSED_ODDS = 6  # lapsed once the chance they still buy is below 1 in 6
BOOK_GAP_DRIFT = 0.05  # the book's gap is worked out again once the gaps grew or shrank by 5 %


def usual_gap(purchases: int, span: int, book_gap: float) -> float:
    """A customer's usual gap between purchase days, shrunk toward the book's."""
    return (span + PRIOR_GAPS * book_gap) / (purchases - 1 + PRIOR_GAPS)


def still_buying(purchases: int, span: int, silence: int, book_gap: float) -> float:
    """The chance that a customer silent for `silence` days still buys (see above)."""
    life = span + usual_gap(purchases, span, book_gap)
    return life / (life + max(silence, 0))


def lapse_limit(purchases: int, span: int, book_gap: float) -> float:
    """Silent for longer than this many days: lapsed (never sooner than MIN_LAPSE_DAYS)."""
    return max((LAPSED_ODDS - 1) * (span + usual_gap(purchases, span, book_gap)), MIN_LAPSE_DAYS)


def lapse_again(purchases: int, span: int, book_gap: float) -> float:
    """After they were asked (a contact, or "done", once they had lapsed), how long until the
    reason comes back: one more of their cycles, span plus usual gap."""
    return max(span + usual_gap(purchases, span, book_gap), MIN_LAPSE_DAYS)


# The rule's figures, for its SQL (the store's: db/store/values.py).
RULE = LapseRule(PRIOR_GAPS, LAPSED_ODDS, MIN_LAPSE_DAYS, MIN_PURCHASES)


def ensure_rhythms(db: Database) -> float:
    """The book's usual gap between purchase days (see `book_gap`). Each customer's purchase
    days are kept by the purchase triggers (db/derived.py); after a bulk write, which drops
    meta `purchase_gaps`, everyone's are worked out again here, in one pass over the purchases."""
    if meta_value(db, "purchase_gaps") is None and store_of(db).sees_whole_book():
        with db.atomic():
            if meta_value(db, "purchase_gaps") is None:
                store_of(db).rebuild_rhythms()
                set_meta(db, "purchase_gaps", str(_gap_count(db)))
    return book_gap(db)


def _every_gap(db: Database) -> list[int]:
    """Every gap between the purchase days of the live customers with a rhythm, in days."""
    return store_of(db).every_gap()


def _gap_count(db: Database) -> int:
    return store_of(db).gap_count()


def book_gap(db: Database) -> float:
    """The book's usual gap between purchase days: the median over every repeat buyer's gaps
    (live customers; DEFAULT_BOOK_GAP in a book without any yet). Kept in `meta` and worked
    out again only once the number of gaps (kept by the triggers) moved by more than
    BOOK_GAP_DRIFT: a median of thousands of gaps barely moves with one more purchase, and the
    whole pass costs a few hundred milliseconds at 300 000 purchases. When it moves, every
    repeat buyer's queue score is worked out again."""
    if not store_of(db).sees_whole_book():
        kept = meta_value(db, "book_purchase_gap")
        return float(kept) if kept is not None else float(DEFAULT_BOOK_GAP)
    counted = meta_value(db, "purchase_gaps")
    gaps = int(counted) if counted is not None else _gap_count(db)
    kept, basis = meta_value(db, "book_purchase_gap"), meta_value(db, "book_purchase_gap_basis")
    if (
        kept is not None
        and basis is not None
        and abs(gaps - int(basis)) <= BOOK_GAP_DRIFT * int(basis)
    ):
        return float(kept)
    every = _every_gap(db)
    value = max(float(_median(every)), 1.0) if every else float(DEFAULT_BOOK_GAP)
    with db.atomic():
        set_meta(db, "book_purchase_gap", repr(value))
        set_meta(db, "book_purchase_gap_basis", str(gaps))
        if kept is None or float(kept) != value:
            store_of(db).rescore_rhythms(MIN_PURCHASES)
    return value


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def lapsed_ids(db: Database, as_of: date, among: Iterable[int] | None = None) -> list[int]:
    """Every live customer who is not lost and has stopped buying on `as_of`, in no order;
    with `among`, only those of these customers (cheap for a page of results)."""
    _, rows = _lapsed(db, as_of, among)
    return [row[0] for row in rows]


def lapsed_count(db: Database, as_of: date) -> int:
    """How many live customers, not lost, have stopped buying on `as_of`: counted by SQLite
    in one step. (Fetched as ids, each row took the interpreter back from the UI thread: up
    to 155 ms instead of 35 while a screen was being built.)"""
    gap = ensure_rhythms(db)
    return store_of(db).lapsed_count(RULE, as_of.toordinal(), gap)


def lapse_of(db: Database, customer_id: int, as_of: date) -> str | None:
    """Why a customer has stopped buying on `as_of` ("bought on 9 days over 7 months, …"), or
    None when they have not (or are lost, or in the trash)."""
    gap, rows = _lapsed(db, as_of, [customer_id])
    return lapse_text(Rhythm(*rows[0][1:]), as_of.toordinal(), gap) if rows else None


def _lapsed(
    db: Database, as_of: date, among: Iterable[int] | None
) -> tuple[float, list[tuple[int, int, int, int]]]:
    """The book's gap (the purchase rhythms kept up to date first) and the rows of those who
    stopped buying (of `among` only, when given)."""
    gap = ensure_rhythms(db)
    return gap, store_of(db).lapsed_rows(RULE, as_of.toordinal(), gap, among)


def days_text(n: int) -> str:
    """ "1 day", "9 days"."""
    return "1 day" if n == 1 else f"{n} days"


def lapse_text(kept: Rhythm, today: int, book_gap: float) -> str:
    """ "bought on 9 days over 7 months, about every 3 weeks; nothing for 5 months — probably
    gone (1 in 8 chance still buying)": what the rule read, in numbers people believe."""
    silence = today - kept.last
    chance = still_buying(kept.purchases, kept.span, silence, book_gap)
    if kept.purchases == 2:
        bought = f"bought twice, {duration(kept.span)} apart"
    elif kept.span < 28:
        bought = f"bought on {kept.purchases} days within {duration(kept.span)}"
    else:
        every = duration(round(kept.span / (kept.purchases - 1)))
        bought = f"bought on {kept.purchases} days over {duration(kept.span)}, about every {every}"
    odds = f"1 in {round(1 / chance)}" if chance > 0 else "no"
    return f"{bought}; nothing for {duration(silence)} — probably gone ({odds} chance still buying)"


def duration(days: int) -> str:
    """Days as people say them: "9 days", "3 weeks", "5 months", "2 years"."""
    if days < 14:
        return days_text(days)
    if days < 60:
        return f"{round(days / 7)} weeks"
    if days < 730:
        months = round(days / 30.44)
        return "1 month" if months == 1 else f"{months} months"
    return f"{round(days / 365.25)} years"
