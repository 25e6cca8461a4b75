"""When the disk or the file fails, the one line says what happened: a full disk, a read-only
file or folder, a damaged page and its number; never "the file may be damaged" for all."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest

from tests.refusals import one_line_error
from tui_crm.cli import main
from tui_crm.core.customers import create_customer, log_interaction
from tui_crm.db import database
from tui_crm.db.database import close_database, open_database

# The failures of SQLite's own file: its size limit as a full disk, a read-only file or folder,
# a damaged page by its number. A server's failures as one line: test_team_mode.py's
# test_a_server_it_cannot_reach_is_one_line_without_its_password.
pytestmark = pytest.mark.sqlite_only


def _one_line(capsys, *args: str) -> str:
    code = main(list(args))
    close_database()
    return one_line_error(code, *capsys.readouterr())


@pytest.fixture
def book(home, tmp_path) -> Path:
    path = tmp_path / "book.db"
    db = open_database(path)
    for n in range(40):
        cid = create_customer(db, {"first_name": f"Ada{n}", "last_name": "Lovelace"})
        log_interaction(db, cid, notes="Called " * 50)
    db.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    close_database()
    return path


def _count(path: Path, table: str) -> int:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    finally:
        conn.close()


def test_a_full_disk_is_named_and_nothing_is_saved(book, capsys, monkeypatch, tmp_path):
    before = _count(book, "interaction")
    # SQLite's own limit on the file's size fails exactly as a full disk does (SQLITE_FULL).
    monkeypatch.setitem(database.PRAGMAS, "max_page_count", 1)
    line = _one_line(capsys, "log", "1", "--note", "x" * 200_000, "--db", str(book))
    assert (
        line
        == f"tui-crm: error: {book}: the disk is full; nothing was saved (free some space and try again)"
    )
    source = tmp_path / "many.csv"
    source.write_text(
        "First Name,Last Name,Notes\n" + "".join(f"P{n},Q,{'x' * 200}\n" for n in range(2000))
    )
    line = _one_line(capsys, "import", str(source), "--db", str(book))
    assert "the disk is full" in line
    monkeypatch.delitem(database.PRAGMAS, "max_page_count")
    assert _count(book, "interaction") == before
    assert _count(book, "customer") == 40


def test_a_read_only_book_is_named_as_such(book, capsys, monkeypatch):
    monkeypatch.setitem(database.PRAGMAS, "query_only", 1)  # SQLITE_READONLY, as for a 0444 file
    line = _one_line(capsys, "log", "1", "--note", "Called", "--db", str(book))
    assert (
        line
        == f"tui-crm: error: {book} cannot be written: it was opened read-only; nothing was changed"
    )
    real_access = os.access

    def no_writing(path, mode, **kwargs):  # as for a user without write permission
        return False if mode & os.W_OK and Path(path) == book else real_access(path, mode, **kwargs)

    monkeypatch.setattr(os, "access", no_writing)
    line = _one_line(capsys, "log", "1", "--note", "Called", "--db", str(book))
    assert "cannot be written: the file is read-only" in line

    def read_only_folder(path, mode, **kwargs):
        return (
            False
            if mode & os.W_OK and Path(path) == book.parent
            else real_access(path, mode, **kwargs)
        )

    monkeypatch.setattr(os, "access", read_only_folder)
    line = _one_line(capsys, "log", "1", "--note", "Called", "--db", str(book))
    assert f"its folder {book.parent} is read-only" in line


def _damage_root_page(path: Path, table: str) -> int:
    conn = sqlite3.connect(path)
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    (root,) = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", (table,)).fetchone()
    conn.close()
    with path.open("r+b") as file:
        file.seek((root - 1) * page_size)
        file.write(b"\x0d\x00\x00\xff\xff")  # a leaf page header with an impossible cell count
    return root


def test_a_damaged_page_is_named_by_its_number_on_opening(book, capsys):
    page = _damage_root_page(book, "interaction")
    before = book.read_bytes()
    line = _one_line(capsys, "attention", "--db", str(book))
    assert f"{book} is damaged at page {page} (SQLite: " in line
    assert book.read_bytes() == before


def test_a_damaged_page_found_while_reading_a_large_book_is_named_too(book, capsys, monkeypatch):
    monkeypatch.setattr(database, "QUICK_CHECK_LIMIT", 0)  # as for a book over 64 MiB
    page = _damage_root_page(book, "interaction")
    line = _one_line(capsys, "log", "1", "--note", "Called", "--db", str(book))
    assert f"{book} is damaged at page {page} (SQLite: " in line
    assert "may be damaged" not in line
