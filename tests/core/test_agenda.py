"""The week ahead (issue 19): follow-ups by day, overdue first, each with what was promised."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.builders import NOW, TODAY
from tests.versions import current_version
from tui_crm.core.agenda import agenda
from tui_crm.core.customers import add_purchase, create_customer, log_interaction, trash_customer
from tui_crm.errors import CrmError

pytestmark = pytest.mark.both_engines


def _person(db, first: str, *, follow_up: int | None, note: str = "", spent: str = "") -> int:
    cid = create_customer(db, {"first_name": first, "last_name": "Berg"}, now=NOW)
    if spent:
        add_purchase(db, cid, amount=spent, day=TODAY - timedelta(days=10), now=NOW)
    if follow_up is not None:
        log_interaction(
            db,
            cid,
            notes=note or f"call {first}",
            at=NOW - timedelta(days=20),
            follow_up=TODAY + timedelta(days=follow_up),
            now=NOW,
        )
    return cid


def test_overdue_first_then_by_day_the_most_valuable_first_within_a_day(db):
    _person(db, "Ahead", follow_up=3, note="Send the contract")
    _person(db, "Late", follow_up=-4, note="Quote for 20 seats")
    _person(db, "Small", follow_up=0, spent="100.00")
    _person(db, "Big", follow_up=0, spent="9000.00")
    _person(db, "Far", follow_up=30)
    _person(db, "None", follow_up=None)
    items = agenda(db, TODAY)
    assert [(i.customer.first_name, (i.day - TODAY).days) for i in items] == [
        ("Late", -4),
        ("Big", 0),
        ("Small", 0),
        ("Ahead", 3),
    ]
    assert items[0].promised == "Quote for 20 seats"
    assert [i.customer.first_name for i in agenda(db, TODAY, days=0)] == ["Late", "Big", "Small"]
    assert "Far" in [i.customer.first_name for i in agenda(db, TODAY, days=30)]


def test_a_follow_up_answered_by_a_later_contact_and_one_in_the_trash_are_not_due(db):
    answered = _person(db, "Answered", follow_up=-2)
    log_interaction(db, answered, notes="Called back", at=NOW - timedelta(days=1), now=NOW)
    trashed = _person(db, "Trashed", follow_up=1)
    trash_customer(db, trashed, expected_version=current_version(trashed))
    _person(db, "Due", follow_up=1)
    assert [i.customer.first_name for i in agenda(db, TODAY)] == ["Due"]


def test_days_out_of_range_are_refused(db):
    with pytest.raises(CrmError, match="--days must be 0 to 366"):
        agenda(db, TODAY, days=400)


@pytest.mark.parametrize(
    ("ahead", "short", "dated"),
    [
        (-3, "3d late", "3d late"),
        (0, "today", "today"),
        (1, "tomorrow", "tomorrow"),
        (2, "Fri", "Fri 20 Nov"),
        (9, "in 9d", "Fri 27 Nov"),
    ],
)
def test_a_day_as_the_agenda_says_it(ahead, short, dated):
    from tui_crm.core.agenda import said_day

    day = TODAY + timedelta(days=ahead)  # TODAY is a Wednesday
    assert (said_day(day, TODAY), said_day(day, TODAY, dated=True)) == (short, dated)


# -- plan touches ------------------------------------------------------------------------------


def _added_long_ago(db, first: str) -> int:
    return create_customer(
        db, {"first_name": first, "last_name": "Berg"}, now=NOW - timedelta(days=400)
    )


def _touches(found) -> list[tuple[str, int, str]]:
    return [
        (i.customer.first_name, (i.day - TODAY).days, i.promised)
        for i in found.items
        if i.touch is not None
    ]


def test_plan_touches_fall_due_in_the_week_and_the_overdue_ones_are_counted(db):
    from tui_crm.core.agenda import week_ahead
    from tui_crm.core.plans import parse_plan, scope_plan, set_plan

    set_plan(db, "none", parse_plan("meeting every 30 days"), expected=scope_plan(db, "none"))
    soon = _added_long_ago(db, "Soon")
    late = _added_long_ago(db, "Late")
    later = _added_long_ago(db, "Later")
    for cid, days_ago in ((soon, 27), (late, 40), (later, 20)):
        at = NOW - timedelta(days=days_ago)
        log_interaction(db, cid, kind="meeting", notes="met", at=at, now=at)
    found = week_ahead(db, TODAY)
    # Due the day after 30 days have passed: in 4 days; Later's in 11, past the week.
    assert _touches(found) == [("Soon", 4, "plan: monthly meeting")]
    assert found.touches_overdue == 1  # Late's, which the queue ranks
    assert found.items[0].what == "plan"


def test_a_snoozed_or_done_touch_falls_due_when_the_queue_brings_it_back(db):
    from tui_crm.core.agenda import week_ahead
    from tui_crm.core.attention import attention_state, mark_done, snooze
    from tui_crm.core.plans import parse_plan, scope_plan, set_plan

    set_plan(db, "none", parse_plan("call every 10 days"), expected=scope_plan(db, "none"))
    snoozed = _added_long_ago(db, "Snoozed")
    done = _added_long_ago(db, "Done")
    for cid in (snoozed, done):
        at = NOW - timedelta(days=15)
        log_interaction(db, cid, kind="call", notes="talked", at=at, now=at)
    assert week_ahead(db, TODAY).touches_overdue == 2
    until = TODAY + timedelta(days=2)
    snooze(db, snoozed, ["cadence"], until, seen=attention_state(db, snoozed), as_of=TODAY)
    mark_done(db, done, ["cadence"], seen=attention_state(db, done), now=NOW - timedelta(days=5))
    found = week_ahead(db, TODAY)
    assert _touches(found) == [
        ("Snoozed", 2, "plan: call every 10 days"),
        ("Done", 6, "plan: call every 10 days"),
    ]
    assert found.touches_overdue == 0
    # A call answers it: gone from the week.
    log_interaction(db, snoozed, kind="call", notes="done", at=NOW, now=NOW)
    assert [n for n, *_ in _touches(week_ahead(db, TODAY))] == ["Done"]


# -- follow-ups at a time of day ---------------------------------------------------------------


def test_a_follow_up_at_a_time_is_kept_shown_and_sorted_by_it(db):
    from datetime import datetime

    from tui_crm.core.corrections import edit_interaction
    from tui_crm.core.customers import get_profile

    def follow_up(first: str, when: str, spent: str = "") -> int:
        cid = create_customer(db, {"first_name": first, "last_name": "Berg"}, now=NOW)
        if spent:
            add_purchase(db, cid, amount=spent, day=TODAY - timedelta(days=10), now=NOW)
        return log_interaction(db, cid, notes=f"see {first}", follow_up=when, at=NOW, now=NOW)

    follow_up("Rich", "tomorrow", spent="9000.00")
    late = follow_up("Late", "tomorrow 16:00")
    follow_up("Early", "+1d 9:05")
    items = agenda(db, TODAY)
    assert [(i.customer.first_name, i.time) for i in items] == [
        ("Early", "09:05"),
        ("Late", "16:00"),
        ("Rich", ""),  # the day alone, after those at a time, however valuable
    ]
    # A correction of something else keeps the time; a new time is a new promise.
    edit_interaction(db, late, {"notes": "see Late, bring the contract"}, expected_version=1)
    [view] = get_profile(db, items[1].customer.id, TODAY).interactions
    assert (view.follow_up, view.follow_up_time) == (TODAY + timedelta(days=1), "16:00")
    moved = datetime.combine(TODAY + timedelta(days=1), datetime.min.time()).replace(hour=8)
    edit_interaction(db, late, {"follow_up": moved}, expected_version=2)
    assert [(i.customer.first_name, i.time) for i in agenda(db, TODAY)][0] == ("Late", "08:00")


@pytest.mark.parametrize(
    ("typed", "says"),
    [("tomorrow 25:00", "is not a time of day"), ("someday 14:00", "is not a date")],
)
def test_a_follow_up_time_that_cannot_be_read_is_refused(db, typed, says):
    from tui_crm.errors import ValidationError

    cid = create_customer(db, {"first_name": "Odd", "last_name": "Berg"}, now=NOW)
    with pytest.raises(ValidationError) as info:
        log_interaction(db, cid, notes="x", follow_up=typed, now=NOW)
    assert says in info.value.errors["follow_up"]


def test_a_follow_up_answered_early_leaves_the_agenda_based_on_the_version_read(db):
    from tui_crm.core.corrections import close_follow_up, edit_interaction
    from tui_crm.errors import ConflictError

    _person(db, "Early", follow_up=3, note="Send the contract")
    [item] = agenda(db, TODAY)
    edit_interaction(db, item.interaction_id, {"notes": "Send the signed contract"},
                     expected_version=item.version, who="ben")  # fmt: skip
    with pytest.raises(ConflictError):  # changed since the agenda was read: kept
        close_follow_up(db, item.interaction_id, expected_version=item.version)
    [again] = agenda(db, TODAY)
    close_follow_up(db, again.interaction_id, expected_version=again.version)
    assert agenda(db, TODAY) == []
