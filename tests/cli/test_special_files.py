"""Files are written whole or not at all, and never over what is not a regular file: a device,
a pipe or a folder is refused, a link is written through to its file, and what a killed write
left behind is ours, private, and cleaned on the next run.

The devices are reached through links in tmp_path, never named directly: run against code that
replaced them, these tests replace only their own links, not the machine's /dev/null.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tui_crm.cli import main
from tui_crm.core.customers import create_customer
from tui_crm.db.database import close_database, open_database
from tui_crm.whole_files import LEFTOVER_AGE


def _run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    close_database()
    out, err = capsys.readouterr()
    return code, out, err


def _refused(capsys, *args: str) -> str:
    code, out, err = _run(capsys, *args)
    assert (code, out) == (1, "")
    assert len(err.splitlines()) == 1, err
    return err


@pytest.fixture
def book(home, book_place) -> str:
    """Three customers, in a file or on the test cluster: the files written here are
    exports, whatever the book's engine."""
    path = book_place
    db = open_database(path)
    for n in range(3):
        create_customer(
            db, {"first_name": f"Ada{n}", "last_name": "Lovelace", "emails": [f"a{n}@x.org"]}
        )
    close_database()
    return path


def test_export_refuses_a_device_a_pipe_and_a_folder_and_leaves_them_alone(book, capsys, tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    folder = tmp_path / "folder"
    folder.mkdir()
    (tmp_path / "to-null").symlink_to("/dev/null")
    for target, kind in (
        (str(fifo), "a pipe"),
        (str(folder), "a folder"),
        (str(tmp_path / "to-null"), "a device"),
    ):
        err = _refused(capsys, "export", "-o", target, "--db", str(book))
        assert f"{target} is {kind}" in err and "-o - for stdout" in err
    assert stat.S_ISFIFO(fifo.lstat().st_mode)
    assert list(folder.iterdir()) == []
    assert (tmp_path / "to-null").is_symlink()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".tui-crm")]


def test_dev_stdout_on_a_pipe_is_refused_and_dash_is_stdout(book, tmp_path):
    env = {**os.environ, "TUI_CRM_HOME": str(tmp_path / "home")}
    command = [sys.executable, "-m", "tui_crm", "export", "--format", "emails", "--db", str(book)]
    stdout = tmp_path / "stdout"
    stdout.symlink_to("/dev/stdout")  # leads where /dev/stdout does: the pipe we read
    piped = subprocess.run([*command, "-o", str(stdout)], capture_output=True, text=True, env=env)
    assert piped.returncode == 1 and piped.stdout == ""
    assert f"{stdout} is a pipe" in piped.stderr
    dash = subprocess.run([*command, "-o", "-"], capture_output=True, text=True, env=env)
    assert dash.returncode == 0
    assert dash.stdout.splitlines() == [f"Ada{n} Lovelace <a{n}@x.org>" for n in range(3)]
    assert not (Path.cwd() / "-").exists()


def test_an_export_through_a_symlink_replaces_the_file_it_points_to(book, capsys, tmp_path):
    exports = tmp_path / "exports"
    exports.mkdir()
    real = exports / "2026-11.txt"
    real.write_text("last month\n")
    real.chmod(0o640)
    link = tmp_path / "latest.txt"
    link.symlink_to(real)
    code, _, err = _run(capsys, "export", "--format", "emails", "-o", str(link), "--db", str(book))
    assert code == 0, err
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert real.read_text().startswith("Ada0 Lovelace <a0@x.org>\n")
    assert stat.S_IMODE(real.stat().st_mode) == 0o640  # a replaced file keeps its permissions
    dangling = tmp_path / "new.txt"
    dangling.symlink_to(exports / "new-target.txt")
    assert _run(capsys, "export", "-o", str(dangling), "--db", str(book))[0] == 0
    assert dangling.is_symlink() and (exports / "new-target.txt").read_text().count("Ada") == 3
    assert sorted(p.name for p in exports.iterdir()) == ["2026-11.txt", "new-target.txt"]


