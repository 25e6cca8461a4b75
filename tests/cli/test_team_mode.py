"""The command line on a book on PostgreSQL (issue 20, team mode): `--db postgresql://…` and
TUI_CRM_DB open it; `tui-crm copy` moves a whole book from a file to a server and back, checked
on both sides; backups are pg_dump archives that `backups` lists and `restore` puts back; a
server it cannot reach is one line that never shows a password."""

from __future__ import annotations

import itertools
import os
from pathlib import Path

import pytest

from tests.cli.commands import run_cli
from tests.refusals import one_line_error

pytestmark = pytest.mark.postgres

_NEW = itertools.count(1)


@pytest.fixture
def new_database(pg_cluster) -> str:
    """The URL of a database with nothing in it: not a book yet."""
    from tests.conftest import create_database

    name = f"new_{os.getpid()}_{next(_NEW)}"
    create_database(pg_cluster, name)
    return pg_cluster.url(name)


@pytest.fixture
def demo_file(home: Path, tmp_path: Path) -> Path:
    book = tmp_path / "alone.db"
    made = run_cli(home, "demo", "--db", str(book), "--customers", "60")
    assert made.returncode == 0, made.stderr
    return book


def _find(home: Path, place: str, *query: str) -> str:
    found = run_cli(home, "find", *query, "--format", "csv", "--limit", "0", "--db", place)
    assert found.returncode == 0, found.stderr
    return found.stdout


def _with_password(url: str, password: str = "s3cret") -> str:
    """The same URL with a password in it (the test server trusts its socket: unused)."""
    user, at, rest = url.removeprefix("postgresql://").partition("@")
    return f"postgresql://{user}:{password}{at}{rest}"


def test_a_book_copied_to_postgresql_and_back_answers_alike_and_is_checked(
    home, tmp_path, demo_file, new_database
):
    server = _with_password(new_database)
    there = run_cli(home, "copy", "--from", str(demo_file), "--to", server)
    assert there.returncode == 0, there.stderr
    lines = there.stdout.splitlines()
    assert lines[0].startswith("copied 60 customers, ")
    assert lines[0].endswith(f"from {demo_file} to {new_database}")
    assert lines[1:] == [
        f"checked {demo_file}: healthy, {lines[1].split('healthy, ')[1]}",
        f"checked {new_database}: healthy, {lines[1].split('healthy, ')[1]}",
    ]
    assert "s3cret" not in there.stdout + there.stderr
    for query in (("",), ("rob",), ("tier:gold", "sort:-value"), ("city:oslo",)):
        assert _find(home, server, *query) == _find(home, str(demo_file), *query)
    back = tmp_path / "back.db"
    home_again = run_cli(home, "copy", "--from", server, "--to", f"sqlite://{back}")
    assert home_again.returncode == 0, home_again.stderr
    assert home_again.stdout.splitlines()[0] == lines[0].replace(
        f"from {demo_file} to {new_database}", f"from {new_database} to {back}"
    )
    assert _find(home, str(back), "") == _find(home, str(demo_file), "")
    # The book named by TUI_CRM_DB, as by --db
    by_env = run_cli(home, "find", "rob", "--format", "csv", TUI_CRM_DB=server)
    assert by_env.stdout == _find(home, server, "rob")


