"""`tui-crm backup`, `backups`, `restore` and `check` as a user runs them: one line for a
refusal, never a traceback."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
from pathlib import Path

import pytest

from tests.cli.books import Place, on_server, rows, write
from tests.cli.commands import run_cli
from tests.refusals import one_line_error
from tui_crm.core.customers import create_customer
from tui_crm.db.database import close_database, open_database

_run = run_cli


@pytest.fixture
def book(home: Path, book_place: str) -> Place:
    db = open_database(book_place)
    for name in ("Anna", "Ben", "Cecilie"):
        create_customer(db, {"first_name": name, "last_name": "Berg"})
    close_database()
    return book_place if on_server(book_place) else Path(book_place)


def _count(path: Place) -> int:
    return rows(path, "SELECT count(*) FROM customer")[0][0]


# Backups of a file, beside it, are files; a book on PostgreSQL's: test_team_mode.py's
# test_backups_of_a_book_on_a_server_are_listed_and_restored.
@pytest.mark.sqlite_only
def test_backup_then_list_then_restore(home, book):
    made = _run(home, "backup", "--db", str(book))
    assert made.returncode == 0, made.stderr
    saved = Path(made.stdout.strip())
    assert saved.parent == book.parent / "crm.db.backups" and _count(saved) == 3

    conn = sqlite3.connect(book)
    conn.execute("DELETE FROM customer WHERE first_name = 'Ben'")
    conn.commit()
    conn.close()

    listed = _run(home, "backups", "--db", str(book), "--format", "json")
    [row] = json.loads(listed.stdout)
    assert row["customers"] == 3 and row["reason"] == "manual" and row["file"] == str(saved)
    assert row["size"] == saved.stat().st_size
    table = _run(home, "backups", "--db", str(book)).stdout.splitlines()
    assert table[0].split() == ["TAKEN", "SIZE", "CUSTOMERS", "REASON", "FILE"]
    assert table[1].endswith(str(saved)) and " manual " in table[1]

    restored = _run(home, "restore", str(saved), "--db", str(book))
    assert restored.returncode == 0, restored.stderr
    assert "restored 3 customers" in restored.stdout and "before-restore" in restored.stdout
    assert _count(book) == 3
    reasons = [
        r["reason"]
        for r in json.loads(_run(home, "backups", "--db", str(book), "--format", "json").stdout)
    ]
    assert reasons == ["before-restore", "manual"]


@pytest.mark.sqlite_only  # a file's backup, a book itself; PostgreSQL's --to: test_team_mode.py
def test_backup_to_a_file_writes_it_whole_and_refuses_a_device_or_the_book(home, book, tmp_path):
    target = tmp_path / "copy.db"
    made = _run(home, "backup", "--db", str(book), "--to", str(target))
    assert made.returncode == 0 and made.stdout.strip() == str(target)
    assert _count(target) == 3 and oct(target.stat().st_mode & 0o777) == "0o600"
    device = tmp_path / "to-null"
    device.symlink_to("/dev/null")
    err = one_line_error(*_out(_run(home, "backup", "--db", str(book), "--to", str(device))))
    assert "is a device" in err
    err = one_line_error(*_out(_run(home, "backup", "--db", str(book), "--to", str(book))))
    assert "is the book itself" in err
    assert _count(book) == 3


def _out(result: subprocess.CompletedProcess) -> tuple[int, str, str]:
    assert "Traceback" not in result.stderr
    return result.returncode, result.stdout, result.stderr


@pytest.mark.parametrize("what", ["missing", "text", "fifo"])
def test_restore_refuses_what_is_not_a_book_in_one_line(home, book, tmp_path, what):
    bad = tmp_path / "bad.db"
    if what == "text":
        bad.write_text("name\nAnna\n")
    elif what == "fifo":
        os.mkfifo(bad)
    err = one_line_error(*_out(_run(home, "restore", str(bad), "--db", str(book))))
    assert str(bad) in err
    assert _count(book) == 3
    listed = _run(home, "backups", "--db", str(book), "--format", "json")
    assert json.loads(listed.stdout) == []  # refused before a backup
    if not on_server(book):
        assert not (book.parent / "crm.db.backups").exists()


@pytest.mark.sqlite_only  # SQLite's write lock on the file, held by another program
def test_restore_refuses_while_another_program_writes(home, book):
    saved = Path(_run(home, "backup", "--db", str(book)).stdout.strip())
    writer = sqlite3.connect(book, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    try:
        err = one_line_error(*_out(_run(home, "restore", str(saved), "--db", str(book))))
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert "being written by another program" in err and "--force" in err


def test_check_says_healthy_or_names_each_problem_and_repair_fixes_them(home, book):
    clean = _run(home, "check", "--db", str(book))
    assert clean.returncode == 0
    assert clean.stdout == "book is healthy: 3 customers, 0 interactions, 0 purchases\n"

    write(
        book,
        "UPDATE customer SET lifetime_cents = 5 WHERE id IN (1, 3)",
        # The search index: SQLite's FTS5 table, PostgreSQL's documents.
        "DELETE FROM customer_search WHERE customer_id = 2"
        if on_server(book)
        else "DELETE FROM customer_fts WHERE rowid = 2",
    )
    found = _run(home, "check", "--db", str(book))
    assert found.returncode == 1
    assert found.stdout.splitlines() == [
        "search index: 1 customer missing (#2)",
        "figures: 2 customers have a wrong lifetime_cents (#1, #3)",
        "tui-crm check --repair rebuilds the search index, figures and summaries",
    ]

    repaired = _run(home, "check", "--repair", "--db", str(book))
    assert repaired.returncode == 0, repaired.stdout + repaired.stderr
    lines = repaired.stdout.splitlines()
    suffix = ".dump" if on_server(book) else ".db"  # a pg_dump archive, or a copy of the file
    assert lines[0].startswith("backed up to ") and lines[0].endswith(f"-before-repair{suffix}")
    assert lines[1].startswith("rebuilt the search index (3 customers); the figures of 3")
    assert lines[-1].startswith("book is healthy: 3 customers")
    assert _run(home, "check", "--db", str(book)).returncode == 0


@pytest.mark.sqlite_only  # the file's pages scribbled on
def test_check_of_a_damaged_book_says_to_restore_the_newest_good_backup(home, book):
    saved = Path(_run(home, "backup", "--db", str(book)).stdout.strip())
    conn = sqlite3.connect(book)
    conn.execute("PRAGMA journal_mode = DELETE")
    conn.close()
    data = bytearray(book.read_bytes())
    for page in range(1, len(data) // 4096):  # every page after the first scribbled on
        data[page * 4096 + 8 : page * 4096 + 60] = b"\x07" * 52
    book.write_bytes(bytes(data))
    result = _run(home, "check", "--db", str(book))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"file: {book} is damaged")
    assert lines[1].startswith(f"restore a backup: tui-crm restore {saved}")
    repair = _run(home, "check", "--repair", "--db", str(book))
    assert repair.returncode == 1 and f"tui-crm restore {saved}" in repair.stdout
