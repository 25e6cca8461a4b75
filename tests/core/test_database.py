"""Opening a database: pragmas, permissions, migrations, and refusing files that are not ours."""

from __future__ import annotations

import itertools
import os
import random
import re
import sqlite3
import stat
from datetime import date
from pathlib import Path

import pytest
from peewee import SqliteDatabase

from tests.builders import first_release_book
from tui_crm.core.customers import create_customer, get_profile
from tui_crm.db import migrations
from tui_crm.db.database import APPLICATION_ID, close_database, open_database
from tui_crm.db.models import ALL_MODELS
from tui_crm.errors import DatabaseRefused
from tui_crm.paths import default_db_path

TODAY = date(2026, 11, 18)
_SCRATCH = itertools.count(1)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _pragma(db, name: str):
    return db.execute_sql(f"PRAGMA {name}").fetchone()[0]


def _our_database(path: Path, customers: int = 30) -> bytes:
    """A real tui-crm database with some rows, fully checkpointed and closed; its bytes."""
    db = open_database(path)
    for n in range(customers):
        create_customer(db, {"first_name": f"Person{n}", "last_name": "Test", "notes": "x" * 2000})
    db.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    close_database()
    return path.read_bytes()


def _assert_refused_untouched(path: Path, match: str) -> None:
    before = path.read_bytes()
    with pytest.raises(DatabaseRefused, match=match) as info:
        open_database(path)
    assert str(path) in str(info.value)
    assert "\n" not in str(info.value)
    assert path.read_bytes() == before


@pytest.mark.sqlite_only  # SQLite's PRAGMAs; PostgreSQL's schema: test_postgres_schema.py
def test_a_fresh_database_is_migrated_with_wal_foreign_keys_and_a_busy_timeout(db):
    assert _pragma(db, "user_version") == migrations.LATEST
    assert _pragma(db, "application_id") == APPLICATION_ID
    assert _pragma(db, "journal_mode") == "wal"
    assert _pragma(db, "foreign_keys") == 1
    assert _pragma(db, "busy_timeout") >= 1000


def test_foreign_keys_are_enforced(db):
    # "FOREIGN KEY constraint failed" (SQLite), "violates foreign key constraint" (PostgreSQL)
    with pytest.raises(Exception, match="(?i)foreign key"):
        db.execute_sql(
            "INSERT INTO purchase (customer_id, day, cents, created_at) "
            "VALUES (999, '2026-01-01', 100, '2026-01-01 00:00:00')"
        )


def test_a_new_database_file_is_private_and_so_is_a_new_folder(home, tmp_path):
    path = tmp_path / "fresh" / "crm.db"
    db = open_database(path)
    create_customer(db, {"first_name": "Anna"})  # a write creates the WAL file too
    assert _mode(path) == 0o600
    assert _mode(path.parent) == 0o700
    wal = Path(f"{path}-wal")
    assert wal.exists() and _mode(wal) == 0o600
    close_database()


def test_the_default_database_lives_in_a_private_data_folder(home):
    path = default_db_path()
    assert path.is_relative_to(home)
    open_database(path)
    close_database()
    assert path.exists()
    assert _mode(path) == 0o600
    assert _mode(path.parent) == 0o700


def test_tui_crm_db_overrides_the_default_path(home, tmp_path, monkeypatch):
    monkeypatch.setenv("TUI_CRM_DB", str(tmp_path / "elsewhere.db"))
    assert default_db_path() == tmp_path / "elsewhere.db"


