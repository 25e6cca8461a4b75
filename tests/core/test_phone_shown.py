"""Each phone's display text is kept with it (migration 11): exactly `format_phone` of the
number, whichever way the number got into the book, and what lists show."""

from __future__ import annotations

import sqlite3

import pytest
from peewee import SqliteDatabase

from tests.builders import NOW, TODAY, merge_as_they_are, smiths
from tests.versions import current_version
from tui_crm.core.attention import attention_queue
from tui_crm.core.check import check_book, repair_book
from tui_crm.core.customers import create_customer, update_customer
from tui_crm.core.duplicates import find_duplicate_pairs
from tui_crm.core.fields import format_phone
from tui_crm.core.interchange.load import load_customers
from tui_crm.core.interchange.records import Parsed, SourceRow
from tui_crm.core.merge import merge_preview
from tui_crm.core.search import search
from tui_crm.core.trash import restore_from_trash
from tui_crm.core.undo import undo_last
from tui_crm.db import migrations
from tui_crm.db.database import APPLICATION_ID, _casefold, close_database, open_database

pytestmark = pytest.mark.both_engines

# As people type them: valid ones in several countries, one with an extension, and numbers
# kept as typed (not verified) that phonenumbers can or cannot read.
TYPED = [
    ("mobile", "+47 95 55 12 34"),
    ("work", "(415) 555-0132 ext. 12"),
    ("home", "+44 20 7946 0958"),
    ("other", "+49 30 1234567"),
]
UNVERIFIED = [("mobile", "+44 7700 900123"), ("work", "555-0100 x7"), ("home", "+1 415 555 01")]


def _phones(db, customer_id: int | None = None) -> list[tuple[str, str, str]]:
    """(number, extension, shown) of every phone (of one customer), in order."""
    where = "" if customer_id is None else f"WHERE customer_id = {int(customer_id)}"
    return db.execute_sql(
        f"SELECT number, extension, shown FROM customer_phone {where} ORDER BY customer_id, "
        "position, id"
    ).fetchall()


def _as_formatted(db) -> None:
    rows = _phones(db)
    assert rows and all(shown == format_phone(number) for number, _, shown in rows), rows


def test_a_saved_number_keeps_its_international_text(db):
    cid = create_customer(
        db, {"first_name": "Ann", "phones": TYPED + UNVERIFIED}, keep_unverified=True
    )
    assert _phones(db, cid) == [
        ("+4795551234", "", "+47 95 55 12 34"),
        ("+14155550132", "12", "+1 415-555-0132"),
        ("+442079460958", "", "+44 20 7946 0958"),
        ("+49301234567", "", "+49 30 1234567"),
        ("+44 7700 900123", "", format_phone("+44 7700 900123")),
        ("555-0100", "7", "555-0100"),
        ("+1 415 555 01", "", format_phone("+1 415 555 01")),
    ]
    _as_formatted(db)
    update_customer(
        db,
        cid,
        {"phones": [("work", "+1 212 555 0100"), ("mobile", "+47 95 55 12 34")]},
        expected_version=current_version(cid),
    )
    assert _phones(db, cid) == [
        ("+12125550100", "", "+1 212-555-0100"),
        ("+4795551234", "", "+47 95 55 12 34"),
    ]


def test_lists_show_the_kept_text(db):
    cid = create_customer(
        db, {"first_name": "Ann", "phones": [UNVERIFIED[0], TYPED[0]]}, keep_unverified=True
    )
    [row] = search(db, "ann", as_of=TODAY, statuses=True)
    assert row.phone == format_phone("+44 7700 900123")  # the first number, as find showed it
    # What is kept is what is shown: a list formats nothing itself.
    db.execute_sql("UPDATE customer_phone SET shown = 'as kept' WHERE customer_id = ?", (cid,))
    assert [r.phone for r in search(db, "ann", as_of=TODAY)] == ["as kept"]
    assert check_book(db).problems  # and the check says it is wrong


def test_the_queue_and_duplicates_show_the_kept_text(db):
    create_customer(db, {"first_name": "Anna", "phones": ["+47 95 55 12 34"]})
    create_customer(db, {"first_name": "Bo", "last_name": "Lee", "phones": ["+4795551234"]})
    [pair] = find_duplicate_pairs(db)
    assert [r.text for r in pair.reasons] == ["same phone +47 95 55 12 34"]
    create_customer(
        db,
        {"first_name": "Cy", "phones": ["+1 415 555 0132"], "source": ""},
        now=NOW,
    )
    items = {item.name: item for item in attention_queue(db, TODAY)}
    assert items["Cy"].phone == "+1 415-555-0132"


def test_imported_numbers_keep_their_text(db):
    rows = [
        SourceRow(2, {"first_name": "Ann", "phones": TYPED}),
        SourceRow(3, {"first_name": "Bo", "phones": UNVERIFIED}),
    ]
    report = load_customers(db, Parsed("CSV", rows), source="c.csv", now=NOW)
    assert report.added == 2
    assert len(_phones(db)) == len(TYPED) + len(UNVERIFIED)
    _as_formatted(db)
    # An update goes through update_customer: its new numbers are kept with their text too.
    again = [SourceRow(2, {"first_name": "Ann", "phones": [*TYPED, ("fax", "+46 8 123 456 78")]})]
    uid = db.execute_sql("SELECT uid FROM customer WHERE first_name = 'Ann'").fetchone()[0]
    again[0].values["uid"] = uid
    assert load_customers(db, Parsed("CSV", again), source="c.csv", now=NOW).updated == 1
    assert ("+46812345678", "", "+46 8 123 456 78") in _phones(db)
    _as_formatted(db)


