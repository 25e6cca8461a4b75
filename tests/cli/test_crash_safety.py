"""A process killed (SIGKILL) in the middle of an import, a merge, a restore or a backup leaves
a book that opens, that `tui-crm check` finds healthy, and that holds nothing half-done.

Each driver runs in its own process and wraps an internal function reached inside the
transaction (or, for a backup, after the copy is written and before it takes its name) so that
it prints "ready" and waits; the test kills it as soon as it reads that line. No timing."""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.cli.books import Place, on_server, rows
from tests.cli.commands import run_cli
from tui_crm.core.backups import backup_now
from tui_crm.core.customers import add_purchase, create_customer, log_interaction
from tui_crm.db.backup import backup_files
from tui_crm.db.database import close_database, open_database

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")

PAUSE = """
import sys, time
def pause_after(module, name):
    real = getattr(module, name)
    def paused(*args, **kwargs):
        result = real(*args, **kwargs)
        print("ready", flush=True)
        time.sleep(600)
        return result
    setattr(module, name, paused)
"""


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TUI_CRM_")}
    env.update(TUI_CRM_HOME=str(home), TUI_CRM_USER="tester", TUI_CRM_REGION="US")
    return env


def _kill_when_ready(home: Path, driver: str) -> None:
    """Run `driver`; when it says ready, SIGKILL it."""
    proc = subprocess.Popen(
        [sys.executable, "-c", PAUSE + textwrap.dedent(driver)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=_env(home),
        cwd=Path(__file__).resolve().parents[2],
    )
    try:
        readable, _, _ = select.select([proc.stdout], [], [], 120)
        line = proc.stdout.readline() if readable else b""
        assert line == b"ready\n", (line, proc.stderr.read() if proc.poll() is not None else "")
        os.kill(proc.pid, signal.SIGKILL)
        assert proc.wait(timeout=60) == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()
        proc.stderr.close()


def _check(home: Path, book: Place) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "tui_crm", "check", "--db", str(book)],
        capture_output=True,
        text=True,
        env=_env(home),
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


_rows = rows


def _triggers(book: Place) -> list[tuple]:
    """The book's triggers as its engine keeps them: SQLite's as written; PostgreSQL's with
    whether each is enabled."""
    if on_server(book):
        return rows(
            book,
            "SELECT tgname, pg_get_triggerdef(oid), tgenabled FROM pg_trigger "
            "WHERE NOT tgisinternal ORDER BY tgrelid::regclass::text, tgname",
        )
    return rows(book, "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' ORDER BY name")


@pytest.fixture
def book(home: Path, book_place: str) -> Place:
    db = open_database(book_place)
    for n in range(20):
        cid = create_customer(db, {"first_name": f"Person{n}", "last_name": "Berg"})
        log_interaction(db, cid, notes=f"call {n}", at="2026-01-05 10:00")
        add_purchase(db, cid, day="2025-06-01", amount="10.00")
    close_database()
    return book_place if on_server(book_place) else Path(book_place)


def test_an_import_killed_while_writing_adds_none_of_its_rows(home, book, tmp_path):
    """An import writes all its new customers in one transaction: killed after inserting
    them (before the commit), the book has none of them, and every trigger is back."""
    triggers = _triggers(book)
    source = tmp_path / "big.csv"
    source.write_text(
        "first_name,last_name,email,tags\n"
        + "".join(f"New{n},Person,new{n}@example.com,vip\n" for n in range(3000))
    )
    _kill_when_ready(
        home,
        f"""
        from tui_crm.core.interchange import load
        from tui_crm.core.interchange.files import import_file
        from tui_crm.db.database import open_database
        pause_after(load, "_insert_new")
        import_file(open_database({str(book)!r}, create=False), {str(source)!r})
        """,
    )
    assert _rows(book, "SELECT count(*) FROM customer") == [(20,)]
    assert _rows(book, "SELECT count(*) FROM customer_email") == [(0,)]
    assert len(triggers) > 20 and _triggers(book) == triggers
    assert "book is healthy: 20 customers" in _check(home, book)
    # The backup taken before it is whole, and holds the book as it was.
    listed = run_cli(home, "backups", "--format", "json", "--db", str(book))
    assert listed.returncode == 0, listed.stderr
    assert [(b["reason"], b["customers"]) for b in json.loads(listed.stdout)] == [
        ("before-import", 20)
    ]
    if not on_server(book):
        [before] = backup_files(book)
        assert _rows(before.path, "SELECT count(*) FROM customer") == [(20,)]


