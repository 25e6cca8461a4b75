"""The duplicate pairs kept in the book (core/duplicates_kept.py) are exactly the pairs worked
out from the whole book (`duplicate_pairs_from_scratch`), after any sequence of writes: names,
emails, phones, birthdays, addresses, companies and genders added and edited; trash, restore,
purge; merges and their undo; dismissals; imports; and writes in raw SQL. With the book's rules
as shipped, and with tight ones that make a small book cross every limit (a contact shared by
more than a few, a name common in the book, a large group sharing a company)."""

from __future__ import annotations

import itertools
import os
import shutil
import sqlite3
import tempfile
from collections.abc import Callable
from contextlib import suppress
from datetime import date, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from tests.builders import first_release_book
from tests.conftest import migrated_file
from tests.versions import current_version
from tui_crm.core import duplicates, duplicates_kept
from tui_crm.core.bulk import Rebuild, bulk_load
from tui_crm.core.check import check_book, repair_book
from tui_crm.core.customers import create_customer, trash_customer, update_customer
from tui_crm.core.duplicates import (
    dismiss_pair,
    duplicate_pairs_from_scratch,
    find_duplicate_pairs,
    undismiss_pair,
)
from tui_crm.core.interchange.contacts_csv import parse_contacts_csv
from tui_crm.core.interchange.load import load_customers
from tui_crm.core.merge import merge
from tui_crm.core.trash import purge_customer, restore_from_trash
from tui_crm.core.undo import undo_last
from tui_crm.db.database import close_database, open_database
from tui_crm.db.store import store_of
from tui_crm.errors import CrmError

pytestmark = pytest.mark.both_engines

NOW = datetime(2026, 11, 18, 12, 0)
# Nicknames (Rob / Robert / Bob, Bill / William), names that sound and are spelled alike
# (Jon / John, Katherine / Catherine, Smith / Smyth), accents and case (Müller / MULLER),
# names without letters a-z, and no name at all.
FIRSTS = ["Rob", "Robert", "Bob", "Bill", "William", "Jon", "John", "Katherine", "Catherine",
          "Ann", "Zoë", "王", ""]  # fmt: skip
LASTS = ["Smith", "Smyth", "Schmidt", "Müller", "MULLER", "O'Brien", "Obrien", "Lee", "王", ""]
EMAILS = ["ann@x.com", "ANN@x.com", "bob@y.org", "info@acme.com", "zoe@z.net"]
PHONES = ["+1 212 555 0100", "(212) 555-0100", "+47 955 51 234", "+1 212 555 0199"]
COMPANIES = ["", "Acme", "ACME", "Globex"]
BIRTHDAYS = [None, date(1980, 5, 17), date(1990, 1, 1)]
ADDRESSES = [("", ""), ("1 Main St", "10001"), ("1 main st.", "10001"), ("2 Elm Rd", "")]
GENDERS = ["", "f", "m"]

names = st.tuples(st.sampled_from(FIRSTS), st.sampled_from(LASTS))
emails = st.lists(st.sampled_from(EMAILS), max_size=2, unique=True)
phones = st.lists(st.sampled_from(PHONES), max_size=2, unique=True)


def _values(first, last, company, **more):
    if not (first or last or company):
        company = "Acme"
    return {"first_name": first, "last_name": last, "company": company, **more}


