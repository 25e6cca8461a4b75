"""A book named by a URL (--db, TUI_CRM_DB; issue 20): `sqlite:///path` opens the file; a URL
of anything else but PostgreSQL (tests/cli/test_team_mode.py) is one line that never shows its
password, and nothing is written anywhere."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.commands import run_cli
from tests.refusals import one_line_error


@pytest.mark.sqlite_only  # sqlite:// names a file; postgresql://: test_team_mode.py
def test_a_sqlite_url_names_the_book_file(home: Path, tmp_path: Path):
    book = tmp_path / "team.db"
    made = run_cli(home, "demo", "--db", f"sqlite://{book}")
    assert made.returncode == 0, made.stderr
    assert book.exists()
    found = run_cli(home, "find", "robert", "--format", "csv", "--db", f"sqlite://{book}")
    assert found.returncode == 0 and "Robert" in found.stdout
    by_env = run_cli(home, "find", "robert", "--format", "csv", TUI_CRM_DB=f"sqlite://{book}")
    assert by_env.stdout == found.stdout


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("mysql://root:s3cret@host/crm", "mysql://root@host/crm: not a book this app opens"),
        ("ftp://anna:s3cret@host/crm.db", "ftp://anna@host/crm.db: not a book this app opens"),
        ("sqlite://", "sqlite:// needs the book's file"),
    ],
)
def test_a_url_of_no_book_is_one_line_without_its_password(home, tmp_path, url, says):
    for given in (("--db", url), ()):
        result = run_cli(home, "find", "x", *given, **({} if given else {"TUI_CRM_DB": url}))
        line = one_line_error(result.returncode, result.stdout, result.stderr)
        assert says in line
        assert "s3cret" not in result.stderr + result.stdout
    assert not any(tmp_path.rglob("*.db")) and not any(home.rglob("*.db"))
