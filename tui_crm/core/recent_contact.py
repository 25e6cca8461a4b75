"""No customer called or mailed twice (issue 19): whether someone (a colleague, or you)
contacted a customer in the last few days, said in one line before anyone does it again:
"Anna called them yesterday: 'sent the quote'"."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from peewee import Database

from tui_crm.core.display import printable
from tui_crm.core.types import InteractionView
from tui_crm.db.store import store_of

# What counts as a contact (a note is not one), and how it is said.
CONTACTED = {
    "call": "called",
    "email": "emailed",
    "meeting": "met",
    "message": "messaged",
    "thanks": "thanked",
}
DEFAULT_DAYS = 2


def recent_contact(
    interactions: Iterable[InteractionView], now: datetime, days: int
) -> InteractionView | None:
    """The newest contact of `interactions` in the `days` before `now` (none with 0 days)."""
    if days <= 0:
        return None
    since = now - timedelta(days=days)
    found = [i for i in interactions if i.kind in CONTACTED and since <= i.at <= now]
    return max(found, key=lambda i: (i.at, i.id), default=None)


def read_recent_contact(
    db: Database, customer_id: int, now: datetime, days: int
) -> InteractionView | None:
    """`recent_contact` of one customer, read from the book (one indexed query)."""
    if days <= 0:
        return None
    row = store_of(db).newest_contact(
        customer_id,
        (now - timedelta(days=days)).isoformat(sep=" "),
        now.isoformat(sep=" "),
        tuple(CONTACTED),
    )
    if row is None:
        return None
    cid, kind, at, notes, outcome, logged_by = row
    when = at if isinstance(at, datetime) else datetime.fromisoformat(str(at))
    return InteractionView(cid, kind, when, notes or "", outcome or "", None, logged_by or "")


def _when(at: datetime, now: datetime) -> str:
    if at.date() == now.date():
        minutes = int((now - at).total_seconds() // 60)
        if minutes < 5:
            return "just now"
        if minutes < 60:
            return f"{minutes} minutes ago"
        hours = minutes // 60
        return f"{hours} hour{'s' if hours != 1 else ''} ago"
    days = (now.date() - at.date()).days
    return "yesterday" if days == 1 else f"{days} days ago"


def said(item: InteractionView, me: str, now: datetime) -> str:
    """One line: who contacted them, how, when and about what (the text as it is, cut)."""
    name = item.logged_by
    if name.islower():  # a login name ("anna") said as a name
        name = name[:1].upper() + name[1:]
    who = "You" if item.logged_by in ("", me) else printable(name, limit=40)
    line = f"{who} {CONTACTED.get(item.kind, 'contacted')} them {_when(item.at, now)}"
    about = " ".join((item.notes or item.outcome).split())
    if about:
        line += f": '{printable(about, limit=60)}'"
    return line