def test_a_merge_killed_midway_changes_nothing(home, book):
    _kill_when_ready(
        home,
        f"""
        from tui_crm.core import merge
        from tui_crm.db.database import open_database
        db = open_database({str(book)!r}, create=False)
        pause_after(merge, "update_customer")  # after the calls and purchases moved
        preview = merge.merge_preview(db, 1, 2)
        merge.merge(db, 1, 2, survivor_version=preview.survivor_version,
                    other_version=preview.other_version)
        """,
    )
    assert _rows(
        book,
        "SELECT customer_id, count(*) FROM interaction WHERE customer_id < 3 GROUP BY 1 ORDER BY 1",
    ) == [(1, 1), (2, 1)]
    assert _rows(
        book,
        "SELECT customer_id, count(*) FROM purchase WHERE customer_id < 3 GROUP BY 1 ORDER BY 1",
    ) == [(1, 1), (2, 1)]
    assert _rows(book, "SELECT count(*) FROM customer WHERE deleted_at IS NULL") == [(20,)]
    assert "book is healthy: 20 customers" in _check(home, book)


# SQLite's backup API copying into the book's file, step by step; a restore on PostgreSQL is
# one pg_restore transaction (test_team_mode.py's test_backups_of_a_book_on_a_server_...).
@pytest.mark.sqlite_only
def test_a_restore_killed_while_copying_leaves_the_book_as_it_was(home, book):
    db = open_database(book)
    saved = backup_now(book)
    for n in range(300):  # enough pages that the copy takes several steps
        create_customer(db, {"first_name": f"Later{n}", "notes": "x" * 3000})
    close_database()
    _kill_when_ready(
        home,
        f"""
        from tui_crm.core import backups
        from pathlib import Path
        backups.RESTORE_STEP = 16
        def progress(done, total):
            if 0 < done < total:
                print("ready", flush=True)
                time.sleep(600)
        backups.restore_from(Path({str(book)!r}), {str(saved)!r}, progress=progress)
        """,
    )
    assert _rows(book, "SELECT count(*) FROM customer") == [(320,)]
    assert "book is healthy: 320 customers" in _check(home, book)
    reasons = [one.reason for one in backup_files(book)]
    assert reasons == ["before-restore", "manual"]  # the safety copy was taken whole first


# A file's backup, checked before it takes its name; a PostgreSQL dump is written whole through
# whole_files.replacing, as an export is (test_special_files.py's killed export).
@pytest.mark.sqlite_only
def test_a_backup_killed_before_it_takes_its_name_leaves_no_partial_backup(home, book):
    first = backup_now(book)
    _kill_when_ready(
        home,
        f"""
        from tui_crm.db import backup
        from tui_crm.core.backups import backup_now
        from pathlib import Path
        pause_after(backup, "_checked")
        backup_now(Path({str(book)!r}))
        """,
    )
    assert [one.path for one in backup_files(book)] == [first]
    folder = first.parent
    leftovers = [p.name for p in folder.iterdir() if p != first]
    assert all(name.startswith(".tui-crm-backup-") for name in leftovers)
    assert "book is healthy: 20 customers" in _check(home, book)
    # The next backup is whole and listed; the leftover is never taken for a backup.
    assert backup_now(book) in [one.path for one in backup_files(book)]
