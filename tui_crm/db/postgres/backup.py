"""Backups of a book on PostgreSQL: `pg_dump` archives kept on this machine, written whole,
checked, rotated as an SQLite book's are; and a restore from one with `pg_restore`, as one
transaction.

A backup is `<database>-<YYYYmmdd-HHMMSS-ffffff>-<reason>.dump` in a private folder of the
user's data folder named for the server and database (never the user or password). The
password, when the URL has one, reaches pg_dump in its environment, never on its command
line (which other users of the machine can read) nor in any message.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

from peewee import DatabaseError, InterfaceError

from tui_crm.db.backup import REASON, STAMP, BackupFile, backups_in, rotate_backups
from tui_crm.db.retention import Retention
from tui_crm.errors import CrmError
from tui_crm.paths import data_dir, ensure_private_dir, shown_url, url_parts
from tui_crm.whole_files import replacing

SUFFIX = ".dump"
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def backup_folder(url: str) -> Path:
    """Where the backups of the book at `url` are kept: one folder per server and database."""
    host, port, database, _ = url_parts(url)
    place = "local" if host.startswith("/") else host
    name = _UNSAFE.sub("_", f"{place}-{port}-{database}").strip("_")
    return data_dir() / "backups" / name


def _stem(url: str) -> str:
    return _UNSAFE.sub("_", url_parts(url)[2]).strip("_") or "book"


def _without_password(url: str) -> tuple[str, dict[str, str]]:
    """The URL to give a client program, and the environment that carries the password."""
    parts = urlsplit(url)
    env = dict(os.environ)
    _, _, _, password = url_parts(url)
    if password is not None:
        env["PGPASSWORD"] = password
    netloc = parts.netloc.rpartition("@")
    user = netloc[0].partition(":")[0]
    host = netloc[2]
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query) if k.lower() != "password"])
    clean = f"{parts.scheme}://{user + '@' if user else ''}{host}{parts.path}"
    return (clean + (f"?{query}" if query else "")), env


def _client(program: str) -> str:
    found = shutil.which(program)
    if found is None:
        raise CrmError(
            f"{program} is not installed: backups of a book on PostgreSQL need PostgreSQL's "
            "client programs (Debian: apt-get install postgresql-client)"
        )
    return found


def _run(program: str, url: str, *args: str, options: str = "") -> str:
    """Run a client program on the book at `url` (with server `options`, e.g.
    `-c lock_timeout=5000`); its output, or one line saying why not."""
    target, env = _without_password(url)
    if options:
        env["PGOPTIONS"] = f"{env.get('PGOPTIONS', '')} {options}".strip()
    done = subprocess.run(
        [_client(program), *args, f"--dbname={target}"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        said = next((line for line in done.stderr.splitlines() if line.strip()), "failed")
        said = said.removeprefix(f"{program}: ").removeprefix("error: ")
        if "row-level security" in said:
            raise CrmError(
                f"a backup needs the whole book, and the role of {shown_url(url)} sees only its "
                "own customers: a member of the team's role takes the book's backups"
            )
        raise CrmError(f"{program} of {shown_url(url)} failed: {said}")
    return done.stdout


def dump(
    url: str, reason: str, *, keep: Retention | None = None, now: datetime | None = None
) -> Path:
    """A checked archive of the book at `url` in its backup folder; then, with `keep`,
    rotate. `reason` says why (`before-import`, `daily`)."""
    if not REASON.fullmatch(reason):
        raise ValueError(f"a backup reason is lowercase words joined by hyphens, not {reason!r}")
    folder = backup_folder(url)
    ensure_private_dir(folder)
    taken_at = now or datetime.now()
    target = folder / f"{_stem(url)}-{taken_at.strftime(STAMP)}-{reason}{SUFFIX}"
    while target.exists():
        taken_at += timedelta(microseconds=1)
        target = folder / f"{_stem(url)}-{taken_at.strftime(STAMP)}-{reason}{SUFFIX}"
    dump_to(url, target)
    if keep is not None:
        rotate_backups(dumps(url), keep)
    return target


def dumps(url: str) -> list[BackupFile]:
    """The backups of the book at `url`, newest first."""
    return backups_in(backup_folder(url), _stem(url), SUFFIX)


def archive_problem(path: Path) -> None:
    """Refuse an archive pg_restore cannot read whole (its table of contents)."""
    done = subprocess.run(
        [_client("pg_restore"), "--list", str(path)], capture_output=True, text=True, check=False
    )
    if done.returncode != 0 or "TABLE DATA" not in done.stdout:
        said = next((line for line in done.stderr.splitlines() if line.strip()), "")
        raise CrmError(f"{path} is not a whole PostgreSQL backup of a book ({said or 'empty'})")


def _maker_role(url: str) -> str | None:
    """The role a book's tables are made as (book.maker_role), asked of the server without
    opening the book: a restore is for a book that may not open."""
    import psycopg

    from tui_crm.db.postgres.book import PostgresBook, maker_role

    book = PostgresBook(url)
    try:
        return maker_role(book)
    except (psycopg.Error, DatabaseError, InterfaceError) as err:
        said = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise CrmError(f"cannot open {shown_url(url)}: {said}") from None
    finally:
        book.close()


def restore(url: str, archive: Path, *, lock_wait: float | None = None) -> None:
    """Make the book at `url` hold what `archive` holds, in one transaction: a restore that
    fails changes nothing. With `lock_wait`, a table another session keeps in use for longer
    than that many seconds refuses the restore in one line (None: waits as long as it takes).
    The tables are made again as the book's were (book.maker_role: the team's role)."""
    archive_problem(archive)
    role = _maker_role(url)
    try:
        _run(
            "pg_restore",
            url,
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            "--exit-on-error",
            *([f"--role={role}"] if role else []),
            str(archive),
            options="" if lock_wait is None else f"-c lock_timeout={int(lock_wait * 1000)}",
        )
    except CrmError as err:
        if "lock timeout" not in str(err):
            raise
        raise CrmError(
            f"{shown_url(url)} is being used by another program (it kept a table locked for "
            f"over {lock_wait:g} s); nothing was restored: try again when it is done, or use "
            "--force"
        ) from None


def dump_to(url: str, target: Path) -> Path:
    """A checked archive of the book at `url`, written whole to `target` (a file name that
    `whole_files.write_target` accepted), or nothing at all; no rotation."""
    with replacing(target, prefix=".tui-crm-dump-", suffix=".partial") as part:
        _run("pg_dump", url, "--format=custom", "--no-owner", "--no-privileges", f"--file={part}")
        archive_problem(part)
    os.chmod(target, 0o600)
    return target


def _table_rows(path: Path, table: str) -> list[bytes]:
    """The rows of `table` in the archive at `path`, each as COPY's text line (not restored);
    CrmError when it cannot be read."""
    archive_problem(path)
    done = subprocess.run(
        [_client("pg_restore"), "--data-only", f"--table={table}", "--file=-", str(path)],
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        said = next((line for line in done.stderr.decode(errors="replace").splitlines()), "")
        raise CrmError(f"{path} cannot be read ({said or 'pg_restore failed'})")
    rows, inside = [], False
    for line in done.stdout.split(b"\n"):
        if inside:
            if line == b"\\.":
                inside = False
            else:
                rows.append(line)
        elif line.startswith(b"COPY ") and line.endswith(b"FROM stdin;"):
            inside = True
    return rows


def archive_customers(path: Path) -> int:
    """How many customers the archive at `path` holds (read from its customer table's rows,
    not restored); CrmError when it cannot be read."""
    return len(_table_rows(path, "customer"))


def archive_schema(path: Path) -> int:
    """The schema number of the book the archive at `path` holds (its schema_migration rows,
    not restored): 0 when it holds none, an archive of another program's database."""
    numbers = [int(row.split(b"\t", 1)[0]) for row in _table_rows(path, "schema_migration")]
    return max(numbers, default=0)
