"""The needs-attention queue: whom to call today and why, most valuable and most overdue first.

`attention_queue(db, as_of)` reads the per-customer figures the triggers keep (last contact,
next follow-up, last purchase), the value summary (tier, 12-month spend) and each customer's
purchase rhythm, and returns ranked items, each with one or more reasons:

- follow_up_overdue / follow_up_due: a follow-up date has come and nothing answered it;
- cadence: no contact for longer than the customer's category allows (else the default);
- lapsed: no purchase for much longer than this customer's own usual gap (see `rhythm`);
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
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import NamedTuple

from peewee import Database

from tui_crm.core.config import settings
from tui_crm.core.referrals import LIVE_REFERRALS, REFERRAL_DAY, THANKED_SQL
from tui_crm.core.types import display_name
from tui_crm.core.value import ensure_values
from tui_crm.errors import CrmError, ValidationError

REASONS = {
    "follow_up_overdue": "follow-up overdue",
    "follow_up_due": "follow-up due today",
    "lapsed": "stopped buying",
    "gold_quiet": "valuable and quiet",
    "cadence": "no contact for too long",
    "thank_referrer": "referral not thanked",
    "incomplete_profile": "profile incomplete",
}
WEIGHTS = {
    "follow_up_overdue": 5.0,  # a promise to call back comes first
    "follow_up_due": 4.5,
    "lapsed": 2.5,
    "gold_quiet": 2.0,
    "thank_referrer": 2.0,
    "cadence": 1.5,
    "incomplete_profile": 1.0,
}
DEFAULT_CADENCE_DAYS = 90  # for customers without a category; editable, kept in `meta`
QUIET_DAYS = {"gold": 30, "silver": 60}  # no contact for longer than this is "quiet"
NEW_CUSTOMER_DAYS = 30  # how long a new customer's incomplete profile is worth a reminder
MIN_PURCHASES = 3  # a rhythm needs at least two gaps between purchase days
MIN_LAPSE_DAYS = 14  # never call a customer lapsed sooner than this after a purchase
MAD_TO_SIGMA = 1.4826  # median absolute deviation → standard deviation for normal data


@dataclass(frozen=True)
class Rhythm:
    """A customer's usual gap between purchase days and when silence means they lapsed."""

    purchases: int  # purchase days measured
    typical_gap: float  # median gap, days
    limit_days: int  # longer than this without a purchase: lapsed


# Reasons and items are NamedTuples, not frozen dataclasses: at 100 000 customers the queue
# builds some 120 000 of them, and a frozen dataclass costs several times more to create.
class Reason(NamedTuple):
    code: str
    text: str  # for people: "buys about every 41 days; 130 days since the last purchase"
    score: float
    since: date  # when this reason's clock started


class AttentionItem(NamedTuple):
    customer_id: int
    name: str
    company: str
    phone: str  # the first phone number, E.164 ("" when none)
    tier: str
    value_12m: int  # cents
    last_contact: datetime | None
    score: float
    reasons: tuple[Reason, ...]


def rhythm(days: Sequence[date]) -> Rhythm | None:
    """The purchase rhythm from a customer's purchase days, or None with too few of them.

    A robust interval rule: the typical gap is the median gap between purchase days, and the
    spread is the median absolute deviation, so one long holiday or a burst of orders does not
    move either much. A customer has lapsed once the silence is longer than both twice the
    typical gap and the typical gap plus three spreads (about three standard deviations):
    a monthly buyer after two months, a twice-a-year buyer only after a year.
    """
    distinct = sorted(set(days))
    if len(distinct) < MIN_PURCHASES:
        return None
    gaps = [(b - a).days for a, b in zip(distinct, distinct[1:], strict=False)]
    typical = statistics.median(gaps)
    spread = statistics.median(abs(gap - typical) for gap in gaps)
    limit = max(2 * typical, typical + 3 * MAD_TO_SIGMA * spread, MIN_LAPSE_DAYS)
    return Rhythm(len(distinct), float(typical), math.ceil(limit))


