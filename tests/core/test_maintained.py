"""What is kept as rows are written (purchase rhythms and the book's gap count, the value
summary, the queue's scores, the referral figures) equals the same worked out from nothing,
after any sequence of writes: purchases added, corrected and deleted; interactions logged,
corrected and deleted; merges; trash and restore; undo; imports of customers and purchases;
snoozes and dones; cadences; referrals, loops (bad data) too; and the day moving either way."""

from __future__ import annotations

import itertools
import os
import shutil
import sqlite3
import tempfile
from collections.abc import Callable
from contextlib import suppress
from datetime import date, datetime, time, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from tests.builders import category, first_release_book
from tests.conftest import migrated_file
from tests.versions import current_version
from tui_crm.core import attention, value
from tui_crm.core.attention import (
    RULE_ORDER,
    attention_queue,
    attention_ranking,
    attention_state,
    mark_done,
    reason_ids,
    snooze,
)
from tui_crm.core.bulk import Rebuild, bulk_load
from tui_crm.core.check import check_book
from tui_crm.core.corrections import (
    delete_interaction,
    delete_purchase,
    edit_interaction,
    edit_purchase,
)
from tui_crm.core.customers import (
    add_purchase,
    create_customer,
    log_interaction,
    trash_customer,
    update_customer,
)
from tui_crm.core.interchange.contacts_csv import parse_contacts_csv
from tui_crm.core.interchange.load import load_customers
from tui_crm.core.interchange.purchases import load_purchases
from tui_crm.core.merge import merge
from tui_crm.core.plans import Touch, scope_plan, set_plan
from tui_crm.core.referrals import figures_from_scratch, referral_forest
from tui_crm.core.trash import restore_from_trash
from tui_crm.core.undo import undo_last
from tui_crm.core.value import _rebuild_sql, customer_value, ensure_values
from tui_crm.db.database import close_database, open_database
from tui_crm.db.derived import bulk_index_sql, purchase_figures_sql, touched_sql
from tui_crm.db.store.values import rebuild_sql
from tui_crm.errors import CrmError

TODAY = date(2026, 11, 18)
NAMES = ["Ann", "Bob", "Cy", "Di", "Ed", "Fay"]
KINDS = ["call", "email", "meeting", "thanks", "note"]


def _moment(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour))


def store_of_place(place: str | Path) -> type:
    """The class of the store of a book at `place` (before it is opened)."""
    if isinstance(place, str):
        from tui_crm.db.postgres.store import PostgresStore

        return PostgresStore
    from tui_crm.db.sqlite.store import SqliteStore

    return SqliteStore


def _no_backup(self, reason, keep):
    return None