class DuplicateBook(RuleBasedStateMachine):
    """A small book written to at random; now and then (and at the end) the kept pairs are
    read and compared with the pairs worked out from nothing."""

    RULES: dict[str, object] = {}  # constants of core/duplicates.py to use instead
    # A new book for each run (None: an SQLite file in a folder of its own); set by the test.
    new_book: Callable[[], str] | None = None

    def __init__(self) -> None:
        super().__init__()
        self.folder = Path(tempfile.mkdtemp(prefix="tui-crm-dups-"))
        new_book = type(self).new_book
        if new_book is None:  # a copy of a new book, migrated once (as PostgreSQL's are made)
            shutil.copyfile(migrated_file(), self.folder / "crm.db")
        self.db = open_database(new_book() if new_book else self.folder / "crm.db")
        self.saved = {}
        self.steps = 0
        for name, value in self.RULES.items():
            module = duplicates_kept if name == "REBUILD_MARKED" else duplicates
            self.saved[(module, name)] = getattr(module, name)
            setattr(module, name, value)

    def teardown(self) -> None:
        try:
            self._compare()
        finally:
            for (module, name), value in self.saved.items():
                setattr(module, name, value)
            close_database()
            shutil.rmtree(self.folder, ignore_errors=True)

    def _ids(self, live: bool = True) -> list[int]:
        where = "deleted_at IS NULL" if live else "deleted_at IS NOT NULL"
        return [row[0] for row in self.db.execute_sql(f"SELECT id FROM customer WHERE {where}")]

    def _pick(self, n: int, live: bool = True) -> int:
        ids = self._ids(live)
        return ids[n % len(ids)]

    # Customers -----------------------------------------------------------------------------

    @rule(
        name=names,
        company=st.sampled_from(COMPANIES),
        mails=emails,
        numbers=phones,
        birthday=st.sampled_from(BIRTHDAYS),
        address=st.sampled_from(ADDRESSES),
        gender=st.sampled_from(GENDERS),
    )
    def add(self, name, company, mails, numbers, birthday, address, gender):
        values = _values(
            *name,
            company,
            emails=mails,
            phones=numbers,
            birthday=birthday,
            street=address[0],
            postal_code=address[1],
            gender=gender,
        )
        create_customer(self.db, values, now=NOW)

    @rule(name=names, count=st.integers(2, 5))
    def add_namesakes(self, name, count):
        """Several of one name: names common in the book, large groups."""
        for n in range(count):
            values = _values(*name, COMPANIES[n % 4], birthday=BIRTHDAYS[n % 3])
            create_customer(self.db, values, now=NOW)

    @precondition(lambda self: self._ids())
    @rule(pick=st.integers(0, 100), name=names)
    def rename(self, pick, name):
        cid = self._pick(pick)
        row = self.db.execute_sql("SELECT company FROM customer WHERE id = ?", (cid,)).fetchone()
        with suppress(CrmError):
            update_customer(
                self.db, cid, _values(*name, row[0]), expected_version=current_version(cid)
            )

    @precondition(lambda self: self._ids())
    @rule(
        pick=st.integers(0, 100),
        field=st.sampled_from(["emails", "phones", "company", "birthday", "address", "gender"]),
        choice=st.integers(0, 100),
        mails=emails,
        numbers=phones,
    )
    def edit(self, pick, field, choice, mails, numbers):
        cid = self._pick(pick)
        values = {
            "emails": {"emails": mails},
            "phones": {"phones": numbers},
            "company": {"company": COMPANIES[choice % len(COMPANIES)]},
            "birthday": {"birthday": BIRTHDAYS[choice % len(BIRTHDAYS)]},
            "address": dict(
                zip(("street", "postal_code"), ADDRESSES[choice % len(ADDRESSES)], strict=True)
            ),
            "gender": {"gender": GENDERS[choice % len(GENDERS)]},
        }[field]
        with suppress(CrmError):  # a customer left without any name or company
            update_customer(self.db, cid, values, expected_version=current_version(cid))

    @precondition(lambda self: self._ids())
    @rule(pick=st.integers(0, 100), phone=st.sampled_from(["555-0100", "12"]))
    def unverified_phone(self, pick, phone):
        """A number kept as typed: never the same phone as another's."""
        cid = self._pick(pick)
        with suppress(CrmError):
            update_customer(
                self.db,
                cid,
                {"phones": [phone]},
                expected_version=current_version(cid),
                keep_unverified=True,
            )

    @precondition(lambda self: self._ids())
    @rule(pick=st.integers(0, 100), other=st.integers(0, 100), mail=st.sampled_from(EMAILS))
    def raw_sql(self, pick, other, mail):
        """Writes that bypass the domain: an email's address, an email moved to another
        customer, a name, a phone deleted, a live customer deleted, a phone's kept display text
        that is not its own (a reason shows it)."""
        cid, to = self._pick(pick), self._pick(other)
        db = self.db
        kind = other % 6
        if kind == 0:
            db.execute_sql(
                "UPDATE customer_email SET address = ? WHERE customer_id = ?", (mail, cid)
            )
        elif kind == 1:
            db.execute_sql(
                "UPDATE customer_email SET customer_id = ? WHERE customer_id = ?", (to, cid)
            )
        elif kind == 2:
            db.execute_sql("UPDATE customer SET last_name = upper(last_name) WHERE id = ?", (cid,))
        elif kind == 3:
            db.execute_sql("DELETE FROM customer_phone WHERE customer_id = ?", (cid,))
        elif kind == 4:
            db.execute_sql("DELETE FROM customer WHERE id = ?", (cid,))
        else:
            db.execute_sql(
                "UPDATE customer_phone SET shown = 'as typed ' || number WHERE customer_id = ?",
                (cid,),
            )

    @precondition(lambda self: self._ids())
    @rule(pick=st.integers(0, 100))
    def trash(self, pick):
        cid = self._pick(pick)
        trash_customer(self.db, cid, expected_version=current_version(cid), now=NOW)

    @precondition(lambda self: self._ids(live=False))
    @rule(pick=st.integers(0, 100))
    def restore(self, pick):
        with suppress(CrmError):
            restore_from_trash(self.db, self._pick(pick, live=False), now=NOW)

    @precondition(lambda self: self._ids(live=False))
    @rule(pick=st.integers(0, 100))
    def purge(self, pick):
        cid = self._pick(pick, live=False)
        purge_customer(self.db, cid, expected_version=current_version(cid))

    @precondition(lambda self: len(self._ids()) > 1)
    @rule(pick=st.integers(0, 100), other=st.integers(1, 100))
    def merge_two(self, pick, other):
        live = self._ids()
        survivor, gone = live[pick % len(live)], live[(pick + other) % len(live)]
        if survivor == gone:
            return
        with suppress(CrmError):
            merge(
                self.db,
                survivor,
                gone,
                survivor_version=current_version(survivor),
                other_version=current_version(gone),
                now=NOW,
            )

    @rule()
    def undo(self):
        with suppress(CrmError):
            undo_last(self.db, who="tester", now=NOW)

    @precondition(lambda self: len(self._ids()) > 1)
    @rule(pick=st.integers(0, 100), other=st.integers(1, 100), again=st.booleans())
    def dismiss(self, pick, other, again):
        live = self._ids()
        a, b = live[pick % len(live)], live[(pick + other) % len(live)]
        if a == b:
            return
        if again:
            undismiss_pair(self.db, a, b)
        else:
            dismiss_pair(self.db, a, b, a_version=current_version(a), b_version=current_version(b))

    @rule(rows=st.lists(st.tuples(names, st.sampled_from(EMAILS)), min_size=1, max_size=3))
    def import_customers(self, rows):
        text = "First Name,Last Name,Company,E-mail Address\n" + "\n".join(
            f"{first},{last},Acme,{mail}" for (first, last), mail in rows
        )
        load_customers(self.db, parse_contacts_csv(text), source="c.csv", now=NOW)

    @precondition(lambda self: self._ids())
    @rule(pick=st.integers(0, 100), name=names)
    def bulk_writer_naming_whom_it_touched(self, pick, name):
        """A writer with the triggers off that runs `touched_sql` for its customers."""
        cid = self._pick(pick)
        first, last = name
        with bulk_load(self.db, Rebuild()):
            self.db.execute_sql(
                "UPDATE customer SET first_name = ?, last_name = ?, company = 'Acme' WHERE id = ?",
                (first, last, cid),
            )
            self.db.execute_sql(
                "INSERT INTO customer_email (customer_id, address) VALUES (?, 'ann@x.com')", (cid,)
            )
            for statement in store_of(self.db).touched_sql(f"c.id = {cid:d}"):
                self.db.execute_sql(statement)

    # Reading ---------------------------------------------------------------------------------

    def _compare(self) -> None:
        db = self.db
        kept = find_duplicate_pairs(db, include_dismissed=True)
        assert kept == duplicate_pairs_from_scratch(db, include_dismissed=True)
        assert find_duplicate_pairs(db) == duplicate_pairs_from_scratch(db)
        assert find_duplicate_pairs(db, limit=2) == duplicate_pairs_from_scratch(db, limit=2)

    @rule()
    def read(self):
        self._compare()

    @invariant()
    def every_other_write_is_read(self):
        """Reads after one write and (with `read` and the end) after several."""
        self.steps += 1
        if self.steps % 2 == 0:
            self._compare()


