"""Tags added and removed on every customer a query finds (issue 19): worked out in full first
(a dry run stops there), written in one transaction after a backup, a line in each customer's
history, and undone as one step, or not at all when any of them changed since."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.builders import ME, NOW, TODAY, category
from tests.versions import current_version
from tui_crm.core.backups import list_backups
from tui_crm.core.bulk_actions import (
    log_for_each,
    parse_assignments,
    parse_tag_changes,
    set_fields,
    tag_customers,
    trash_customers,
)
from tui_crm.core.customers import (
    create_customer,
    get_profile,
    restore_customer,
    trash_customer,
    update_customer,
)
from tui_crm.core.search import search
from tui_crm.core.undo import undo_last
from tui_crm.db.postgres.backup import dumps
from tui_crm.errors import ConflictError, CrmError

pytestmark = pytest.mark.both_engines

PEOPLE = 60  # more than a page of results (50): an action takes every one the query finds


def _tags(db, cid: int) -> list[str]:
    return sorted(get_profile(db, cid, TODAY).tags)


def _found(db, query: str) -> list[int]:
    return [row.id for row in search(db, query, as_of=TODAY, limit=None)]


@pytest.fixture
def book(db):
    """60 customers in Oslo, every third already tagged vip and every fourth `old`; and
    Kari in Bergen, who is also `old`."""
    oslo = []
    for n in range(PEOPLE):
        tags = [t for t, every in (("vip", 3), ("old", 4)) if n % every == 0]
        oslo.append(
            create_customer(
                db,
                {
                    "first_name": f"Person{n:02d}",
                    "last_name": "Hansen",
                    "city": "Oslo",
                    "tags": tags,
                },
                now=NOW,
            )
        )
    kari = create_customer(
        db, {"first_name": "Kari", "last_name": "Dahl", "city": "Bergen", "tags": ["old"]}, now=NOW
    )
    return oslo, kari


def test_every_customer_the_query_finds_gets_the_tags_and_a_line_in_their_history(db, book):
    oslo, kari = book
    versions = {cid: current_version(cid) for cid in [*oslo, kari]}
    result = tag_customers(db, "city:oslo", ["vip"], ["old"], as_of=TODAY, who=ME, now=NOW)
    assert result.found == PEOPLE
    # Those with vip already and no `old` had nothing to change (n % 3 == 0, n % 4 != 0).
    unchanged = [cid for n, cid in enumerate(oslo) if n % 3 == 0 and n % 4 != 0]
    assert len(result.changes) == PEOPLE - len(unchanged)
    assert result.summary() == (
        f"tags +vip -old: changed {PEOPLE - len(unchanged)} of the {PEOPLE} customers found "
        f"({len(unchanged)} had them already)"
    )
    assert all(_tags(db, cid) == ["vip"] for cid in oslo)
    assert _tags(db, kari) == ["old"]  # not found by the query: untouched
    assert sorted(_found(db, "tag:vip")) == sorted(oslo)  # and searchable at once
    for n, cid in enumerate(oslo):
        changed = cid not in unchanged
        assert current_version(cid) == versions[cid] + changed
        history = [c for c in get_profile(db, cid, TODAY).changes if c.field == "tags"]
        if changed:
            before = ", ".join(t for t, every in (("old", 4), ("vip", 3)) if n % every == 0)
            assert (history[0].old or "", history[0].new, history[0].who) == (before, "vip", ME)
        else:
            assert history == []
    assert current_version(kari) == versions[kari]


def _backups(db, book_place: str) -> list:
    """The book's backups: archives of a book on PostgreSQL, copies of a file."""
    return dumps(book_place) if db.engine == "postgresql" else list_backups(Path(book_place))