class Book(RuleBasedStateMachine):
    """A small book written to at random; after every write, everything kept is compared
    with the same worked out from nothing, as of the day the test has reached."""

    # A new PostgreSQL book's URL, for the run on PostgreSQL (else an SQLite file).
    new_place: Callable[[], str] | None = None

    def __init__(self) -> None:
        super().__init__()
        self.folder = Path(tempfile.mkdtemp(prefix="tui-crm-kept-"))
        if self.new_place:
            place: str | Path = self.new_place()
        else:  # a copy of a new book, migrated once (as PostgreSQL's books are made)
            place = self.folder / "crm.db"
            shutil.copyfile(migrated_file(), place)
        # The backup taken before each import and merge (a file's copy, or a pg_dump
        # archive: 0.04 and 0.2 s) reads the book and changes nothing kept; it is tested by
        # tests/core/test_backups.py.
        self.patch = pytest.MonkeyPatch()
        self.patch.setattr(store_of_place(place), "take_backup", _no_backup)
        self.db = open_database(place)
        self.day = TODAY
        self.customers: list[int] = []
        self.purchases: list[int] = []
        self.interactions: list[int] = []
        category(self.db, "key", 14)
        category(self.db, "small", 120)

    def teardown(self) -> None:
        close_database()
        self.patch.undo()
        shutil.rmtree(self.folder, ignore_errors=True)

    # Helpers ----------------------------------------------------------------------------

    def _live(self) -> list[int]:
        return [
            row[0]
            for row in self.db.execute_sql("SELECT id FROM customer WHERE deleted_at IS NULL")
        ]

    def _trashed(self) -> list[int]:
        return [
            row[0]
            for row in self.db.execute_sql("SELECT id FROM customer WHERE deleted_at IS NOT NULL")
        ]

    def _ids(self, table: str) -> list[int]:
        return [
            row[0]
            for row in self.db.execute_sql(
                f"SELECT t.id FROM {table} t JOIN customer c ON c.id = t.customer_id "
                "WHERE c.deleted_at IS NULL"
            )
        ]

    def _referred_by(self, cid: int) -> set[int]:
        return {
            row[0]
            for row in self.db.execute_sql(
                "SELECT id FROM customer WHERE referred_by_id = ? AND deleted_at IS NULL", (cid,)
            )
        }

    def _version(self, table: str, row_id: int) -> int:
        return self.db.execute_sql(
            f"SELECT version FROM {table} WHERE id = ?", (row_id,)
        ).fetchone()[0]

    # Customers --------------------------------------------------------------------------

    @rule(
        name=st.sampled_from(NAMES),
        referrer=st.integers(0, 40),
        acquired=st.one_of(st.none(), st.integers(-400, 10)),
        added=st.integers(-500, 0),
        category=st.sampled_from([None, "key", "small"]),
        complete=st.booleans(),
    )
    def add_customer(self, name, referrer, acquired, added, category, complete):
        live = self._live()
        values = {
            "first_name": name,
            "last_name": "Test",
            "referred_by": live[referrer % len(live)] if live and referrer % 3 else None,
            "acquired_on": self.day + timedelta(days=acquired) if acquired is not None else None,
            "category": category,
            "source": "web" if complete else "",
            "why_chose_us": "price" if complete else "",
        }
        self.customers.append(
            create_customer(self.db, values, now=_moment(self.day + timedelta(days=added)))
        )

    @precondition(lambda self: self._live())
    @rule(
        pick=st.integers(0, 100),
        change=st.sampled_from(["lost", "active", "referrer", "source", "name", "category"]),
        other=st.integers(0, 100),
    )
    def edit_customer(self, pick, change, other):
        live = self._live()
        cid = live[pick % len(live)]
        values = {
            "lost": {"status": "lost", "lost_reason": "price"},
            "active": {"status": "active"},
            "referrer": {"referred_by": live[other % len(live)] if other % 4 else None},
            "source": {"source": "" if other % 2 else "fair", "why_chose_us": ""},
            "name": {"first_name": NAMES[other % len(NAMES)]},
            "category": {"category": [None, "key", "small"][other % 3]},
        }[change]
        with suppress(CrmError):  # a referral loop the app refuses, say
            update_customer(self.db, cid, values, expected_version=current_version(cid))

    @precondition(lambda self: len(self._live()) > 1)
    @rule(pick=st.integers(0, 100), other=st.integers(0, 100))
    def refer_in_a_loop(self, pick, other):
        """Bad data the app refuses but an old book may hold: any referrer at all."""
        live = self._live()
        self.db.execute_sql(
            "UPDATE customer SET referred_by_id = ? WHERE id = ?",
            (live[other % len(live)], live[pick % len(live)]),
        )

    @precondition(lambda self: self._live())
    @rule(pick=st.integers(0, 100))
    def trash(self, pick):
        live = self._live()
        cid = live[pick % len(live)]
        trash_customer(self.db, cid, expected_version=current_version(cid), now=_moment(self.day))

    @precondition(lambda self: self._trashed())
    @rule(pick=st.integers(0, 100))
    def restore(self, pick):
        trashed = self._trashed()
        cid = trashed[pick % len(trashed)]
        with suppress(CrmError):
            restore_from_trash(self.db, cid, now=_moment(self.day))

    @precondition(lambda self: len(self._live()) > 1)
    @rule(pick=st.integers(0, 100), other=st.integers(1, 100))
    def merge_two(self, pick, other):
        live = self._live()
        survivor = live[pick % len(live)]
        gone = live[(pick + other) % len(live)]
        if survivor == gone:
            return
        with suppress(CrmError):
            merge(
                self.db,
                survivor,
                gone,
                survivor_version=current_version(survivor),
                other_version=current_version(gone),
                now=_moment(self.day),
            )

    @rule()
    def undo(self):
        with suppress(CrmError):
            undo_last(self.db, who="tester", now=_moment(self.day, 18))

    # Purchases --------------------------------------------------------------------------

    @precondition(lambda self: self._live())
    @rule(
        pick=st.integers(0, 100),
        days=st.integers(-800, 20),
        cents=st.one_of(st.integers(100, 900_000), st.integers(-5000, -1)),
        again=st.booleans(),
    )
    def buy(self, pick, days, cents, again):
        live = self._live()
        cid = live[pick % len(live)]
        day = self.day + timedelta(days=days)
        add_purchase(self.db, cid, amount=cents, day=day)
        if again:  # a second order the same day
            add_purchase(self.db, cid, amount=abs(cents) + 1, day=day)

    @precondition(lambda self: self._ids("purchase"))
    @rule(pick=st.integers(0, 1000), days=st.integers(-800, 20), cents=st.integers(1, 500_000))
    def correct_purchase(self, pick, days, cents):
        ids = self._ids("purchase")
        pid = ids[pick % len(ids)]
        edit_purchase(
            self.db,
            pid,
            {"day": self.day + timedelta(days=days), "amount": cents},
            expected_version=self._version("purchase", pid),
        )

    @precondition(lambda self: self._ids("purchase"))
    @rule(pick=st.integers(0, 1000))
    def remove_purchase(self, pick):
        ids = self._ids("purchase")
        pid = ids[pick % len(ids)]
        delete_purchase(self.db, pid, expected_version=self._version("purchase", pid))

    @precondition(lambda self: self._live())
    @rule(picks=st.lists(st.integers(0, 100), min_size=1, max_size=4), days=st.integers(-700, 0))
    def import_purchases(self, picks, days):
        live = self._live()
        lines = [
            f"{live[p % len(live)]},{self.day + timedelta(days=days - n)},{12 + n}.50"
            for n, p in enumerate(picks)
        ]
        load_purchases(self.db, "customer_id,date,amount\n" + "\n".join(lines), source="p.csv")

    @rule(names=st.lists(st.sampled_from(NAMES), min_size=1, max_size=3))
    def import_customers(self, names):
        text = "First Name,Last Name,Company\n" + "\n".join(
            f"{name},Imported{n},Acme" for n, name in enumerate(names)
        )
        load_customers(self.db, parse_contacts_csv(text), source="c.csv", now=_moment(self.day))

    # Interactions and marks -------------------------------------------------------------

    @precondition(lambda self: self._live())
    @rule(
        pick=st.integers(0, 100),
        kind=st.sampled_from(KINDS),
        days=st.integers(-300, 0),
        follow_up=st.one_of(st.none(), st.integers(0, 40)),
        regarding=st.integers(0, 100),
    )
    def log(self, pick, kind, days, follow_up, regarding):
        live = self._live()
        cid = live[pick % len(live)]
        at = _moment(self.day + timedelta(days=days))
        about = live[regarding % len(live)] if kind == "thanks" and regarding % 2 else None
        if about is not None and about not in self._referred_by(cid):
            about = None
        log_interaction(
            self.db,
            cid,
            kind=kind,
            notes="talked",
            at=at,
            now=at,
            follow_up=at.date() + timedelta(days=follow_up) if follow_up is not None else None,
            regarding=about,
        )

    @precondition(lambda self: self._ids("interaction"))
    @rule(pick=st.integers(0, 1000), days=st.integers(-300, 0), delete=st.booleans())
    def correct_interaction(self, pick, days, delete):
        ids = self._ids("interaction")
        iid = ids[pick % len(ids)]
        version = self._version("interaction", iid)
        if delete:
            delete_interaction(self.db, iid, expected_version=version)
        else:
            at = _moment(self.day + timedelta(days=days))
            with suppress(CrmError):  # a follow-up before the interaction is refused
                edit_interaction(self.db, iid, {"at": at}, expected_version=version)

    @precondition(lambda self: self._live())
    @rule(
        pick=st.integers(0, 100),
        reasons=st.lists(st.sampled_from(RULE_ORDER), min_size=1, max_size=3, unique=True),
        days=st.integers(1, 40),
        done=st.booleans(),
    )
    def handle(self, pick, reasons, days, done):
        live = self._live()
        cid = live[pick % len(live)]
        seen = attention_state(self.db, cid)
        if done:
            mark_done(self.db, cid, reasons, seen=seen, now=_moment(self.day, 15))
        else:
            snooze(self.db, cid, reasons, self.day + timedelta(days=days), seen=seen)

    @rule(
        scope=st.sampled_from(["everyone", "none", "key", "small"]),
        touches=st.lists(
            st.tuples(
                st.sampled_from(["contact", "call", "meeting", "thanks"]), st.integers(5, 200)
            ),
            max_size=3,
        ),
    )
    def plan(self, scope, touches):
        touches = [Touch(kind, days) for kind, days in touches]
        set_plan(self.db, scope, touches, expected=scope_plan(self.db, scope))

    # The day ----------------------------------------------------------------------------

    @rule(days=st.sampled_from([1, 1, 2, 3, 7, 30, 200, -1, -5, -400]))
    def another_day(self, days):
        self.day += timedelta(days=days)

    # What is kept equals what is worked out from nothing --------------------------------

    @invariant()
    def kept_equals_scratch(self):
        db, day = self.db, self.day
        ranking = attention_ranking(db, day)
        assert ranking == [(item.customer_id, item.score) for item in attention_queue(db, day)]
        for codes in (["cadence", "lapsed"], ["thank_referrer", "gold_quiet", "follow_up_due"]):
            subset = attention_ranking(db, day, reasons=codes)
            scratch = attention_queue(db, day, reasons=codes)
            assert subset == [(item.customer_id, item.score) for item in scratch]
            assert sorted(reason_ids(db, day, codes)) == sorted(i.customer_id for i in scratch)
        page = attention.attention_page(db, day, limit=3)
        assert [item.customer_id for item in page.items] == [cid for cid, _ in ranking[:3]]
        assert page.total == len(ranking)
        self._values_are_rebuilt_ones(day)
        forest = referral_forest(db, day)
        kept = sorted(db.execute_sql("SELECT * FROM referral_figure").fetchall())
        assert kept == sorted(figures_from_scratch(db))
        assert forest.root_count == sum(row[4] for row in kept)
        health = check_book(db)
        assert health.healthy, health.problems

    def _values_are_rebuilt_ones(self, day: date) -> None:
        db = self.db
        ensure_values(db, day)
        kept = db.execute_sql("SELECT * FROM customer_value ORDER BY 1").fetchall()
        db.execute_sql(
            "CREATE TEMP TABLE IF NOT EXISTS scratch AS SELECT * FROM customer_value LIMIT 0"
        )
        if self.new_place:  # PostgreSQL: its temporary schema, and no INDEXED BY
            temp, rebuilt = "pg_temp", rebuild_sql(value._bounds(day), indexed="")
        else:
            temp, rebuilt = "temp", _rebuild_sql(day)
        db.execute_sql(f"DELETE FROM {temp}.scratch")
        db.execute_sql(rebuilt.replace("INTO customer_value", f"INTO {temp}.scratch"))
        assert kept == db.execute_sql(f"SELECT * FROM {temp}.scratch ORDER BY 1").fetchall()
        by_spend = db.execute_sql(
            "SELECT customer_id FROM customer_value ORDER BY spent_12m DESC, customer_id"
        ).fetchall()
        for rank, (cid,) in enumerate(by_spend[:12], start=1):
            assert customer_value(db, cid, day).rank == rank


