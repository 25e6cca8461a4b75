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

import functools
import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import NamedTuple

from peewee import Database

from tui_crm.core.config import settings
from tui_crm.core.display import printable
from tui_crm.core.lapse import (
    DEFAULT_BOOK_GAP,
    RHYTHMS,
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
from tui_crm.core.plans import ANSWERED_BY, Touch, answer_sql, answered_by, touches_due_for
from tui_crm.core.referrals import REFERRAL_DAY, THANKED_SQL
from tui_crm.core.types import display_name
from tui_crm.core.undo import record_step, refused
from tui_crm.core.value import ensure_values
from tui_crm.db.derived import ordinal, refill
from tui_crm.db.meta import meta_value, set_meta
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


_ordinal = ordinal  # the day of a date or datetime column as date.toordinal() counts it


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
# half to even on the binary value where SQLite's round() does not.

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


def _overdue_sql(late: str, scale: str | int) -> str:
    """1 at the due point, growing linearly to 4 at three scales late (a REAL, as in Python)."""
    return f"1 + min(max({late}, 0) * 1.0 / max({scale}, 1), 3)"


class _Rule(NamedTuple):
    applies: str  # SQL over the `facts` columns below
    urgency: str
    since: str  # when the reason's clock started: a snooze or "done" is measured against it
    restart: str | None  # after "done", due again once this many days have passed (else never)


# How late each growing reason is and over what scale its urgency grows (see `_overdue_sql`).
GROWTH = {
    "follow_up_overdue": (":today - due", "7"),
    "cadence": (":today - touch_heard - cadence", "cadence"),
    "gold_quiet": (":today - heard - quiet_limit", "quiet_limit"),
    "lapsed": (":today - lapse_since - lapse_wait", "lapse_wait"),
    # Urgency from the oldest unthanked referral.
    "thank_referrer": (":today - oldest", "30"),
}

RULES = {
    "follow_up_overdue": _Rule(
        "due < :today", _overdue_sql(*GROWTH["follow_up_overdue"]), "due", None
    ),
    "follow_up_due": _Rule("due = :today", "1.0", "due", None),
    "cadence": _Rule(
        ":today - touch_heard > cadence",
        _overdue_sql(*GROWTH["cadence"]),
        "touch_heard",
        "cadence",
    ),
    "gold_quiet": _Rule(
        ":today - heard > quiet_limit",
        _overdue_sql(*GROWTH["gold_quiet"]),
        "heard",
        "quiet_limit",
    ),
    "lapsed": _Rule(
        ":today - lapse_since > lapse_wait",
        _overdue_sql(*GROWTH["lapsed"]),
        "lapse_since",
        "again_days",
    ),
    # The clock (for "done") from the newest unthanked referral, so a referral made after the
    # reminder was marked done brings it back.
    "thank_referrer": _Rule(
        "oldest IS NOT NULL", _overdue_sql(*GROWTH["thank_referrer"]), "newest", None
    ),
    "incomplete_profile": _Rule("created IS NOT NULL AND incomplete", "1.0", "created", None),
}

# Per referrer, the first and last day of the live referrals they were not thanked for. The
# referrer's own liveness (not trashed, not lost) is checked where this is joined. `> 0` lets
# SQLite read the referral index from its first referral instead of through 85 000 NULLs.
UNTHANKED = f"""
SELECT referred_by_id AS customer_id, min(day) AS oldest, max(day) AS newest
FROM (SELECT r.referred_by_id, {_ordinal(REFERRAL_DAY)} AS day
      FROM customer r INDEXED BY customer_referred_by
      WHERE r.referred_by_id > 0 AND r.deleted_at IS NULL AND r.referred_by_id != r.id
        AND NOT {THANKED_SQL} {{only}})
GROUP BY referred_by_id"""

ASKED = f"""{_ordinal("c.last_contact_at")} >= r.last_day + r.limit_days"""

# `display_name` for the tie-break. Names are stored stripped (see `customers`), so trimming the
# joining space is all its strip() does.
NAME_SQL = "coalesce(nullif(trim(first_name || ' ' || last_name), ''), company)"

# Each plan touch of each live customer who is not lost (core/plans.py: everyone's, and their
# category's or those without a category), with the day it was last answered (or they were
# added): a `contact` touch by any interaction, the others by their kinds (ANSWERED_BY).
_ANSWERED = (
    "CASE t.kind "
    + " ".join(f"WHEN '{kind}' THEN {answer_sql(kind)}" for kind in ANSWERED_BY)
    + " END"
)
TOUCH_DAYS = f"""SELECT c.id AS customer_id, t.id AS touch_id, t.every_days, t.position,
  {_ordinal(f"max(c.created_at, coalesce({_ANSWERED}, ''))")} AS touch_heard
FROM customer c JOIN plan_touch t ON t.scope = 'everyone' OR t.category_id = c.category_id
  OR (t.scope = 'none' AND c.category_id IS NULL)
WHERE c.deleted_at IS NULL AND c.status != 'lost' {{only}}"""

# Per customer, the touch that falls due first (then the more frequent, then the plan's order):
# the one the "cadence" reason is about. It changes only by writes, as the other facts do.
CHOSEN_TOUCH = """
SELECT customer_id, touch_id, every_days, touch_heard FROM (
  SELECT *, row_number() OVER (PARTITION BY customer_id
    ORDER BY touch_heard + every_days, every_days, position, touch_id) AS n FROM touch_days)
WHERE n = 1"""

# Each live customer who is not lost, with what the rules read that does not depend on the day,
# as day numbers. `blank`: no source or no "why they chose us".
BOOK_FACTS = f"""
SELECT c.id, c.first_name, c.last_name, c.company, {
    NAME_SQL.replace("first_name", "c.first_name")
    .replace("last_name", "c.last_name")
    .replace("company", "c.company")
} AS name_key,
  coalesce(v.tier, '') AS tier, coalesce(v.spent_12m, 0) AS spent,
  {_ordinal("c.next_follow_up")} AS nfu,
  {_ordinal("max(c.created_at, coalesce(c.last_contact_at, ''))")} AS heard,
  ch.every_days AS cadence, ch.touch_id, ch.touch_heard,
  CASE v.tier WHEN 'gold' THEN {QUIET_DAYS["gold"]} WHEN 'silver' THEN {QUIET_DAYS["silver"]}
  END AS quiet_limit,
  r.again_days,
  -- Asked them since they lapsed: due again one cycle of theirs after that contact.
  CASE WHEN {ASKED} THEN {_ordinal("c.last_contact_at")} ELSE r.last_day END AS lapse_since,
  CASE WHEN {ASKED} THEN r.again_days ELSE r.limit_days END AS lapse_wait,
  u.oldest, u.newest, c.id IN (SELECT customer_id FROM attention_mark) AS marked,
  {_ordinal("c.created_at")} AS created_day,
  trim(c.source, :ws) = '' OR trim(c.why_chose_us, :ws) = '' AS blank
  {{details}}
FROM customer c
LEFT JOIN chosen ch ON ch.customer_id = c.id
LEFT JOIN customer_value v ON v.customer_id = c.id
LEFT JOIN rhythms r ON r.customer_id = c.id
LEFT JOIN unthanked u ON u.customer_id = c.id
WHERE c.deleted_at IS NULL AND c.status != 'lost' {{only}}"""

# The same facts as kept with each score (they change only by writes, which mark the score):
# what working a score out for another day reads, instead of the wide customer rows.
FACT_COLUMNS = (
    "nfu, heard, cadence, quiet_limit, again_days, lapse_since, lapse_wait, oldest, newest, "
    "marked, created_day, blank, value_factor, touch_id, touch_heard"
)
KEPT_FACTS = f"""SELECT customer_id AS id, name_key, spent, {FACT_COLUMNS} FROM attention_score
WHERE customer_id IN (SELECT value FROM json_each(:only))"""

# What the rules read on :today: a follow-up that has come (`due`), a customer added in the
# last 30 days (`created`) and whether their profile lacks something then (`incomplete`).
DAY_FACTS = """SELECT *, CASE WHEN nfu <= :today THEN nfu END AS due,
  CASE WHEN created_day >= :today - 30 THEN created_day END AS created,
  CASE WHEN created_day >= :today - 30 THEN blank END AS incomplete
FROM facts_kept"""

# What only a kept score needs: the customer's value factor, for the day it may change.
STORED = ", attention_value(coalesce(v.spent_12m, 0)) AS value_factor"

# Only what the texts of shown items need.
DETAILS = """, c.last_contact_at, r.purchases AS bought_days, r.first_day, r.last_day, c.source,
  c.why_chose_us"""

# The names of unthanked referrals, oldest id first, for the texts of shown referrers.
UNTHANKED_NAMES = f"""
SELECT r.referred_by_id, trim(r.first_name || ' ' || r.last_name), r.company
FROM customer r
WHERE r.referred_by_id IN (SELECT value FROM json_each(?)) AND r.deleted_at IS NULL
  AND r.referred_by_id != r.id AND NOT {THANKED_SQL}
ORDER BY r.referred_by_id, r.id"""

# `LIMIT -1 OFFSET 0` keeps SQLite from folding a layer into the next one, which would repeat
# its expressions there: a date parse, or a call into Python, several times per customer.
FENCE = "LIMIT -1 OFFSET 0"


def _hidden_sql(code: str, rule: _Rule) -> str:
    """A mark hides a reason: snoozed until a later day, or marked done since this occurrence
    began and not due again (its clock restarted when it was marked)."""
    done = _ordinal("m.done_at")
    again = "FALSE" if rule.restart is None else f":today - {done} > {rule.restart}"
    return (
        f"EXISTS (SELECT 1 FROM attention_mark m WHERE m.customer_id = facts.id "
        f"AND m.reason = '{code}' AND (:today < {_ordinal('m.snoozed_until')} "
        f"OR ({done} >= {rule.since} AND NOT ({again}))))"
    )


# A day after every day: "never" for `valid_until`.
NEVER = 100_000_000


def _starts_sql(start: str) -> str:
    """The day after `start`, when a rule that applies once :today is past it starts."""
    return f"CASE WHEN ({start}) IS NOT NULL AND :today <= ({start}) THEN ({start}) + 1 ELSE {NEVER} END"


# The first day after :today on which a customer's reasons or scores may differ while nothing
# about them is written. Early rather than late: a day too early only works the score out once
# more. Days on which something starts or ends: a follow-up falls due and is overdue the day
# after, a rule starts to apply, a new customer's grace ends, a snooze ends, a "done" comes due
# again; and while a reason's urgency grows, the day its score may reach the next tenth
# (`_growth_sql`). Their 12-month value, plan and the book's usual gap change by
# writes, which mark the score (`valid_until = 0`).
VALID_UNTIL = f"""max(:today + 1, min(
  CASE WHEN nfu IS NULL THEN {NEVER} WHEN :today < nfu THEN nfu
       WHEN :today = nfu THEN :today + 1 ELSE {NEVER} END,
  {_starts_sql("touch_heard + cadence")},
  {_starts_sql("heard + quiet_limit")},
  CASE WHEN lapse_wait IS NOT NULL AND lapse_since IS NOT NULL
        AND :today - lapse_since <= lapse_wait
       THEN lapse_since + CAST(lapse_wait AS INTEGER) + 1 ELSE {NEVER} END,
  {_starts_sql("oldest")},
  CASE WHEN created_day IS NOT NULL AND :today <= created_day + 30 THEN created_day + 31
       ELSE {NEVER} END,
  coalesce(marks_until, {NEVER}),
  {{growth}}))"""


def _growth_sql() -> str:
    """Per reason whose urgency still grows (it applies, is not hidden, and is less than three
    scales late): the first day its score may show another tenth. Its score is weight ×
    urgency × value, rounded to a tenth: with t = ten times the unrounded score, it shows the
    same tenth while t stays within the same half-open tenth, and t grows by 10 × weight ×
    value / scale a day. Kept 0.1 of t away from the tenth's edges (floating point errors are
    some 1e-12), and a score that sits on an edge today is worked out again tomorrow."""
    out = []
    for code, (late, scale) in GROWTH.items():
        t = f"(w_{code} * value_factor * 10)"
        tenth = f"CAST({t} + 0.5 AS INTEGER)"
        per_day = f"({WEIGHTS[code]!r} * value_factor * 10 / max({scale}, 1))"
        out.append(
            f"CASE WHEN w_{code} IS NULL OR NOT (({late}) >= 0 AND ({late}) < 3 * max({scale}, 1))"
            f" THEN {NEVER} WHEN {t} - ({tenth} - 0.5) < 0.1 THEN :today + 1 "
            f"ELSE :today + 1 + max(0, CAST(({tenth} + 0.4 - {t}) / {per_day} AS INTEGER)) END"
        )
    return ",\n  ".join(out)


# The next day one of the customer's marks may stop or start hiding a reason (see
# `_hidden_sql`): a snooze's end, a "done" whose clock comes round again.
MARKS_UNTIL = f"""CASE WHEN marked THEN (SELECT min(day) FROM (
    SELECT {_ordinal("m.snoozed_until")} AS day FROM attention_mark m
    WHERE m.customer_id = facts.id
    UNION ALL
    SELECT {_ordinal("m.done_at")} + CAST(CASE m.reason WHEN 'cadence' THEN facts.cadence
      WHEN 'gold_quiet' THEN facts.quiet_limit WHEN 'lapsed' THEN facts.again_days END
      AS INTEGER) + 1 FROM attention_mark m WHERE m.customer_id = facts.id)
  WHERE day > :today) END"""

# The columns of `attention_score`, in the order the "store" shape gives them.
SCORE_COLUMNS = (
    "customer_id, name_key, spent, "
    + ", ".join(f"w_{code}" for code in RULE_ORDER)
    + f", score, computed_on, valid_until, {FACT_COLUMNS}"
)


@functools.lru_cache(maxsize=64)
def _queue_sql(wanted: frozenset[str], shape: str, only: bool, kept: bool = False) -> str:
    """The queue as one statement. `shape`: "ids" (who, in no order), "ranking" (id and
    score, in queue order), "items" (everything an item shows, in queue order) or "store"
    (every live customer who is not lost, as `attention_score` keeps them: their weighted
    reasons and score on :today, until when they hold, and the facts they come from).
    `only`: just the customers in the JSON list `:only`; `kept`: with the facts kept in
    `attention_score` (for scores no write has marked) instead of the book's."""
    # Each reason's weight × urgency, NULL when it does not apply (or is not wanted, or a
    # mark hides it). Python multiplies by the customer's value and rounds.
    weighted = ",\n  ".join(
        f"CASE WHEN {rule.applies} AND NOT (marked AND {_hidden_sql(code, rule)}) "
        f"THEN {WEIGHTS[code]!r} * ({rule.urgency}) END AS w_{code}"
        if code in wanted
        else f"NULL AS w_{code}"
        for code, rule in RULES.items()
    )
    found = [f"w_{code}" for code in RULE_ORDER]
    passed = "id, name_key, spent"
    if shape == "items":
        passed += (
            ", first_name, last_name, company, tier, last_contact_at, due, heard, cadence, "
            "touch_id, touch_heard, bought_days, first_day, last_day, lapse_since, newest, created, source, why_chose_us"
        )
    elif shape == "store":
        passed += f", due, {FACT_COLUMNS}, {MARKS_UNTIL} AS marks_until"
    if kept:
        facts = KEPT_FACTS
    else:
        only_referrers = "AND r.referred_by_id IN (SELECT value FROM json_each(:only))"
        only_customers = "AND c.id IN (SELECT value FROM json_each(:only))"
        details = {"items": DETAILS, "store": STORED}.get(shape, "")
        facts = BOOK_FACTS.format(details=details, only=only_customers if only else "")
        facts = (
            f"unthanked AS ({UNTHANKED.format(only=only_referrers if only else '')}),\n"
            f"rhythms AS ({RHYTHMS}),\n"
            f"touch_days AS ({TOUCH_DAYS.format(only=only_customers if only else '')}),\n"
            f"chosen AS ({CHOSEN_TOUCH}),\n{facts}"
        )
        facts = facts.replace("\nSELECT c.id", "\nfacts_kept AS (SELECT c.id", 1)
    sql = f"""WITH {facts if not kept else f"facts_kept AS ({facts}"} {FENCE}),
facts AS ({DAY_FACTS} {FENCE}),
reasons AS (SELECT {passed},
  {weighted}
FROM facts {FENCE})
"""
    any_reason = f"coalesce({', '.join(found)}, NULL) IS NOT NULL"
    if shape == "ids":
        return f"{sql}SELECT id FROM reasons WHERE {any_reason}"
    score = _score_sql(found)
    if shape == "store":
        until = VALID_UNTIL.format(growth=_growth_sql())
        return (
            f"{sql}SELECT id, name_key, spent, {', '.join(found)}, "
            f"CASE WHEN {any_reason} THEN {score} END, :today, {until}, {FACT_COLUMNS} "
            "FROM reasons WHERE true"
        )
    columns = f"id, {score} AS score"
    if shape == "items":
        phone = (
            "(SELECT shown FROM customer_phone WHERE customer_id = reasons.id "
            "ORDER BY position LIMIT 1)"
        )
        columns += (
            f", first_name, last_name, company, {phone}, tier, spent, last_contact_at, due, "
            "heard, cadence, touch_id, touch_heard, bought_days, first_day, last_day, lapse_since, newest, created, source, "
            f"why_chose_us, {', '.join(found)}"
        )
    return (
        f"{sql}SELECT {columns} FROM reasons WHERE {any_reason}\nORDER BY score DESC, name_key, id"
    )


def _score_sql(weighted: Sequence[str]) -> str:
    """A customer's score from their weighted reasons (NULL where one does not apply) and
    `spent`. One reason: its own score is the customer's (what `_customer_score` gives too),
    with a cheaper call for three customers in four."""
    count = " + ".join(f"({w} IS NOT NULL)" for w in weighted)
    return (
        f"CASE WHEN {count} = 1 THEN attention_reason_score(coalesce({', '.join(weighted)}), "
        f"spent) ELSE attention_customer_score(spent, {', '.join(weighted)}) END"
    )


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
            rows = _execute(db, _queue_sql(wanted, "items", False), params).fetchall()
            states = _states(db, [row[0] for row in rows])
            return AttentionPage(_items(db, rows, params, states), len(rows))
        shown, total = _first(db, wanted, max(limit, 0))
        if not shown:
            return AttentionPage([], total)
        params["only"] = _json_ids(shown)
        # The same rules over the same snapshot, for the shown customers only: the same rows
        # in the same order as the ranking's first ones.
        rows = _execute(db, _queue_sql(wanted, "items", True), params).fetchall()
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
        return _execute(db, _ranking_sql(wanted), {}).fetchall()


def reason_ids(db: Database, as_of: date, codes: Iterable[str]) -> list[int]:
    """Customers with any of these reasons on `as_of` (the `reason:` search qualifier), in no
    particular order: who, not how urgent, so nothing is scored."""
    wanted = _wanted(codes)
    if not wanted:
        return []
    with db.atomic():
        _prepare(db, as_of)
        return [
            row[0]
            for row in db.execute_sql(
                f"SELECT customer_id FROM attention_score WHERE {_any_sql(wanted)}"
            )
        ]


# The kept scores, in queue order (through the index `attention_score_rank`).
RANKING = """SELECT customer_id, score FROM attention_score INDEXED BY attention_score_rank
WHERE score IS NOT NULL ORDER BY score DESC, name_key, customer_id"""
QUEUE_SIZE = "SELECT count(*) FROM attention_score WHERE score IS NOT NULL"


def _any_sql(wanted: frozenset[str]) -> str:
    return " OR ".join(f"w_{code} IS NOT NULL" for code in RULE_ORDER if code in wanted)


def _ranking_sql(wanted: frozenset[str]) -> str:
    """Everyone in the queue (of these reasons) with their score, in queue order, from the
    kept scores; for some reasons only, each customer's score from those reasons."""
    if wanted == ALL_REASONS:
        return RANKING
    weighted = [f"w_{code}" if code in wanted else "NULL" for code in RULE_ORDER]
    return (
        f"SELECT customer_id, {_score_sql(weighted)} AS score FROM attention_score "
        f"WHERE {_any_sql(wanted)} ORDER BY score DESC, name_key, customer_id"
    )


def _first(db: Database, wanted: frozenset[str], limit: int) -> tuple[list[int], int]:
    """The first `limit` customers of the queue and the size of the whole queue."""
    if wanted == ALL_REASONS:
        shown = [row[0] for row in db.execute_sql(f"{RANKING} LIMIT ?", (limit,))]
        return shown, db.execute_sql(QUEUE_SIZE).fetchone()[0]
    ranking = _execute(db, _ranking_sql(wanted), {}).fetchall()
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
        "only": "[]",
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
    return _execute(db, _queue_sql(ALL_REASONS, "store", False), params).fetchall()


# Kept scores that do not hold on :today: marked by a write (`valid_until = 0`: their facts
# too), past their day, or for a later day (only looked for when the day goes back: meta
# `attention_day` is the day they were last brought to).
MARKED_SCORES = "SELECT customer_id FROM attention_score WHERE valid_until = 0"
STALE_SCORES = (
    "SELECT customer_id FROM attention_score WHERE valid_until > 0 AND valid_until <= :today"
)
LATER_SCORES = (
    "SELECT customer_id FROM attention_score WHERE computed_on > :today AND valid_until > 0"
)

_STORE = (
    f"INSERT INTO attention_score ({SCORE_COLUMNS}) {{query}} ON CONFLICT (customer_id) DO UPDATE "
    "SET " + ", ".join(f"{c} = excluded.{c}" for c in SCORE_COLUMNS.split(", ")[1:])
)


def _keep_scores(db: Database, params: dict[str, object]) -> None:
    """Work out again the scores that do not hold on the day (or everyone's after a bulk
    write): a customer's score changes with the day only when a reason starts or stops, or
    while a growing urgency takes its rounded score to the next tenth, so most of the queue
    carries over from one day to the next; and those it does not are worked out from the
    facts kept with them, unless a write marked them."""
    today = params["today"]
    with db.atomic():
        latest = meta_value(db, "attention_day")
        if meta_value(db, "attention_kept") is None:
            _register(db)
            store = _STORE.format(query=_queue_sql(ALL_REASONS, "store", False))
            refill(db, "attention_score", [(store, params)])
            set_meta(db, "attention_kept", "1")
            set_meta(db, "attention_day", str(today))
            return
        marked = [row[0] for row in db.execute_sql(MARKED_SCORES)]
        stale = [row[0] for row in db.execute_sql(STALE_SCORES, {"today": today})]
        if latest is None or int(latest) > today:
            stale += [row[0] for row in db.execute_sql(LATER_SCORES, {"today": today})]
        if latest is None or int(latest) != today:
            # The day the scores are kept for: once they are brought back to an earlier day
            # (a clock set back, a test), later reads of that day no longer look for scores
            # of a later one (every score read, some 60 ms at 100 000 customers, each time).
            set_meta(db, "attention_day", str(today))
        for ids, kept in ((marked, False), (stale, True)):
            if ids:
                query = _queue_sql(ALL_REASONS, "store", True, kept)
                _execute(db, _STORE.format(query=query), {**params, "only": _json_ids(ids)})
        if marked:  # whoever is still marked is in the trash, lost or gone
            db.execute_sql("DELETE FROM attention_score WHERE valid_until = 0")


def _execute(db: Database, sql: str, params: dict[str, object]):
    return _register(db).execute(sql, params)


def _register(db: Database):
    """The connection, with the functions the queue's statements call. Registered on every
    call: each thread has its own connection, and a worker's is closed and opened again
    between loads."""
    conn = db.connection()
    conn.create_function("attention_reason_score", 2, _reason_score, deterministic=True)
    conn.create_function(
        "attention_customer_score", 1 + len(RULE_ORDER), _customer_score, deterministic=True
    )
    conn.create_function("attention_value", 1, _value, deterministic=True)
    return conn


def _json_ids(ids: Iterable[int]) -> str:
    return "[" + ",".join(map(str, ids)) + "]"


def _items(
    db: Database, rows: list[tuple], params: dict[str, object], states: dict[int, Seen]
) -> list[AttentionItem]:
    """Items, with the texts people read, from rows of the "items" query (`params`: the
    query's, from `_prepare`: the day and the book's gap it was ranked with)."""
    thank = RULE_ORDER.index("thank_referrer") - len(RULE_ORDER)
    referrers = [row[0] for row in rows if row[thank] is not None]
    referred: dict[int, list[str]] = {}
    if referrers:
        for referrer, name, company in db.execute_sql(UNTHANKED_NAMES, (_json_ids(referrers),)):
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
        rows = db.execute_sql("SELECT id, scope, kind, every_days FROM plan_touch").fetchall()
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
    who = who if who is not None else settings().user
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
    who = who if who is not None else settings().user
    with db.atomic():
        _check_seen(db, customer_id, seen, "marked done")
        before = _marks_of(db, customer_id, codes)
        _mark(db, customer_id, codes, who, done_at=now.isoformat(sep=" "))
        closed: list[int] = []
        if {"follow_up_due", "follow_up_overdue"} & set(codes):
            closed = [
                row[0]
                for row in db.execute_sql(
                    "SELECT id FROM interaction WHERE customer_id = ? AND follow_up IS NOT NULL "
                    "AND follow_up <= ? AND follow_up_done = 0",
                    (customer_id, now.date().isoformat()),
                )
            ]
            db.execute_sql(
                "UPDATE interaction SET follow_up_done = 1 WHERE id IN "
                "(SELECT value FROM json_each(?))",
                (_json_ids(closed),),
            )
        _journal(db, "done", customer_id, codes, before, closed, who, now=now)


_MARK_ROWS = """SELECT reason, snoozed_until, done_at, who FROM attention_mark
WHERE customer_id = ? AND reason IN (SELECT value FROM json_each(?)) ORDER BY reason"""


def _marks_of(db: Database, customer_id: int, codes: list[str]) -> list[list]:
    """The customer's marks for these reasons exactly as stored (what an undo puts back)."""
    return [list(row) for row in db.execute_sql(_MARK_ROWS, (customer_id, json.dumps(codes)))]


def _journal(db, kind, customer_id, codes, before, closed, who, now=None) -> None:
    """The undo step of a snooze or "done": the marks before and after, follow-ups closed."""
    row = db.execute_sql(
        "SELECT first_name, last_name, company FROM customer WHERE id = ?", (customer_id,)
    ).fetchone()
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
        still = db.execute_sql(
            "SELECT count(*) FROM interaction WHERE follow_up_done = 1 AND customer_id = ? "
            "AND id IN (SELECT value FROM json_each(?))",
            (customer_id, _json_ids(payload["closed"])),
        ).fetchone()[0]
        if still != len(payload["closed"]):
            raise refused("the follow-ups it closed were changed since")
    db.execute_sql(
        "DELETE FROM attention_mark WHERE customer_id = ? AND reason IN "
        "(SELECT value FROM json_each(?))",
        (customer_id, json.dumps(codes)),
    )
    db.connection().executemany(
        "INSERT INTO attention_mark (customer_id, reason, snoozed_until, done_at, who) "
        "VALUES (?, ?, ?, ?, ?)",
        [(customer_id, *mark) for mark in payload["before"]],
    )
    db.execute_sql(
        "UPDATE interaction SET follow_up_done = 0 WHERE id IN (SELECT value FROM json_each(?))",
        (_json_ids(payload["closed"]),),
    )
    return ""


def _mark(db: Database, customer_id: int, reasons: Iterable[str], who, **column: str) -> None:
    ((name, value),) = column.items()
    who = who if who is not None else settings().user
    with db.atomic():
        if (
            db.execute_sql(
                "SELECT 1 FROM customer WHERE id = ? AND deleted_at IS NULL", (customer_id,)
            ).fetchone()
            is None
        ):
            raise CrmError(f"no customer #{customer_id}")
        for code in reasons:
            if code not in REASONS:
                raise CrmError(f"unknown reason {code!r}")
            db.execute_sql(
                "INSERT INTO attention_mark (customer_id, reason, who) VALUES (?, ?, ?) "
                "ON CONFLICT (customer_id, reason) DO UPDATE SET who = excluded.who",
                (customer_id, code, who),
            )
            db.execute_sql(
                f"UPDATE attention_mark SET {name} = ? WHERE customer_id = ? AND reason = ?",
                (value, customer_id, code),
            )


_INTERACTIONS_OF = """SELECT customer_id, count(*), max(id) FROM interaction
WHERE customer_id IN (SELECT value FROM json_each(?)) GROUP BY customer_id"""
_MARKS_OF = """SELECT customer_id, reason, coalesce(snoozed_until, ''), coalesce(done_at, '')
FROM attention_mark WHERE customer_id IN (SELECT value FROM json_each(?))
ORDER BY customer_id, reason"""


def _states(db: Database, ids: list[int]) -> dict[int, Seen]:
    if not ids:
        return {}
    wanted = (_json_ids(ids),)
    counts = {
        cid: (count, newest) for cid, count, newest in db.execute_sql(_INTERACTIONS_OF, wanted)
    }
    marks: dict[int, list[tuple[str, str, str]]] = {}
    for customer_id, reason, snoozed, done in db.execute_sql(_MARKS_OF, wanted):
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
    for kind, follow_up, who in db.execute_sql(
        "SELECT kind, follow_up, logged_by FROM interaction WHERE customer_id = ? AND id > ? "
        "ORDER BY id",
        (customer_id, seen.newest),
    ):
        asked = f" with a follow-up on {follow_up}" if follow_up else ""
        said.append(f"{printable(who, limit=40) or 'someone'} logged a {kind}{asked}")
    for reason, snoozed, done, who in db.execute_sql(
        "SELECT reason, coalesce(snoozed_until, ''), coalesce(done_at, ''), who "
        "FROM attention_mark WHERE customer_id = ? ORDER BY reason",
        (customer_id,),
    ):
        before = marks.get(reason, ("", ""))
        who, label = printable(who, limit=40) or "someone", REASONS.get(reason, reason)
        if snoozed and snoozed != before[0]:
            said.append(f"{who} snoozed {label} until {date.fromisoformat(snoozed):%a %-d %b}")
        if done and done != before[1]:
            said.append(f"{who} marked {label} done")
    row = db.execute_sql(
        "SELECT first_name, last_name, company FROM customer WHERE id = ?", (customer_id,)
    ).fetchone()
    name = printable(display_name(*row), limit=60) if row else f"#{customer_id}"
    more = f"; {len(said) - 3} more" if len(said) > 3 else ""
    what = f"{'; '.join(said[:3])}{more}" if said else "their interactions were moved"
    raise ConflictError(
        f"{name} changed since you looked ({what}); nothing was {action}: look again", []
    )