def ensure_rhythms(db: Database) -> None:
    """Compute the rhythm of every customer whose purchases changed since it was last kept
    (the purchase triggers drop it); at most one pass over the purchases of those customers."""
    missing = (
        "SELECT id FROM customer WHERE purchase_count >= ? AND deleted_at IS NULL "
        "AND id NOT IN (SELECT customer_id FROM purchase_rhythm)"
    )
    if not db.execute_sql(f"SELECT EXISTS ({missing})", (MIN_PURCHASES,)).fetchone()[0]:
        return
    with db.atomic():
        rows = db.execute_sql(
            "SELECT c.id, p.day FROM customer c LEFT JOIN purchase p "
            "ON p.customer_id = c.id AND p.cents > 0 "
            f"WHERE c.id IN ({missing}) ORDER BY c.id",
            (MIN_PURCHASES,),
        )
        days: dict[int, list[date]] = {}
        for customer_id, day in rows:
            days.setdefault(customer_id, []).append(date.fromisoformat(day) if day else None)
        found = []
        for customer_id, dates in days.items():
            kept = rhythm([day for day in dates if day is not None])
            # Too few purchase days (or only credit notes) gets a row too, with no limit, so
            # the customer is not looked at again until their purchases change.
            found.append(
                (customer_id, kept.purchases, kept.typical_gap, kept.limit_days)
                if kept
                else (customer_id, len({d for d in dates if d}), 0.0, 0)
            )
        db.connection().executemany(
            "INSERT OR REPLACE INTO purchase_rhythm (customer_id, purchases, typical_gap, "
            "limit_days) VALUES (?, ?, ?, ?)",
            found,
        )


def default_cadence(db: Database) -> int:
    row = db.execute_sql("SELECT value FROM meta WHERE key = 'default_cadence_days'").fetchone()
    try:
        return int(row[0]) if row else DEFAULT_CADENCE_DAYS
    except ValueError:
        return DEFAULT_CADENCE_DAYS


def set_default_cadence(db: Database, days: int | str) -> int:
    days = parse_cadence(days)
    db.execute_sql(
        "INSERT OR REPLACE INTO meta (key, value) VALUES ('default_cadence_days', ?)", (str(days),)
    )
    return days


def parse_cadence(days: int | str) -> int:
    if not str(days).strip():
        raise ValidationError({"cadence_days": "write a number of days, e.g. 30"})
    try:
        value = int(str(days).strip())
    except ValueError:
        raise ValidationError({"cadence_days": f"'{days}' is not a whole number of days"}) from None
    if not 1 <= value <= 3650:
        raise ValidationError({"cadence_days": "a cadence is 1 to 3650 days"})
    return value


def _ordinal(column: str) -> str:
    """SQL for the day of a date or datetime column as `date.toordinal()` counts it."""
    return f"CAST(julianday(substr({column}, 1, 10)) - 1721424.5 AS INTEGER)"


# Day numbers come out of SQL ready for arithmetic: parsing 100 000 dates in Python would
# cost more than the whole query.
CANDIDATES = f"""
SELECT c.id, c.first_name, c.last_name, c.company, c.last_contact_at,
       {_ordinal("c.last_contact_at")}, {_ordinal("c.next_follow_up")},
       {_ordinal("c.created_at")}, c.source, c.why_chose_us, {_ordinal("c.last_purchase_on")},
       coalesce(cat.cadence_days, :cadence), coalesce(v.tier, ''), coalesce(v.spent_12m, 0),
       r.typical_gap, r.limit_days,
       (SELECT number FROM customer_phone WHERE customer_id = c.id ORDER BY position LIMIT 1)
FROM customer c
LEFT JOIN category cat ON cat.id = c.category_id
LEFT JOIN customer_value v ON v.customer_id = c.id
LEFT JOIN purchase_rhythm r ON r.customer_id = c.id
WHERE c.deleted_at IS NULL AND c.status != 'lost' AND (
  c.next_follow_up <= :as_of
  OR coalesce(c.last_contact_at, c.created_at)
     < date(:as_of, '-' || coalesce(cat.cadence_days, :cadence) || ' days')
  OR (r.limit_days > 0 AND c.last_purchase_on < date(:as_of, '-' || r.limit_days || ' days'))
  OR (v.tier = 'gold' AND coalesce(c.last_contact_at, c.created_at) < :gold_quiet)
  OR (v.tier = 'silver' AND coalesce(c.last_contact_at, c.created_at) < :silver_quiet)
  OR (c.created_at >= :new_since AND (c.source = '' OR c.why_chose_us = ''))
  OR c.id IN (SELECT value FROM json_each(:unthanked))
)"""

