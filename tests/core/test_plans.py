"""Communication plans: how touches are written and read, which interactions answer which
touch, everyone's touches on top of a category's, what the queue says, and the old cadences
becoming one-touch plans."""

from __future__ import annotations

import sqlite3
from datetime import date, datetime, time, timedelta

import pytest

from tests.builders import category, first_release_book
from tui_crm.core.attention import attention_queue
from tui_crm.core.customers import create_customer, get_profile, log_interaction
from tui_crm.core.plans import (
    Touch,
    add_category,
    parse_plan,
    plan_for,
    plan_text,
    read_plans,
    scope_plan,
    set_plan,
    touches_due,
)
from tui_crm.db.database import close_database, open_database
from tui_crm.errors import ConflictError, ValidationError

pytestmark = pytest.mark.both_engines

TODAY = date(2026, 11, 20)
LONG_AGO = datetime(2024, 1, 2, 9, 0)


def _at(days_ago: int) -> datetime:
    return datetime.combine(TODAY - timedelta(days=days_ago), time(10))


def _customer(db, first: str, **values) -> int:
    fields = {"first_name": first, "last_name": "Test", "source": "web", "why_chose_us": "price"}
    return create_customer(db, fields | values, now=LONG_AGO)


def _log(db, cid: int, days_ago: int, kind: str) -> None:
    log_interaction(db, cid, kind=kind, notes=kind, at=_at(days_ago), now=_at(days_ago))


def _cadence(db, cid: int, day: date = TODAY) -> str | None:
    for item in attention_queue(db, day, reasons=["cadence"]):
        if item.customer_id == cid:
            return item.reasons[0].text
    return None


# -- written as people say it ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "touches"),
    [
        ("meeting every 3 months, call every month", [("meeting", 90), ("call", 30)]),
        ("Quarterly meeting; yearly gift", [("meeting", 90), ("thanks", 365)]),
        ("contact every 90 days", [("contact", 90)]),
        ("calls every 2 weeks", [("call", 14)]),
        ("email every year\nmessage every week", [("email", 365), ("message", 7)]),
        ("  ", []),
        ("call every month, call every month", [("call", 30)]),
    ],
)
def test_a_plan_is_read_as_people_write_it(written, touches):
    assert parse_plan(written) == tuple(Touch(kind, days) for kind, days in touches)


@pytest.mark.parametrize(
    ("written", "says"),
    [
        ("meeting sometimes", "'meeting sometimes' is not a touch"),
        ("dinner every month", "'dinner' is not one of contact, call, meeting, email"),
        ("call every 3 fortnights, call every 2 moons", "'moon' is not days, weeks, months"),
        ("call every 0 days", "a touch comes every day to every 10 years"),
        ("meeting every 11 years", "a touch comes every day to every 10 years"),
    ],
)
def test_a_touch_that_cannot_be_read_says_why_in_one_line(written, says):
    with pytest.raises(ValidationError) as info:
        parse_plan(written)
    assert says in info.value.errors["plan"]
    assert "\n" not in str(info.value)


def test_a_plan_is_written_back_as_it_reads():
    touches = parse_plan(
        "meeting every 3 months, call every 2 weeks, thanks every year, email every 45 days"
    )
    assert plan_text(touches) == (
        "meeting every 3 months, call every 2 weeks, thanks every year, email every 45 days"
    )
    assert parse_plan(plan_text(touches)) == touches
    assert [t.name for t in touches] == [
        "quarterly meeting",
        "fortnightly call",
        "yearly thanks",
        "email every 45 days",
    ]


# -- which interaction answers which touch ------------------------------------------------------


@pytest.fixture
def key_account(db):
    add_category(db, "key account", touches=parse_plan("meeting every 3 months, call every month"))
    set_plan(db, "none", (), expected=scope_plan(db, "none"))  # only the key accounts count
    return _customer(db, "Kari", category="key account")


def test_two_touches_are_answered_by_different_kinds(db, key_account):
    _log(db, key_account, 10, "call")
    _log(db, key_account, 120, "meeting")
    assert _cadence(db, key_account) == "quarterly meeting due (last meeting 4 months ago)"
    _log(db, key_account, 1, "meeting")  # a meeting answers both
    assert _cadence(db, key_account) is None
    # A month after that meeting the call is due; the meeting is not.
    assert _cadence(db, key_account, TODAY + timedelta(days=29)) is None
    assert _cadence(db, key_account, TODAY + timedelta(days=30)) == (
        "monthly call due (last call or meeting 4 weeks ago)"
    )


def test_a_call_does_not_answer_a_meeting_nor_an_email_a_call(db, key_account):
    _log(db, key_account, 2, "call")
    _log(db, key_account, 1, "email")
    assert _cadence(db, key_account) == "quarterly meeting due (no meeting yet; added 3 years ago)"
    _log(db, key_account, 100, "meeting")
    _log(db, key_account, 40, "email")
    # Only the call of 2 days ago answers the call touch; the email after it does not count.
    assert _cadence(db, key_account) == "quarterly meeting due (last meeting 3 months ago)"


