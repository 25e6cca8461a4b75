"""Corrections: an interaction or purchase edited or deleted, validated as when logged, based
on the row's version, in the history, with the figures, queue and search following."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from tests.builders import NOW, TODAY
from tests.versions import current_version
from tui_crm.core.attention import attention_queue
from tui_crm.core.corrections import (
    delete_interaction,
    delete_purchase,
    edit_interaction,
    edit_purchase,
)
from tui_crm.core.customers import (
    add_purchase,
    create_customer,
    get_profile,
    log_interaction,
    trash_customer,
)
from tui_crm.core.search import search
from tui_crm.errors import ConflictError, NotFound, ValidationError

pytestmark = pytest.mark.both_engines

FOLLOW_UPS = ("follow_up_due", "follow_up_overdue")


def _at(days_ago: int, hour: int = 14) -> datetime:
    return datetime.combine(TODAY - timedelta(days=days_ago), datetime.min.time()).replace(
        hour=hour, minute=5
    )


@pytest.fixture
def anna(db):
    return create_customer(
        db, {"first_name": "Anna", "last_name": "Berg"}, now=NOW - timedelta(days=100)
    )


def _interaction(db, cid, notes="Asked for a quote", **kwargs):
    kwargs.setdefault("at", _at(16))
    kwargs.setdefault("now", NOW)
    return log_interaction(db, cid, notes=notes, **kwargs)


def _view(db, cid, interaction_id):
    return next(i for i in get_profile(db, cid, TODAY).interactions if i.id == interaction_id)


def test_the_profile_gives_ids_and_versions_to_correct_with(db, anna):
    iid = _interaction(db, anna)
    pid = add_purchase(db, anna, amount=1000, day=TODAY, now=NOW)
    profile = get_profile(db, anna, TODAY)
    assert [(i.id, i.version) for i in profile.interactions] == [(iid, 1)]
    assert [(p.id, p.version) for p in profile.purchases] == [(pid, 1)]
    edit_interaction(db, iid, {"notes": "Quote sent"}, expected_version=1, now=NOW)
    edit_purchase(db, pid, {"amount": "12.50"}, expected_version=1, now=NOW)
    profile = get_profile(db, anna, TODAY)
    assert profile.interactions[0].version == 2 and profile.purchases[0].version == 2


def test_an_edited_note_is_shown_searched_and_in_the_history(db, anna):
    iid = _interaction(db, anna)
    version = edit_interaction(
        db, iid, {"notes": "Asked about zeppelins"}, expected_version=1, who="ann", now=NOW
    )
    assert version == 2
    assert _view(db, anna, iid).notes == "Asked about zeppelins"
    assert [r.id for r in search(db, "zeppelins", as_of=TODAY)] == [anna]
    assert search(db, "quote", as_of=TODAY) == []
    change = get_profile(db, anna, TODAY).changes[0]
    assert (change.who, change.field) == ("ann", "interaction")
    assert change.old == "call 2 Nov 14:05: Asked for a quote"
    assert change.new == "call 2 Nov 14:05: Asked about zeppelins"


def test_a_correction_leaves_the_customers_version_alone(db, anna):
    """As logging does: an edit of the customer's fields opened meanwhile still saves."""
    iid = _interaction(db, anna)
    before = current_version(anna)
    edit_interaction(db, iid, {"notes": "x"}, expected_version=1, now=NOW)
    delete_interaction(db, iid, expected_version=2, now=NOW)
    assert current_version(anna) == before


def test_moving_the_time_and_follow_up_moves_last_contact_and_the_queue(db, anna):
    iid = _interaction(db, anna, follow_up="+3d")
    assert get_profile(db, anna, TODAY).next_follow_up == TODAY - timedelta(days=13)
    assert anna in {item.customer_id for item in attention_queue(db, TODAY, reasons=FOLLOW_UPS)}
    edit_interaction(
        db,
        iid,
        {"at": _at(1), "follow_up": TODAY + timedelta(days=7)},
        expected_version=1,
        now=NOW,
    )
    profile = get_profile(db, anna, TODAY)
    assert profile.last_contact == _at(1)
    assert profile.next_follow_up == TODAY + timedelta(days=7)
    assert anna not in {item.customer_id for item in attention_queue(db, TODAY, reasons=FOLLOW_UPS)}


def test_a_deleted_interaction_leaves_the_figures_and_the_index(db, anna):
    older = _interaction(db, anna, "First talk", at=_at(40))
    newer = _interaction(db, anna, "Talked about zeppelins", follow_up="+3d")
    delete_interaction(db, newer, expected_version=1, who="ann", now=NOW)
    profile = get_profile(db, anna, TODAY)
    assert [i.id for i in profile.interactions] == [older]
    assert profile.last_contact == _at(40)
    assert profile.next_follow_up is None
    assert search(db, "zeppelins", as_of=TODAY) == []
    change = profile.changes[0]
    assert (change.field, change.new) == ("interaction", None)
    assert change.old.startswith("call 2 Nov 14:05: Talked about zeppelins (follow-up 5 Nov")