class TightRules(DuplicateBook):
    """Limits a small book crosses: a contact shared by three is a switchboard, three of one
    company a large group, a name held by a few customers common."""

    RULES = {
        "SHARED_CONTACT_LIMIT": 2,
        "LARGE_GROUP": 3,
        "NAME_PRIOR_BOOK": 0,
        "NAME_COINCIDENCE_LIMIT": 0.5,
        "REBUILD_MARKED": 12,
    }


_SETTINGS = settings(
    max_examples=30,
    stateful_step_count=30,
    deadline=None,
    report_multiple_bugs=False,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
_PG_BOOKS = itertools.count(1)


@pytest.mark.parametrize("machine", [DuplicateBook, TightRules], ids=["shipped", "tight"])
def test_kept_pairs_follow_every_write(book_place, engine, request, machine, monkeypatch):
    """Each run of the machine writes to a new book of the test's engine."""
    if engine == "postgresql":
        import psycopg

        cluster = request.getfixturevalue("pg_cluster")
        template = request.getfixturevalue("pg_template")

        from tests.conftest import drop_database

        made: list[str] = []

        def new_book() -> str:
            name = f"dups_{os.getpid()}_{next(_PG_BOOKS)}"
            with psycopg.connect(cluster.url(), autocommit=True) as conn:
                conn.execute(f"CREATE DATABASE {name} TEMPLATE {template} STRATEGY FILE_COPY")
            made.append(name)
            return cluster.url(name)

        monkeypatch.setattr(machine, "new_book", staticmethod(new_book), raising=False)
        # The rules are the same Python on both engines; fewer runs keep the suite's time.
        try:
            run_state_machine_as_test(machine, settings=settings(_SETTINGS, max_examples=10))
        finally:
            for name in made:
                drop_database(cluster, name)
        return
    run_state_machine_as_test(machine, settings=_SETTINGS)


# Particular cases ----------------------------------------------------------------------------


def _count(db, table: str) -> int:
    return db.execute_sql(f"SELECT count(*) FROM {table}").fetchone()[0]


def test_a_read_works_out_only_what_was_marked_and_clears_the_marks(db):
    ann = create_customer(db, {"first_name": "Ann", "last_name": "Lee", "emails": ["a@x.com"]})
    create_customer(db, {"first_name": "Zoe", "last_name": "Ray", "emails": ["A@x.com"]})
    assert [p.reason_codes for p in find_duplicate_pairs(db)] == [("email",)]
    assert _count(db, "duplicate_dirty") == _count(db, "duplicate_dirty_contact") == 0
    update_customer(db, ann, {"first_name": "Annie"}, expected_version=current_version(ann))
    assert _count(db, "duplicate_dirty") == 1
    assert _count(db, "duplicate_dirty_contact") == 0  # her email did not change
    update_customer(db, ann, {"emails": ["b@x.com"]}, expected_version=current_version(ann))
    assert {row[1] for row in db.execute_sql("SELECT * FROM duplicate_dirty_contact")} == {
        "a@x.com",
        "b@x.com",
    }
    assert find_duplicate_pairs(db) == []
    assert _count(db, "duplicate_dirty") == _count(db, "duplicate_dirty_contact") == 0


def test_an_edit_that_changes_nothing_the_pairs_read_marks_nobody(db):
    ann = create_customer(db, {"first_name": "Ann", "last_name": "Lee"})
    find_duplicate_pairs(db)
    update_customer(
        db, ann, {"notes": "likes tea", "city": "Oslo"}, expected_version=current_version(ann)
    )
    assert _count(db, "duplicate_dirty") == 0


def test_a_bulk_write_builds_the_pairs_whole_on_the_next_read(db):
    create_customer(db, {"first_name": "Rob", "last_name": "Smith"})
    find_duplicate_pairs(db)
    with bulk_load(db):
        db.execute_sql(
            "INSERT INTO customer (first_name, last_name, created_at, updated_at) "
            "VALUES ('Robert', 'Smith', '2026-01-01', '2026-01-01')"
        )
    assert db.execute_sql("SELECT 1 FROM meta WHERE key = 'duplicates_kept'").fetchone() is None
    assert [p.reason_codes for p in find_duplicate_pairs(db)] == [("nickname",)]


def test_many_marks_build_the_pairs_whole(db, monkeypatch):
    monkeypatch.setattr(duplicates_kept, "REBUILD_MARKED", 2)
    find_duplicate_pairs(db)
    built = []
    real = duplicates_kept.build_duplicates
    monkeypatch.setattr(duplicates_kept, "build_duplicates", lambda db: built.append(real(db)))
    for first in ("Rob", "Robert", "Bob"):
        create_customer(db, {"first_name": first, "last_name": "Smith"})
    assert len(find_duplicate_pairs(db)) == 3
    assert len(built) == 1


def test_other_rules_build_the_pairs_whole(db, monkeypatch):
    a = create_customer(db, {"first_name": "Ann", "last_name": "Lee", "company": "Acme"})
    b = create_customer(db, {"first_name": "Ann", "last_name": "Lee", "company": "Acme"})
    assert [p.score for p in find_duplicate_pairs(db)] == [65]
    monkeypatch.setitem(duplicates.REASON_WEIGHTS, "same_company", 0.5)
    (pair,) = find_duplicate_pairs(db)
    assert (pair.ids, pair.score) == ((a, b), 75)


def test_a_purged_customer_leaves_no_pair_and_their_email_holders_pair_again(db, monkeypatch):
    """A contact held by more than SHARED_CONTACT_LIMIT pairs only namesakes; when one holder
    goes for good, the others pair through it again."""
    monkeypatch.setattr(duplicates, "SHARED_CONTACT_LIMIT", 2)
    ids = [
        create_customer(db, {"first_name": first, "last_name": "Ray", "emails": ["i@x.com"]})
        for first in ("Ann", "Bo", "Cy")
    ]
    assert find_duplicate_pairs(db) == []
    trash_customer(db, ids[2], expected_version=current_version(ids[2]))
    purge_customer(db, ids[2], expected_version=current_version(ids[2]))
    assert [p.ids for p in find_duplicate_pairs(db)] == [(ids[0], ids[1])]
    assert find_duplicate_pairs(db) == duplicate_pairs_from_scratch(db)


OTHERS = [("Ada", "Lovelace"), ("Grace", "Hopper"), ("Alan", "Turing"), ("Edsger", "Dijkstra"),
          ("Barbara", "Liskov"), ("Donald", "Knuth"), ("Niklaus", "Wirth"), ("Tony", "Hoare"),
          ("Radia", "Perlman")]  # fmt: skip


def test_writes_about_other_people_can_make_a_name_common_or_rare(db, monkeypatch):
    """Whether two namesakes pair by their names alone depends on how many in the book share
    their names and on the book's size (here: Rob and Robert Smith pair while (Robs and
    Roberts) x (Smiths) / customers <= 0.5): a write about other people can change it."""
    monkeypatch.setattr(duplicates, "NAME_PRIOR_BOOK", 0)
    monkeypatch.setattr(duplicates, "NAME_COINCIDENCE_LIMIT", 0.5)
    rob = create_customer(db, {"first_name": "Rob", "last_name": "Smith"})
    robert = create_customer(db, {"first_name": "Robert", "last_name": "Smith"})
    for first, last in OTHERS[:6]:
        create_customer(db, {"first_name": first, "last_name": last})
    assert [p.ids for p in find_duplicate_pairs(db)] == [(rob, robert)]  # 2 x 2 / 8
    create_customer(db, {"first_name": "Rob", "last_name": "Jones"})
    assert find_duplicate_pairs(db) == duplicate_pairs_from_scratch(db) == []  # 3 x 2 / 9
    for first, last in OTHERS[6:]:
        create_customer(db, {"first_name": first, "last_name": last})
    kept = find_duplicate_pairs(db)  # 3 x 2 / 12
    assert [p.ids for p in kept] == [(rob, robert)]
    assert kept == duplicate_pairs_from_scratch(db)


@pytest.mark.sqlite_only
def test_the_migration_adds_the_tables_and_the_first_read_builds_them(db_path):
    first_release_book(db_path, names=("Rob", "Robert", "Cecilie"))
    old = sqlite3.connect(db_path)
    old.execute("UPDATE customer SET last_name = 'Smith'")
    old.commit()
    old.close()
    db = open_database(db_path)
    assert db.execute_sql("SELECT count(*) FROM duplicate_person").fetchone() == (0,)
    pairs = find_duplicate_pairs(db)
    assert [p.reason_codes for p in pairs] == [("nickname",)]
    assert pairs == duplicate_pairs_from_scratch(db)
    assert db.execute_sql("SELECT count(*) FROM duplicate_person").fetchone() == (3,)
    close_database()


def test_check_finds_wrong_kept_pairs_and_repair_rebuilds_them(db):
    rob = create_customer(db, {"first_name": "Rob", "last_name": "Smith", "emails": ["r@x.com"]})
    robert = create_customer(db, {"first_name": "Robert", "last_name": "Smith"})
    ann = create_customer(db, {"first_name": "Ann", "last_name": "Lee", "emails": ["R@x.com"]})
    find_duplicate_pairs(db)
    assert check_book(db).healthy
    db.execute_sql(f"UPDATE duplicate_pair SET score = 0.99 WHERE customer_a = {rob}")
    db.execute_sql(f"DELETE FROM duplicate_person WHERE customer_id = {ann}")
    lines = [p.line() for p in check_book(db).problems]
    assert lines == [
        f"duplicates: 2 pairs are listed wrong (#{rob}/#{robert}, #{rob}/#{ann})",
        "duplicates: what finding them keeps differs from a rebuild (1 customer)",
    ]
    repaired = repair_book(db)
    assert repaired.health.healthy, repaired.health.problems
    assert "the duplicate pairs (2 pairs)" in repaired.rebuilt


def test_the_phone_reason_reads_as_before(db):
    a = create_customer(
        db, {"first_name": "Ann", "last_name": "Lee", "phones": ["+1 212 555 0100"]}
    )
    create_customer(db, {"first_name": "Zoe", "last_name": "Ray", "phones": ["(212) 555-0100"]})
    (pair,) = find_duplicate_pairs(db)
    assert pair.a.id == a and pair.reason_text == "same phone +1 212-555-0100"


def test_check_reports_kept_pairs_that_contradict_themselves_and_repair_mends_them(db):
    rob = create_customer(db, {"first_name": "Rob", "last_name": "Smith"})
    create_customer(db, {"first_name": "Robert", "last_name": "Smith"})
    find_duplicate_pairs(db)
    db.execute_sql("DELETE FROM duplicate_name_count WHERE key = 'rob'")
    update_customer(db, rob, {"company": "Acme"}, expected_version=current_version(rob))
    (problem,) = check_book(db).problems
    assert problem.line().startswith("duplicates: the kept pairs cannot be brought up to date")
    assert problem.repairable
    assert repair_book(db).health.healthy
    assert find_duplicate_pairs(db) == duplicate_pairs_from_scratch(db)
