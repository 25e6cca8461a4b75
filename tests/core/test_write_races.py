"""Two people on one book: a change based on what someone read is refused once someone else
changed it, on every write path, and never silently overwrites their work.

Each person is a thread of their own, so a connection of their own to the same book (peewee
gives each thread one), an SQLite file or a PostgreSQL database; their steps run in a fixed
order (read, read, write, write), so every outcome is decided by the code, not by timing. The
last test races two real processes over 100 tag edits each."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from tests.builders import category
from tui_crm.core import value as value_module
from tui_crm.core.attention import (
    attention_page,
    mark_done,
    snooze,
)
from tui_crm.core.customers import (
    add_purchase,
    create_customer,
    get_profile,
    log_interaction,
    restore_customer,
    trash_customer,
    update_customer,
)
from tui_crm.core.duplicates import dismiss_pair, find_duplicate_pairs
from tui_crm.core.interchange import load as load_module
from tui_crm.core.interchange.load import load_customers
from tui_crm.core.interchange.records import Parsed, SourceRow
from tui_crm.core.merge import merge, merge_preview
from tui_crm.core.plans import (
    DEFAULT_TOUCH_DAYS,
    Touch,
    parse_plan,
    plan_text,
    read_plans,
    save_plans,
    scope_plan,
    set_plan,
)
from tui_crm.core.referrals import referrals
from tui_crm.core.value import customer_value
from tui_crm.db.models import AttentionMark, Customer, DuplicateDismissal, Interaction
from tui_crm.errors import ConflictError

pytestmark = pytest.mark.both_engines

NOW = datetime(2026, 11, 20, 10, 0)
TODAY = NOW.date()
LONG_AGO = NOW - timedelta(days=400)


class Person:
    """Someone at their own terminal: every step runs on their own thread and connection."""

    def __init__(self, name: str, db):
        self.name = name
        self._db = db
        self._thread = ThreadPoolExecutor(1, thread_name_prefix=name)

    def __call__(self, function, *args, **kwargs):
        return self._thread.submit(function, *args, **kwargs).result()

    def start(self, function, *args, **kwargs) -> Future:
        """A step begun, not waited for: someone else acts while it runs."""
        return self._thread.submit(function, *args, **kwargs)

    def leave(self) -> None:
        self(self._db.close)  # this thread's connection
        self._thread.shutdown()


@pytest.fixture
def people(db) -> Iterator[tuple[Person, Person]]:
    ann, ben = Person("ann", db), Person("ben", db)
    yield ann, ben
    ann.leave()
    ben.leave()


def _customer(db, **values) -> int:
    return create_customer(db, {"last_name": "Berg", **values}, who="setup", now=LONG_AGO)


def _version(cid: int) -> int:
    return Customer.get_by_id(cid).version


def _refusal(call, *args, **kwargs) -> str:
    """The one line a refused write shows; it must be refused."""
    with pytest.raises(ConflictError) as info:
        call(*args, **kwargs)
    message = str(info.value)
    assert "\n" not in message
    return message


# Writes that replace something cannot be made without what they are based on -------------


def _unversioned_writes(db) -> list:
    a, b = _customer(db, first_name="Ann"), _customer(db, first_name="Anne")
    category(db, "key account", 14)
    return [
        lambda: update_customer(db, a, {"city": "Oslo"}),
        lambda: trash_customer(db, a),
        lambda: restore_customer(db, a),
        lambda: merge(db, a, b),
        lambda: dismiss_pair(db, a, b),
        lambda: snooze(db, a, ["cadence"], TODAY + timedelta(days=3)),
        lambda: mark_done(db, a, ["cadence"]),
        lambda: set_plan(db, "key account", parse_plan("call every week")),
        lambda: set_plan(db, "none", parse_plan("call every week"), expected=None),
        lambda: update_customer(db, a, {"city": "Oslo"}, expected_version=None),
    ]


def test_no_write_that_replaces_something_can_be_made_without_the_version_it_is_based_on(db):
    writes = _unversioned_writes(db)
    before = list(db.execute_sql("SELECT id, version, city, deleted_at FROM customer"))
    for write in writes:
        with pytest.raises(TypeError):
            write()
    assert list(db.execute_sql("SELECT id, version, city, deleted_at FROM customer")) == before
    assert scope_plan(db, "key account") == (Touch("contact", 14),)
    assert scope_plan(db, "none") == (Touch("contact", DEFAULT_TOUCH_DAYS),)


# Edits, lost and reactivated, trash and restore ---------------------------------------------


def test_an_edit_based_on_an_older_version_is_refused_and_says_who_changed_what(db, people):
    ann, ben = people
    cid = _customer(db, first_name="Kari", tags=["golf"])
    seen_by_ann = ann(get_profile, db, cid, TODAY)
    seen_by_ben = ben(get_profile, db, cid, TODAY)
    ann(
        update_customer,
        db,
        cid,
        {"tags": [*seen_by_ann.tags, "vip"]},
        expected_version=seen_by_ann.version,
        who="ann",
    )
    message = ben(
        _refusal,
        update_customer,
        db,
        cid,
        {"tags": [*seen_by_ben.tags, "wholesale"]},
        expected_version=seen_by_ben.version,
        who="ben",
    )
    assert "changed by ann" in message and "Tags: golf → golf, vip" in message
    assert get_profile(db, cid, TODAY).tags == ("golf", "vip")  # nothing of ann's lost
    again = ben(get_profile, db, cid, TODAY)  # ben looks again and redoes his change
    ben(
        update_customer,
        db,
        cid,
        {"tags": [*again.tags, "wholesale"]},
        expected_version=again.version,
        who="ben",
    )
    assert get_profile(db, cid, TODAY).tags == ("golf", "vip", "wholesale")


def test_a_lost_reason_edited_from_an_older_version_does_not_undo_a_reactivation(db, people):
    ann, ben = people
    cid = _customer(db, first_name="Kari", status="lost", lost_reason="price")
    seen_by_ann = ann(get_profile, db, cid, TODAY)
    seen_by_ben = ben(get_profile, db, cid, TODAY)
    ann(
        update_customer,
        db,
        cid,
        {"status": "active", "lost_reason": ""},
        expected_version=seen_by_ann.version,
        who="ann",
    )
    message = ben(
        _refusal,
        update_customer,
        db,
        cid,
        {"status": "lost", "lost_reason": "price, and slow support"},
        expected_version=seen_by_ben.version,
        who="ben",
    )
    assert "changed by ann" in message and "Status: lost → active" in message
    assert Customer.get_by_id(cid).status == "active"


def test_trashing_from_an_older_version_is_refused(db, people):
    ann, ben = people
    cid = _customer(db, first_name="Kari")
    seen_by_ann = ann(get_profile, db, cid, TODAY)
    seen_by_ben = ben(get_profile, db, cid, TODAY)
    ann(
        update_customer,
        db,
        cid,
        {"notes": "renewing in May: keep"},
        expected_version=seen_by_ann.version,
        who="ann",
    )
    message = ben(
        _refusal, trash_customer, db, cid, expected_version=seen_by_ben.version, who="ben"
    )
    assert "changed by ann" in message and "renewing in May" in message
    assert Customer.get_by_id(cid).deleted_at is None


def test_restoring_from_an_older_version_is_refused(db, people):
    ann, ben = people
    cid = _customer(db, first_name="Kari")
    trash_customer(db, cid, expected_version=_version(cid), who="setup", now=LONG_AGO)
    seen_by_ann, seen_by_ben = ann(_version, cid), ben(_version, cid)
    ann(restore_customer, db, cid, expected_version=seen_by_ann, who="ann")
    ann(update_customer, db, cid, {"city": "Oslo"}, expected_version=seen_by_ann + 1, who="ann")
    message = ben(_refusal, restore_customer, db, cid, expected_version=seen_by_ben, who="ben")
    assert "changed by ann" in message and "restored from the trash" in message
    row = Customer.get_by_id(cid)
    assert (row.deleted_at, row.city, row.version) == (None, "Oslo", seen_by_ann + 2)


# Merge and "different people" ---------------------------------------------------------------


def test_a_merge_prepared_before_an_edit_is_refused_and_merges_nothing(db, people):
    ann, ben = people
    robert = _customer(db, first_name="Robert", emails=["robert@acme.example"])
    rob = _customer(db, first_name="Rob", emails=["rob@home.example"])
    seen_by_ann = ann(get_profile, db, rob, TODAY)
    preview = ben(merge_preview, db, robert, rob)
    ann(
        update_customer,
        db,
        rob,
        {"phones": ["+47 955 51 234"]},
        expected_version=seen_by_ann.version,
        who="ann",
    )
    message = ben(
        _refusal,
        merge,
        db,
        robert,
        rob,
        survivor_version=preview.survivor_version,
        other_version=preview.other_version,
        who="ben",
    )
    assert "changed by ann" in message and "Phones: " in message
    assert Customer.get_by_id(rob).deleted_at is None  # nothing merged


def test_different_people_judged_on_an_older_version_is_refused(db, people):
    ann, ben = people
    a = _customer(db, first_name="Ann", emails=["ann@fjord.example"])
    b = _customer(db, first_name="Ann")
    [pair] = ben(find_duplicate_pairs, db)
    seen_by_ann = ann(get_profile, db, b, TODAY)
    ann(
        update_customer,
        db,
        b,
        {"emails": ["ann@fjord.example"]},  # the same address: one person after all
        expected_version=seen_by_ann.version,
        who="ann",
    )
    message = ben(
        _refusal,
        dismiss_pair,
        db,
        pair.a.id,
        pair.b.id,
        a_version=pair.a.version,
        b_version=pair.b.version,
        who="ben",
    )
    assert "changed by ann" in message and "ann@fjord.example" in message
    assert DuplicateDismissal.select().count() == 0
    assert {p.ids for p in find_duplicate_pairs(db)} == {(a, b)}


# Attention: snooze, done, cadence -----------------------------------------------------------


def _item(db, cid: int):
    [item] = [i for i in attention_page(db, TODAY).items if i.customer_id == cid]
    return item


def test_a_snooze_based_on_an_older_item_is_refused(db, people):
    ann, ben = people
    cid = _customer(db, first_name="Kari")  # added long ago, never contacted: cadence
    seen_by_ann, seen_by_ben = ann(_item, db, cid), ben(_item, db, cid)
    soon, later = TODAY + timedelta(days=3), TODAY + timedelta(days=30)
    ann(snooze, db, cid, ["cadence"], soon, seen=seen_by_ann.seen, as_of=TODAY, who="ann")
    message = ben(
        _refusal,
        snooze,
        db,
        cid,
        ["cadence"],
        later,
        seen=seen_by_ben.seen,
        as_of=TODAY,
        who="ben",
    )
    assert "ann snoozed plan touch due until" in message
    assert AttentionMark.get(AttentionMark.customer == cid).snoozed_until == soon


def test_done_based_on_an_older_item_never_closes_a_follow_up_asked_for_since(db, people):
    ann, ben = people
    cid = _customer(db, first_name="Kari")
    log_interaction(
        db,
        cid,
        notes="asked for a quote",
        follow_up=TODAY,
        at=NOW - timedelta(days=2),
        now=NOW - timedelta(days=2),
    )
    seen_by_ben = ben(_item, db, cid)
    assert "follow_up_due" in {reason.code for reason in seen_by_ben.reasons}
    ann(
        log_interaction,
        db,
        cid,
        notes="sent the quote; call back this afternoon",
        follow_up=TODAY,
        at=NOW,
        now=NOW,
        who="ann",
    )
    message = ben(
        _refusal,
        mark_done,
        db,
        cid,
        ["follow_up_due"],
        seen=seen_by_ben.seen,
        now=NOW + timedelta(hours=1),
        who="ben",
    )
    assert f"ann logged a call with a follow-up on {TODAY}" in message
    assert Customer.get_by_id(cid).next_follow_up == TODAY  # ann's follow-up is still open
    assert not Interaction.select().where(Interaction.follow_up_done).exists()


def test_a_plan_editor_saved_from_older_plans_overwrites_nothing(db, people):
    ann, ben = people
    category(db, "key account", 14)

    def texts(plans) -> dict[str, str]:
        return {plan.label: plan_text(plan.touches) for plan in plans}

    seen_by_ann = ann(read_plans, db)
    seen_by_ben = ben(read_plans, db)

    def save(seen, **changed: str) -> None:
        wanted = {"none": "Without a category", "key": "key account"}
        edits = {wanted[k]: v for k, v in changed.items()}
        save_plans(db, [(p, parse_plan(edits.get(p.label, plan_text(p.touches)))) for p in seen])

    ann(save, seen_by_ann, key="meeting every 3 months")
    ben(save, seen_by_ben, none="call every 2 months")  # ben changed another plan: both stay
    assert texts(read_plans(db)) == {
        "Every customer": "",
        "Without a category": "call every 2 months",
        "key account": "meeting every 3 months",
    }
    message = ben(_refusal, save, seen_by_ben, key="call every week")  # the same plan: refused
    assert "someone else changed the plan for key account to 'meeting every 3 months'" in message
    assert scope_plan(db, "key account") == (Touch("meeting", 90),)


# The value summary brought to a new day ---------------------------------------------------------


@pytest.mark.parametrize("kept", [False, True], ids=["never-built", "kept-a-year-ago"])
def test_two_people_reading_a_value_on_a_new_day_bring_the_summary_to_it_once(
    db, people, monkeypatch, kept
):
    """The first reader on a new day builds the summary or moves it there; a second one
    meanwhile waits for it and finds it done (on PostgreSQL both used to: a duplicate row
    refused the second, or each spend was moved twice)."""
    ann, ben = people
    cid = _customer(db, first_name="Kari")
    add_purchase(db, cid, amount="120.00", day=TODAY - timedelta(days=3), now=NOW)
    if kept:
        customer_value(db, cid, TODAY - timedelta(days=400))
    as_of = TODAY
    keep_day, moving = value_module._keep_day, threading.Event()

    def slowly(*args):  # ann's transaction stays open while ben reads
        keep_day(*args)
        moving.set()
        time.sleep(0.3)

    monkeypatch.setattr(value_module, "_keep_day", slowly)
    first = ann.start(customer_value, db, cid, as_of)
    assert moving.wait(10)
    seen_by_ben = ben(customer_value, db, cid, as_of)
    seen_by_ann = first.result()
    monkeypatch.undo()
    value_module.rebuild_values(db, as_of)
    rebuilt = customer_value(db, cid, as_of)
    assert seen_by_ann == seen_by_ben == rebuilt
    assert (rebuilt.spent_30d, rebuilt.spent_12m, rebuilt.lifetime) == (12000, 12000, 12000)


# A thanks names a referral -----------------------------------------------------------------


def test_a_thanks_for_a_referral_changed_since_is_refused(db, people):
    ann, ben = people
    rita = _customer(db, first_name="Rita")
    sam = _customer(db, first_name="Sam")
    kari = _customer(db, first_name="Kari", referred_by=rita)
    [seen_by_ben] = ben(referrals, db)
    seen_by_ann = ann(get_profile, db, kari, TODAY)
    ann(
        update_customer,
        db,
        kari,
        {"referred_by": sam},
        expected_version=seen_by_ann.version,
        who="ann",
    )
    message = ben(
        _refusal,
        log_interaction,
        db,
        seen_by_ben.referrer_id,
        kind="thanks",
        notes="flowers",
        regarding=seen_by_ben.referred_id,
        who="ben",
    )
    assert message.startswith("Kari Berg is not referred by Rita Berg (changed by ann: ")
    assert "Rita Berg → Sam Berg" in message
    assert not Interaction.select().where(Interaction.kind == "thanks").exists()


# Import: planned from one version, written later ---------------------------------------------


def _row(line: int, **values) -> SourceRow:
    return SourceRow(line, {"last_name": "Berg", **values})


def _import_with_edit_between(monkeypatch, db, ann, ben, edit, rows, **options):
    """Ben imports `rows`; after the import planned its updates and before it writes them,
    ann makes `edit` on her own connection."""
    write = load_module._write

    def ann_edits_then_write(*args, **kwargs):
        ann(edit)
        return write(*args, **kwargs)

    monkeypatch.setattr(load_module, "_write", ann_edits_then_write)
    parsed = Parsed("CSV", list(rows))
    return ben(load_customers, db, parsed, source="people.csv", who="ben", now=NOW, **options)


def _ann_edits(db, cid: int, values: dict):
    def edit():
        seen = get_profile(db, cid, TODAY)
        changes = {k: v(seen) if callable(v) else v for k, v in values.items()}
        update_customer(db, cid, changes, expected_version=seen.version, who="ann")

    return edit


def test_an_import_adding_tags_keeps_the_tags_added_while_it_ran(db, people, monkeypatch):
    ann, ben = people
    cid = _customer(db, first_name="Kari", uid="K-1", tags=["golf"])
    report = _import_with_edit_between(
        monkeypatch,
        db,
        ann,
        ben,
        _ann_edits(db, cid, {"tags": lambda seen: [*seen.tags, "vip"]}),
        [_row(2, first_name="Kari", uid="K-1", tags=["trade fair"])],
    )
    assert get_profile(db, cid, TODAY).tags == ("golf", "trade fair", "vip")
    assert (report.updated, report.rejected) == (1, ())
    [update] = report.updates
    assert update.changes == ("Tags: trade fair added",)


def test_an_import_never_overwrites_a_field_changed_while_it_ran(db, people, monkeypatch):
    ann, ben = people
    cid = _customer(db, first_name="Kari", uid="K-1", city="Trondheim")
    report = _import_with_edit_between(
        monkeypatch,
        db,
        ann,
        ben,
        _ann_edits(db, cid, {"city": "Bergen"}),
        [
            _row(2, first_name="Kari", uid="K-1", city="Oslo", tags=["trade fair"]),
            _row(3, first_name="Per", city="Oslo"),
        ],
    )
    profile = get_profile(db, cid, TODAY)
    assert (profile.city, profile.tags) == ("Bergen", ())  # the row was not written at all
    [rejected] = report.rejected
    assert rejected.line == 2 and "\n" not in rejected.reason
    assert "changed by ann" in rejected.reason and "City: Trondheim → Bergen" in rejected.reason
    assert (report.added, report.updated, report.updates) == (1, 0, ())
    assert Customer.select().where(Customer.first_name == "Per").count() == 1


def test_a_strict_import_is_refused_whole_when_a_field_changed_while_it_ran(
    db, people, monkeypatch
):
    ann, ben = people
    cid = _customer(db, first_name="Kari", uid="K-1", city="Trondheim")
    with pytest.raises(ConflictError) as info:
        _import_with_edit_between(
            monkeypatch,
            db,
            ann,
            ben,
            _ann_edits(db, cid, {"city": "Bergen"}),
            [_row(2, first_name="Kari", uid="K-1", city="Oslo"), _row(3, first_name="Per")],
            strict=True,
        )
    assert str(info.value).startswith("line 2: Kari Berg was changed by ann")
    assert Customer.get_by_id(cid).city == "Bergen"
    assert not Customer.select().where(Customer.first_name == "Per").exists()


def test_an_import_is_planned_again_for_a_customer_trashed_while_it_ran(db, people, monkeypatch):
    ann, ben = people
    cid = _customer(db, first_name="Kari", uid="K-1")

    def trash():
        trash_customer(db, cid, expected_version=_version(cid), who="ann")

    report = _import_with_edit_between(
        monkeypatch, db, ann, ben, trash, [_row(2, first_name="Kari", uid="K-1", city="Oslo")]
    )
    [rejected] = report.rejected
    assert "ann" in rejected.reason and "moved to the trash" in rejected.reason
    row = Customer.get_by_id(cid)
    assert row.deleted_at is not None and row.city == ""


def test_the_command_line_says_an_import_conflict_in_one_line(
    db, book_place, tmp_path, people, monkeypatch, capsys
):
    from tui_crm.cli import main

    ann, _ = people
    cid = _customer(db, first_name="Kari", uid="K-1", city="Trondheim")
    csv = tmp_path / "people.csv"
    csv.write_text("uid,First Name,Last Name,City\nK-1,Kari,Berg,Oslo\n,Per,Berg,Oslo\n")
    write = load_module._write
    cities = iter(["Bergen", "Stavanger"])

    def ann_edits_then_write(*args, **kwargs):
        ann(_ann_edits(db, cid, {"city": next(cities)}))
        return write(*args, **kwargs)

    monkeypatch.setattr(load_module, "_write", ann_edits_then_write)
    assert main(["import", str(csv), "--db", book_place, "--strict"]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err == (
        "tui-crm: error: line 2: Kari Berg was changed by ann since the file was checked "
        "(City: Trondheim → Bergen); nothing was imported\n"
    )
    assert main(["import", str(csv), "--db", book_place]) == 0
    out, _ = capsys.readouterr()
    assert "1 added, 0 updated, 0 unchanged, 1 rejected" in out
    assert "line 2: Kari Berg was changed by ann since the file was checked (City: Bergen → " in out
    assert Customer.get_by_id(cid).city == "Stavanger"


# Two processes, 100 tag edits each ----------------------------------------------------------

EDITOR = r"""
import json, sys
from datetime import date