def test_a_copy_is_only_into_a_new_book_and_changes_nothing_else(home, tmp_path, demo_file, pg_url):
    logged = run_cli(home, "demo", "--db", pg_url, "--customers", "5")
    assert logged.returncode == 0, logged.stderr
    held = _find(home, pg_url, "")
    refused = run_cli(home, "copy", "--from", str(demo_file), "--to", pg_url)
    assert "not empty; copy only into a new book" in one_line_error(
        refused.returncode, refused.stdout, refused.stderr
    )
    assert _find(home, pg_url, "") == held
    again = run_cli(home, "demo", "--db", pg_url)
    assert "already holds a book" in one_line_error(again.returncode, again.stdout, again.stderr)

    existing = tmp_path / "existing.db"
    existing.write_bytes(b"my notes")
    onto_file = run_cli(home, "copy", "--from", pg_url, "--to", str(existing))
    assert "already exists" in one_line_error(
        onto_file.returncode, onto_file.stdout, onto_file.stderr
    )
    assert existing.read_bytes() == b"my notes"
    same = run_cli(home, "copy", "--from", str(demo_file), "--to", f"sqlite://{demo_file}")
    assert "the same book" in one_line_error(same.returncode, same.stdout, same.stderr)
    missing = run_cli(home, "copy", "--from", str(tmp_path / "none.db"), "--to", pg_url)
    one_line_error(missing.returncode, missing.stdout, missing.stderr)
    assert sorted(p.name for p in tmp_path.iterdir() if p.suffix == ".db") == [
        "alone.db",
        "existing.db",
    ]


def test_backups_of_a_book_on_a_server_are_listed_and_restored(home, tmp_path, pg_url):
    server = _with_password(pg_url)
    assert run_cli(home, "demo", "--db", server, "--customers", "20").returncode == 0
    taken = run_cli(home, "backup", "--db", server)
    assert taken.returncode == 0, taken.stderr
    archive = Path(taken.stdout.strip())
    assert archive.suffix == ".dump" and archive.is_file()
    assert "s3cret" not in str(archive) and "crm" not in archive.parent.name
    assert archive.stat().st_mode & 0o077 == 0
    before = _find(home, server, "")

    logged = run_cli(home, "log", "1", "--note", "after the backup", "--db", server)
    assert logged.returncode == 0, logged.stderr
    assert _find(home, server, "") != before

    listed = run_cli(home, "backups", "--db", server, "--format", "csv")
    assert listed.returncode == 0, listed.stderr
    rows = listed.stdout.splitlines()
    assert rows[0] == "taken,size,customers,reason,file"
    assert rows[1].endswith(f",20,manual,{archive}")

    done = run_cli(home, "restore", str(archive), "--db", server)
    assert done.returncode == 0, done.stderr
    said = done.stdout.strip()
    assert said.startswith(f"restored 20 customers from {archive} into {pg_url}; ")
    assert "before-restore" in said and "s3cret" not in said
    assert _find(home, server, "") == before
    check = run_cli(home, "check", "--db", server)
    assert check.returncode == 0 and check.stdout.startswith("book is healthy: 20 customers")

    elsewhere = tmp_path / "copy.dump"
    to_file = run_cli(home, "backup", "--db", server, "--to", str(elsewhere))
    assert to_file.returncode == 0 and elsewhere.is_file()


def test_a_restore_on_a_server_refuses_what_is_not_its_backup(home, tmp_path, demo_file, pg_url):
    assert run_cli(home, "demo", "--db", pg_url, "--customers", "5").returncode == 0
    held = _find(home, pg_url, "")
    for given, says in (
        (demo_file, "is a book in a file, not a backup of a book on PostgreSQL"),
        (tmp_path / "none.dump", "cannot read"),
    ):
        refused = run_cli(home, "restore", str(given), "--db", pg_url)
        assert says in one_line_error(refused.returncode, refused.stdout, refused.stderr)
    junk = tmp_path / "junk.dump"
    junk.write_bytes(b"PGDMP not really")
    refused = run_cli(home, "restore", str(junk), "--db", pg_url)
    assert "not a whole PostgreSQL backup" in one_line_error(
        refused.returncode, refused.stdout, refused.stderr
    )
    assert _find(home, pg_url, "") == held


