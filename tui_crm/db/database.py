"""The one database handle: deferred, opened late with its pragmas, checked, migrated."""

from __future__ import annotations

import os
import sqlite3
import struct
from pathlib import Path
from urllib.parse import quote

from peewee import SqliteDatabase

from tui_crm.db import migrations
from tui_crm.db.backup import backup_file
from tui_crm.errors import DatabaseRefused
from tui_crm.paths import ensure_private_dir


class _Database(SqliteDatabase):
    """Transactions take the write lock when they begin (BEGIN IMMEDIATE), not at their
    first write: with two people (or the app's worker threads) on one file, a transaction
    that read and then wrote could otherwise fail at once with "database is locked" when
    another connection wrote in between; taking the lock first makes it wait its turn
    (busy timeout). A read-only snapshot can still ask for `atomic("DEFERRED")`."""

    def atomic(self, lock_type: str = "IMMEDIATE"):
        return super().atomic(lock_type=lock_type)


db = _Database(None)

# "tCRM": marks a SQLite file as ours, so another program's database is never touched.
APPLICATION_ID = 0x7443524D
PRAGMAS = {
    "journal_mode": "wal",
    "foreign_keys": 1,
    "busy_timeout": 5000,
    "synchronous": "normal",
    "cache_size": -32000,
    "temp_store": "memory",
}
HEADER = b"SQLite format 3\x00"
# Files up to this size get a full page check on open (about 30 ms for 20 MB); larger ones
# rely on the header checks and SQLite's own checks as pages are read.
QUICK_CHECK_LIMIT = 64 * 1024 * 1024


@db.func("casefold", num_params=1, deterministic=True)
def _casefold(text):
    """Unicode-aware case folding: SQLite's own lower() folds ASCII letters only (Ø, Å, É)."""
    return text.casefold() if isinstance(text, str) else text


def _inspect(path: Path) -> tuple[int, int, bool]:
    """(application_id, user_version, has_tables) of an existing file, or refuse it.

    Only reads: a refused file is left byte for byte as it was.
    """
    name = str(path)
    if path.is_dir():
        raise DatabaseRefused(f"{name} is a folder, not a database file")
    try:
        with path.open("rb") as handle:
            header = handle.read(100)
    except OSError as err:
        raise DatabaseRefused(f"cannot read {name}: {err.strerror or err}") from None
    if not header:
        return 0, 0, False
    if len(header) < 100 or not header.startswith(HEADER):
        raise DatabaseRefused(f"{name} is not a tui-crm database (not an SQLite file)")
    page_size = struct.unpack(">H", header[16:18])[0]
    page_size = 65536 if page_size == 1 else page_size
    pages = struct.unpack(">I", header[28:32])[0]
    valid_for, change_counter = struct.unpack(">I", header[92:96])[0], header[24:28]
    size = path.stat().st_size
    if pages and struct.pack(">I", valid_for) == change_counter and size < pages * page_size:
        raise DatabaseRefused(f"{name} is damaged: the file is truncated")
    # Without a write-ahead log beside it the file is all there is: open it immutable, so
    # not even an empty -shm file is left behind. With one, read through it (read-only).
    wal = Path(f"{path}-wal")
    mode = "ro" if wal.exists() and wal.stat().st_size else "ro&immutable=1"
    try:
        conn = sqlite3.connect(f"file:{quote(str(path))}?mode={mode}", uri=True)
        try:
            app_id = conn.execute("PRAGMA application_id").fetchone()[0]
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            tables = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
            if size <= QUICK_CHECK_LIMIT:
                verdict = conn.execute("PRAGMA quick_check(1)").fetchone()[0]
                if verdict != "ok":
                    raise DatabaseRefused(f"{name} is damaged ({verdict})")
        finally:
            conn.close()
    except sqlite3.DatabaseError as err:
        raise DatabaseRefused(f"{name} is damaged or not a database ({err})") from None
    return app_id, version, tables > 0


def check_file(path: Path) -> int:
    """Refuse a file we must not open; return its schema version (0 for a new file)."""
    if not path.exists():
        return 0
    app_id, version, has_tables = _inspect(path)
    if app_id != APPLICATION_ID and has_tables:
        raise DatabaseRefused(f"{path} is an SQLite database of another program, not tui-crm")
    if version > migrations.LATEST:
        raise DatabaseRefused(
            f"{path} was written by a newer tui-crm (schema {version}, this one knows "
            f"{migrations.LATEST}); upgrade tui-crm to open it"
        )
    return version


def open_database(path: str | os.PathLike[str], *, create: bool = True) -> SqliteDatabase:
    """Point the shared handle at `path`, creating (unless `create` is false) and migrating
    it as needed."""
    text = str(path)
    if text.startswith(("postgres://", "postgresql://")):
        raise DatabaseRefused("PostgreSQL databases are not supported yet; use a file path")
    target = Path(text).expanduser()
    version = check_file(target)
    if not target.exists() and not create:
        raise DatabaseRefused(f"no database at {target} (give the right --db, or run tui-crm demo)")
    if not target.exists():
        if not target.parent.exists():
            ensure_private_dir(target.parent)
        try:
            os.close(os.open(target, os.O_CREAT | os.O_WRONLY, 0o600))
        except OSError as err:
            raise DatabaseRefused(f"cannot create {target}: {err.strerror or err}") from None
    if not db.is_closed():
        db.close()
    db.init(str(target), pragmas=PRAGMAS)
    try:
        db.connect()
    except sqlite3.DatabaseError as err:
        raise DatabaseRefused(f"cannot open {target}: {err}") from None
    _migrate(target, version)
    return db


def _migrate(path: Path, version: int) -> None:
    pending = [(n, m) for n, m in migrations.migrations() if n > version]
    if not pending:
        return
    if version > 0:
        backup_file(path, f"before-schema-{pending[-1][0]}")
    for number, module in pending:
        with db.atomic("IMMEDIATE"):
            module.up(db)
            db.execute_sql(f"PRAGMA application_id = {APPLICATION_ID}")
            db.execute_sql(f"PRAGMA user_version = {number}")


def close_database() -> None:
    if not db.is_closed():
        db.close()
