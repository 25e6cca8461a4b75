"""The book's backups as a user sees them: taken before risky writes and once a day, listed
with what each holds, and restored into the live book (after a backup of it)."""

from __future__ import annotations

import os
import sqlite3
import stat
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from peewee import Database

from tui_crm.core.config import settings
from tui_crm.db import migrations
from tui_crm.db.backup import backup_file, backup_files, write_copy
from tui_crm.db.backup import file_damage as file_damage  # the check's, for a book it cannot open
from tui_crm.db.database import check_book_file, read_only_uri
from tui_crm.db.postgres import backup as pg_backup  # client programs only: no connection
from tui_crm.db.store import store_of
from tui_crm.errors import CrmError, DatabaseRefused
from tui_crm.paths import BookPlace, on_server

DUE_AFTER = timedelta(days=1)  # at start, a backup when the newest is older than this
LOCK_WAIT = 1.0  # seconds a restore waits for another writer before it refuses (no --force)
FORCED_WAIT = 60.0  # with --force: how long each attempt waits for the write lock
RESTORE_STEP = 1024  # pages copied per step of a restore (4 MB); progress is told after each

Progress = Callable[[int, int], None]  # (pages copied, pages in all)


@dataclass(frozen=True)
class BackupInfo:
    path: Path
    taken_at: datetime
    size: int  # bytes
    customers: int | None  # None when the copy cannot be read
    reason: str
    damage: str = ""  # why it cannot be read ("" when it can)

    @property
    def good(self) -> bool:
        return not self.damage


@dataclass(frozen=True)
class Restored:
    book: BookPlace
    source: Path
    customers: int
    safety_copy: Path | None  # the backup of the book as it was before
    migrated_from: int | None  # the schema version it was upgraded from, when older


def book_path(db: Database) -> BookPlace | None:
    """Where an open book is: its file, or its server's URL (None for an in-memory one)."""
    if getattr(db, "engine", "sqlite") == "postgresql":
        return db.url
    name = str(db.database or "")
    if not name or name == ":memory:" or name.startswith("file:"):
        return None
    return Path(name)


def backup_before(db: Database, reason: str) -> Path | None:
    """A backup of the open book before a risky write (`before-import`, `before-merge`),
    rotated as the config says: a copy of its file, or an archive of a book on PostgreSQL.
    None when the book is a file with nothing in it yet."""
    return store_of(db).take_backup(reason, settings().backups)


def backup_now(db_path: BookPlace, reason: str = "manual", now: datetime | None = None) -> Path:
    """A backup of the book at `db_path` into its backup folder, rotated: a checked copy of
    its file, or a pg_dump archive of a book on a server."""
    take = pg_backup.dump if on_server(db_path) else backup_file
    return take(db_path, reason, keep=settings().backups, now=now)


def backup_to(db_path: BookPlace, target: Path) -> Path:
    """A checked copy of the book written whole to `target` (no rotation). `target` is what
    `whole_files.write_target` made of the user's name for it."""
    if on_server(db_path):
        return pg_backup.dump_to(db_path, target)
    return write_copy(db_path, target)


def _backups_of(db_path: BookPlace) -> list:
    return pg_backup.dumps(db_path) if on_server(db_path) else backup_files(db_path)


def backup_if_due(
    db_path: BookPlace, now: datetime | None = None, *, db: Database | None = None
) -> Path | None:
    """Take the daily backup when the newest backup is older than a day (or there is none);
    return it, or None when none was due. Meant for a worker at start: it only reads the book.
    Of a book on a server, each machine that opens it keeps its own daily archive, unless it
    sees only its own customers (`db`, the open book, says): the team's sessions take them."""
    if db is not None and not store_of(db).sees_whole_book():
        return None
    now = now or datetime.now()
    if not on_server(db_path) and (not db_path.exists() or db_path.stat().st_size == 0):
        return None
    newest = next(iter(_backups_of(db_path)), None)
    if newest is not None and now - newest.taken_at < DUE_AFTER:
        return None
    return backup_now(db_path, "daily", now)


def _customers_in(path: Path) -> int:
    """How many customers the backup at `path` holds; CrmError or sqlite3.Error when it
    cannot be read."""
    if path.suffix == pg_backup.SUFFIX:
        return pg_backup.archive_customers(path)
    conn = sqlite3.connect(read_only_uri(path), uri=True)
    try:
        return conn.execute("SELECT count(*) FROM customer").fetchone()[0]
    finally:
        conn.close()


def list_backups(db_path: BookPlace) -> list[BackupInfo]:
    """The backups of the book at `db_path`, newest first, each with its customer count (read
    from the copy); a copy that cannot be read is listed with what is wrong, never skipped."""
    found = []
    for one in _backups_of(db_path):
        try:
            size = one.path.stat().st_size
        except OSError:
            continue  # rotated away meanwhile
        customers, damage = None, ""
        try:
            customers = _customers_in(one.path)
        except (sqlite3.Error, CrmError) as err:
            damage = f"cannot be read ({err})"
        found.append(BackupInfo(one.path, one.taken_at, size, customers, one.reason, damage))
    return found