def test_a_dry_run_says_who_would_change_and_changes_nothing(db, book, book_place):
    oslo, _ = book
    before = db.execute_sql("SELECT customer_id, tag_id FROM customer_tag ORDER BY 1, 2").fetchall()
    versions = {cid: current_version(cid) for cid in oslo}
    result = tag_customers(db, "city:oslo", ["vip"], ["old"], as_of=TODAY, dry_run=True)
    assert result.step is None and len(result.changes) == 45
    first = result.changes[0]
    assert (first.name, first.before, first.after) == ("Person00 Hansen", ("old", "vip"), ("vip",))
    assert result.summary(dry_run=True).startswith("tags +vip -old: would change 45 of the 60")
    after = db.execute_sql("SELECT customer_id, tag_id FROM customer_tag ORDER BY 1, 2").fetchall()
    assert after == before
    assert {cid: current_version(cid) for cid in oslo} == versions
    assert _backups(db, book_place) == []


def test_a_backup_is_taken_before_and_none_when_nothing_changes(db, book, book_place):
    tag_customers(db, "city:oslo", ["fair"], [], as_of=TODAY, now=NOW)
    assert [b.reason for b in _backups(db, book_place)] == ["before-bulk"]
    again = tag_customers(db, "city:oslo", ["fair"], [], as_of=TODAY, now=NOW)
    assert again.changes == [] and again.step is None
    assert len(_backups(db, book_place)) == 1


def test_customers_in_the_trash_are_not_touched(db, book):
    oslo, _ = book
    trash_customer(db, oslo[1], expected_version=current_version(oslo[1]))
    version = current_version(oslo[1])
    result = tag_customers(db, "city:oslo", ["fair"], [], as_of=TODAY)
    assert result.found == PEOPLE - 1 and oslo[1] not in [c.id for c in result.changes]
    assert current_version(oslo[1]) == version


def test_undo_takes_the_whole_action_back_as_one_step(db, book):
    oslo, kari = book
    held = {cid: _tags(db, cid) for cid in oslo}
    tag_customers(db, "city:oslo", ["vip", "fair"], ["old"], as_of=TODAY, who=ME, now=NOW)
    said = undo_last(db, who=ME, now=NOW)
    assert said == "Undid: tags +vip +fair -old on 60 customers"
    assert {cid: _tags(db, cid) for cid in oslo} == held
    assert _found(db, "tag:fair") == []
    changes = get_profile(db, oslo[5], TODAY).changes
    assert [c.field for c in changes[:2]] == ["undo", "tags"]
    with pytest.raises(CrmError, match="nothing to undo"):
        undo_last(db, who=ME, now=NOW)


def test_an_undo_is_refused_whole_when_one_of_them_changed_since(db, book):
    oslo, _ = book
    tag_customers(db, "city:oslo", ["fair"], [], as_of=TODAY, who=ME, now=NOW)
    held = {cid: _tags(db, cid) for cid in oslo}
    update_customer(db, oslo[7], {"city": "Drammen"}, expected_version=current_version(oslo[7]))
    with pytest.raises(
        ConflictError, match=f"tags \\+fair on 60 customers: #{oslo[7]} was changed since; nothing"
    ):
        undo_last(db, who=ME, now=NOW)
    assert {cid: _tags(db, cid) for cid in oslo} == held


@pytest.mark.parametrize(
    ("words", "error"),
    [
        ([], "say which tags to add or remove"),
        (["vip"], "a tag to add starts with +"),
        (["+"], "a tag needs a name"),
        (["+a,b"], "cannot hold a comma"),
        (["+vip", "-VIP"], "'vip' is both added and removed"),
    ],
)
def test_tag_words_that_cannot_be_used_are_refused(words, error):
    with pytest.raises(CrmError, match=error):
        parse_tag_changes(words)


def test_tag_words_are_kept_as_the_book_keeps_tags():
    assert parse_tag_changes(["+Key  Account", "-Old", "+vip", "+VIP"]) == (
        ["key account", "vip"],
        ["old"],
    )


# -- set ---------------------------------------------------------------------------------


@pytest.fixture
def categories(db):
    category(db, "Key account", 30)
    category(db, "Small", 90)


def _owner_and_category(db, cid: int) -> tuple[str, str]:
    profile = get_profile(db, cid, TODAY)
    return profile.owner, profile.category or ""


