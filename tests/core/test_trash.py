"""The trash: deleted and merged-away customers listed, brought back whole (a merge taken
back row by row), the restore undoable, and a purge that deletes only what is in the trash."""

from __future__ import annotations

import uuid
from dataclasses import asdict

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.builders import ME, NOW, TODAY, merge_as_they_are, smiths
from tests.versions import current_version
from tui_crm.core.customers import (
    get_profile,
    log_interaction,
    trash_customer,
    update_customer,
)
from tui_crm.core.merge import MERGE_FIELDS, merge_preview
from tui_crm.core.search import search
from tui_crm.core.trash import purge_customer, restore_from_trash, trash_list
from tui_crm.core.undo import undo_last
from tui_crm.db.database import close_database, open_database
from tui_crm.errors import ConflictError, CrmError, NotFound

pytestmark = pytest.mark.both_engines


def _build(db) -> dict[str, int]:
    """The Smiths on the fixed clock, Rob lost (for price) and once talking about Robert."""
    return smiths(
        db,
        stamped=True,
        rob={"status": "lost", "lost_reason": "price"},
        rob_talked_about_robert=True,
    )


@pytest.fixture
def book(db):
    return _build(db)


UNSEEN = {"version", "updated_at", "changes", "deleted_at"}


def _as_seen(db, cid: int) -> dict:
    """A customer as a person sees them: every field, list, interaction, purchase, referral
    and figure; the history separately; versions and times of writing aside."""
    profile = asdict(get_profile(db, cid, TODAY))
    seen = {k: v for k, v in profile.items() if k not in UNSEEN}
    seen["uid"] = db.execute_sql("SELECT uid FROM customer WHERE id = ?", (cid,)).fetchone()[0]
    seen["email_opt_out_at"] = profile["email_opt_out_at"]
    seen["marks"] = db.execute_sql(
        "SELECT reason, snoozed_until, done_at, who FROM attention_mark WHERE customer_id = ? "
        "ORDER BY reason",
        (cid,),
    ).fetchall()
    seen["referred"] = db.execute_sql(
        "SELECT id FROM customer WHERE referred_by_id = ? ORDER BY id", (cid,)
    ).fetchall()
    seen["thanks naming"] = db.execute_sql(
        "SELECT id FROM interaction WHERE regarding_id = ? ORDER BY id", (cid,)
    ).fetchall()
    seen["pairs"] = db.execute_sql(
        "SELECT * FROM duplicate_dismissal WHERE ? IN (customer_a_id, customer_b_id)", (cid,)
    ).fetchall()
    return seen


def _history(db, cid: int) -> list:
    return [
        (c.at, c.who, c.field, c.old, c.new)
        for c in reversed(get_profile(db, cid, TODAY, history=10_000).changes)
    ]


def _check_round_trip(db, ids, choices) -> None:
    robert, rob = ids["robert"], ids["rob"]
    people = [robert, rob, ids["friend"], ids["gone"], ids["referrer"], ids["other"]]
    before = {cid: _as_seen(db, cid) for cid in people}
    histories = {cid: _history(db, cid) for cid in people}
    merge_as_they_are(db, robert, rob, choices, now=NOW)
    line = restore_from_trash(db, rob, now=NOW)
    assert line.startswith("Restored Rob Smith") and "changed since" not in line
    for cid in people:
        assert _as_seen(db, cid) == before[cid], cid
        # The history is kept: what was there is still there, the merge and restore after it.
        assert _history(db, cid)[: len(histories[cid])] == histories[cid]
    assert {c.field for c in get_profile(db, rob, TODAY).changes} >= {"merged_into", "restored"}
    assert {c.field for c in get_profile(db, robert, TODAY).changes} >= {"merged", "restored"}


def test_merge_then_restore_gives_both_back_as_they_were(db, book):
    _check_round_trip(db, book, None)


@settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_any_merge_then_restore_gives_both_back_as_they_were(home, tmp_path, data):
    database = open_database(tmp_path / f"{uuid.uuid4().hex}.db")
    try:
        ids = _build(database)
        preview = merge_preview(database, ids["robert"], ids["rob"])
        choices = {
            d.field: data.draw(st.sampled_from(d.choices), label=d.field)
            for d in preview.differences
            if d.field not in ("lost_reason", "lost_on")  # they follow the status chosen
        }
        if data.draw(st.booleans(), label="take Rob's uid"):
            choices["uid"] = "other"
        assert set(choices) <= set(MERGE_FIELDS)
        _check_round_trip(database, ids, choices)
    finally:
        close_database()


def test_the_trash_lists_deleted_and_merged_away_customers_newest_first(db, book):
    robert, rob = book["robert"], book["rob"]
    merge_as_they_are(db, robert, rob, who="ann", now=NOW)
    listed = trash_list(db)
    assert [(t.id, t.how, t.who) for t in listed] == [
        (rob, f"merged into Robert Smith (#{robert})", "ann"),
        (book["gone"], "deleted", ME),
    ]
    assert (listed[0].interactions, listed[0].purchases) == (3, 2)  # what would come back
    assert listed[0].version == current_version(rob)
    assert [t.id for t in trash_list(db, limit=1)] == [rob]


