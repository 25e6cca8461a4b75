"""The week ahead (issue 19): the follow-ups promised, by day, those overdue first, each with
the customer, what was promised and what they are worth."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from peewee import Database

from tui_crm.core.rows import CustomerRow
from tui_crm.core.search import rows_for
from tui_crm.core.value import ensure_values
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


def agenda(db: Database, today: date, days: int = 7) -> list[AgendaItem]:
    """The follow-ups due from the overdue ones up to `days` days from `today` (7: the week
    ahead), by day, the most valuable customer first within a day. A follow-up is due until a
    later contact answers it (as the customer's next follow-up says)."""
    if not 0 <= days <= MOST_DAYS:
        raise CrmError(f"--days must be 0 to {MOST_DAYS}")
    ensure_values(db, today)
    last = today + timedelta(days=days)
    found = db.execute_sql(
        "SELECT c.id, c.next_follow_up, i.notes, i.id, i.version "
        "FROM customer c LEFT JOIN interaction i ON i.id = ("
        "  SELECT j.id FROM interaction j WHERE j.customer_id = c.id "
        "  AND j.follow_up = c.next_follow_up AND j.follow_up_done = 0 "
        "  ORDER BY j.at DESC, j.id DESC LIMIT 1) "
        "WHERE c.deleted_at IS NULL AND c.next_follow_up IS NOT NULL "
        "AND c.next_follow_up <= ?",
        (last.isoformat(),),
    ).fetchall()
    rows = {row.id: row for row in rows_for(db, [cid for cid, *_ in found])}
    items = [
        AgendaItem(
            due if isinstance(due, date) else date.fromisoformat(str(due)),
            rows[cid],
            " ".join((notes or "").split()),
            interaction_id,
            version or 1,
        )
        for cid, due, notes, interaction_id, version in found
        if cid in rows
    ]
    items.sort(key=lambda item: (item.day, -item.customer.value_12m, item.customer.name))
    return items