UNTHANKED = f"""
SELECT r.referred_by_id AS customer_id, r.id AS referred_id,
       trim(r.first_name || ' ' || r.last_name) AS name, r.company, {REFERRAL_DAY} AS day
{LIVE_REFERRALS} AND p.status != 'lost' AND NOT {THANKED_SQL}"""


def attention_queue(
    db: Database, as_of: date, *, reasons: Iterable[str] | None = None
) -> list[AttentionItem]:
    """Everyone who needs attention on `as_of`, highest score first (ties by name, id)."""
    wanted = set(reasons) if reasons is not None else set(REASONS)
    unknown = wanted - set(REASONS)
    if unknown:
        raise CrmError(f"unknown reason {sorted(unknown)[0]!r}; one of {', '.join(REASONS)}")
    ensure_values(db, as_of)
    ensure_rhythms(db)
    cadence = default_cadence(db)
    params = {
        "as_of": as_of.isoformat(),
        "cadence": cadence,
        "gold_quiet": (as_of - timedelta(days=QUIET_DAYS["gold"])).isoformat(),
        "silver_quiet": (as_of - timedelta(days=QUIET_DAYS["silver"])).isoformat(),
        "new_since": (as_of - timedelta(days=NEW_CUSTOMER_DAYS)).isoformat(),
    }
    unthanked: dict[int, list[tuple[str, date]]] = {}
    for customer_id, _, name, company, day in db.execute_sql(UNTHANKED):
        unthanked.setdefault(customer_id, []).append((name or company, date.fromisoformat(day)))
    params["unthanked"] = "[" + ",".join(map(str, unthanked)) + "]"
    marks = _marks(db)
    items = []
    today = as_of.toordinal()
    for row in db.connection().execute(CANDIDATES, params):
        item = _item(row, today, unthanked.get(row[0], ()), marks, wanted)
        if item is not None:
            items.append(item)
    items.sort(key=lambda item: (-item.score, item.name, item.customer_id))
    return items


def _marks(db: Database) -> dict[tuple[int, str], tuple[int | None, int | None]]:
    """(customer, reason) → (snoozed until, done on), as day ordinals."""
    return {
        (customer_id, reason): (until, done)
        for customer_id, reason, until, done in db.execute_sql(
            f"SELECT customer_id, reason, {_ordinal('snoozed_until')}, {_ordinal('done_at')} "
            "FROM attention_mark"
        )
    }


def _overdue(days_late: float, scale: float) -> float:
    """1 at the due point, growing linearly to 4 at three scales late."""
    return 1 + min(max(days_late, 0) / max(scale, 1), 3)


