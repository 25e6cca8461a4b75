"""The undo journal: each undoable action can be taken back by the session that did it,
exactly, and an undo whose ground moved is refused without changing anything."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.builders import ME, NOW, TODAY, merge_as_they_are
from tests.versions import current_version
from tui_crm.core.attention import attention_state, mark_done, snooze
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
    mark_lost,
    restore_customer,
    trash_customer,
    update_customer,
)
from tui_crm.core.search import search
from tui_crm.core.undo import newest_step, undo_last
from tui_crm.errors import ConflictError, CrmError

pytestmark = pytest.mark.both_engines


def _snapshot(db) -> dict[str, list[tuple]]:
    tables = ("customer", "interaction", "purchase", "attention_mark", "customer_tag")
    return {t: sorted(db.execute_sql(f"SELECT * FROM {t}").fetchall(), key=repr) for t in tables}


@pytest.fixture
def anna(db):
    cid = create_customer(
        db, {"first_name": "Anna", "last_name": "Berg"}, now=NOW - timedelta(days=200)
    )
    log_interaction(
        db, cid, notes="Asked for a quote", at=NOW - timedelta(days=16), follow_up="+3d", now=NOW
    )
    add_purchase(db, cid, amount=10000, day=TODAY - timedelta(days=100), now=NOW)
    return cid


def test_nothing_to_undo(db, anna):
    with pytest.raises(CrmError, match="nothing to undo"):
        undo_last(db, who=ME)


def test_undo_brings_a_trashed_customer_back(db, anna):
    trash_customer(db, anna, expected_version=current_version(anna), now=NOW)
    assert undo_last(db, who=ME, now=NOW) == "Undid: moved Anna Berg to the trash"
    profile = get_profile(db, anna, TODAY)
    assert profile.deleted_at is None
    assert profile.changes[0].field == "undo"
    assert profile.changes[0].new == "moved Anna Berg to the trash"
    with pytest.raises(CrmError, match="nothing to undo"):
        undo_last(db, who=ME, now=NOW)  # an undone step is not undone twice


def test_a_session_undoes_only_its_own_steps(db, anna):
    bob = create_customer(db, {"first_name": "Bob", "last_name": "Lee"})
    start = newest_step(db)
    trash_customer(db, bob, expected_version=current_version(bob), who="ben")
    with pytest.raises(CrmError, match="nothing to undo"):
        undo_last(db, who=ME, after=start)  # ben's step is not mine
    trash_customer(db, anna, expected_version=current_version(anna))
    session = newest_step(db)
    with pytest.raises(CrmError, match="nothing to undo"):
        undo_last(db, who=ME, after=session)  # done before this session began
    assert "Anna Berg" in undo_last(db, who=ME, after=start)
    assert get_profile(db, bob, TODAY).deleted_at is not None


def test_a_trash_undo_is_refused_once_someone_restored_it(db, anna):
    trash_customer(db, anna, expected_version=current_version(anna))
    restore_customer(db, anna, expected_version=current_version(anna), who="ben")
    before = _snapshot(db)
    with pytest.raises(ConflictError, match="ben") as info:
        undo_last(db, who=ME)
    assert "nothing was undone" in str(info.value)
    assert _snapshot(db) == before


def test_undo_of_mark_lost_restores_status_reason_and_day(db, anna):
    mark_lost(db, anna, "went with a cheaper competitor", expected_version=current_version(anna))
    assert get_profile(db, anna, TODAY).status == "lost"
    assert undo_last(db, who=ME) == "Undid: marking Anna Berg lost"
    profile = get_profile(db, anna, TODAY)
    assert (profile.status, profile.lost_reason, profile.lost_on) == ("active", "", None)


def test_undo_of_mark_lost_never_puts_back_a_typed_lapsed(db, anna):
    """A customer someone typed lapsed before it was worked out from purchases (migration 9),
    then marked lost: undoing it makes them active; whether they lapsed is the rule's."""
    db.execute_sql("UPDATE customer SET status = 'lapsed' WHERE id = ?", (anna,))
    mark_lost(db, anna, "went with a cheaper competitor", expected_version=current_version(anna))
    assert undo_last(db, who=ME) == "Undid: marking Anna Berg lost"
    profile = get_profile(db, anna, TODAY)
    assert (profile.status, profile.lost_reason, profile.lost_on) == ("active", "", None)


def test_the_lost_dialogs_plain_edit_is_undoable_too(db, anna):
    """The UI marks lost with update_customer(status=lost): that writes the step as well."""
    update_customer(
        db,
        anna,
        {"status": "lost", "lost_reason": "moved abroad"},
        expected_version=current_version(anna),
    )
    assert undo_last(db, who=ME) == "Undid: marking Anna Berg lost"
    assert get_profile(db, anna, TODAY).status == "active"


def test_a_lost_undo_is_refused_after_another_edit(db, anna):
    mark_lost(db, anna, "price", expected_version=current_version(anna))
    update_customer(
        db,
        anna,
        {"lost_reason": "price and service"},
        expected_version=current_version(anna),
        who="ben",
    )
    with pytest.raises(ConflictError, match="ben"):
        undo_last(db, who=ME)
    assert get_profile(db, anna, TODAY).lost_reason == "price and service"


def _marks(db, cid):
    return db.execute_sql(
        "SELECT reason, snoozed_until, done_at, who FROM attention_mark WHERE customer_id = ? "
        "ORDER BY reason",
        (cid,),
    ).fetchall()


