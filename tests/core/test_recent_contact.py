"""No customer called or mailed twice (issue 19): a contact of the last days, said in one line
before anyone contacts them again."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.builders import ME, NOW
from tui_crm.core.customers import create_customer, log_interaction
from tui_crm.core.recent_contact import read_recent_contact, recent_contact, said
from tui_crm.core.types import InteractionView

pytestmark = pytest.mark.both_engines


def _item(kind: str, ago: timedelta, notes: str = "", who: str = ME, id: int = 1):
    return InteractionView(id, kind, NOW - ago, notes, "", None, who)


@pytest.mark.parametrize(
    ("item", "line"),
    [
        (
            _item("call", timedelta(minutes=2), "sent the quote"),
            "You called them just now: 'sent the quote'",
        ),
        (_item("email", timedelta(minutes=40), who="anna"), "Anna emailed them 40 minutes ago"),
        (
            _item("meeting", timedelta(hours=3), "lunch", who="McKay"),
            "McKay met them 3 hours ago: 'lunch'",
        ),
        (
            _item("thanks", timedelta(days=1), "flowers\nsent"),
            "You thanked them yesterday: 'flowers sent'",
        ),
        (_item("message", timedelta(days=2)), "You messaged them 2 days ago"),
    ],
)
def test_who_how_when_and_about_what_in_one_line(item, line):
    assert said(item, ME, NOW) == line


def test_the_newest_contact_of_the_last_days_and_never_a_note_or_an_older_one():
    items = [
        _item("call", timedelta(days=1), "first", id=1),
        _item("note", timedelta(hours=1), "a note to self", id=2),
        _item("email", timedelta(hours=5), "second", id=3),
        _item("call", timedelta(days=3), "too long ago", id=4),
    ]
    assert recent_contact(items, NOW, 2).notes == "second"
    assert recent_contact(items[3:], NOW, 2) is None
    assert recent_contact(items, NOW, 0) is None  # switched off


def test_read_from_the_book_as_from_a_profile(db):
    cid = create_customer(
        db, {"first_name": "Anna", "last_name": "Berg"}, now=NOW - timedelta(days=9)
    )
    log_interaction(db, cid, notes="old news", at=NOW - timedelta(days=5), now=NOW)
    assert read_recent_contact(db, cid, NOW, 2) is None
    log_interaction(db, cid, notes="Sent the quote", at=NOW - timedelta(days=1), who="ben", now=NOW)
    log_interaction(db, cid, kind="note", notes="remember", at=NOW - timedelta(hours=1), now=NOW)
    found = read_recent_contact(db, cid, NOW, 2)
    assert said(found, ME, NOW) == "Ben called them yesterday: 'Sent the quote'"