@pytest.mark.parametrize(
    ("url", "says"),
    [
        (
            "postgresql://anna:s3cret@/sales?host=/nonexistent/socket",
            "cannot open postgresql://anna@/sales?host=/nonexistent/socket: ",
        ),
        (
            "postgres:///sales?host=/nonexistent&password=s3cret&port=5433",
            "cannot open postgresql:///sales?host=/nonexistent&port=5433: ",
        ),
    ],
)
def test_a_server_it_cannot_reach_is_one_line_without_its_password(home, url, says):
    for command in (("find", "x"), ("log", "1", "--note", "x"), ("check",), ("backup",)):
        for given in (("--db", url), ()):
            env = {} if given else {"TUI_CRM_DB": url}
            result = run_cli(home, *command, *given, **env)
            line = one_line_error(result.returncode, result.stdout, result.stderr)
            assert says in line
            assert "s3cret" not in result.stderr + result.stdout


NEWCOMERS = "Name,Email,Phone,City\nKaja Nilsen,kaja@example.no,+47 912 34 567,Oslo\n"

# A day's work on the command line, reads and writes, in order: each says the same on a book on
# PostgreSQL as on the same book in a file.
DAY = (
    ("find", "rob", "--format", "csv"),
    ("find", "tier:gold", "sort:-value", "--limit", "0"),
    ("attention", "--limit", "15", "--format", "csv", "--as-of", "2026-12-06"),
    ("referrals", "--as-of", "2026-12-06"),
    ("duplicates", "--format", "csv"),
    ("agenda", "--format", "csv", "--as-of", "2026-12-06"),
    ("plan", "--format", "csv"),
    ("export", "city:oslo", "--format", "csv", "-o", "-"),
    ("tag", "city:oslo", "+vip"),
    ("set", "tag:vip", "owner=anna", "--as-of", "2026-12-06"),
    ("log-all", "tag:vip", "--note", "Summer gift", "--kind", "thanks", "--at", "2026-12-01 10:00"),
    ("snooze", "tag:vip", "--until", "2026-12-20", "--as-of", "2026-12-06"),
    ("log", "4", "--note", "Called back", "--at", "2026-12-02 09:30", "--follow-up", "2026-12-09"),
    ("undo",),
    ("import", "-"),
    ("find", "tag:vip", "--format", "json"),
    ("find", "kaja", "--format", "csv"),
    ("trash",),
    ("check",),
)


def test_every_command_says_the_same_on_postgresql_as_on_a_file(
    home, tmp_path, demo_file, new_database
):
    copied = run_cli(home, "copy", "--from", str(demo_file), "--to", new_database)
    assert copied.returncode == 0, copied.stderr
    for command in DAY:
        stdin = NEWCOMERS if command[0] == "import" else None
        on_file = run_cli(home, *command, "--db", str(demo_file), stdin=stdin)
        on_server = run_cli(home, *command, "--db", new_database, stdin=stdin)
        said = " ".join(command)
        assert on_file.returncode == 0, f"{said}: {on_file.stderr}"
        assert (on_server.returncode, on_server.stdout) == (0, on_file.stdout), said
        assert on_server.stderr.replace(new_database, "BOOK") == on_file.stderr.replace(
            str(demo_file), "BOOK"
        ), said


def test_a_copy_of_a_book_holding_a_nul_is_one_line_and_leaves_the_server_book_new(
    home, tmp_path, new_database
):
    """A file's text may hold a NUL character; PostgreSQL's cannot."""
    from tui_crm.core.customers import create_customer
    from tui_crm.db.database import close_database, open_database

    source = tmp_path / "nul.db"
    db = open_database(source)
    create_customer(db, {"first_name": "Ada", "last_name": "Lovelace"})
    create_customer(db, {"first_name": "nul\x00here", "last_name": "Zed"})
    close_database()
    refused = run_cli(home, "copy", "--from", str(source), "--to", new_database)
    assert "NUL" in one_line_error(refused.returncode, refused.stdout, refused.stderr)
    again = run_cli(home, "copy", "--from", str(source), "--to", new_database)
    assert "NUL" in one_line_error(again.returncode, again.stdout, again.stderr)  # still new