def _item(row, today: int, unthanked, marks, wanted: set[str]) -> AttentionItem | None:
    """The reasons one customer needs attention for (None when none); days are ordinals."""
    (cid, first, last, company, contact_at, contact, due, created, source, why, bought,
     cadence, tier, spent, typical_gap, limit_days, phone) = row  # fmt: skip
    created = created or today
    heard = max(contact, created) if contact else created  # silence is counted from here
    found: list[tuple[str, str, float, int]] = []  # code, text, urgency, since (ordinal)

    if due is not None and due <= today:
        late = today - due
        if late:
            text = f"follow-up was due {date.fromordinal(due):%a %-d %b} ({_days(late)} ago)"
            found.append(("follow_up_overdue", text, _overdue(late, 7), due))
        else:
            found.append(("follow_up_due", "follow-up due today", 1.0, due))

    quiet = today - heard
    if quiet > cadence:
        text = f"no contact for {_days(quiet)} (every {_days(cadence)} wanted)"
        found.append(("cadence", text, _overdue(quiet - cadence, cadence), heard))

    limit = QUIET_DAYS.get(tier)
    if limit is not None and quiet > limit:
        text = f"{tier} customer, no contact for {_days(quiet)}"
        found.append(("gold_quiet", text, _overdue(quiet - limit, limit), heard))

    if limit_days and bought is not None:
        since = bought
        if contact is not None and contact >= bought + limit_days:
            since = contact  # asked them since they lapsed: due again a rhythm later
        silent = today - since
        if silent > limit_days:
            text = (
                f"buys about every {_days(round(typical_gap))}; {_days(today - bought)} since "
                "the last purchase"
            )
            found.append(("lapsed", text, _overdue(silent - limit_days, limit_days), since))

    if unthanked:
        # Urgency from the oldest unthanked referral; the clock (for "done") from the newest,
        # so a referral made after the reminder was marked done brings it back.
        days = [day.toordinal() for _, day in unthanked]
        names = ", ".join(name for name, _ in unthanked[:3])
        more = f" and {len(unthanked) - 3} more" if len(unthanked) > 3 else ""
        text = f"referred {names}{more}; not thanked yet"
        found.append(("thank_referrer", text, _overdue(today - min(days), 30), max(days)))

    if today - created <= NEW_CUSTOMER_DAYS and not (source.strip() and why.strip()):
        missing = " and ".join(
            label
            for label, value in (("source", source), ("why they chose us", why))
            if not value.strip()
        )
        found.append(("incomplete_profile", f"new customer without {missing}", 1.0, created))

    value = 1 + math.log10(1 + max(spent, 0) / 10_000)
    reasons = []
    for code, text, urgency, since in found:
        if code not in wanted:
            continue
        mark = marks.get((cid, code))
        if mark is not None:
            snoozed_until, done_on = mark
            if snoozed_until is not None and today < snoozed_until:
                continue
            if done_on is not None and not _due_after_done(
                code, since, done_on, today, cadence, tier, limit_days
            ):
                continue
        score = round(WEIGHTS[code] * urgency * value, 1)
        reasons.append(Reason(code, text, score, date.fromordinal(since)))
    if not reasons:
        return None
    if len(reasons) > 1:
        reasons.sort(key=lambda r: -r.score)
    score = reasons[0].score + sum(r.score for r in reasons[1:]) / 4
    return AttentionItem(
        cid,
        display_name(first, last, company),
        company,
        phone or "",
        tier,
        spent,
        datetime.fromisoformat(contact_at) if contact_at else None,
        round(score, 1),
        tuple(reasons),
    )


def _due_after_done(
    code: str, since: int, done_on: int, today: int, cadence: int, tier: str, limit_days
) -> bool:
    """Whether a reason marked done on `done_on` is due again: its clock restarts then."""
    if done_on < since:
        return True  # done before this occurrence began: a new one
    restart = today - done_on
    if code == "cadence":
        return restart > cadence
    if code == "gold_quiet":
        return restart > QUIET_DAYS.get(tier, cadence)
    if code == "lapsed":
        return restart > (limit_days or cadence)
    return False  # follow-ups, thanks and incomplete profiles stay done until a new one


def _days(n: int) -> str:
    return "1 day" if n == 1 else f"{n} days"


def snooze(
    db: Database,
    customer_id: int,
    reasons: Iterable[str],
    until: date,
    *,
    as_of: date | None = None,
    who: str | None = None,
) -> None:
    """Hide these reasons of a customer until `until` (they show again on that day)."""
    if as_of is not None and until <= as_of:
        raise ValidationError({"until": f"snooze until a day after {as_of:%a %-d %b}"})
    _mark(db, customer_id, reasons, who, snoozed_until=until.isoformat())


def mark_done(
    db: Database,
    customer_id: int,
    reasons: Iterable[str],
    *,
    now: datetime | None = None,
    who: str | None = None,
) -> None:
    """Mark these reasons handled. A due follow-up is closed on its interaction itself."""
    now = (now or datetime.now()).replace(microsecond=0)
    codes = list(reasons)
    with db.atomic():
        if {"follow_up_due", "follow_up_overdue"} & set(codes):
            db.execute_sql(
                "UPDATE interaction SET follow_up_done = 1 WHERE customer_id = ? "
                "AND follow_up IS NOT NULL AND follow_up <= ? AND follow_up_done = 0",
                (customer_id, now.date().isoformat()),
            )
        _mark(db, customer_id, codes, who, done_at=now.isoformat(sep=" "))


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


def reason_ids(db: Database, as_of: date, codes: Iterable[str]) -> list[int]:
    """Customers with any of these reasons on `as_of` (the `reason:` search qualifier)."""
    return [item.customer_id for item in attention_queue(db, as_of, reasons=codes)]
