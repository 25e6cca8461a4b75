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
from tui_crm.db.store import store_of
from tui_crm.db.store.values import rebuild_sql

# Far enough back that every purchase day is after it ('' sorts before any date).
BEGINNING = ""


def _bounds(as_of: date) -> dict[str, str]:
    return {
        "d30": (as_of - timedelta(days=30)).isoformat(),
        "d12m": one_year_before(as_of).isoformat(),
        "as_of": as_of.isoformat(),
    }


def _rebuild_sql(as_of: date) -> str:
    """SQLite's statement that builds the summary whole (what the health check compares the
    kept figures with)."""
    return rebuild_sql(_bounds(as_of))


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
    if meta_value(db, "values_as_of") == stamp or not store_of(db).sees_whole_book():
        return
    with db.atomic("IMMEDIATE"):
        store_of(db).hold_values()
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
    with db.atomic():
        store_of(db).rebuild_values(_bounds(as_of))
    _keep_day(db, as_of)
    set_meta(db, "values_as_of", as_of.isoformat())
    store_of(db).forget_kept_figures()


def _move_day(db: Database, kept: date, as_of: date) -> None:
    """Move the spends from the day `kept` to `as_of`: only the purchases on days that enter or
    leave a window change anyone's figures."""
    change: dict[int, list[int]] = {}
    for n, (old, new) in enumerate(zip(_windows(kept), _windows(as_of), strict=True)):
        for sign, days in [(1, _minus(new, old)), (-1, _minus(old, new))]:
            for after, upto in days:
                for customer_id, cents in store_of(db).spent_between(after, upto):
                    change.setdefault(customer_id, [0, 0, 0])[n] += sign * cents
    moved = [(*d, cid) for cid, d in change.items() if any(d)]
    store_of(db).shift_values(moved)
    _keep_day(db, as_of)
    values_changed(db, [cid for d30, d12m, life, cid in moved if d12m])


def values_changed(db: Database, ids: list[int]) -> None:
    """These customers' 12-month spend or tier changed: what is read from them is worked out
    again (their queue score; the referral figures above them)."""
    if not ids:
        return
    store_of(db).values_changed(ids)


def _rank(db: Database) -> None:
    """Tiers (and the ranks of gold and silver customers) from the spends as they are; only
    rows that change are written."""
    total = store_of(db).value_count()
    changed = store_of(db).rank_values((2 * total + 9) // 10, (total + 9) // 10)
    values_changed(db, changed)


def customer_value(db: Database, customer_id: int, as_of: date) -> Value:
    ensure_values(db, as_of)
    row = store_of(db).value_row(customer_id)
    if row is None:
        return Value(as_of=as_of)
    spent_30d, spent_12m, lifetime, rank, tier = row
    if not rank:
        rank = store_of(db).rank_of(customer_id, spent_12m)
    return Value(spent_30d, spent_12m, lifetime, rank, tier, as_of=as_of)
