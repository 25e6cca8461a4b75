"""Backups of a book on PostgreSQL (issue 20): a checked pg_dump archive in a private folder
named for the server and database, rotated; a restore from one brings every row back in one
transaction; the password is never on a command line, in a file's name or in a message."""

from __future__ import annotations

import stat
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from tui_crm.core.customers import create_customer
from tui_crm.db.database import close_database, open_database
from tui_crm.db.postgres import backup
from tui_crm.db.retention import Retention
from tui_crm.errors import CrmError

pytestmark = pytest.mark.postgres


def _names(db) -> list[str]:
    return [r[0] for r in db.execute_sql("SELECT first_name FROM customer ORDER BY id")]


def test_a_backup_is_taken_listed_and_restored(home: Path, pg_url: str):
    db = open_database(pg_url)
    create_customer(db, {"first_name": "Ann"})
    create_customer(db, {"first_name": "Bob"})
    taken = backup.dump(pg_url, "manual")
    assert taken.parent == backup.backup_folder(pg_url)
    assert str(taken.parent).startswith(str(home))
    assert stat.S_IMODE(taken.stat().st_mode) == 0o600
    assert stat.S_IMODE(taken.parent.stat().st_mode) == 0o700
    assert [one.path for one in backup.dumps(pg_url)] == [taken]

    create_customer(db, {"first_name": "Cid"})
    db.execute_sql("UPDATE customer SET first_name = 'Ana' WHERE first_name = 'Ann'")
    close_database()
    backup.restore(pg_url, taken)

    db = open_database(pg_url)
    assert _names(db) == ["Ann", "Bob"]
    # The restored book works: its triggers and sequences came back with it.
    create_customer(db, {"first_name": "Dee", "last_name": "Fresh"})
    assert db.execute_sql(
        "SELECT count(*) FROM customer_search WHERE name LIKE '%Fresh%'"
    ).fetchone() == (1,)
    close_database()


def test_rotation_keeps_what_the_retention_says(home: Path, pg_url: str):
    open_database(pg_url)
    start = datetime(2026, 11, 1, 9, 0)
    for day in range(5):
        backup.dump(pg_url, "daily", now=start + timedelta(days=day))
    kept = backup.dump(pg_url, "daily", now=start + timedelta(days=5), keep=Retention(2, 0, 0, 0))
    assert [one.path for one in backup.dumps(pg_url)][:1] == [kept]
    assert len(backup.dumps(pg_url)) == 2
    close_database()


def test_a_password_never_shows_and_a_failed_backup_leaves_no_file(home: Path, tmp_path):
    url = f"postgresql://anna:s3cret@/sales?host={tmp_path / 'no-server'}"
    with pytest.raises(CrmError) as failed:
        backup.dump(url, "manual")
    said = str(failed.value)
    assert said.startswith("pg_dump of postgresql://anna@/sales?host=") and "s3cret" not in said
    folder = backup.backup_folder(url)
    assert "anna" not in str(folder) and "s3cret" not in str(folder)
    assert list(folder.iterdir()) == []


def test_a_file_that_is_not_an_archive_is_refused_before_anything_changes(
    home: Path, pg_url: str, tmp_path: Path
):
    db = open_database(pg_url)
    create_customer(db, {"first_name": "Ann"})
    close_database()
    junk = tmp_path / "junk.dump"
    junk.write_bytes(b"not a dump")
    with pytest.raises(CrmError, match="not a whole PostgreSQL backup"):
        backup.restore(pg_url, junk)
    db = open_database(pg_url)
    assert _names(db) == ["Ann"]
    close_database()
