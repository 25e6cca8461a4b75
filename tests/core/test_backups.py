"""Backups keep versions: rotation by day, week and month, checked copies, automatic backups
before risky writes and once a day, a list that survives a damaged copy, and restores."""

from __future__ import annotations

import itertools
import os
import shutil
import sqlite3
import stat
import subprocess
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from tests.builders import first_release_book
from tui_crm.core import config
from tui_crm.core.backups import (
    backup_before,
    backup_if_due,
    backup_now,
    book_path,
    list_backups,
    restore_from,
)
from tui_crm.core.customers import create_customer, log_interaction
from tui_crm.core.interchange.files import import_file
from tui_crm.core.merge import merge, merge_preview
from tui_crm.db.backup import Retention, backup_file, backup_files, rotate, to_keep
from tui_crm.db.database import open_database
from tui_crm.db.postgres import backup as pg_backup
from tui_crm.errors import CrmError, DatabaseRefused
from tui_crm.paths import BookPlace, backup_dir_for, on_server, url_parts

START = datetime(2026, 1, 1, 12, 0)


def _customers(db) -> int:
    return db.execute_sql("SELECT count(*) FROM customer").fetchone()[0]


# A book's backups on either engine: copies of its file (`<stem>-<stamp>-<reason>.db` in
# `<file>.backups/`), or pg_dump archives of a book on a server (`….dump` in a folder of the
# data folder named for the server and database).


def _backups(place: BookPlace) -> list:
    return pg_backup.dumps(place) if on_server(place) else backup_files(place)


def _reasons(place: BookPlace) -> list[str]:
    return [one.reason for one in _backups(place)]


def _take(place: BookPlace, reason: str, now: datetime) -> Path:
    """A backup taken at `now`, not rotated."""
    return (
        pg_backup.dump(place, reason, now=now)
        if on_server(place)
        else backup_file(place, reason, now=now)
    )


def _folder(place: BookPlace) -> Path:
    return pg_backup.backup_folder(place) if on_server(place) else backup_dir_for(place)


def _stem_and_suffix(place: BookPlace) -> tuple[str, str]:
    """How the names of the book's backups begin and end."""
    if on_server(place):
        return url_parts(place)[2], pg_backup.SUFFIX  # the database's name (a test's is plain)
    return place.stem, ".db"


_SCRATCH = itertools.count(1)


@pytest.fixture
def count_in(request):
    """count_in(backup, sql): what `sql` counts in the book a backup holds (a copy of a file
    opened read-only; an archive restored into a database of its own on the test cluster)."""

    def count(backup: Path, sql: str) -> int:
        if backup.suffix != pg_backup.SUFFIX:
            copy = sqlite3.connect(f"file:{backup}?mode=ro", uri=True)
            try:
                return copy.execute(sql).fetchone()[0]
            finally:
                copy.close()
        import psycopg

        from tests.conftest import create_database

        cluster = request.getfixturevalue("pg_cluster")
        name = f"restored_{os.getpid()}_{next(_SCRATCH)}"
        create_database(cluster, name)
        subprocess.run(
            [shutil.which("pg_restore") or "pg_restore", "--no-owner", "--no-privileges"]
            + ["--exit-on-error", f"--dbname={cluster.url(name)}", str(backup)],
            check=True,
            capture_output=True,
        )
        with psycopg.connect(cluster.url(name)) as conn:
            return conn.execute(sql).fetchone()[0]

    return count


def test_rotation_keeps_7_daily_4_weekly_12_monthly_and_the_newest_5(db_path):
    """Two backups a day for 400 days: what is left is the newest 5, the newest of each of
    the last 7 days, of the last 4 ISO weeks and of the last 12 months, and nothing else."""
    folder = backup_dir_for(db_path)
    folder.mkdir(mode=0o700)
    taken = [START + timedelta(hours=12 * n) for n in range(800)]
    for at in taken:
        (folder / f"crm-{at:%Y%m%d-%H%M%S-%f}-daily.db").touch()
    rotate(db_path, Retention())
    left = sorted(one.taken_at for one in backup_files(db_path))
    newest = taken[::-1]

    def newest_per(key, count):
        seen, kept = [], set()
        for at in newest:
            if key(at) not in seen and len(seen) < count:
                seen.append(key(at))
                kept.add(at)
        return kept

    expected = (
        set(newest[:5])
        | newest_per(lambda at: at.date(), 7)
        | newest_per(lambda at: at.isocalendar()[:2], 4)
        | newest_per(lambda at: (at.year, at.month), 12)
    )
    assert left == sorted(expected)
    assert 12 + 7 <= len(left) <= 5 + 7 + 4 + 12
    assert left[0] < taken[-1] - timedelta(days=300)  # a year back is still there


