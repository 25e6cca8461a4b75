"""Odd input on the command line: future times, empty or missing books, --demo everywhere,
huge numbers and NUL in queries; each refused in one line that names the cause."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from tui_crm.cli import main
from tui_crm.core.customers import create_customer, log_interaction
from tui_crm.db.database import close_database, open_database


def _run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    close_database()
    out, err = capsys.readouterr()
    return code, out, err


def _one_line(code: int, out: str, err: str) -> str:
    assert code == 1 and out == ""
    assert len(err.splitlines()) == 1, err
    assert err.startswith("tui-crm: error: ")
    return err.strip()


@pytest.fixture
def book(home, tmp_path) -> Path:
    """Ada, with a follow-up due in three days from a call yesterday."""
    path = tmp_path / "book.db"
    db = open_database(path)
    ada = create_customer(db, {"first_name": "Ada", "last_name": "Lovelace"})
    log_interaction(
        db,
        ada,
        notes="Wants a quote",
        at=datetime.now() - timedelta(days=1),
        follow_up=date.today() + timedelta(days=3),
    )
    close_database()
    return path


def _follow_up(capsys, book: Path) -> str:
    code, out, _ = _run(capsys, "find", "ada", "--format", "json", "--db", str(book))
    assert code == 0
    return json.loads(out)[0]["next_follow_up"]


def test_a_call_logged_in_the_future_is_refused_and_keeps_the_follow_up_open(book, capsys):
    due = _follow_up(capsys, book)
    assert due
    tomorrow = datetime.now() + timedelta(days=1)
    line = _one_line(
        *_run(
            capsys,
            "log",
            "Ada Lovelace",
            "--note",
            "x",
            "--at",
            f"{tomorrow:%Y-%m-%d %H:%M}",
            "--db",
            str(book),
        )
    )
    assert "--at:" in line and "in the future" in line
    assert _follow_up(capsys, book) == due


def test_a_clock_a_minute_or_two_ahead_is_not_the_future(book, capsys):
    soon = datetime.now() + timedelta(minutes=2)
    code, out, err = _run(
        capsys, "log", "1", "--note", "Called", "--at", f"{soon:%Y-%m-%d %H:%M}", "--db", str(book)
    )
    assert (code, err) == (0, "")
    assert out.startswith(f"logged call with Ada Lovelace (#1) at {soon:%Y-%m-%d %H:%M}")


def test_a_call_logged_in_the_past_reports_that_call_not_the_newest(book, capsys):
    code, out, err = _run(
        capsys, "log", "1", "--note", "Old call", "--at", "2020-05-04 09:30", "--db", str(book)
    )
    assert (code, err) == (0, "")
    assert out == "logged call with Ada Lovelace (#1) at 2020-05-04 09:30\n"