def test_a_category_and_an_owner_are_set_on_everyone_found(db, book, categories):
    oslo, kari = book
    update_customer(db, oslo[0], {"owner": "anna"}, expected_version=current_version(oslo[0]))
    result = set_fields(
        db, "city:oslo", {"category": "key ACCOUNT", "owner": "anna"}, as_of=TODAY, who=ME, now=NOW
    )
    assert result.found == PEOPLE and len(result.changes) == PEOPLE
    assert result.changes[0].fields == {"category": ("", "Key account")}  # owner was anna
    assert all(_owner_and_category(db, cid) == ("anna", "Key account") for cid in oslo)
    assert _owner_and_category(db, kari) == ("", "")
    history = get_profile(db, oslo[1], TODAY).changes
    assert {(c.field, c.old, c.new) for c in history[:2]} == {
        ("category", None, "Key account"),
        ("owner", None, "anna"),
    }
    assert undo_last(db, who=ME, now=NOW) == (
        'Undid: set category="key ACCOUNT" owner="anna" on 60 customers'
    )
    assert _owner_and_category(db, oslo[0]) == ("anna", "")
    assert all(_owner_and_category(db, cid) == ("", "") for cid in oslo[1:])


def test_an_empty_value_clears_and_a_dry_run_writes_nothing(db, book, categories):
    oslo, _ = book
    set_fields(db, "city:oslo", {"category": "Small"}, as_of=TODAY)
    versions = {cid: current_version(cid) for cid in oslo}
    dry = set_fields(db, "city:oslo", {"category": ""}, as_of=TODAY, dry_run=True)
    assert len(dry.changes) == PEOPLE and dry.step is None
    assert {cid: current_version(cid) for cid in oslo} == versions
    set_fields(db, "city:oslo", {"category": ""}, as_of=TODAY)
    assert all(_owner_and_category(db, cid)[1] == "" for cid in oslo)


@pytest.mark.parametrize(
    ("words", "error"),
    [
        ([], "say what to set"),
        (["owner"], "say FIELD=VALUE"),
        (["email=a@b.c"], "'email' cannot be set on many customers at once"),
        (["status=lost"], "say what broke the deal"),
        (["status=lapsed"], "status 'lapsed' cannot be set: active or lost"),
        (["lost_reason=Price"], "lost_reason goes with status=lost"),
        (["owner=a", "owner=b"], "'owner' is given twice"),
    ],
)
def test_assignments_that_cannot_be_used_are_refused(words, error):
    with pytest.raises(CrmError, match=error):
        parse_assignments(words)


def test_a_category_the_book_does_not_have_is_refused_and_nothing_changes(db, book, categories):
    oslo, _ = book
    versions = {cid: current_version(cid) for cid in oslo}
    with pytest.raises(CrmError, match="no category named 'Gold club' \\(the book has: Key"):
        set_fields(db, "city:oslo", {"category": "Gold club"}, as_of=TODAY)
    assert {cid: current_version(cid) for cid in oslo} == versions


def test_everyone_found_is_marked_lost_with_the_day_and_back_active_in_one_undo(db, book):
    from tui_crm.db.models import Customer

    oslo, kari = book
    early = oslo[0]
    update_customer(
        db,
        early,
        {"status": "lost", "lost_reason": "Price"},
        expected_version=current_version(early),
        now=NOW.replace(day=1),
    )
    values = parse_assignments(["status=lost", "lost_reason=Moved away"])
    result = set_fields(db, "city:oslo", values, as_of=TODAY, now=NOW)
    assert result.summary() == (
        'set status="lost" lost_reason="Moved away": changed 60 of the 60 customers found'
    )
    rows = {c.id: c for c in Customer.select().where(Customer.id.in_(oslo))}
    assert {(r.status, r.lost_reason) for r in rows.values()} == {("lost", "Moved away")}
    # The day lost: today for those who became lost; the one lost before keeps hers.
    assert str(rows[early].lost_on) == "2026-11-01"
    assert {str(rows[cid].lost_on) for cid in oslo[1:]} == {TODAY.isoformat()}
    history = get_profile(db, oslo[1], TODAY).changes
    assert {(h.field, h.old, h.new) for h in history} >= {("status", "active", "lost")}
    assert Customer.get_by_id(kari).status == "active"
    undo_last(db, who=ME)
    rows = {c.id: c for c in Customer.select().where(Customer.id.in_(oslo))}
    assert (rows[early].status, rows[early].lost_reason) == ("lost", "Price")
    assert {rows[cid].status for cid in oslo[1:]} == {"active"}
    assert {rows[cid].lost_on for cid in oslo[1:]} == {None}
    back = set_fields(db, [early], parse_assignments(["status=active"]), as_of=TODAY, now=NOW)
    assert [c.fields["status"] for c in back.changes] == [("lost", "active")]


