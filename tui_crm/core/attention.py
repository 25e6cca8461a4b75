"""The needs-attention queue: whom to call today and why, most valuable and most overdue first.

`attention_queue(db, as_of)` reads the per-customer figures the triggers keep (last contact,
next follow-up, last purchase), the value summary (tier, 12-month spend) and each customer's
purchase rhythm, and returns ranked items, each with one or more reasons:

- follow_up_overdue / follow_up_due: a follow-up date has come and nothing answered it;
- cadence: a touch of the customer's communication plan is due (core/plans.py): "quarterly
  meeting due", or with the plan of a single "contact every N days", no contact for longer;
- lapsed: no purchase for much longer than this customer's own usual gap (core/lapse.py);
- gold_quiet: a gold or silver customer not contacted recently;
- thank_referrer: they referred someone and were not thanked for it;
- incomplete_profile: added recently without a source or a "why they chose us".

A reason can be snoozed until a day (hidden before it) or marked done: its clock restarts at
that moment, so it comes back only when it is due again from then. Logging a call answers the
contact reasons at once, because it moves the last contact (and a follow-up is answered by
any interaction on or after its date).

Ranking: a reason scores its weight × how overdue it is (1 at the due point, growing to 4)
× the customer's value (1 + log10(1 + 12-month spend in hundreds)); a customer scores their
best reason plus a quarter of the others.

Everyone's reasons and score for a day are kept in `attention_score` and read in queue order
from its index (see "Kept scores" below): `attention_ranking` (everyone's id and score in queue
order), `attention_page` (the first items and the size of the whole queue) and `reason_ids`
(who has some reasons) read them; only the items shown are built, with their texts, from the
book. `attention_queue(db, as_of)` without a limit builds every item from the book.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import NamedTuple

from peewee import Database

from tui_crm.core.config import user_of
from tui_crm.core.display import printable
from tui_crm.core.lapse import (
    DEFAULT_BOOK_GAP,
    RULE,
    Rhythm,
    days_text,
    duration,
    ensure_rhythms,
    lapse_text,
)

# The rule itself lives in core/lapse.py; these are answered here too (the queue's callers).
from tui_crm.core.lapse import book_gap as book_gap
from tui_crm.core.lapse import lapse_limit as lapse_limit
from tui_crm.core.lapse import lapse_of as lapse_of
from tui_crm.core.lapse import lapsed_ids as lapsed_ids
from tui_crm.core.lapse import rhythm as rhythm
from tui_crm.core.lapse import still_buying as still_buying
from tui_crm.core.lapse import usual_gap as usual_gap
from tui_crm.core.plans import ANSWERED_BY, Touch, answered_by, touches_due_for
from tui_crm.core.types import display_name
from tui_crm.core.undo import record_step, refused
from tui_crm.core.value import ensure_values
from tui_crm.db.meta import meta_value, set_meta
from tui_crm.db.store import store_of
from tui_crm.db.store.queue import QueueRules, ScoreFunctions, score_columns
from tui_crm.errors import ConflictError, CrmError, ValidationError

REASONS = {
    "follow_up_overdue": "follow-up overdue",
    "follow_up_due": "follow-up due today",
    "lapsed": "stopped buying",
    "gold_quiet": "valuable and quiet",
    "cadence": "plan touch due",
    "thank_referrer": "referral not thanked",
    "incomplete_profile": "profile incomplete",
}
ALL_REASONS = frozenset(REASONS)
WEIGHTS = {
    "follow_up_overdue": 5.0,  # a promise to call back comes first
    "follow_up_due": 4.5,
    "lapsed": 2.5,
    "gold_quiet": 2.0,
    "thank_referrer": 2.0,
    "cadence": 1.5,
    "incomplete_profile": 1.0,
}
QUIET_DAYS = {"gold": 30, "silver": 60}  # no contact for longer than this is "quiet"
NEW_CUSTOMER_DAYS = 30  # how long a new customer's incomplete profile is worth a reminder


# Reasons and items are NamedTuples, not frozen dataclasses: at 100 000 customers the queue
# builds some 120 000 of them, and a frozen dataclass costs several times more to create.
class Reason(NamedTuple):
    code: str
    text: str  # for people: "buys about every 41 days; 130 days since the last purchase"
    score: float
    since: date  # when this reason's clock started


class Seen(NamedTuple):
    """What a snooze or "done" is based on, per customer: how many interactions there are and
    the newest (one logged meanwhile may ask for a new follow-up), and every mark as
    (reason, snoozed until, done at) (someone else's snooze or "done" meanwhile)."""

    interactions: int
    newest: int
    marks: tuple[tuple[str, str, str], ...]


NOTHING_SEEN = Seen(0, 0, ())


class AttentionItem(NamedTuple):
    customer_id: int
    name: str
    company: str
    phone: str  # the first phone number as shown ("+47 95 55 12 34"; "" when none)
    tier: str
    value_12m: int  # cents
    last_contact: datetime | None
    score: float
    reasons: tuple[Reason, ...]
    # What snooze and done are based on: the customer's interactions and marks as read with
    # the item (see `attention_state`).
    seen: Seen = NOTHING_SEEN


# How the queue is worked out
#
# At 100 000 customers some 56 000 need attention, and building an item with texts for each of
# them costs more than ranking them all. So the rules run in SQL, one statement over the
# customers (or some of them); only the customers a caller shows become items.
#
# Kept scores. The statement's "store" shape gives, per live customer who is not lost, each
# reason's weight × urgency and the score, with the first day they may differ (`valid_until`),
# and `attention_score` keeps them. A write that changes what a customer's reasons read marks
# their row (`valid_until = 0`: the triggers of db/derived.py and of migration 15 on the
# plans, the value summary, the book's gap); reading the queue for a day first works out again
# the rows marked or past their day (`_keep_scores`). From one day to the next that is the
# customers whose reason starts or stops, or whose growing urgency takes a rounded score to
# its next tenth: some four in ten of the queue, not the book.
#
# The scores stay exactly what Python's arithmetic gives. SQL works out weight × urgency with
# the same IEEE operations, in the same order, as `WEIGHTS[code] * (1 + min(max(late, 0) /
# max(scale, 1), 3))`; SQLite then calls back into Python (`_reason_score`, `_customer_score`)
# for the customer's value and the rounding: Python's log10, and its round(), which rounds
# half to even on the binary value where SQLite's round() does not. PostgreSQL has the same
# arithmetic written in SQL (db/postgres/queue.py). The statements are the store's
# (db/store/queue.py), written from QUEUE_RULES below.

# The order the rules are checked in: a customer's reasons with equal scores keep it.
RULE_ORDER = (
    "follow_up_overdue",
    "follow_up_due",
    "cadence",
    "gold_quiet",
    "lapsed",
    "thank_referrer",
    "incomplete_profile",
)

# What str.strip() removes, so SQL's trim() treats a blank source or name as Python does.
WHITESPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
    "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)


# The rules as the queue's SQL is written with them (db/store/queue.py).
QUEUE_RULES = QueueRules(
    weights=tuple(WEIGHTS.items()),
    rule_order=RULE_ORDER,
    quiet_days=tuple(QUIET_DAYS.items()),
    answered_by=tuple(ANSWERED_BY.items()),
    lapse=RULE,
)

# The columns of `attention_score`, in the order the "store" shape gives them.
SCORE_COLUMNS = score_columns(RULE_ORDER)


def _value(spent: int) -> float:
    """How much a customer's 12-month spend (cents) lifts their reasons."""
    return 1 + math.log10(1 + max(spent, 0) / 10_000)


def _reason_score(weighted: float, spent: int) -> float:
    """A reason's score: weight × urgency (from the query) × the customer's value."""
    return round(weighted * _value(spent), 1)


def _customer_score(spent: int, *weighted: float | None) -> float:
    """Their best reason plus a quarter of the others (summed best first)."""
    value = _value(spent)
    scores = sorted([round(w * value, 1) for w in weighted if w is not None], reverse=True)
    return round(scores[0] + sum(scores[1:]) / 4, 1)


@dataclass(frozen=True)
class AttentionPage:
    """The first customers of the queue, and how many the whole queue holds."""

    items: list[AttentionItem]  # in queue order
    total: int


def attention_queue(
    db: Database,
    as_of: date,
    *,
    reasons: Iterable[str] | None = None,
    limit: int | None = None,
) -> list[AttentionItem]:
    """Everyone who needs attention on `as_of`, highest score first (ties by name, id); with
    `limit`, only the first `limit` of them (the whole queue is still ranked)."""
    return attention_page(db, as_of, reasons=reasons, limit=limit).items


def attention_page(
    db: Database,
    as_of: date,
    *,
    reasons: Iterable[str] | None = None,
    limit: int | None = None,
) -> AttentionPage:
    """The first `limit` items of the queue (all with None) and the size of the whole queue.

    With a limit, the first customers and the count come from the kept scores (their index
    gives the order), and only the shown customers' details and texts are read.
    """
    wanted = _wanted(reasons)
    if not wanted:
        return AttentionPage([], 0)
    with db.atomic():  # the ranking, the details and what they are based on: one snapshot
        params = _prepare(db, as_of)
        if limit is None:
            rows = store_of(db).queue_rows(QUEUE_RULES, SCORES, wanted, "items", params)
            states = _states(db, [row[0] for row in rows])
            return AttentionPage(_items(db, rows, params, states), len(rows))
        shown, total = _first(db, wanted, max(limit, 0))
        if not shown:
            return AttentionPage([], total)
        # The same rules over the same snapshot, for the shown customers only: the same rows
        # in the same order as the ranking's first ones.
        rows = store_of(db).queue_rows(QUEUE_RULES, SCORES, wanted, "items", params, shown)
        states = _states(db, shown)
    return AttentionPage(_items(db, rows, params, states), total)


def attention_ranking(
    db: Database, as_of: date, *, reasons: Iterable[str] | None = None
) -> list[tuple[int, float]]:
    """(customer id, score) of everyone in the queue, in queue order, without their items."""
    wanted = _wanted(reasons)
    if not wanted:
        return []
    with db.atomic():
        _prepare(db, as_of)
        return store_of(db).ranking(QUEUE_RULES, SCORES, wanted)


def reason_ids(db: Database, as_of: date, codes: Iterable[str]) -> list[int]:
    """Customers with any of these reasons on `as_of` (the `reason:` search qualifier), in no
    particular order: who, not how urgent, so nothing is scored."""
    wanted = _wanted(codes)
    if not wanted:
        return []
    with db.atomic():
        _prepare(db, as_of)
        return store_of(db).with_reasons(QUEUE_RULES, wanted)


def _first(db: Database, wanted: frozenset[str], limit: int) -> tuple[list[int], int]:
    """The first `limit` customers of the queue and the size of the whole queue."""
    if wanted == ALL_REASONS:
        return store_of(db).first_ranked(limit)
    ranking = store_of(db).ranking(QUEUE_RULES, SCORES, wanted)
    return [customer_id for customer_id, _ in ranking[:limit]], len(ranking)


def _wanted(reasons: Iterable[str] | None) -> frozenset[str]:
    wanted = frozenset(reasons) if reasons is not None else frozenset(REASONS)
    unknown = wanted - set(REASONS)
    if unknown:
        raise CrmError(f"unknown reason {sorted(unknown)[0]!r}; one of {', '.join(REASONS)}")
    return wanted


def _prepare(db: Database, as_of: date) -> dict[str, object]:
    """Bring the value summary, the book's gap and the kept scores up to date for `as_of`;
    the queries' parameters. Run inside the transaction that reads the scores."""
    ensure_values(db, as_of)
    params = _params(db, as_of, ensure_rhythms(db))
    _keep_scores(db, params)
    return params


def keep_scores(db: Database, as_of: date) -> None:
    """Bring the kept scores (and what they read: the value summary, the book's gap) up to
    `as_of`."""
    with db.atomic():
        _prepare(db, as_of)


def _params(db: Database, as_of: date, book_gap: float) -> dict[str, object]:
    return {
        "book_gap": book_gap,
        "today": as_of.toordinal(),
        "as_of": as_of.isoformat(),
        "new_since": (as_of - timedelta(days=NEW_CUSTOMER_DAYS)).isoformat(),
        "ws": WHITESPACE,
    }


def score_figures(row: Sequence) -> tuple:
    """What a row of `attention_score` (columns SCORE_COLUMNS) says: who, the name ties go by,
    the 12-month spend, each reason's score, the customer's score and the facts they come
    from. (Its weighted urgencies may be from an earlier day on which every score was the
    same, and the day it holds until is an estimate.)"""
    customer_id, name, spent, *rest = row
    weighted, score = rest[: len(RULE_ORDER)], rest[len(RULE_ORDER)]
    facts = rest[len(RULE_ORDER) + 3 :]
    reasons = tuple(None if w is None else _reason_score(w, spent) for w in weighted)
    return customer_id, name, spent, reasons, score, *facts


def scores_from_scratch(db: Database, as_of: date) -> list[tuple]:
    """Every row `attention_score` should hold on `as_of` (columns SCORE_COLUMNS), worked out
    from the book with the book's gap as kept, without writing (for the health check and the
    tests): the value summary must be as of `as_of`."""
    kept = meta_value(db, "book_purchase_gap")
    gap = float(kept) if kept is not None else float(DEFAULT_BOOK_GAP)
    params = _params(db, as_of, gap)
    return store_of(db).queue_rows(QUEUE_RULES, SCORES, ALL_REASONS, "store", params)


def _keep_scores(db: Database, params: dict[str, object]) -> None:
    """Work out again the scores that do not hold on the day (or everyone's after a bulk
    write): a customer's score changes with the day only when a reason starts or stops, or
    while a growing urgency takes its rounded score to the next tenth, so most of the queue
    carries over from one day to the next; and those it does not are worked out from the
    facts kept with them, unless a write marked them."""
    today = params["today"]
    if not store_of(db).sees_whole_book():
        return
    with db.atomic():
        latest = meta_value(db, "attention_day")
        if meta_value(db, "attention_kept") is None:
            store_of(db).store_all_scores(QUEUE_RULES, SCORES, params)
            set_meta(db, "attention_kept", "1")
            set_meta(db, "attention_day", str(today))
            return
        # Marked by a write (`valid_until = 0`: their facts too), past their day, or for a
        # later day (only looked for when the day goes back: meta `attention_day` is the day
        # they were last brought to).
        marked, stale = store_of(db).unkept_scores(today, latest is None or int(latest) > today)
        if latest is None or int(latest) != today:
            # The day the scores are kept for: once they are brought back to an earlier day
            # (a clock set back, a test), later reads of that day no longer look for scores
            # of a later one (every score read, some 60 ms at 100 000 customers, each time).
            set_meta(db, "attention_day", str(today))
        for ids, kept in ((marked, False), (stale, True)):
            if ids:
                store_of(db).store_scores(QUEUE_RULES, SCORES, params, ids, kept)
        if marked:  # whoever is still marked is in the trash, lost or gone
            store_of(db).drop_marked_scores()


# The arithmetic a customer's score ends with, as the queue's statements call it.
SCORES = ScoreFunctions(_reason_score, _customer_score, _value)


def _items(
    db: Database, rows: list[tuple], params: dict[str, object], states: dict[int, Seen]
) -> list[AttentionItem]:
    """Items, with the texts people read, from rows of the "items" query (`params`: the
    query's, from `_prepare`: the day and the book's gap it was ranked with)."""
    thank = RULE_ORDER.index("thank_referrer") - len(RULE_ORDER)
    referrers = [row[0] for row in rows if row[thank] is not None]
    referred: dict[int, list[str]] = {}
    if referrers:
        for referrer, name, company in store_of(db).unthanked_names(referrers):
            referred.setdefault(referrer, []).append(name or company)
    today, gap = params["today"], params["book_gap"]
    cadence = RULE_ORDER.index("cadence") - len(RULE_ORDER)
    touches = _TouchTexts(db, today, [row[0] for row in rows if row[cadence] is not None])
    return [
        _item(row, today, referred.get(row[0], ()), states[row[0]], gap, touches) for row in rows
    ]


class _TouchTexts:
    """What the "cadence" reason says: the touch due first, with when it was last answered,
    and the customer's other touches due too. A book whose plans are each one "contact"
    touch, none for everyone (as migration 15 made them), gives everyone at most one touch,
    so the others are not looked for."""

    def __init__(self, db: Database, today: int, ids: list[int]):
        self.today = today
        rows = store_of(db).touch_list()
        self.touches = {touch_id: Touch(kind, every) for touch_id, _, kind, every in rows}
        single = all(kind == "contact" and scope != "everyone" for _, scope, kind, _ in rows)
        self.due = {} if single else touches_due_for(db, ids, date.fromordinal(today))

    def text(self, customer_id: int, touch_id: int, heard: int) -> str:
        touch = self.touches.get(touch_id, Touch("contact", 0))
        due = self.due.get(customer_id, [])
        quiet = self.today - heard
        if touch.kind == "contact":
            text = f"no contact for {days_text(quiet)} (every {days_text(touch.every_days)} wanted)"
        elif next((d for d in due if d.touch == touch and d.last is None), None):
            text = f"{touch.name} due (no {touch.kind} yet; added {duration(quiet)} ago)"
        else:
            text = f"{touch.name} due (last {answered_by(touch.kind)} {duration(quiet)} ago)"
        others = [d.touch.name for d in due if d.touch != touch]
        return f"{text}; also due: {', '.join(others)}" if others else text


def _item(
    row: tuple,
    today: int,
    referred: Sequence[str],
    seen: Seen,
    book_gap: float,
    touches: _TouchTexts,
) -> AttentionItem:
    """One customer's item; which reasons apply and their scores come from the query."""
    (cid, score, first, last, company, phone, tier, spent, contact_at, due, heard, cadence,
     touch_id, touch_heard, bought_days, first_day, last_day, lapse_since, newest, created,
     source, why, *weighted) = row  # fmt: skip
    found = [(code, w) for code, w in zip(RULE_ORDER, weighted, strict=True) if w is not None]
    reasons = []
    for code, w in found:
        # With one reason, the customer's score is that reason's (see `_customer_score`).
        reason_score = score if len(found) == 1 else _reason_score(w, spent)
        quiet = today - heard
        if code == "follow_up_overdue":
            late = days_text(today - due)
            text, since = f"follow-up was due {date.fromordinal(due):%a %-d %b} ({late} ago)", due
        elif code == "follow_up_due":
            text, since = "follow-up due today", due
        elif code == "cadence":
            text, since = touches.text(cid, touch_id, touch_heard), touch_heard
        elif code == "gold_quiet":
            text, since = f"{tier} customer, no contact for {days_text(quiet)}", heard
        elif code == "lapsed":
            text = lapse_text(Rhythm(bought_days, first_day, last_day), today, book_gap)
            since = lapse_since
        elif code == "thank_referrer":
            more = f" and {len(referred) - 3} more" if len(referred) > 3 else ""
            text = f"referred {', '.join(referred[:3])}{more}; not thanked yet"
            since = newest
        else:  # incomplete_profile
            missing = " and ".join(
                label
                for label, value in (("source", source), ("why they chose us", why))
                if not value.strip()
            )
            text, since = f"new customer without {missing}", created
        reasons.append(Reason(code, text, reason_score, date.fromordinal(since)))
    reasons.sort(key=lambda reason: -reason.score)  # stable: equal scores keep RULE_ORDER
    return AttentionItem(
        cid,
        display_name(first, last, company),
        company,
        phone or "",
        tier,
        spent,
        datetime.fromisoformat(contact_at) if contact_at else None,
        score,
        tuple(reasons),
        seen,
    )


def snooze(
    db: Database,
    customer_id: int,
    reasons: Iterable[str],
    until: date,
    *,
    seen: Seen,
    as_of: date | None = None,
    who: str | None = None,
) -> None:
    """Hide these reasons of a customer until `until` (they show again on that day).

    `seen` is what the snooze is based on (`AttentionItem.seen`): if someone else snoozed,
    marked done or logged an interaction for the customer since, the snooze is refused
    (ConflictError saying who did what) rather than hiding what they did."""
    if as_of is not None and until <= as_of:
        raise ValidationError({"until": f"snooze until a day after {as_of:%a %-d %b}"})
    codes = list(dict.fromkeys(reasons))
    who = who if who is not None else user_of(db)
    with db.atomic():
        _check_seen(db, customer_id, seen, "snoozed")
        before = _marks_of(db, customer_id, codes)
        _mark(db, customer_id, codes, who, snoozed_until=until.isoformat())
        _journal(db, "snooze", customer_id, codes, before, [], who)


def mark_done(
    db: Database,
    customer_id: int,
    reasons: Iterable[str],
    *,
    seen: Seen,
    now: datetime | None = None,
    who: str | None = None,
) -> None:
    """Mark these reasons handled. A due follow-up is closed on its interaction itself.

    `seen` as for `snooze`: a follow-up someone asked for after the item was read is never
    closed by it."""
    now = (now or datetime.now()).replace(microsecond=0)
    codes = list(dict.fromkeys(reasons))
    who = who if who is not None else user_of(db)
    with db.atomic():
        _check_seen(db, customer_id, seen, "marked done")
        before = _marks_of(db, customer_id, codes)
        _mark(db, customer_id, codes, who, done_at=now.isoformat(sep=" "))
        closed: list[int] = []
        if {"follow_up_due", "follow_up_overdue"} & set(codes):
            closed = store_of(db).due_follow_ups(customer_id, now.date().isoformat())
            store_of(db).set_follow_ups_done(closed, True)
        _journal(db, "done", customer_id, codes, before, closed, who, now=now)


def _marks_of(db: Database, customer_id: int, codes: list[str]) -> list[list]:
    """The customer's marks for these reasons exactly as stored (what an undo puts back)."""
    return [list(row) for row in store_of(db).mark_rows(customer_id, codes)]


def _journal(db, kind, customer_id, codes, before, closed, who, now=None) -> None:
    """The undo step of a snooze or "done": the marks before and after, follow-ups closed."""
    row = store_of(db).customer_names(customer_id)
    what = ", ".join(REASONS[code] for code in codes)
    label = f"{'snooze' if kind == 'snooze' else 'done'} of {display_name(*row)} ({what})"
    record_step(
        kind=kind,
        label=label,
        customer_id=customer_id,
        payload={
            "reasons": codes,
            "before": before,
            "after": _marks_of(db, customer_id, codes),
            "closed": closed,
        },
        who=who,
        now=now,
    )


def undo_marks(db: Database, step, payload: dict, who: str, now: datetime) -> str:
    """Undo a snooze or "done": the marks of those reasons as they were before it (none where
    there was none) and the follow-ups it closed open again, unless someone snoozed, marked
    done or reopened them since."""
    customer_id, codes = step.customer_id, payload["reasons"]
    after = [list(mark) for mark in payload["after"]]
    if _marks_of(db, customer_id, codes) != after:
        raise refused("those reasons were snoozed or marked done again since")
    if payload["closed"]:
        still = store_of(db).closed_follow_ups(customer_id, payload["closed"])
        if still != len(payload["closed"]):
            raise refused("the follow-ups it closed were changed since")
    store_of(db).delete_marks(customer_id, codes)
    store_of(db).put_marks([(customer_id, *mark) for mark in payload["before"]])
    store_of(db).set_follow_ups_done(payload["closed"], False)
    return ""


def _mark(db: Database, customer_id: int, reasons: Iterable[str], who, **column: str) -> None:
    ((name, value),) = column.items()
    who = who if who is not None else user_of(db)
    with db.atomic():
        if not store_of(db).live_customer(customer_id):
            raise CrmError(f"no customer #{customer_id}")
        for code in reasons:
            if code not in REASONS:
                raise CrmError(f"unknown reason {code!r}")
            store_of(db).mark(customer_id, code, who, name, value)


def _states(db: Database, ids: list[int]) -> dict[int, Seen]:
    if not ids:
        return {}
    counts = {cid: (count, newest) for cid, count, newest in store_of(db).interaction_counts(ids)}
    marks: dict[int, list[tuple[str, str, str]]] = {}
    for customer_id, reason, snoozed, done in store_of(db).marks_of(ids):
        marks.setdefault(customer_id, []).append((reason, snoozed, done))
    return {cid: Seen(*counts.get(cid, (0, 0)), tuple(marks.get(cid, ()))) for cid in ids}


def attention_states(db: Database, customer_ids: Sequence[int]) -> dict[int, Seen]:
    """`attention_state` of many customers at once."""
    return _states(db, list(customer_ids))


def attention_state(db: Database, customer_id: int) -> Seen:
    """What a snooze or "done" for this customer would be based on, read now (an item
    carries the one read with it, `AttentionItem.seen`)."""
    return _states(db, [customer_id])[customer_id]


def _check_seen(db: Database, customer_id: int, seen: Seen, action: str) -> None:
    """Refuse (ConflictError saying who did what) when the customer's interactions or marks
    are no longer what the caller's item was read with."""
    if not isinstance(seen, Seen):
        raise TypeError(f"seen must be the state the item was read with, not {seen!r}")
    if attention_state(db, customer_id) == seen:
        return
    marks = {reason: (snoozed, done) for reason, snoozed, done in seen.marks}
    said = []
    for kind, follow_up, who in store_of(db).interactions_since(customer_id, seen.newest):
        asked = f" with a follow-up on {follow_up}" if follow_up else ""
        said.append(f"{printable(who, limit=40) or 'someone'} logged a {kind}{asked}")
    for reason, snoozed, done, who in store_of(db).marks_of_customer(customer_id):
        before = marks.get(reason, ("", ""))
        who, label = printable(who, limit=40) or "someone", REASONS.get(reason, reason)
        if snoozed and snoozed != before[0]:
            said.append(f"{who} snoozed {label} until {date.fromisoformat(snoozed):%a %-d %b}")
        if done and done != before[1]:
            said.append(f"{who} marked {label} done")
    row = store_of(db).customer_names(customer_id)
    name = printable(display_name(*row), limit=60) if row else f"#{customer_id}"
    more = f"; {len(said) - 3} more" if len(said) > 3 else ""
    what = f"{'; '.join(said[:3])}{more}" if said else "their interactions were moved"
    raise ConflictError(
        f"{name} changed since you looked ({what}); nothing was {action}: look again", []
    )