def test_back_to_back_backups_do_not_push_each_other_out(db_path):
    backups = [type("B", (), {"taken_at": START + timedelta(seconds=n)})() for n in range(10)][::-1]
    kept = to_keep(backups, Retention(daily=1, weekly=1, monthly=1))
    assert len(kept) == 5  # the newest five of one day, not only the one newest of it


def test_rotation_deletes_nothing_that_is_not_one_of_our_backups(db):
    place = book_path(db)
    stem, suffix = _stem_and_suffix(place)
    folder = _folder(place)
    folder.mkdir(mode=0o700, parents=True)
    strangers = [
        "notes.txt",
        f"{stem}-20200101-000000-000000-daily{suffix}.txt",
        f"{stem}-20200101-000000-000000-Daily{suffix}",
        f"other-20200101-000000-000000-daily{suffix}",
        f"{stem}-20201301-000000-000000-daily{suffix}",  # month 13: not a stamp of ours
        ".tui-crm-backup-abc.partial",
    ]
    for name in strangers:
        (folder / name).write_text("keep me")
    if on_server(place):
        # 19 archives under their days' names (one dump, copied), rotated by the 20th.
        first = pg_backup.dump(place, "manual", now=START)
        for n in range(1, 19):
            shutil.copy(first, folder / first.name.replace("20260101", f"202601{n + 1:02}"))
        keep = Retention(daily=1, weekly=0, monthly=0, recent=1)
        pg_backup.dump(place, "manual", now=START + timedelta(days=19), keep=keep)
    else:
        for n in range(20):
            backup_file(place, "manual", now=START + timedelta(days=n))
        rotate(place, Retention(daily=1, weekly=0, monthly=0, recent=1))
    names = sorted(p.name for p in folder.iterdir())
    assert sorted(strangers) == [n for n in names if n in strangers]
    assert len(names) == len(strangers) + 1


