"""Command-line manners: `-` for stdin and stdout, --region, a purchases file's customer by
email, abook's header-less CSV, no app without a terminal, completion scripts, examples."""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.books import Place
from tests.cli.commands import cli_env, run_cli
from tests.refusals import one_line_error
from tui_crm.cli import build_parser, main
from tui_crm.core.customers import create_customer
from tui_crm.db.database import close_database, open_database


@pytest.fixture
def home(tmp_path) -> Path:
    return tmp_path / "home"


@pytest.fixture
def book(tmp_path, monkeypatch, book_place, another_place) -> Place:
    """A book with Ada (her own address) and two Bergs who share one, beside the test's
    `book_place` (the empty book's), on the same engine."""
    monkeypatch.setenv("TUI_CRM_HOME", str(tmp_path / "setup-home"))
    path = another_place("book.db")
    db = open_database(path)
    create_customer(
        db, {"first_name": "Ada", "last_name": "Lovelace", "emails": ["ada@example.com"]}
    )
    for first in ("Anna", "Per"):
        create_customer(
            db, {"first_name": first, "last_name": "Berg", "emails": ["berg@example.com"]}
        )
    close_database()
    return path


@pytest.fixture
def empty_book(tmp_path, monkeypatch, book_place) -> Place:
    monkeypatch.setenv("TUI_CRM_HOME", str(tmp_path / "setup-home"))
    path = book_place
    open_database(path)
    close_database()
    return path


def _found(home: Path, book: Place) -> list[dict]:
    result = run_cli(home, "find", "--db", str(book), "--format", "json", "--limit", "0")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


# --- `-`: stdin for import, stdout for export -----------------------------------------------


def test_import_dash_reads_stdin_and_recognises_the_format_from_the_content(home, empty_book):
    vcard = "BEGIN:VCARD\r\nVERSION:3.0\r\nN:Hopper;Grace;;;\r\nFN:Grace Hopper\r\nEND:VCARD\r\n"
    result = run_cli(home, "import", "-", "--db", str(empty_book), stdin=vcard)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("stdin (vCard")
    assert "1 added" in result.stdout
    csv_text = "First Name,Last Name,E-mail\nAlan,Turing,alan@example.com\n"
    result = run_cli(home, "import", "-", "--db", str(empty_book), stdin=csv_text)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("stdin (CSV")
    assert {r["name"] for r in _found(home, empty_book)} == {"Grace Hopper", "Alan Turing"}


def test_import_dash_honours_format(home, empty_book):
    vcard = "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Grace Hopper\r\nEND:VCARD\r\n"
    result = run_cli(home, "import", "-", "--format", "csv", "--db", str(empty_book), stdin=vcard)
    err = one_line_error(result.returncode, result.stdout, result.stderr)
    assert "stdin: is a vCard file, not CSV" in err


def test_import_dash_with_a_terminal_on_stdin_says_how_to_pipe_instead(home, empty_book):
    leader, follower = os.openpty()
    try:
        result = subprocess.run(
            [sys.executable, "-m", "tui_crm", "import", "-", "--db", str(empty_book)],
            stdin=follower,
            capture_output=True,
            text=True,
            env=cli_env(home),
            timeout=60,
        )
    finally:
        os.close(follower)
        os.close(leader)
    err = one_line_error(result.returncode, result.stdout, result.stderr)
    assert "pipe it in" in err


def test_export_dash_o_writes_stdout_that_import_dash_reads_into_another_book(
    home, book, empty_book
):
    exported = run_cli(home, "export", "--db", str(book), "-o", "-")
    assert exported.returncode == 0, exported.stderr
    assert exported.stdout.startswith("id,uid,first_name")
    assert exported.stderr.startswith("tui-crm: 3 ")
    assert not Path("-").exists()
    result = run_cli(home, "import", "-", "--db", str(empty_book), stdin=exported.stdout)
    assert result.returncode == 0, result.stderr
    assert "3 added" in result.stdout
    names = sorted(r["name"] for r in _found(home, empty_book))
    assert names == ["Ada Lovelace", "Anna Berg", "Per Berg"]


# --- --region ---------------------------------------------------------------------------


def test_region_reads_numbers_without_country_code_in_that_country(home, empty_book, tmp_path):
    berlin = tmp_path / "berlin.csv"
    berlin.write_text("Name,Phone\nHans Meier,030 12345678\n", encoding="utf-8")
    # The tests' region is US, where 030 12345678 is no number.
    result = run_cli(home, "import", str(berlin), "--region", "de", "--db", str(empty_book))
    assert result.returncode == 0, result.stderr
    assert "1 added" in result.stdout
    assert "not verified" not in result.stdout
    (hans,) = _found(home, empty_book)
    assert hans["phone"] == "+49 30 12345678"