@pytest.mark.sqlite_only  # SQLite's PRAGMA table_info; PostgreSQL's: the test after this one
def test_the_models_match_the_migrated_schema(db, tmp_path):
    """Each model's columns (name, type, not null, key), foreign keys and unique columns
    are those the migrations created."""
    scratch = SqliteDatabase(str(tmp_path / "from-models.db"))
    with scratch.bind_ctx(ALL_MODELS):
        scratch.create_tables(ALL_MODELS)

    def columns(database, table):
        # An INTEGER PRIMARY KEY is never NULL, whatever table_info reports for NOT NULL.
        return {
            (name, kind.upper(), bool(notnull) and not pk, pk)
            for _, name, kind, notnull, _, pk in database.execute_sql(f"PRAGMA table_info({table})")
        }

    def foreign_keys(database, table):
        return {
            (row[2], row[3], row[4], row[6])
            for row in database.execute_sql(f"PRAGMA foreign_key_list({table})")
        }

    def unique_columns(database, table):
        out = set()
        for row in database.execute_sql(f"PRAGMA index_list({table})"):
            name, unique, origin = row[1], row[2], row[3]
            if unique and origin != "pk":
                cols = database.execute_sql(f"PRAGMA index_info({name})").fetchall()
                out.add(tuple(c[2] for c in cols))
        return out

    tables = {m._meta.table_name for m in ALL_MODELS}
    migrated = {
        r[0]
        for r in db.execute_sql(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'customer_fts%'"
        )
    }
    assert migrated == tables
    try:
        _models_match(db, scratch, columns, foreign_keys, unique_columns)
    finally:
        scratch.close()


@pytest.mark.postgres
def test_the_models_match_the_migrated_schema_on_postgresql(pg_cluster, pg_url, monkeypatch):
    """As the test before, on PostgreSQL (whose types are its own: `date`, `boolean`, …): each
    model's columns (name, not null, key), foreign keys (with their ON DELETE) and unique
    columns are those of the migrated book, compared with the tables the models make."""
    from tests.conftest import create_database
    from tui_crm.db.postgres.book import PostgresBook

    book = PostgresBook(pg_url)
    scratch_name = f"from_models_{os.getpid()}_{next(_SCRATCH)}"
    create_database(pg_cluster, scratch_name)
    scratch = PostgresBook(pg_cluster.url(scratch_name))
    for model in ALL_MODELS:  # SQLite's table option, which PostgreSQL has no word for
        monkeypatch.setattr(model._meta, "without_rowid", False)
    with scratch.bind_ctx(ALL_MODELS):
        scratch.create_tables(ALL_MODELS)

    def columns(database, table):
        return set(
            database.execute_sql(
                "SELECT a.attname, a.attnotnull AND NOT coalesce(k.indisprimary, false), "
                "coalesce(k.indisprimary, false) FROM pg_attribute a "
                "LEFT JOIN pg_index k ON k.indrelid = a.attrelid AND k.indisprimary "
                "AND a.attnum = ANY (k.indkey) "
                "WHERE a.attrelid = ?::regclass AND a.attnum > 0 AND NOT a.attisdropped",
                (table,),
            )
        )

    def foreign_keys(database, table):
        return set(
            database.execute_sql(
                "SELECT a.attname, c.confrelid::regclass::text, r.attname, c.confdeltype "
                "FROM pg_constraint c "
                "JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1] "
                "JOIN pg_attribute r ON r.attrelid = c.confrelid AND r.attnum = c.confkey[1] "
                "WHERE c.contype = 'f' AND c.conrelid = ?::regclass",
                (table,),
            )
        )

    def unique_columns(database, table):
        # Each key of a unique index, as its definition reads; a key worked out of one column
        # counts as that column: a name unique in any case is unique on lower(name), or on
        # md5(lower(name)) for text too long to index whole (SQLite's UNIQUE COLLATE NOCASE).
        rows = database.execute_sql(
            "SELECT array_agg(pg_get_indexdef(i.indexrelid, k.ord::int, true) ORDER BY k.ord) "
            "FROM pg_index i CROSS JOIN generate_series(1, i.indnkeyatts) AS k(ord) "
            "WHERE i.indrelid = ?::regclass AND i.indisunique AND NOT i.indisprimary "
            "AND i.indpred IS NULL GROUP BY i.indexrelid",
            (table,),
        )
        return {
            tuple(re.sub(r"^(?:\w+\()+(\w+)\)+$", r"\1", key) for key in keys) for (keys,) in rows
        }

    try:
        _models_match(book, scratch, columns, foreign_keys, unique_columns)
    finally:
        scratch.close()
        book.close()