# A copy of SQLite's file, in its journal mode; PostgreSQL's archive, private in a private
# folder: test_postgres_backups.py::test_a_backup_is_taken_listed_and_restored
@pytest.mark.sqlite_only
def test_a_backup_is_a_checked_private_copy_in_a_private_folder(db, db_path):
    create_customer(db, {"first_name": "Anna"})
    path = backup_now(db_path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    copy = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    assert copy.execute("SELECT first_name FROM customer").fetchall() == [("Anna",)]
    assert copy.execute("PRAGMA journal_mode").fetchone()[0] == "delete"  # no -wal beside it
    copy.close()
    assert [p.name for p in path.parent.iterdir()] == [path.name]


@pytest.mark.parametrize(
    ("book", "folder", "copy"),
    [
        (0o660, 0o770, 0o640),  # a team's book: every member's app backs it up
        (0o640, 0o750, 0o640),  # the group reads it: they may read its backups too
        (0o600, 0o700, 0o600),
    ],
)
@pytest.mark.sqlite_only  # the book file's permissions: a book on a server has no file here
def test_backups_of_a_book_shared_with_its_group_are_shared_as_far_as_the_book(
    db, db_path, book, folder, copy
):
    create_customer(db, {"first_name": "Anna"})
    backup_now(db_path)  # the folder is made private first, as it was before sharing
    db_path.chmod(book)
    path = backup_now(db_path)
    assert stat.S_IMODE(path.stat().st_mode) == copy
    assert stat.S_IMODE(path.parent.stat().st_mode) == folder


# SQLite's quick_check of the copy; an archive pg_restore cannot read leaves no file either:
# test_postgres_backups.py::test_a_password_never_shows_and_a_failed_backup_leaves_no_file
@pytest.mark.sqlite_only
def test_a_copy_that_fails_its_check_leaves_no_file_and_says_so(db, db_path, monkeypatch):
    from tui_crm.db import backup

    create_customer(db, {"first_name": "Anna"})
    monkeypatch.setattr(backup, "_checked", lambda conn: "row 3 missing from index x")
    with pytest.raises(CrmError, match="failed its integrity check.*row 3 missing"):
        backup_now(db_path)
    assert list(backup_dir_for(db_path).iterdir()) == []


def test_the_config_sets_how_many_are_kept(home, db):
    (home / "config").mkdir(parents=True)
    (home / "config" / "config.toml").write_text("[backups]\ndaily = 2\nweekly = 0\nmonthly = 0\n")
    config.settings.cache_clear()
    for n in range(10):
        _take(book_path(db), "daily", now=START + timedelta(days=n))
    backup_before(db, "before-merge")  # rotates as the config says: 5 newest, 2 days
    assert len(_backups(book_path(db))) == 5


@pytest.mark.parametrize(
    ("toml", "says"),
    [
        ("[backups]\ndaily = -1\n", "daily must be a whole number from 0 to 1000, not -1"),
        ('[backups]\nweekly = "4"\n', "weekly must be a whole number"),
        ("[backups]\nmonthly = true\n", "monthly must be a whole number"),
        ("[backups]\ndayly = 3\n", "[backups] has no setting 'dayly'"),
        ('backups = "yes"\n', "[backups] must be a table"),
    ],
)
def test_a_bad_backups_setting_is_one_clear_error(home, toml, says):
    (home / "config").mkdir(parents=True)
    (home / "config" / "config.toml").write_text(toml)
    config.settings.cache_clear()
    with pytest.raises(CrmError) as err:
        config.settings()
    assert says in str(err.value) and "\n" not in str(err.value)


def test_a_backup_is_due_once_a_day(db):
    place = book_path(db)
    assert backup_if_due(place, now=START) is not None  # none yet
    assert backup_if_due(place, now=START + timedelta(hours=23)) is None
    taken = backup_if_due(place, now=START + timedelta(days=1, minutes=1))
    assert taken is not None and taken.name.endswith(f"-daily{_stem_and_suffix(place)[1]}")
    assert len(_backups(place)) == 2


def test_a_missing_or_empty_book_needs_no_backup(home, tmp_path):
    assert backup_if_due(tmp_path / "none.db") is None
    (tmp_path / "empty.db").touch()
    assert backup_if_due(tmp_path / "empty.db") is None


def test_an_import_that_writes_is_backed_up_first_and_a_dry_run_is_not(db, tmp_path, count_in):
    create_customer(db, {"first_name": "Anna"})
    source = tmp_path / "people.csv"
    source.write_text("first_name,last_name\nBen,Berg\n")
    import_file(db, source, dry_run=True)
    assert _reasons(book_path(db)) == []
    import_file(db, source)
    [backup] = _backups(book_path(db))
    assert backup.reason == "before-import"
    assert count_in(backup.path, "SELECT count(*) FROM customer") == 1  # before Ben


def test_a_purchases_import_is_backed_up_first(db, tmp_path):
    anna = create_customer(db, {"first_name": "Anna", "last_name": "Berg"})
    source = tmp_path / "purchases.csv"
    source.write_text(f"customer_id,date,amount\n{anna},2026-01-02,10.00\n")
    report = import_file(db, source, format="purchases")
    assert report.added == 1
    assert _reasons(book_path(db)) == ["before-import"]


def test_a_merge_is_backed_up_first(db, count_in):
    a = create_customer(db, {"first_name": "Anna", "last_name": "Berg"})
    b = create_customer(db, {"first_name": "Anna", "last_name": "Berg", "city": "Oslo"})
    preview = merge_preview(db, a, b)
    merge(
        db,
        a,
        b,
        survivor_version=preview.survivor_version,
        other_version=preview.other_version,
    )
    [backup] = _backups(book_path(db))
    assert backup.reason == "before-merge"
    assert count_in(backup.path, "SELECT count(*) FROM customer WHERE deleted_at IS NULL") == 2


def test_the_list_counts_customers_in_each_copy_and_survives_a_damaged_one(db):
    place = book_path(db)
    create_customer(db, {"first_name": "Anna"})
    first = _take(place, "manual", now=START)
    create_customer(db, {"first_name": "Ben"})
    second = _take(place, "daily", now=START + timedelta(hours=1))
    stem, suffix = _stem_and_suffix(place)
    damaged = _folder(place) / f"{stem}-20260101-140000-000000-manual{suffix}"
    if on_server(place):  # an archive's header, its table of contents scribbled on
        damaged.write_bytes(second.read_bytes()[:5] + b"\xff" * 4000)
    else:
        damaged.write_bytes(b"SQLite format 3\x00" + b"\xff" * 4000)
    listed = list_backups(place)
    assert [(one.path, one.customers, one.reason) for one in listed] == [
        (damaged, None, "manual"),
        (second, 2, "daily"),
        (first, 1, "manual"),
    ]
    assert listed[0].damage and not listed[0].good
    assert listed[1].size == second.stat().st_size and listed[1].taken_at == START + timedelta(
        hours=1
    )


# Into SQLite's file, which the open connection sees at once, in WAL mode; a restore on
# PostgreSQL: test_postgres_backups.py::test_a_backup_is_taken_listed_and_restored and
# test_team_roles.py::test_a_restore_by_one_member_leaves_the_book_the_teams
@pytest.mark.sqlite_only
def test_a_restore_brings_the_copy_back_and_keeps_the_book_it_replaces(db, db_path):
    anna = create_customer(db, {"first_name": "Anna"})
    saved = backup_now(db_path)
    log_interaction(db, anna, notes="called about the order", kind="call")
    create_customer(db, {"first_name": "Ben"})
    done = restore_from(db_path, saved)
    # The open connection sees the restored book at once (copied in, not renamed over it).
    assert _customers(db) == 1 and done.customers == 1
    assert db.execute_sql("SELECT count(*) FROM interaction").fetchone()[0] == 0
    assert db.execute_sql("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert done.safety_copy is not None and done.safety_copy.name.endswith("-before-restore.db")
    copy = sqlite3.connect(done.safety_copy)
    assert copy.execute("SELECT count(*) FROM customer").fetchone()[0] == 2
    copy.close()


@pytest.mark.sqlite_only  # a file of schema 1: PostgreSQL's books begin at schema 17
def test_a_restore_of_an_older_book_migrates_it(db, db_path, tmp_path):
    """A book written by the first release (schema 1) is restored, then upgraded."""
    from tui_crm.db import migrations

    old = tmp_path / "old.db"
    first_release_book(old)
    done = restore_from(db_path, old)
    assert done.migrated_from == 1 and done.customers == 3
    db = open_database(db_path)
    assert db.execute_sql("PRAGMA user_version").fetchone()[0] == migrations.LATEST
    assert db.execute_sql("SELECT count(*) FROM customer WHERE uid IS NULL").fetchone()[0] == 0


def _archive_of(request, tmp_path: Path, sql: str, *, book: bool) -> Path:
    """A pg_dump archive of a database of its own on the test cluster (a book at the newest
    schema, or an empty database) after `sql`."""
    import psycopg

    from tests.conftest import create_database

    cluster = request.getfixturevalue("pg_cluster")
    name = f"archived_{os.getpid()}_{next(_SCRATCH)}"
    create_database(cluster, name, request.getfixturevalue("pg_template") if book else None)
    with psycopg.connect(cluster.url(name), autocommit=True) as conn:
        conn.execute(sql)
    return pg_backup.dump_to(cluster.url(name), tmp_path / f"{name}{pg_backup.SUFFIX}")


@pytest.mark.parametrize("kind", ["text", "foreign", "newer", "damaged", "empty"])
def test_a_restore_refuses_a_file_that_is_not_a_whole_book_of_ours(db, tmp_path, kind, request):
    """What a backup of the book is: a tui-crm file, or on PostgreSQL a pg_dump archive of a
    book ("foreign": of another program's database; "newer": of a book of a newer schema)."""
    from tui_crm.db import migrations

    place = book_path(db)
    create_customer(db, {"first_name": "Anna"})
    bad = tmp_path / "bad.db"
    if kind == "text":
        bad.write_text("first_name\nAnna\n")
    elif kind == "empty":
        bad.touch()
    elif kind == "foreign" and on_server(place):
        bad = _archive_of(request, tmp_path, "CREATE TABLE photos (x int)", book=False)
    elif kind == "foreign":
        conn = sqlite3.connect(bad)
        conn.execute("CREATE TABLE photos (x)")
        conn.close()
    elif kind == "newer" and on_server(place):
        newer = f"INSERT INTO schema_migration (number) VALUES ({migrations.LATEST + 1})"
        bad = _archive_of(request, tmp_path, newer, book=True)
    else:
        saved = backup_now(place)
        bad.write_bytes(saved.read_bytes())
        if not on_server(place):
            conn = sqlite3.connect(bad)
            if kind == "newer":
                conn.execute(f"PRAGMA user_version = {migrations.LATEST + 1}")
            conn.close()
        if kind == "damaged":
            data = bytearray(bad.read_bytes())
            pages = len(data) // 4096
            for page in range(pages // 2, pages):  # the second half of the pages scribbled on
                data[page * 4096 + 100 : page * 4096 + 300] = b"\x07" * 200
            bad.write_bytes(bytes(data))
    before = [one.path for one in _backups(place)]
    with pytest.raises(DatabaseRefused):
        restore_from(place, bad)
    assert _customers(db) == 1
    assert [one.path for one in _backups(place)] == before  # refused before anything was done


@pytest.mark.sqlite_only  # SQLite's write lock on the file (BEGIN IMMEDIATE)
def test_a_restore_refuses_while_another_program_writes_unless_forced(db, db_path):
    create_customer(db, {"first_name": "Anna"})
    saved = backup_now(db_path)
    create_customer(db, {"first_name": "Ben"})
    writer = sqlite3.connect(db_path, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(CrmError, match="being written by another program.*--force"):
            restore_from(db_path, saved)
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert _customers(db) == 2
    assert restore_from(db_path, saved, force=True).customers == 1


def test_backups_taken_today_are_dated_today(db):
    taken = backup_now(book_path(db))
    assert _backups(book_path(db))[0].taken_at.date() == date.today()
    assert taken.name.startswith(f"{_stem_and_suffix(book_path(db))[0]}-{date.today():%Y%m%d}-")