def test_undo_of_a_snooze_puts_the_marks_back_exactly(db, anna):
    mark_done(
        db,
        anna,
        ["cadence"],
        now=NOW - timedelta(days=3),
        who="ben",
        seen=attention_state(db, anna),
    )
    before = _marks(db, anna)
    snooze(
        db, anna, ["cadence", "lapsed"], TODAY + timedelta(days=5), seen=attention_state(db, anna)
    )
    assert _marks(db, anna) != before
    line = undo_last(db, who=ME)
    assert line == "Undid: snooze of Anna Berg (plan touch due, stopped buying)"
    assert _marks(db, anna) == before


def test_undo_of_done_reopens_the_follow_up_it_closed(db, anna):
    assert get_profile(db, anna, TODAY).next_follow_up is not None
    mark_done(db, anna, ["follow_up_overdue"], now=NOW, seen=attention_state(db, anna))
    assert get_profile(db, anna, TODAY).next_follow_up is None
    assert undo_last(db, who=ME).startswith("Undid: done of Anna Berg (follow-up overdue")
    assert get_profile(db, anna, TODAY).next_follow_up == (NOW - timedelta(days=13)).date()
    assert _marks(db, anna) == []


def test_a_snooze_undo_is_refused_when_someone_snoozed_again(db, anna):
    snooze(db, anna, ["cadence"], TODAY + timedelta(days=5), seen=attention_state(db, anna))
    snooze(
        db, anna, ["cadence"], TODAY + timedelta(days=9), seen=attention_state(db, anna), who="ben"
    )
    before = _marks(db, anna)
    with pytest.raises(ConflictError, match="nothing was undone"):
        undo_last(db, who=ME)
    assert _marks(db, anna) == before


def test_undo_of_corrections(db, anna):
    (interaction,) = get_profile(db, anna, TODAY).interactions
    (purchase,) = get_profile(db, anna, TODAY).purchases
    edit_interaction(
        db, interaction.id, {"notes": "Asked about zeppelins"}, expected_version=1, now=NOW
    )
    edit_purchase(db, purchase.id, {"amount": 1}, expected_version=1, now=NOW)
    assert undo_last(db, who=ME).startswith("Undid: correction of Anna Berg's purchase")
    assert get_profile(db, anna, TODAY).value.lifetime == 10000
    assert undo_last(db, who=ME).startswith("Undid: correction of Anna Berg's call 2 Nov")
    restored = get_profile(db, anna, TODAY).interactions[0]
    assert (restored.notes, restored.version) == ("Asked for a quote", 3)
    assert search(db, "zeppelins", as_of=TODAY) == []


def test_a_deleted_interaction_comes_back_with_its_id_follow_up_and_regarding(db, anna):
    friend = create_customer(db, {"first_name": "Fay", "referred_by": anna})
    thanks = log_interaction(
        db, anna, kind="thanks", regarding=friend, notes="Card", follow_up="+2d 14:30", now=NOW
    )
    before = _snapshot(db)
    delete_interaction(db, thanks, expected_version=1, now=NOW)
    (purchase,) = get_profile(db, anna, TODAY).purchases
    delete_purchase(db, purchase.id, expected_version=1, now=NOW)
    undo_last(db, who=ME)
    undo_last(db, who=ME)
    after = _snapshot(db)
    # The same rows, ids included; only their versions moved on (an open edit is stale).
    for table in ("interaction", "purchase"):
        names = [c[0] for c in db.execute_sql(f"SELECT * FROM {table} LIMIT 0").description]
        version = names.index("version")

        def unversioned(rows, version=version):
            return [row[:version] + row[version + 1 :] for row in rows]

        assert unversioned(after[table]) == unversioned(before[table])
    assert after["customer"] == before["customer"]  # figures and the referral as they were
    view = next(i for i in get_profile(db, anna, TODAY).interactions if i.id == thanks)
    assert view.regarding.id == friend and view.follow_up == TODAY + timedelta(days=2)
    assert view.follow_up_time == "14:30"


def test_a_correction_undo_is_refused_when_edited_since(db, anna):
    (interaction,) = get_profile(db, anna, TODAY).interactions
    edit_interaction(db, interaction.id, {"notes": "Mine"}, expected_version=1, now=NOW)
    edit_interaction(db, interaction.id, {"notes": "Bens"}, expected_version=2, who="ben")
    with pytest.raises(ConflictError, match="nothing was undone"):
        undo_last(db, who=ME)
    assert get_profile(db, anna, TODAY).interactions[0].notes == "Bens"


def test_undo_of_a_merge_gives_both_back(db, anna):
    robert = create_customer(db, {"first_name": "Anna", "last_name": "Berg-Smith"})
    before = _snapshot(db)
    merge_as_they_are(db, robert, anna, now=NOW)
    assert undo_last(db, who=ME) == "Undid: merge of Anna Berg into Anna Berg-Smith"
    after = _snapshot(db)
    for table in ("interaction", "purchase", "attention_mark", "customer_tag"):
        assert after[table] == before[table]
    changes = {c.field for c in get_profile(db, robert, TODAY).changes}
    assert {"merged", "undo"} <= changes


def test_a_merge_undo_is_refused_once_the_survivor_changed(db, anna):
    robert = create_customer(db, {"first_name": "Anna", "last_name": "Berg-Smith"})
    merge_as_they_are(db, robert, anna, now=NOW)
    update_customer(
        db, robert, {"city": "Oslo"}, expected_version=current_version(robert), who="ben"
    )
    before = _snapshot(db)
    with pytest.raises(ConflictError, match="ben"):
        undo_last(db, who=ME)
    assert _snapshot(db) == before