def test_a_new_customer_gets_a_stable_uid_unless_it_brings_one(db_path):
    db = open_database(db_path)
    plain = create_customer(db, {"first_name": "Anna"})
    carded = create_customer(db, {"first_name": "Ben", "uid": "vcard-ben"})
    uids = dict(db.execute_sql("SELECT id, uid FROM customer").fetchall())
    assert uids[plain].startswith("urn:uuid:") and len(uids[plain]) == 45
    assert uids[carded] == "vcard-ben"
    close_database()


def test_reopening_keeps_the_data_and_makes_no_backup(db_path):
    db = open_database(db_path)
    customer = create_customer(db, {"first_name": "Anna", "last_name": "Berg", "city": "Oslo"})
    close_database()
    db = open_database(db_path)
    assert _pragma(db, "user_version") == migrations.LATEST
    profile = get_profile(db, customer, TODAY)
    assert (profile.name, profile.city) == ("Anna Berg", "Oslo")
    close_database()
    assert not any(p.name.endswith(".backups") for p in db_path.parent.iterdir())


def test_an_older_database_is_migrated_keeping_its_data_and_a_backup(db_path):
    """A book written by the first release (schema 1) opens: the later migrations run, after
    a copy of the file as it was is put in the backup folder."""
    first_release_book(db_path)

    db = open_database(db_path)
    assert _pragma(db, "user_version") == migrations.LATEST
    names = {row[0] for row in db.execute_sql("SELECT name FROM sqlite_master")}
    assert {"customer_first_name", "customer_created", "attention_mark"} <= names
    assert db.execute_sql("SELECT count(*) FROM customer").fetchone()[0] == 3
    # Migration 5 gave each old customer its own stable uid, the key exports carry.
    uids = [row[0] for row in db.execute_sql("SELECT uid FROM customer")]
    assert len(set(uids)) == 3 and all(uid.startswith("urn:uuid:") for uid in uids)
    close_database()
    [backup] = (db_path.parent / f"{db_path.name}.backups").glob("*-before-schema-*.db")
    old = sqlite3.connect(backup)
    assert old.execute("PRAGMA user_version").fetchone()[0] == 1
    assert old.execute("SELECT count(*) FROM customer").fetchone()[0] == 3
    old.close()


def test_migration_9_turns_a_typed_lapsed_into_active_with_a_history_line(db_path):
    """Lapsed is worked out from purchases since migration 9: a status someone typed becomes
    active (so a customer who bought four days ago no longer reads LAPSED), each change in
    the customer's history and their version moved on, so an edit begun before is refused."""
    first_release_book(db_path)
    old = sqlite3.connect(db_path)
    old.execute("UPDATE customer SET status = 'lapsed' WHERE first_name IN ('Ben', 'Cecilie')")
    old.execute("UPDATE customer SET status = 'lost', lost_reason = 'Price' WHERE id = 1")
    old.commit()
    old.close()

    db = open_database(db_path)
    rows = db.execute_sql("SELECT first_name, id, status, version FROM customer").fetchall()
    status = {name: (cid, typed, version) for name, cid, typed, version in rows}
    assert {name: typed for name, (_, typed, _) in status.items()} == {
        "Anna": "lost",
        "Ben": "active",
        "Cecilie": "active",
    }
    assert status["Ben"][2] == status["Anna"][2] + 1
    ben = get_profile(db, status["Ben"][0], TODAY)
    assert (ben.status, ben.shown_status, ben.lapse) == ("active", "active", "")
    history = [(c.field, c.old, c.new) for c in ben.changes]
    assert ("status", "lapsed", "active") in history
    [who] = {c.who for c in ben.changes if c.field == "status"}
    assert "lapsed is now computed from purchases" in who
    anna = get_profile(db, status["Anna"][0], TODAY)
    assert anna.status == "lost" and all(c.field != "status" for c in anna.changes)
    left = db.execute_sql("SELECT count(*) FROM customer WHERE status = 'lapsed'").fetchone()
    assert left == (0,)
    close_database()


