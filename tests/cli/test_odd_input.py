"""Odd input on the command line: future times, empty or missing books, --demo everywhere,
huge numbers and NUL in queries; each refused in one line that names the cause."""

from __future__ import annotations

import json
import random
import string
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from tests.refusals import one_line_error
from tui_crm.cli import main
from tui_crm.core.customers import create_customer, log_interaction
from tui_crm.db.database import close_database, open_database


def _run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    close_database()
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def book(home, book_place) -> str:
    """Ada, with a follow-up due in three days from a call yesterday."""
    path = book_place
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


def _follow_up(capsys, book: str) -> str:
    code, out, _ = _run(capsys, "find", "ada", "--format", "json", "--db", str(book))
    assert code == 0
    return json.loads(out)[0]["next_follow_up"]


def test_a_call_logged_in_the_future_is_refused_and_keeps_the_follow_up_open(book, capsys):
    due = _follow_up(capsys, book)
    assert due
    tomorrow = datetime.now() + timedelta(days=1)
    line = one_line_error(
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
    # A clock a minute or two ahead of this computer's (a phone's, say) is not the future.
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


@pytest.mark.parametrize(
    "command",
    [
        ("find", "ada"),
        ("attention",),
        ("referrals",),
        ("duplicates",),
        ("export",),
        ("log", "1", "--note", "x"),
    ],
)
@pytest.mark.sqlite_only  # an empty file, and a file that is not there, named as the book
def test_an_empty_or_missing_named_book_is_refused_and_left_alone(home, capsys, tmp_path, command):
    empty = tmp_path / "empty.db"
    empty.touch()
    line = one_line_error(*_run(capsys, *command, "--db", str(empty)))
    assert f"{empty} is an empty file (0 bytes), not a tui-crm book" in line
    assert [p.name for p in tmp_path.iterdir() if p.is_file()] == ["empty.db"]
    assert empty.stat().st_size == 0
    line = one_line_error(*_run(capsys, *command, "--db", str(tmp_path / "typo.db")))
    assert "no database at" in line
    assert not (tmp_path / "typo.db").exists()


def test_demo_with_no_customers_writes_an_empty_book(home, capsys, book_place):
    path = book_place  # a file not made yet, or a new book on the test cluster
    code, out, err = _run(capsys, "demo", "--customers", "0", "--db", str(path))
    assert (code, err) == (0, "")
    assert "0 customers" in out
    code, out, err = _run(capsys, "find", "--db", str(path))
    assert (code, out, err) == (0, "", "no customers match\n")


@pytest.fixture
def demo_book(home) -> Path:
    """The demo book where --demo looks for it, with one customer only it has."""
    from tui_crm.paths import demo_db_path

    path = demo_db_path()
    db = open_database(path)
    create_customer(db, {"first_name": "Dora", "last_name": "Demo", "emails": ["dora@x.org"]})
    close_database()
    return path


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        (("--demo", "find", "dora"), "Dora Demo"),
        (("find", "dora", "--demo"), "Dora Demo"),
        (("attention", "--demo", "--format", "json"), "Dora Demo"),
        (("duplicates", "--demo", "--format", "json"), "[]"),
        (("referrals", "--demo"), ""),
        (("export", "--demo", "--format", "emails"), "Dora Demo <dora@x.org>"),
        (("--demo", "log", "Dora Demo", "--note", "Hello"), "logged call with Dora Demo (#1)"),
    ],
)
# --demo's book is always a file (paths.demo_db_path); the other book only has to be there.
@pytest.mark.sqlite_only
def test_every_command_honours_demo(demo_book, book, capsys, command, expected):
    code, out, err = _run(capsys, *command)
    assert code == 0, err
    assert expected in out
    assert "Ada" not in out


def test_demo_and_db_together_are_refused(demo_book, book, capsys):
    for command in (("--demo", "find", "--db", str(book)), ("find", "--demo", "--db", str(book))):
        assert "either --demo or --db" in one_line_error(*_run(capsys, *command))


@pytest.mark.sqlite_only  # --demo's book is always a file (paths.demo_db_path)
def test_demo_makes_the_demo_book_on_first_use(home, capsys):
    from tui_crm.paths import demo_db_path

    assert not demo_db_path().exists()
    code, out, err = _run(capsys, "--demo", "find", "robert", "--format", "json")
    assert code == 0
    assert "creating the demo database" in err
    assert "Robert Smith" in {r["name"] for r in json.loads(out)}


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("find", "spent12m>=99999999999999999999999"), "too large an amount"),
        (("find", "lifetime<-99999999999999999999999"), "too large an amount"),
        (("find", "referred_by:99999999999999999999999"), "too large an id"),
        (("find", "referred_by:²"), "takes a customer id"),
        (("find", "rob\x00ert"), "cannot hold a NUL character (at 1: rob␀ert)"),
        (("find", "ada", "tag:\x00"), "NUL character (at 5: tag:␀)"),
        (("log", "99999999999999999999999", "--note", "x"), "no customer with id"),
        (("log", "²", "--note", "x"), "no customer with id ²"),
        (("referrals", "99999999999999999999999"), "no customer with id"),
        (("find", "--as-of", "0001-01-01"), "outside 1900-01-01"),
        (("attention", "--as-of", "9999-12-31"), "outside 1900-01-01"),
        (("demo", "--customers", "99999999999999999999"), "at most 100,000 customers"),
    ],
)
def test_huge_numbers_and_nul_are_one_line_naming_the_token(book, capsys, args, words):
    try:
        code = main([*args, "--db", str(book)] if args[0] != "demo" else list(args))
    except SystemExit as exit:  # argparse: usage errors are status 2
        code = exit.code
    close_database()
    out, err = capsys.readouterr()
    assert code in (1, 2) and out == ""
    assert len(err.splitlines()) == 1, err
    assert words in err


def test_a_huge_limit_is_no_limit(book, capsys):
    code, out, err = _run(capsys, "find", "--limit", "99999999999999999999", "--db", str(book))
    assert (code, err) == (0, "")
    assert "Ada Lovelace" in out


def test_a_customer_with_a_long_city_is_imported_and_found(book, capsys, tmp_path):
    """As on a file, on PostgreSQL too: longer than a b-tree index entry can be (2 704 bytes)."""
    letters = random.Random(1)  # 4 000 letters at random: no compression takes them far
    city = "".join(letters.choice(string.ascii_letters) for _ in range(4000))
    source = tmp_path / "long.csv"
    source.write_text(f"First Name,Last Name,City\nLena,Lang,{city}\n")
    code, out, err = _run(capsys, "import", str(source), "--db", str(book))
    assert (code, err) == (0, ""), err
    assert "1 added" in out
    code, out, _ = _run(capsys, "find", "lang", "--format", "json", "--db", str(book))
    assert [r["city"] for r in json.loads(out)] == [city]