@pytest.mark.parametrize("code", ["XX", "Germany", "D E"])
def test_a_bad_region_is_refused_in_one_line(home, empty_book, tmp_path, code):
    file = tmp_path / "one.csv"
    file.write_text("Name\nHans Meier\n", encoding="utf-8")
    result = run_cli(home, "import", str(file), "--region", code, "--db", str(empty_book))
    assert result.returncode == 2 and result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert line.startswith("tui-crm import: error: argument --region:")
    assert "is not a country code such as DE" in line
    assert _found(home, empty_book) == []


# --- a purchases file's customer column holds emails -----------------------------------------


def test_purchases_customer_column_accepts_an_email_of_one_customer(home, book, tmp_path):
    sales = tmp_path / "sales.csv"
    sales.write_text(
        "customer,date,amount\n"
        "ada@example.com,2026-01-05,120.00\n"
        "ADA@example.com,2026-01-06,30.00\n"
        "berg@example.com,2026-01-07,50.00\n"
        "nobody@example.com,2026-01-08,70.00\n"
        "1,2026-01-09,5.00\n",
        encoding="utf-8",
    )
    result = run_cli(home, "import", str(sales), "--db", str(book))
    assert result.returncode == 0, result.stderr
    assert "3 added" in result.stdout
    assert "2 rejected" in result.stdout
    lines = result.stdout.splitlines()
    shared = next(line for line in lines if "line 4" in line)
    assert "berg@example.com" in shared and "several customers" in shared
    unknown = next(line for line in lines if "line 5" in line)
    assert "no customer with email 'nobody@example.com'" in unknown
    found = run_cli(home, "find", "--db", str(book), "--as-of", "2026-02-01", "--format", "json")
    value = {r["name"]: r["value_12m"] for r in json.loads(found.stdout)}
    assert value == {"Ada Lovelace": "155.00", "Anna Berg": "0.00", "Per Berg": "0.00"}


# --- abook's header-less CSV ---------------------------------------------------------------

ABOOK = (
    '"Ada Lovelace","ada@example.com,countess@example.org","+44 20 7946 0123","met at the fair","ada"\n'
    '"Grace Hopper","grace@example.com","","",""\n'
)


def test_abook_csv_without_a_header_is_recognised(home, empty_book, tmp_path):
    file = tmp_path / "addressbook.csv"
    file.write_text(ABOOK, encoding="utf-8")
    result = run_cli(home, "import", str(file), "--db", str(empty_book))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("addressbook.csv (abook CSV, 2 rows)")
    assert "2 added" in result.stdout
    exported = run_cli(home, "export", "--db", str(empty_book))
    rows = {row["last_name"]: row for row in csv.DictReader(io.StringIO(exported.stdout))}
    assert rows["Lovelace"]["first_name"] == "Ada"
    assert rows["Lovelace"]["nickname"] == "ada"
    assert "countess@example.org" in rows["Lovelace"]["emails"]
    assert rows["Lovelace"]["phones"] == "home: +442079460123"
    assert "met at the fair" in rows["Lovelace"]["notes"]
    assert rows["Hopper"]["emails"] == "work: grace@example.com"


def test_no_header_reads_abook_columns_that_the_shape_alone_does_not_show(
    home, empty_book, tmp_path
):
    # No email at all: nothing says this is abook's, so only --no-header reads it.
    file = tmp_path / "phones.csv"
    file.write_text(
        '"Bob Stone","","+1 202 555 0143","",""\n"","","","only a note",""\n', encoding="utf-8"
    )
    refused = run_cli(home, "import", str(file), "--db", str(empty_book))
    assert "no column holds a name" in one_line_error(
        refused.returncode, refused.stdout, refused.stderr
    )
    result = run_cli(home, "import", str(file), "--no-header", "--db", str(empty_book))
    assert result.returncode == 0, result.stderr
    assert "1 added" in result.stdout and "1 rejected" in result.stdout
    assert any(line.strip().startswith("line 2") for line in result.stdout.splitlines())
    assert [r["name"] for r in _found(home, empty_book)] == ["Bob Stone"]


@pytest.mark.parametrize(
    "extra", [("--format", "vcard"), ("--format", "purchases"), ("--map", "Name=ignore")]
)
def test_no_header_with_a_format_or_a_map_it_cannot_mean_is_one_line(
    home, empty_book, tmp_path, extra
):
    file = tmp_path / "addressbook.csv"
    file.write_text(ABOOK, encoding="utf-8")
    result = run_cli(home, "import", str(file), "--no-header", *extra, "--db", str(empty_book))
    assert "--no-header" in one_line_error(result.returncode, result.stdout, result.stderr)