# -- snoozed until a day ------------------------------------------------------------------


def test_the_marked_are_snoozed_out_of_the_queue_until_a_day_and_back_in_one_undo(db, book):
    from datetime import timedelta

    from tui_crm.core.attention import attention_state, reason_ids, snooze
    from tui_crm.core.bulk_actions import snooze_customers

    oslo, kari = book
    later = TODAY + timedelta(days=200)  # everyone is due a contact by then
    assert set(oslo) <= set(reason_ids(db, later, ["cadence"]))
    own = TODAY + timedelta(days=3)
    snooze(db, oslo[0], ["lapsed"], own, seen=attention_state(db, oslo[0]), as_of=TODAY)
    until = TODAY + timedelta(days=250)
    dry = snooze_customers(db, oslo[:10], until, as_of=TODAY, dry_run=True)
    assert dry.summary(dry_run=True).startswith("would snooze 10 of the 10 customers marked")
    result = snooze_customers(db, oslo[:10], until, as_of=TODAY, now=NOW)
    assert result.summary() == "snoozed 10 of the 10 customers marked until Mon 26 Jul"
    waiting = set(reason_ids(db, later, ["cadence"]))
    assert not waiting & set(oslo[:10]) and set(oslo[10:]) <= waiting
    assert set(oslo[:10]) <= set(reason_ids(db, until, ["cadence"]))  # back on the day
    history = get_profile(db, oslo[3], TODAY).changes
    assert ("snoozed", None, f"until {until}") in {(h.field, h.old, h.new) for h in history}
    undo_last(db, who=ME)
    assert set(oslo) <= set(reason_ids(db, later, ["cadence"]))
    # The snooze one of them had before is back as it was.
    marks = db.execute_sql(
        "SELECT reason, snoozed_until FROM attention_mark WHERE customer_id = ?", (oslo[0],)
    ).fetchall()
    assert marks == [("lapsed", own.isoformat())]
    with pytest.raises(CrmError, match="snooze until a day after"):
        snooze_customers(db, oslo, TODAY, as_of=TODAY)


def test_a_bulk_snooze_is_not_undone_over_a_later_snooze(db, book):
    from datetime import timedelta

    from tui_crm.core.attention import attention_state, snooze
    from tui_crm.core.bulk_actions import snooze_customers

    oslo, _ = book
    snooze_customers(db, oslo[:5], TODAY + timedelta(days=30), as_of=TODAY, now=NOW, who=ME)
    seen = attention_state(db, oslo[2])
    snooze(db, oslo[2], ["cadence"], TODAY + timedelta(days=9), seen=seen, who="ben")
    with pytest.raises(ConflictError, match="their snoozes or dones were changed since"):
        undo_last(db, who=ME)
    marks = db.execute_sql(
        "SELECT snoozed_until FROM attention_mark WHERE customer_id = ? AND reason = 'cadence'",
        (oslo[2],),
    ).fetchall()
    assert marks == [((TODAY + timedelta(days=9)).isoformat(),)]


# -- one interaction for each --------------------------------------------------------------