@pytest.mark.sqlite_only  # a device or a pipe given as the book's file
def test_demo_refuses_a_device_or_a_pipe_as_its_database(home, capsys, tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    null = tmp_path / "null"
    null.symlink_to("/dev/null")
    for target, kind in ((null, "a device"), (fifo, "a pipe")):
        err = _refused(capsys, "demo", "--db", str(target), "--customers", "1")
        assert f"{target} is {kind}" in err
    assert null.is_symlink() and stat.S_ISCHR(null.stat().st_mode)
    assert stat.S_ISFIFO(fifo.lstat().st_mode)


def _age(path: Path, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then))


def test_leftovers_of_killed_exports_are_cleaned_only_when_ours_and_old(book, capsys, tmp_path):
    folder = tmp_path / "exports"
    folder.mkdir()
    old = folder / ".tui-crm-export-abc123.part"  # an export killed an hour ago
    old.write_text("half a file of customers")
    _age(old, LEFTOVER_AGE + 60)
    young = folder / ".tui-crm-export-def456.part"  # perhaps another export, still writing
    young.write_text("being written")
    theirs = folder / "tmpq1w2e3.part"  # not named as ours: not ours to remove
    theirs.write_text("someone's")
    _age(theirs, LEFTOVER_AGE + 60)
    code, _, err = _run(capsys, "export", "-o", str(folder / "all.csv"), "--db", str(book))
    assert code == 0, err
    assert sorted(p.name for p in folder.iterdir()) == [
        ".tui-crm-export-def456.part",
        "all.csv",
        "tmpq1w2e3.part",
    ]


def test_a_killed_export_leaves_only_a_private_file_that_the_next_run_removes(
    book, capsys, tmp_path
):
    folder = tmp_path / "exports"
    folder.mkdir()
    script = (
        "import os, sys\n"
        "from tui_crm.core.interchange import files\n"
        "from tui_crm.db.database import open_database\n"
        "def killed(records, out):\n"
        "    out.write('id,first_name\\n1,Ada\\n'); out.flush()\n"
        "    os.kill(os.getpid(), 9)\n"
        "files.write_contacts_csv = killed\n"
        f"files.export_to_file(open_database({str(book)!r}), '', 'csv', {str(folder / 'all.csv')!r})\n"
    )
    env = {**os.environ, "TUI_CRM_HOME": str(tmp_path / "home")}
    result = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True)
    assert result.returncode == -9
    (part,) = folder.iterdir()
    assert part.name.startswith(".tui-crm-export-") and part.name.endswith(".part")
    assert stat.S_IMODE(part.stat().st_mode) == 0o600  # no one else can read what it holds
    assert "Ada" in part.read_text()
    _age(part, LEFTOVER_AGE + 1)
    assert _run(capsys, "export", "-o", str(folder / "all.csv"), "--db", str(book))[0] == 0
    assert [p.name for p in folder.iterdir()] == ["all.csv"]


@pytest.mark.sqlite_only  # what a killed demo leaves beside its file
def test_a_killed_demo_is_cleaned_by_the_next_demo_in_that_folder(home, capsys, tmp_path):
    for name in (
        ".tui-crm-demo-k1.partial",
        ".tui-crm-demo-k1.partial-wal",
        ".tui-crm-demo-k2.partial-shm",
    ):
        (tmp_path / name).write_bytes(b"x")
        _age(tmp_path / name, LEFTOVER_AGE + 1)
    code, out, err = _run(capsys, "demo", "--db", str(tmp_path / "demo.db"), "--customers", "0")
    assert (code, err) == (0, "")
    assert out == f"wrote a demo database with 0 customers to {tmp_path / 'demo.db'}\n"
    assert [p.name for p in tmp_path.iterdir() if p.is_file()] == ["demo.db"]
    assert stat.S_IMODE((tmp_path / "demo.db").stat().st_mode) == 0o600