def test_a_restore_while_the_survivor_changed_leaves_its_fields_and_says_so(db, book):
    robert, rob = book["robert"], book["rob"]
    merge_as_they_are(db, robert, rob, now=NOW)
    update_customer(db, robert, {"job_title": "CEO"}, expected_version=current_version(robert))
    line = restore_from_trash(db, rob, now=NOW)
    assert "Robert Smith was changed since the merge" in line
    survivor = get_profile(db, robert, TODAY)
    assert (survivor.job_title, survivor.city) == ("CEO", "Boston")  # left as it is
    restored = get_profile(db, rob, TODAY)
    assert restored.deleted_at is None and len(restored.interactions) == 3
    assert [r.id for r in search(db, "zeppelin", as_of=TODAY)] == [rob]
    uids = dict(db.execute_sql("SELECT id, uid FROM customer").fetchall())
    assert uids[rob] == "vcard-rob"


def test_a_row_added_to_the_survivor_after_the_merge_stays_with_it(db, book):
    robert, rob = book["robert"], book["rob"]
    merge_as_they_are(db, robert, rob, now=NOW)
    later = log_interaction(db, robert, notes="After the merge", now=NOW)
    restore_from_trash(db, rob, now=NOW)
    assert later in {i.id for i in get_profile(db, robert, TODAY).interactions}


def test_a_restore_can_be_undone_and_redone(db, book):
    robert, rob = book["robert"], book["rob"]
    merge_as_they_are(db, robert, rob, now=NOW)
    merged = _as_seen(db, robert)
    restore_from_trash(db, rob, now=NOW)
    assert undo_last(db, who=ME, now=NOW).startswith("Undid: restore of Rob Smith")
    assert _as_seen(db, robert) == merged
    assert [t.id for t in trash_list(db)][0] == rob
    restore_from_trash(db, rob, now=NOW)  # the merge's journal is in force again
    assert len(get_profile(db, rob, TODAY).interactions) == 3


def test_a_deleted_customer_is_restored_and_the_restore_undone(db, book):
    gone = book["gone"]
    assert restore_from_trash(db, gone, now=NOW) == "Restored Gus Gone from the trash"
    assert get_profile(db, gone, TODAY).deleted_at is None
    with pytest.raises(CrmError, match="not in the trash"):
        restore_from_trash(db, gone, now=NOW)
    undo_last(db, who=ME, now=NOW)
    assert get_profile(db, gone, TODAY).deleted_at is not None


def test_a_restore_based_on_an_old_version_is_refused(db, book):
    gone = book["gone"]
    seen = trash_list(db)[0].version
    restore_from_trash(db, gone, expected_version=seen, who="ben")
    trash_customer(db, gone, expected_version=current_version(gone), who="ben")
    with pytest.raises(ConflictError, match="ben"):
        restore_from_trash(db, gone, expected_version=seen)
    with pytest.raises(NotFound):
        restore_from_trash(db, 9999)


def test_purge_deletes_only_what_is_in_the_trash(db, book):
    robert, rob = book["robert"], book["rob"]
    with pytest.raises(CrmError, match="not in the trash"):
        purge_customer(db, robert, expected_version=current_version(robert))
    merge_as_they_are(db, robert, rob, now=NOW)
    with pytest.raises(ConflictError):
        purge_customer(db, rob, expected_version=1)
    assert purge_customer(db, rob, expected_version=current_version(rob)) == (
        "Deleted Rob Smith for good"
    )
    survivor = get_profile(db, robert, TODAY)
    assert len(survivor.interactions) == 4 and len(survivor.purchases) == 3  # moved rows stay
    assert survivor.changes[0].field == "purged"
    assert [t.id for t in trash_list(db)] == [book["gone"]]
    steps = db.execute_sql(
        "SELECT count(*) FROM undo_step WHERE ? IN (customer_id, other_id)", (rob,)
    ).fetchone()[0]
    assert steps == 0
    with pytest.raises(NotFound):
        get_profile(db, rob, TODAY)


def test_purging_a_deleted_customer_takes_their_rows_and_figures_with_them(db, book):
    rob = book["rob"]
    trash_customer(db, rob, expected_version=current_version(rob))
    purge_customer(db, rob, expected_version=current_version(rob))
    assert (
        db.execute_sql("SELECT count(*) FROM interaction WHERE customer_id = ?", (rob,)).fetchone()[
            0
        ]
        == 0
    )
    assert search(db, "zeppelin", as_of=TODAY) == []
    with pytest.raises(CrmError, match="nothing to undo"):
        undo_last(db, who=ME, after=1_000_000)