def newest_good_backup(db_path: BookPlace) -> BackupInfo | None:
    """The newest backup that passes a full check (a copy of a damaged book is skipped)."""
    for one in list_backups(db_path):
        if not one.good:
            continue
        if on_server(db_path):
            return one  # read whole when it was counted
        try:
            check_book_file(one.path)
        except CrmError:
            continue
        return one
    return None


def restore_from(
    db_path: BookPlace,
    file: str | os.PathLike[str],
    *,
    force: bool = False,
    progress: Progress | None = None,
) -> Restored:
    """Make the book at `db_path` hold what the tui-crm book `file` holds.

    `file` is checked first (a tui-crm book, whole, of a schema this version knows) and the
    book is backed up (`before-restore`). Then the copy goes into the live book through an
    ordinary connection with SQLite's backup API, as one write transaction: other programs
    with the book open see it change all at once, and a restore killed midway changes
    nothing. A book older than this version is then migrated. When another program holds the
    write lock for more than about a second, refuses unless `force` (then it waits)."""
    source = Path(file).expanduser()
    if on_server(db_path):
        return _restore_on_server(db_path, source, force=force)
    version = check_book_file(source)
    if db_path.exists() and source.exists() and os.path.samefile(source, db_path):
        raise CrmError(f"{source} is the book itself; give a backup or another book")
    if db_path.exists() and not force:
        _refuse_while_written(db_path)
    safety = None
    if db_path.exists() and db_path.stat().st_size > 0:
        safety = backup_file(db_path, "before-restore", keep=settings().backups)
    _copy_into(source, db_path, wait=FORCED_WAIT if force else LOCK_WAIT * 5, progress=progress)
    migrated_from = None
    if version < migrations.LATEST:
        from tui_crm.db.database import open_database

        open_database(db_path, create=False)  # migrates, after its own backup
        migrated_from = version
    return Restored(db_path, source, _customers_in(db_path), safety, migrated_from)


def _restore_on_server(url: str, source: Path, *, force: bool) -> Restored:
    """`restore_from` for a book on a server: from an archive a backup of one wrote, with
    pg_restore in one transaction, after an archive of the book as it is."""
    try:
        mode = source.stat().st_mode
        if not stat.S_ISREG(mode):  # a pipe would be waited on for ever
            kind = "a folder" if stat.S_ISDIR(mode) else "not a regular file"
            raise DatabaseRefused(f"{source} is {kind}, not a backup of a book on PostgreSQL")
        with open(source, "rb") as file:
            start = file.read(16)
    except OSError as err:
        raise CrmError(f"cannot read {source}: {err.strerror or err}") from None
    if start.startswith(b"SQLite format 3"):
        raise DatabaseRefused(
            f"{source} is a book in a file, not a backup of a book on PostgreSQL; to move it "
            f"to PostgreSQL, copy it into a new database: tui-crm copy --from {source} --to "
            "postgresql://…"
        )
    try:
        version = pg_backup.archive_schema(source)  # and refuses what pg_restore cannot read
    except CrmError as err:
        raise DatabaseRefused(str(err)) from None
    if version < 1:
        raise DatabaseRefused(f"{source} is a backup of another program's database, not tui-crm")
    if version > migrations.LATEST:
        raise DatabaseRefused(
            f"{source} was written by a newer tui-crm (schema {version}, this one knows "
            f"{migrations.LATEST}); upgrade tui-crm to restore it"
        )
    safety = backup_now(url, "before-restore")
    pg_backup.restore(url, source, lock_wait=None if force else LOCK_WAIT * 5)
    from tui_crm.db.database import close_database, open_database

    db = open_database(url, create=False)  # migrates an older book; tells every open app
    try:
        found = db.found_schema
        customers = store_of(db).row_counts(["customer"])["customer"]
        store_of(db).tell_readers()
    finally:
        close_database()
    migrated_from = found if 0 < found < migrations.LATEST else None
    return Restored(url, source, customers, safety, migrated_from)


def _refuse_while_written(db_path: Path) -> None:
    """Refuse when another program holds the book's write lock for longer than LOCK_WAIT."""
    conn = sqlite3.connect(db_path, timeout=LOCK_WAIT, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("ROLLBACK")
    except sqlite3.OperationalError as err:
        if "locked" not in str(err) and "busy" not in str(err):
            raise
        raise CrmError(
            f"{db_path} is being written by another program (it kept the write lock for over "
            f"{LOCK_WAIT:g} s); nothing was restored: try again when it is done, or use --force"
        ) from None
    finally:
        conn.close()


def _copy_into(source: Path, db_path: Path, *, wait: float, progress: Progress | None) -> None:
    """Copy `source` into the book with the backup API, through a connection to the book: the
    book stays in WAL mode, and the copy commits as one transaction at the end."""
    if not db_path.exists():
        os.close(os.open(db_path, os.O_CREAT | os.O_WRONLY, 0o600))
    dest = sqlite3.connect(db_path, timeout=wait, isolation_level=None)
    try:
        dest.execute("PRAGMA journal_mode = wal")
        src = sqlite3.connect(read_only_uri(source), uri=True)
        try:
            src.backup(
                dest,
                pages=RESTORE_STEP,
                progress=(lambda _status, left, total: progress(total - left, total))
                if progress
                else None,
            )
        finally:
            src.close()
    finally:
        dest.close()
