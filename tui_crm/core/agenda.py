"""The week ahead (issue 19): the follow-ups promised and the plan touches falling due, by day,
the follow-ups overdue first, each with the customer, what was promised and what they are
worth. Plan touches already overdue are the queue's to rank ("cadence"): the agenda counts
them (`Agenda.touches_overdue`) rather than list tens of thousands of them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from peewee import Database

from tui_crm.core.attention import Seen, attention_states, keep_scores
from tui_crm.core.plans import Touch
from tui_crm.core.rows import CustomerRow
from tui_crm.core.search import rows_for
from tui_crm.db.store import store_of
from tui_crm.errors import CrmError

MOST_DAYS = 366


def said_day(day: date, today: date, *, dated: bool = False) -> str:
    """A day as the agenda says it: 3d late, today, tomorrow, Wed (this week), in 9d; with
    `dated` (the screen, which has room), the others as Wed 9 Dec."""
    ahead = (day - today).days
    if ahead < 0:
        return f"{-ahead}d late"
    if ahead <= 1:
        return ("today", "tomorrow")[ahead]
    if dated:
        return f"{day:%a} {day.day} {day:%b}"
    return f"{day:%a}" if ahead < 7 else f"in {ahead}d"


@dataclass(frozen=True)
class AgendaItem:
    """One follow-up due: the day, the customer, and the note of the interaction that asked
    for it (what was promised)."""

    day: date
    customer: CustomerRow
    promised: str
    interaction_id: int | None = None  # the interaction that asked for it (to move its day)
    version: int = 1  # that interaction's, which a move is based on
    touch: Touch | None = None  # a plan touch falling due, not a follow-up
    seen: Seen | None = None  # for a touch: what moving it (a snooze in the queue) is based on
    time: str = ""  # a follow-up's time of day, "HH:MM" ("" for the day alone)

    @property
    def what(self) -> str:
        return "follow-up" if self.touch is None else "plan"


@dataclass(frozen=True)
class Agenda:
    items: list[AgendaItem]
    touches_overdue: int  # plan touches due before today (the queue ranks them)


def agenda(db: Database, today: date, days: int = 7) -> list[AgendaItem]:
    """The agenda's items (see `week_ahead`)."""
    return week_ahead(db, today, days).items


def week_ahead(db: Database, today: date, days: int = 7) -> Agenda:
    """The follow-ups due from the overdue ones up to `days` days from `today` (7: the week
    ahead), and the plan touches falling due from today to then, by day, the most valuable
    customer first within a day (a follow-up before a touch). A follow-up is due until a
    later contact answers it (as the customer's next follow-up says); a touch until an
    interaction of its kind does, a snooze or "done" in the queue moves it as there."""
    if not 0 <= days <= MOST_DAYS:
        raise CrmError(f"--days must be 0 to {MOST_DAYS}")
    with db.atomic():
        keep_scores(db, today)  # the value summary too
        return _week_ahead(db, today, today + timedelta(days=days))


def _touches(db: Database, today: date, last: date) -> tuple[list[tuple[int, date, Touch]], int]:
    # The touch each customer has falling due first, as the queue keeps it, with the day it
    # falls due and, for a customer with marks, what may hide it: a snooze (until a day) and
    # "done" (its clock restarted then). Those due before today with no mark are only counted.
    days = {"today": today.toordinal(), "last": last.toordinal()}
    overdue, rows = store_of(db).touches_falling_due(days["today"], days["last"])
    found = []
    for cid, due, kind, every, snoozed, done in rows:
        heard = due - every - 1
        if done is not None and done >= heard:
            due = max(due, done + every + 1)
        if snoozed is not None and snoozed > days["today"]:
            due = max(due, snoozed)
        if due < days["today"]:
            overdue += 1
        elif due <= days["last"]:
            found.append((cid, date.fromordinal(due), Touch(kind, every)))
    return found, overdue


def _week_ahead(db: Database, today: date, last: date) -> Agenda:
    found = store_of(db).follow_ups_until(last.isoformat())
    touches, overdue = _touches(db, today, last)
    ids = list(dict.fromkeys(cid for cid, *_ in found + touches))
    rows = {row.id: row for row in rows_for(db, ids)}
    states = attention_states(db, [cid for cid, *_ in touches])
    items = [
        AgendaItem(day, rows[cid], f"plan: {touch.name}", touch=touch, seen=states[cid])
        for cid, day, touch in touches
        if cid in rows
    ]
    items += [
        AgendaItem(
            due if isinstance(due, date) else date.fromisoformat(str(due)),
            rows[cid],
            " ".join((notes or "").split()),
            interaction_id,
            version or 1,
            time=clock or "",
        )
        for cid, due, notes, interaction_id, version, clock in found
        if cid in rows
    ]
    # Within a day: follow-ups at a time of day by the time, then the others, then touches.
    items.sort(
        key=lambda item: (
            item.day,
            item.touch is not None,
            item.time or "~",
            -item.customer.value_12m,
            item.customer.name,
            item.customer.id,
        )
    )
    return Agenda(items, overdue)