def test_purchase_corrections_move_lifetime_count_and_last_purchase(db, anna):
    first = add_purchase(db, anna, amount=10000, day=TODAY - timedelta(days=30), now=NOW)
    second = add_purchase(db, anna, amount=2500, day=TODAY - timedelta(days=5), now=NOW)
    edit_purchase(
        db, first, {"amount": "150.00", "description": "Widgets"}, expected_version=1, now=NOW
    )
    profile = get_profile(db, anna, TODAY)
    assert (profile.purchase_count, profile.last_purchase_on) == (2, TODAY - timedelta(days=5))
    assert profile.value.lifetime == 17500
    assert profile.changes[0].old == "purchase 19 Oct 2026: 100.00 USD"
    assert profile.changes[0].new == "purchase 19 Oct 2026: 150.00 USD Widgets"
    delete_purchase(db, second, expected_version=1, now=NOW)
    profile = get_profile(db, anna, TODAY)
    assert (profile.purchase_count, profile.last_purchase_on) == (1, TODAY - timedelta(days=30))
    assert profile.value.lifetime == 15000


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"kind": "telegram"}, "kind"),
        ({"at": "yesterday-ish"}, "at"),
        ({"at": NOW + timedelta(days=2)}, "at"),
        ({"follow_up": TODAY - timedelta(days=30)}, "follow_up"),
        ({"notes": "  ", "outcome": ""}, "notes"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_an_interaction_edit_is_validated_as_logging_is(db, anna, values, field):
    iid = _interaction(db, anna)
    with pytest.raises(ValidationError) as info:
        edit_interaction(db, iid, values, expected_version=1, now=NOW)
    assert field in info.value.errors
    assert _view(db, anna, iid).notes == "Asked for a quote" and _view(db, anna, iid).version == 1


def test_every_bad_field_is_named_at_once(db, anna):
    pid = add_purchase(db, anna, amount=1000, now=NOW)
    with pytest.raises(ValidationError) as info:
        edit_purchase(
            db,
            pid,
            {"amount": "0", "day": "31/31", "currency": "dollars"},
            expected_version=1,
            now=NOW,
        )
    assert set(info.value.errors) == {"amount", "day", "currency"}


def test_a_thanks_must_still_name_a_referral(db, anna):
    other = create_customer(db, {"first_name": "Olga"})
    friend = create_customer(db, {"first_name": "Fay", "referred_by": anna})
    iid = _interaction(db, anna, kind="thanks", regarding=friend, notes="Card")
    with pytest.raises(ConflictError, match="not referred by"):
        edit_interaction(db, iid, {"regarding": other}, expected_version=1, now=NOW)
    assert _view(db, anna, iid).regarding.id == friend


def test_a_stale_version_is_refused_saying_who_changed_what(db, anna):
    iid = _interaction(db, anna)
    edit_interaction(
        db, iid, {"notes": "Quote sent Friday"}, expected_version=1, who="ben", now=NOW
    )
    with pytest.raises(ConflictError) as info:
        edit_interaction(db, iid, {"notes": "Mine"}, expected_version=1, who="ann", now=NOW)
    message = str(info.value)
    assert "ben" in message and "Quote sent Friday" in message and "nothing was saved" in message
    with pytest.raises(ConflictError, match="ben"):
        delete_interaction(db, iid, expected_version=1, who="ann", now=NOW)
    assert _view(db, anna, iid).notes == "Quote sent Friday"


def test_a_correction_of_a_deleted_row_says_who_deleted_it(db, anna):
    pid = add_purchase(db, anna, amount=1000, now=NOW)
    delete_purchase(db, pid, expected_version=1, who="ben", now=NOW)
    with pytest.raises(ConflictError, match="deleted by ben"):
        edit_purchase(db, pid, {"amount": 5}, expected_version=1, now=NOW)
    with pytest.raises(NotFound):
        edit_purchase(db, 9999, {"amount": 5}, expected_version=1, now=NOW)


def test_a_correction_needs_a_version_and_a_live_customer(db, anna):
    iid = _interaction(db, anna)
    with pytest.raises(TypeError):
        edit_interaction(db, iid, {"notes": "x"}, expected_version=None, now=NOW)
    trash_customer(db, anna, expected_version=current_version(anna))
    with pytest.raises(NotFound):
        edit_interaction(db, iid, {"notes": "x"}, expected_version=1, now=NOW)


def test_an_edit_that_changes_nothing_writes_nothing(db, anna):
    iid = _interaction(db, anna)
    changes = len(get_profile(db, anna, TODAY).changes)
    assert edit_interaction(db, iid, {"notes": " Asked for a quote "}, expected_version=1) == 1
    assert len(get_profile(db, anna, TODAY).changes) == changes


def test_a_write_that_finds_the_row_moved_on_since_it_was_read_is_refused(db, anna, monkeypatch):
    # Another writer saves between this correction's read and its write (PostgreSQL lets
    # two transactions do that): the write names the version read, matches no row, refuses.
    from tui_crm.core import corrections

    iid = _interaction(db, anna)
    read = corrections._raw
    stale = read(db, corrections.INTERACTION, iid)
    edit_interaction(db, iid, {"notes": "Quote sent Friday"}, expected_version=1, who="ben")
    reads: list[int] = []

    def first_read_stale(db, kind, row_id):
        reads.append(row_id)
        return dict(stale) if len(reads) == 1 else read(db, kind, row_id)

    monkeypatch.setattr(corrections, "_raw", first_read_stale)
    with pytest.raises(ConflictError, match="ben"):
        edit_interaction(db, iid, {"notes": "Mine"}, expected_version=1, who="ann", now=NOW)
    reads.clear()
    with pytest.raises(ConflictError, match="ben"):
        delete_interaction(db, iid, expected_version=1, who="ann", now=NOW)
    assert _view(db, anna, iid).notes == "Quote sent Friday"