Book.TestCase.settings = settings(
    max_examples=25,
    stateful_step_count=25,
    report_multiple_bugs=False,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


class TestKeptFiguresFollowEveryWrite(Book.TestCase):
    pass


class PostgresBook(Book):
    """The same on a book on PostgreSQL: its triggers keep the figures."""


@pytest.mark.postgres
def test_kept_figures_follow_every_write_on_postgresql(pg_cluster, pg_template, monkeypatch):
    import psycopg
    from hypothesis.stateful import run_state_machine_as_test

    from tests.conftest import drop_database

    made = itertools.count(1)
    names: list[str] = []

    def new_place() -> str:
        """A new book for each run of the machine, copied from the migrated template."""
        name = f"kept_{os.getpid()}_{next(made)}"
        with psycopg.connect(pg_cluster.url(), autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name} TEMPLATE {pg_template} STRATEGY FILE_COPY")
        names.append(name)
        return pg_cluster.url(name)

    monkeypatch.setattr(PostgresBook, "new_place", staticmethod(new_place))
    # Half SQLite's examples: each write costs more on the server, and the same rules are
    # held for random writes by tests/core/test_postgres_schema.py too.
    fewer = settings(Book.TestCase.settings, max_examples=12)
    try:
        run_state_machine_as_test(PostgresBook, settings=fewer)
    finally:
        for name in names:
            drop_database(pg_cluster, name)


def test_an_older_book_gets_its_kept_figures_when_it_is_upgraded(db_path):
    """Migration 10 fills the purchase rhythms and the gap count of a book written before it;
    the value summary, the scores and the referral figures are built when first read."""
    first_release_book(db_path, names=("Anna", "Ben", "Cecilie", "Dag"))
    old = sqlite3.connect(db_path)
    old.execute("UPDATE customer SET referred_by_id = 1 WHERE id IN (2, 3)")
    for customer, day, cents in [
        (1, "2026-01-05", 5000),
        (1, "2026-02-05", 7000),
        (1, "2026-02-05", 100),
        (2, "2025-06-01", 90000),
        (2, "2025-09-01", 1000),
        (2, "2025-12-01", 1000),
        (3, "2026-10-01", -500),  # a credit note: no purchase day
    ]:
        old.execute(
            "INSERT INTO purchase (customer_id, day, cents, created_at) VALUES (?, ?, ?, ?)",
            (customer, day, cents, f"{day} 12:00:00"),
        )
    old.commit()
    old.close()
    db = open_database(db_path)
    assert db.execute_sql("SELECT * FROM purchase_rhythm ORDER BY 1").fetchall() == [
        (1, 2, date(2026, 1, 5).toordinal(), date(2026, 2, 5).toordinal()),
        (2, 3, date(2025, 6, 1).toordinal(), date(2025, 12, 1).toordinal()),
    ]
    assert db.execute_sql("SELECT value FROM meta WHERE key = 'purchase_gaps'").fetchone() == ("3",)
    ranking = attention_ranking(db, TODAY)
    assert ranking == [(item.customer_id, item.score) for item in attention_queue(db, TODAY)]
    assert len(ranking) == 4
    assert [node.customer_id for node in referral_forest(db, TODAY).roots()] == [1]
    health = check_book(db)
    assert health.healthy, health.problems


@pytest.mark.sqlite_only  # SQLite's triggers off, and its own statements for what was touched
def test_a_bulk_writer_that_names_whom_it_touched_keeps_the_figures_without_a_rebuild(db):
    """`touched_sql` (db/derived.py) for a writer with the triggers off: the customers it
    touched are brought up to date, and nothing has to be built whole."""
    ann = create_customer(db, {"first_name": "Ann"})
    bob = create_customer(db, {"first_name": "Bob", "referred_by": ann})
    add_purchase(db, ann, amount=5000, day=TODAY - timedelta(days=40))
    attention_ranking(db, TODAY)
    referral_forest(db, TODAY)
    with bulk_load(db, Rebuild()):
        db.connection().executemany(
            "INSERT INTO purchase (customer_id, day, cents, created_at) VALUES (?, ?, ?, ?)",
            [
                (ann, "2026-10-01", 7000, "2026-10-01 12:00:00"),
                (bob, "2026-09-01", 300000, "2026-09-01 12:00:00"),
                (bob, "2026-11-01", 100, "2026-11-01 12:00:00"),
            ],
        )
        db.connection().execute(
            "INSERT INTO customer (first_name, referred_by_id, created_at, updated_at) "
            "VALUES ('Cy', ?, '2026-11-17 09:00:00', '2026-11-17 09:00:00')",
            (bob,),
        )
        touched = "c.id IN (SELECT customer_id FROM purchase) OR c.first_name = 'Cy'"
        db.execute_sql(f"UPDATE customer AS c SET {purchase_figures_sql('c.id')} WHERE {touched}")
        db.execute_sql(bulk_index_sql("c.first_name = 'Cy'")[1])
        for statement in touched_sql(touched):
            db.execute_sql(statement)
    kept = {key for (key,) in db.execute_sql("SELECT key FROM meta")}
    assert {"values_day", "purchase_gaps", "attention_kept", "referrals_kept"} <= kept
    ranking = attention_ranking(db, TODAY)
    assert ranking == [(item.customer_id, item.score) for item in attention_queue(db, TODAY)]
    assert [n.customer_id for n in referral_forest(db, TODAY).roots()] == [ann]
    health = check_book(db)
    assert health.healthy, health.problems