from tui_crm.core.customers import get_profile, update_customer
from tui_crm.db.database import open_database
from tui_crm.errors import ConflictError

path, cid, me, edits, based = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), sys.argv[5]
db = open_database(path, create=False)
said = {"written": 0, "refused": 0, "retried": 0}
for n in range(edits):
    while True:
        seen = get_profile(db, int(cid), date.today(), history=0)  # the tags and their version
        tags = [*seen.tags, f"{me}-{n:03d}"]
        try:
            if based == "based":
                update_customer(db, cid, {"tags": tags}, expected_version=seen.version, who=me)
            else:  # as the processes of the issue did: the whole list back, no version
                update_customer(db, cid, {"tags": tags}, who=me)
        except ConflictError:
            said["retried"] += 1
            continue
        except TypeError:
            said["refused"] += 1
            break
        said["written"] += 1
        break
print(json.dumps(said))
"""


def _two_editors(book_place: str, cid: int, edits: int, based: str) -> list[dict]:
    root = Path(__file__).resolve().parents[2]
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", EDITOR, book_place, str(cid), me, str(edits), based],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=root,
            env={**os.environ, "TUI_CRM_USER": me},
        )
        for me in ("ann", "ben")
    ]
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
        results.append(json.loads(out))
    return results


def test_two_processes_making_100_tag_edits_each_lose_no_tag(db, book_place):
    edits = 100
    cid = _customer(db, first_name="Kari")
    db.close()
    # The edit loop of the issue (each process writes its whole tag list back, without a
    # version) lost 97 of 200 tags; now the API refuses every such write before it is made.
    naive = _two_editors(book_place, cid, edits, "naive")
    assert [r["written"] for r in naive] == [0, 0]
    assert [r["refused"] for r in naive] == [edits, edits]
    assert Customer.get_by_id(cid).version == 1
    # Based on the version read, and trying again when refused: every tag is kept.
    based = _two_editors(book_place, cid, edits, "based")
    tags = set(get_profile(db, cid, TODAY).tags)
    wanted = {f"{me}-{n:03d}" for me in ("ann", "ben") for n in range(edits)}
    assert [r["written"] for r in based] == [edits, edits]
    assert tags == wanted, f"{len(wanted - tags)} tags lost"
    assert Customer.get_by_id(cid).version == 1 + 2 * edits
    print(f"\n200 tag edits by two processes: 0 lost, {sum(r['retried'] for r in based)} retried")