def test_a_headed_file_is_still_read_by_its_header(home, empty_book, tmp_path):
    # Five columns and addresses: the header row decides, not abook's shape.
    file = tmp_path / "five.csv"
    file.write_text(
        "Name,E-mail,Phone,Notes,Nickname\nAda Lovelace,ada@example.com,,,\n", encoding="utf-8"
    )
    result = run_cli(home, "import", str(file), "--db", str(empty_book))
    assert result.returncode == 0, result.stderr
    assert "(CSV, 1 row)" in result.stdout


# --- the app needs a terminal ---------------------------------------------------------------

NO_TERMINAL = (
    "tui-crm: error: the app needs a terminal; use a command such as `tui-crm find` in scripts"
)


@pytest.mark.parametrize("args", [(), ("--demo",)])
def test_the_app_without_a_terminal_says_so_and_exits(home, args):
    result = run_cli(home, *args, stdin="")  # stdin and stdout are pipes
    assert one_line_error(result.returncode, result.stdout, result.stderr) == NO_TERMINAL
    assert not home.exists() or not any(home.rglob("*.db"))  # no book made on the way


def test_the_app_with_only_stdin_a_terminal_still_refuses(home):
    leader, follower = os.openpty()
    try:
        result = subprocess.run(
            [sys.executable, "-m", "tui_crm"],
            stdin=follower,
            capture_output=True,
            text=True,
            env=cli_env(home),
            timeout=60,
        )
    finally:
        os.close(follower)
        os.close(leader)
    assert one_line_error(result.returncode, result.stdout, result.stderr) == NO_TERMINAL


# --- completion -----------------------------------------------------------------------------

SUBCOMMANDS = (
    "find",
    "log",
    "tag",
    "set",
    "snooze",
    "undo",
    "import",
    "export",
    "backup",
    "trash",
    "copy",
    "keep",
    "completion",
)


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_prints_a_script_that_knows_the_subcommands(home, shell):
    result = run_cli(home, "completion", shell)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert len(result.stdout.splitlines()) > 20
    for name in SUBCOMMANDS:
        assert name in result.stdout
    assert "region" in result.stdout and "no-header" in result.stdout
    if shell == "bash" and shutil.which("bash"):
        checked = subprocess.run(["bash", "-n"], input=result.stdout, text=True)
        assert checked.returncode == 0
        assert "_shtab_tui_crm_import_pos_0_COMPGEN=_shtab_compgen_files" in result.stdout
    if shell == "zsh":
        assert result.stdout.startswith("#compdef tui-crm")


def test_completion_of_an_unknown_shell_is_one_line(home):
    result = run_cli(home, "completion", "powershell")
    assert result.returncode == 2 and result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert line.startswith("tui-crm completion: error:")
    assert "'bash', 'zsh', 'fish'" in line


# --- examples in every command's --help ----------------------------------------------------


def _subcommands() -> list[str]:
    parser = build_parser()
    (action,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return list(action.choices)


def test_every_command_is_listed_here():
    assert set(SUBCOMMANDS) <= set(_subcommands())
    assert len(_subcommands()) == 25


@pytest.mark.parametrize("command", [*_subcommands(), None])
def test_help_of_every_command_shows_two_or_three_examples(command, capsys):
    with pytest.raises(SystemExit) as done:
        main([command, "--help"] if command else ["--help"])
    assert done.value.code == 0
    help_text = capsys.readouterr().out
    head, found, examples = help_text.partition("\nExamples:\n")
    assert found, help_text
    lines = [line for line in examples.splitlines() if line.strip()]
    assert 2 <= len(lines) <= 3
    assert all(line.startswith("  ") and "tui-crm" in line for line in lines)
    assert any(f"tui-crm {command or ''}" in line for line in lines)


@pytest.mark.parametrize(
    "argv",
    [
        ["find", "rob", "--limit", "3"],
        ["--db", "find", "find", "rob"],  # a book named "find"
        ["--db=x.db", "--demo", "attention", "--reason", "lapsed"],
        ["--demo", "log", "1", "--note", "hi"],
        ["--db", "find"],  # no command: the app
        [],
        ["check", "--repair", "--db", "b.db"],
        ["referrals", "find"],
        ["completion", "zsh"],
    ],
)
def test_a_command_named_plainly_parses_as_with_every_command_built(argv):
    """A run builds only its own subcommand's parser; what it parses is what the whole
    parser would."""
    from tui_crm.cli import _command_in

    assert vars(build_parser(_command_in(argv)).parse_args(argv)) == vars(
        build_parser().parse_args(argv)
    )