def test_merged_and_unmerged_numbers_keep_their_text(db):
    book = smiths(db)
    robert, rob = book["robert"], book["rob"]
    update_customer(
        db,
        robert,
        {"phones": [("work", "+44 20 7946 0958 x12"), ("home", "555-0100")]},
        expected_version=current_version(robert),
        keep_unverified=True,
    )
    preview = {d.field: d for d in merge_preview(db, robert, rob).differences}
    # The extension as the profile writes it, the unverified number as it is kept.
    assert preview["phones"].survivor == "+44 20 7946 0958 ext. 12 (work), 555-0100 (home)"
    assert preview["phones"].other == "+1 617-555-0123 (mobile)"
    merge_as_they_are(db, robert, rob, {"phones": "both"}, now=NOW)
    assert [shown for _, _, shown in _phones(db, robert)] == [
        "+44 20 7946 0958",
        "555-0100",
        "+1 617-555-0123",
    ]
    _as_formatted(db)
    # Unmerged: the survivor's numbers go back, from the snapshot the merge kept.
    restore_from_trash(db, rob, who="tester", now=NOW)
    assert [shown for _, _, shown in _phones(db, robert)] == ["+44 20 7946 0958", "555-0100"]
    _as_formatted(db)
    undo_last(db, who="tester", now=NOW)  # the restore: merged again
    _as_formatted(db)


def _book_at_migration_10(path) -> None:
    """A book as version 10 wrote it, with numbers of every kind and no display text."""
    old = SqliteDatabase(str(path))
    old.func("casefold", num_params=1, deterministic=True)(_casefold)
    for number, module in migrations.migrations():
        if number <= 10:
            module.up(old)
    old.execute_sql(f"PRAGMA application_id = {APPLICATION_ID}")
    old.execute_sql("PRAGMA user_version = 10")
    for cid, name in ((1, "Anna"), (2, "Ben")):
        old.execute_sql(
            "INSERT INTO customer (id, first_name, created_at, updated_at) VALUES (?, ?, ?, ?)",
            (cid, name, "2026-01-01 09:00:00", "2026-01-01 09:00:00"),
        )
    phones = [
        (1, "+4795551234", "95551234", 1, ""),
        (1, "+14155550132", "4155550132", 1, "12"),
        (1, "+442079460958", "2079460958", 1, ""),
        (2, "+44 7700 900123", "447700900123", 0, ""),
        (2, "555-0100", "5550100", 0, "7"),
        (2, "+1 415 555 01", "141555501", 0, ""),
    ]
    for position, (cid, number, national, verified, extension) in enumerate(phones):
        old.execute_sql(
            "INSERT INTO customer_phone (customer_id, number, national, verified, extension, "
            "position) VALUES (?, ?, ?, ?, ?, ?)",
            (cid, number, national, verified, extension, position),
        )
    old.close()


def test_migration_11_keeps_the_text_of_every_number_already_kept(db_path):
    _book_at_migration_10(db_path)
    before = sqlite3.connect(db_path)
    index = before.execute("SELECT rowid, * FROM customer_fts ORDER BY rowid").fetchall()
    before.close()
    db = open_database(db_path)
    assert db.execute_sql("PRAGMA user_version").fetchone()[0] == migrations.LATEST
    assert [shown for _, _, shown in _phones(db)] == [
        "+47 95 55 12 34",
        "+1 415-555-0132",
        "+44 20 7946 0958",
        format_phone("+44 7700 900123"),
        "555-0100",
        format_phone("+1 415 555 01"),
    ]
    _as_formatted(db)
    # Filling the text rebuilt no search document: it reads no such column.
    assert db.execute_sql("SELECT rowid, * FROM customer_fts ORDER BY rowid").fetchall() == index
    assert [r.phone for r in search(db, "", as_of=TODAY, limit=None)] == [
        "+47 95 55 12 34",
        format_phone("+44 7700 900123"),
    ]
    health = check_book(db)
    assert health.healthy, health.problems
    close_database()


def test_writing_the_text_rebuilds_no_search_document_but_a_new_number_does(db):
    cid = create_customer(db, {"first_name": "Ann", "phones": ["+47 95 55 12 34"]})
    # Each engine's search documents: SQLite's full-text table, PostgreSQL's customer_search.
    index, key = (
        ("customer_search", "customer_id")
        if db.engine == "postgresql"
        else ("customer_fts", "rowid")
    )
    db.execute_sql(f"DELETE FROM {index} WHERE {key} = ?", (cid,))
    db.execute_sql("UPDATE customer_phone SET shown = 'x' WHERE customer_id = ?", (cid,))
    assert db.execute_sql(f"SELECT count(*) FROM {index}").fetchone() == (0,)
    db.execute_sql("UPDATE customer_phone SET national = '95551234' WHERE customer_id = ?", (cid,))
    assert db.execute_sql(f"SELECT {key} FROM {index}").fetchall() == [(cid,)]


def test_check_names_a_wrong_text_and_repair_writes_it_again(db):
    anna = create_customer(db, {"first_name": "Anna", "phones": TYPED[:2]})
    ben = create_customer(db, {"first_name": "Ben", "phones": ["555-0100"]}, keep_unverified=True)
    assert check_book(db).healthy
    db.execute_sql("UPDATE customer_phone SET shown = '' WHERE customer_id = ?", (anna,))
    db.execute_sql("UPDATE customer_phone SET shown = '555 0100' WHERE customer_id = ?", (ben,))
    assert [p.line() for p in check_book(db).problems] == [
        f"phones: 2 customers have a phone number kept with the wrong display text "
        f"(#{anna}, #{ben})"
    ]
    repaired = repair_book(db, today=TODAY)
    assert "the display text of 3 phone numbers" in repaired.rebuilt
    assert repaired.health.healthy, repaired.health.problems
    _as_formatted(db)