def test_one_interaction_is_logged_for_everyone_found_and_undone_as_one(db, book):
    from tui_crm.core.corrections import edit_interaction

    oslo, kari = book
    result = log_for_each(
        db, "city:oslo", notes="Summer gift sent", kind="thanks", as_of=TODAY, who=ME, now=NOW
    )
    assert len(result.customers) == PEOPLE and result.summary() == (
        "logged thanks: Summer gift sent for 60 customers"
    )
    profile = get_profile(db, oslo[3], TODAY)
    assert profile.last_contact == NOW
    (logged,) = profile.interactions
    assert (logged.kind, logged.notes, logged.logged_by) == ("thanks", "Summer gift sent", ME)
    assert sorted(_found(db, "summer gift")) == sorted(oslo)
    assert get_profile(db, kari, TODAY).interactions == ()
    assert undo_last(db, who=ME, now=NOW) == (
        "Undid: logged thanks: Summer gift sent for 60 customers"
    )
    assert get_profile(db, oslo[3], TODAY).last_contact is None
    assert _found(db, "summer gift") == []
    # A second campaign, one of its notes corrected since: its undo is refused whole.
    log_for_each(db, "city:oslo", notes="Invited", kind="email", as_of=TODAY, who=ME, now=NOW)
    (mail,) = get_profile(db, oslo[0], TODAY).interactions
    edit_interaction(  # by a colleague: the newest step of ours is still the campaign
        db, mail.id, {"notes": "Invited to the fair"}, expected_version=mail.version, who="ben"
    )
    with pytest.raises(ConflictError, match="were corrected since; nothing was undone"):
        undo_last(db, who=ME, now=NOW)
    assert len(_found(db, "invited")) == PEOPLE


def test_a_dry_run_logs_nothing_and_a_note_is_needed(db, book):
    oslo, _ = book
    dry = log_for_each(db, "city:oslo", notes="Gift", kind="thanks", as_of=TODAY, dry_run=True)
    assert len(dry.customers) == PEOPLE and dry.step is None
    assert all(get_profile(db, cid, TODAY).interactions == () for cid in oslo)
    with pytest.raises(CrmError, match="write a note"):
        log_for_each(db, "city:oslo", notes=" ", kind="call", as_of=TODAY)


def test_customers_given_by_id_are_the_ones_changed_and_said_marked(db, book):
    # The app's marked customers: by id, whatever the query shown now.
    oslo, kari = book
    result = tag_customers(db, [kari, oslo[1], kari], ["fair"], [], as_of=TODAY)
    assert [c.id for c in result.changes] == [kari, oslo[1]]
    assert result.summary() == "tags +fair: changed 2 of the 2 customers marked"
    assert sorted(_found(db, "tag:fair")) == sorted([kari, oslo[1]])
    trash_customer(db, oslo[2], expected_version=current_version(oslo[2]))
    set_result = set_fields(db, [oslo[2], oslo[3]], {"owner": "anna"}, as_of=TODAY)
    assert [c.id for c in set_result.changes] == [oslo[3]]  # not one in the trash
    assert set_result.summary() == 'set owner="anna": changed 1 of the 1 customers marked'


def test_the_marked_go_to_the_trash_in_one_step_and_come_back_in_one(db, book):
    oslo, kari = book
    result = trash_customers(db, oslo[:5], as_of=TODAY, who=ME, now=NOW)
    assert result.summary() == "moved 5 of the 5 customers marked to the trash"
    assert len(_found(db, "city:oslo")) == PEOPLE - 5
    history = get_profile(db, oslo[0], TODAY).changes
    assert history[0].field == "trash"
    assert undo_last(db, who=ME, now=NOW) == "Undid: moved 5 customers to the trash"
    assert len(_found(db, "city:oslo")) == PEOPLE
    trash_customers(db, oslo[:2], as_of=TODAY, who=ME, now=NOW)
    restore_customer(db, oslo[1], expected_version=current_version(oslo[1]), who="ben")
    with pytest.raises(ConflictError, match="was changed or restored since; nothing was undone"):
        undo_last(db, who=ME, now=NOW)
    assert oslo[0] not in _found(db, "city:oslo")  # refused whole: still in the trash


def test_the_marked_are_exported_those_in_the_trash_left_out(db, book):
    import csv
    import io

    from tui_crm.core.interchange.files import export_customers

    oslo, kari = book
    trash_customer(db, oslo[2], expected_version=current_version(oslo[2]))
    out = io.StringIO()
    written = export_customers(db, [kari, oslo[1], oslo[2]], "csv", out, as_of=TODAY)
    header, *rows = list(csv.reader(io.StringIO(out.getvalue())))
    first = next(n for n, name in enumerate(header) if "first" in name.lower())
    assert [row[first] for row in rows] == ["Kari", "Person01"]  # not Person02, in the trash
    assert written.summary().startswith("2 ")