def test_a_database_from_a_newer_version_is_refused_untouched(db_path):
    _our_database(db_path, customers=3)
    conn = sqlite3.connect(db_path)
    conn.execute(f"PRAGMA user_version = {migrations.LATEST + 1}")
    conn.close()
    _assert_refused_untouched(db_path, "newer")


NOT_SQLITE = {
    "short-text": b"hello\n",
    "csv": (
        "id,name,email\n" + "".join(f"{n},Person {n},p{n}@x.com\n" for n in range(200))
    ).encode(),
    "random-bytes": random.Random(1).randbytes(16384),
    "sqlite-header-then-garbage": b"SQLite format 3\x00" + random.Random(2).randbytes(8192),
}


@pytest.mark.parametrize("name", sorted(NOT_SQLITE))
def test_a_file_that_is_not_a_sqlite_database_is_refused_untouched(home, tmp_path, name):
    path = tmp_path / f"{name}.db"
    path.write_bytes(NOT_SQLITE[name])
    _assert_refused_untouched(path, "not|damaged")


@pytest.mark.parametrize("fraction", [0.3, 0.6, 0.95])
def test_a_truncated_database_is_refused_untouched(db_path, fraction):
    whole = _our_database(db_path)
    assert len(whole) > 20 * 4096
    db_path.write_bytes(whole[: int(len(whole) * fraction)])
    _assert_refused_untouched(db_path, "damaged|truncated")


def test_a_database_cut_below_its_header_is_refused_untouched(db_path):
    whole = _our_database(db_path, customers=1)
    db_path.write_bytes(whole[:60])
    _assert_refused_untouched(db_path, "not")


def test_another_programs_sqlite_database_is_refused_untouched(home, tmp_path):
    path = tmp_path / "notes.sqlite"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE note (id INTEGER PRIMARY KEY, body TEXT)")
    conn.executemany("INSERT INTO note (body) VALUES (?)", [(f"note {n}",) for n in range(50)])
    conn.commit()
    assert conn.execute("PRAGMA application_id").fetchone()[0] == 0
    conn.close()
    _assert_refused_untouched(path, "another program")
    conn = sqlite3.connect(path)
    assert [r[0] for r in conn.execute("SELECT name FROM sqlite_master")] == ["note"]
    conn.close()


def test_a_folder_is_refused(home, tmp_path):
    folder = tmp_path / "a-folder"
    folder.mkdir()
    with pytest.raises(DatabaseRefused, match="folder"):
        open_database(folder)
    assert list(folder.iterdir()) == []


def test_a_postgresql_server_out_of_reach_is_one_line_without_the_password(home, tmp_path):
    url = f"postgresql://anna:s3cret@/crm?host={tmp_path / 'no-server'}"
    with pytest.raises(DatabaseRefused) as refused:
        open_database(url)
    said = str(refused.value)
    assert said.startswith(f"cannot open postgresql://anna@/crm?host={tmp_path / 'no-server'}: ")
    assert "s3cret" not in said and "\n" not in said