def test_everyones_touches_come_on_top_of_the_category(db, key_account):
    set_plan(db, "everyone", parse_plan("gift every year"), expected=())
    assert plan_for(db, None) == (Touch("thanks", 365),)
    [(key_id,)] = db.execute_sql("SELECT id FROM category WHERE name = 'key account'")
    assert plan_for(db, key_id) == parse_plan(
        "gift every year, meeting every 3 months, call every month"
    )
    _log(db, key_account, 1, "meeting")
    assert _cadence(db, key_account) == "yearly thanks due (no thanks yet; added 3 years ago)"
    _log(db, key_account, 0, "thanks")
    assert _cadence(db, key_account) is None
    plain = _customer(db, "Plain")  # no category: everyone's touches only
    assert _cadence(db, plain) == "yearly thanks due (no thanks yet; added 3 years ago)"


def test_the_reason_names_the_touch_due_first_and_the_others_due_too(db, key_account):
    _log(db, key_account, 200, "meeting")
    # The call touch (answered by that meeting too) fell due first, 110 days before.
    found = _cadence(db, key_account)
    assert found == (
        "monthly call due (last call or meeting 7 months ago); also due: quarterly meeting"
    )
    assert [d.touch.name for d in touches_due(db, key_account, TODAY)] == [
        "monthly call",
        "quarterly meeting",
    ]


def test_a_customer_whose_plan_has_no_touches_is_never_due_for_one(db, key_account):
    set_plan(db, "key account", (), expected=scope_plan(db, "key account"))
    assert _cadence(db, key_account) is None


def test_the_profile_says_the_plan(db, key_account):
    set_plan(db, "everyone", parse_plan("gift every year"), expected=())
    profile = get_profile(db, key_account, TODAY)
    assert profile.plan == "thanks every year, meeting every 3 months, call every month"


def test_a_new_category_gets_a_contact_every_90_days_and_a_name_only_once(db):
    add_category(db, "Regular")
    assert scope_plan(db, "regular") == (Touch("contact", 90),)
    with pytest.raises(ConflictError, match="there is already a category 'Regular'"):
        add_category(db, "REGULAR", touches=parse_plan("call every week"))
    with pytest.raises(ValidationError, match="there is no category 'Gold'"):
        set_plan(db, "Gold", (), expected=())


def test_the_plans_read_in_order_everyone_first(db):
    category(db, "small", 120)
    category(db, "Key", 14)
    plans = read_plans(db)
    assert [(p.label, plan_text(p.touches)) for p in plans] == [
        ("Every customer", ""),
        ("Without a category", "contact every 3 months"),
        ("Key", "contact every 2 weeks"),
        ("small", "contact every 4 months"),
    ]


# -- the old cadences ---------------------------------------------------------------------------


def test_the_old_cadences_become_one_touch_plans_that_behave_as_before(tmp_path):
    path = tmp_path / "old.db"
    first_release_book(path, names=("Anna", "Ben"))
    old = sqlite3.connect(path)
    old.execute(
        "INSERT INTO category (id, name, cadence_days) VALUES (1, 'Key', 14), (2, 'Rare', 400)"
    )
    old.execute("INSERT INTO meta (key, value) VALUES ('default_cadence_days', '30')")
    old.execute("UPDATE customer SET category_id = 1 WHERE first_name = 'Anna'")
    old.commit()
    old.close()
    db = open_database(path)
    try:
        assert [(p.label, plan_text(p.touches)) for p in read_plans(db)] == [
            ("Every customer", ""),
            ("Without a category", "contact every month"),
            ("Key", "contact every 2 weeks"),
            ("Rare", "contact every 400 days"),
        ]
        columns = [row[1] for row in db.execute_sql("PRAGMA table_info(category)")]
        assert columns == ["id", "name"]
        # Added 2025-01-01, never contacted: as long as the old cadence said.
        items = attention_queue(db, date(2025, 1, 20), reasons=["cadence"])
        assert [(i.name, [r.text for r in i.reasons]) for i in items] == [
            ("Anna", ["no contact for 19 days (every 14 days wanted)"])
        ]
        items = attention_queue(db, date(2025, 2, 1), reasons=["cadence"])
        assert [(i.name, [r.text for r in i.reasons]) for i in items] == [
            ("Anna", ["no contact for 31 days (every 14 days wanted)"]),
            ("Ben", ["no contact for 31 days (every 30 days wanted)"]),
        ]
    finally:
        close_database()


def test_a_plan_changed_since_the_editor_read_it_is_named_in_the_refusal(db):
    from tui_crm.core.plans import save_plans

    seen = read_plans(db)
    set_plan(db, "none", parse_plan("call every week"), expected=scope_plan(db, "none"))
    edits = [(p, parse_plan("email every month") if p.scope == "none" else p.touches) for p in seen]
    with pytest.raises(ConflictError) as info:
        save_plans(db, edits)
    assert str(info.value) == (
        "someone else changed the plan for customers without a category to 'call every week' "
        "since you opened it; nothing was saved"
    )
    assert scope_plan(db, "none") == (Touch("call", 7),)