def test_a_database_damaged_inside_is_refused_untouched_without_side_files(db_path):
    original = bytearray(_our_database(db_path))
    page_size = int.from_bytes(original[16:18], "big")
    # Scribble over a page in the middle: the header still looks right.
    middle = (len(original) // page_size // 2) * page_size
    original[middle : middle + page_size] = bytes(
        random.Random(5).randrange(256) for _ in range(page_size)
    )
    db_path.write_bytes(original)
    with pytest.raises(DatabaseRefused, match="damaged"):
        open_database(db_path)
    assert db_path.read_bytes() == original
    assert not Path(f"{db_path}-wal").exists() and not Path(f"{db_path}-shm").exists()


def test_a_named_database_that_does_not_exist_is_not_created_when_asked_not_to(home, tmp_path):
    missing = tmp_path / "typo.db"
    with pytest.raises(DatabaseRefused, match="no database at"):
        open_database(missing, create=False)
    assert not missing.exists()


def test_migrations_are_numbered_one_by_one_without_gaps():
    # Only numbers above a book's version run: a gap filled later would never reach it.
    numbers = [number for number, _ in migrations.migrations()]
    assert numbers == list(range(1, migrations.LATEST + 1))


WRITES = [
    "INSERT INTO interaction (customer_id, kind, at, notes, created_at) "
    "VALUES (1, 'call', '2026-11-20 10:00:00', 'Called', '2026-11-20 10:00:00')",
    "UPDATE interaction SET notes = 'Called back' WHERE customer_id = 1",
    "INSERT INTO purchase (customer_id, day, cents, created_at) "
    "VALUES (1, '2026-11-20', 1000, '2026-11-20 10:00:00')",
    "INSERT INTO customer_phone (customer_id, label, number, national) "
    "VALUES (1, 'mobile', '+4795551234', '95551234')",
    "UPDATE customer SET city = 'Oslo', category_id = NULL WHERE id = 1",
    "INSERT INTO customer (first_name, created_at, updated_at) "
    "VALUES ('Dora', '2026-11-20 10:00:00', '2026-11-20 10:00:00')",
    "DELETE FROM interaction WHERE customer_id = 1",
]


@pytest.mark.parametrize("first", ["new", "first release"])
def test_a_writer_whose_schema_changed_meanwhile_writes_every_kind_of_row(db_path, first):
    """A kept summary is refilled with its indexes made again (db/derived.py `refill`): a
    schema change that every other connection of the book, in this process or another, sees
    on its next statement. Each of their writes must still go through, on a book made now
    and on one migrated from the first release."""
    if first == "first release":
        first_release_book(db_path, names=("Anna",))
        open_database(db_path)
    else:
        db = open_database(db_path)
        db.execute_sql(
            "INSERT INTO customer (first_name, created_at, updated_at) "
            "VALUES ('Anna', '2026-01-01 09:00:00', '2026-01-01 09:00:00')"
        )
    close_database()
    for write in WRITES:
        stale, other = sqlite3.connect(db_path), sqlite3.connect(db_path)
        try:
            stale.execute("SELECT count(*) FROM customer").fetchone()  # its schema read
            for index, sql in other.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' "
                "AND tbl_name IN ('attention_score', 'customer_value') AND sql IS NOT NULL"
            ).fetchall():
                other.execute(f"DROP INDEX {index}")
                other.execute(sql)
            other.commit()
            stale.execute(write)  # raised "no such table: interaction" before the fix
            stale.rollback()
        finally:
            stale.close()
            other.close()


def test_a_postgresql_url_read_as_a_path_is_refused_and_no_file_is_made(tmp_path, monkeypatch):
    """Path("postgresql://…") keeps one slash: a book on a server must never quietly become a
    new file named after its URL."""
    monkeypatch.chdir(tmp_path)
    with pytest.raises(DatabaseRefused, match="named postgresql://"):
        open_database(Path("postgresql://anna@/sales?host=/run/postgresql"))
    assert list(tmp_path.iterdir()) == []


def _models_match(book, scratch, columns, foreign_keys, unique_columns) -> None:
    """Each model's table in the migrated `book` has the columns, foreign keys and unique
    columns of the one the models make in `scratch` (each read by the engine's readers), and
    the model names every column."""
    for model in ALL_MODELS:
        table = model._meta.table_name
        assert columns(book, table) == columns(scratch, table), table
        assert {f.column_name for f in model._meta.sorted_fields} == {
            c[0] for c in columns(book, table)
        }
        assert foreign_keys(book, table) == foreign_keys(scratch, table), table
        assert unique_columns(book, table) == unique_columns(scratch, table), table
