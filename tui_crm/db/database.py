"""The one database handle: deferred, opened late with its pragmas, checked, migrated."""

from __future__ import annotations

import functools
import os
import re
import sqlite3
import stat
import struct
from pathlib import Path
from urllib.parse import quote

from peewee import Database, SqliteDatabase

from tui_crm.db import migrations
from tui_crm.errors import DatabaseRefused
from tui_crm.paths import ensure_private_dir


class _Database(SqliteDatabase):
    """Transactions take the write lock when they begin (BEGIN IMMEDIATE), not at their
    first write: with two people (or the app's worker threads) on one file, a transaction
    that read and then wrote could otherwise fail at once with "database is locked" when
    another connection wrote in between; taking the lock first makes it wait its turn
    (busy timeout). A read-only snapshot can still ask for `atomic("DEFERRED")`."""

    engine = "sqlite"

    def atomic(self, lock_type: str = "IMMEDIATE"):
        return super().atomic(lock_type=lock_type)

    @functools.cached_property
    def store(self):
        """The book's store (tui_crm/db/store): the SQL the domain asks for."""
        from tui_crm.db.sqlite.store import SqliteStore

        return SqliteStore(self)


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
    size = path.stat().st_size
    if _shorter_than_its_header(header, size) and _still_short(path):
        raise DatabaseRefused(f"{name} is damaged: the file is truncated")
    try:
        conn = sqlite3.connect(read_only_uri(path), uri=True)
        try:
            app_id = conn.execute("PRAGMA application_id").fetchone()[0]
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            tables = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
            if size <= QUICK_CHECK_LIMIT:
                verdict = conn.execute("PRAGMA quick_check(1)").fetchone()[0]
                if verdict != "ok":
                    raise DatabaseRefused(_damaged(name, verdict))
        finally:
            conn.close()
    except sqlite3.DatabaseError as err:
        raise DatabaseRefused(f"{name} is damaged or not a database ({err})") from None
    return app_id, version, tables > 0


def _shorter_than_its_header(header: bytes, size: int) -> bool:
    """The file holds fewer pages than its header says (when that count is valid)."""
    page_size = struct.unpack(">H", header[16:18])[0]
    page_size = 65536 if page_size == 1 else page_size
    pages = struct.unpack(">I", header[28:32])[0]
    valid_for, change_counter = struct.unpack(">I", header[92:96])[0], header[24:28]
    return (
        bool(pages) and struct.pack(">I", valid_for) == change_counter and size < pages * page_size
    )


def _still_short(path: Path) -> bool:
    """Whether a file shorter than its header is truncated, not being written. A checkpoint
    (another process copying its write-ahead log into the file) writes the header with the new
    page count before the pages that make the file that long: while a log with content is
    beside it, SQLite reads through the log and judges the pages (the quick check); without
    one, the file read again (a checkpoint that just ended has grown it) must still be short."""
    wal = Path(f"{path}-wal")
    if wal.exists() and wal.stat().st_size:
        return False
    with path.open("rb") as handle:
        header = handle.read(100)
    return len(header) == 100 and _shorter_than_its_header(header, path.stat().st_size)


def read_only_uri(path: Path) -> str:
    """Without a write-ahead log beside it the file is all there is: open it immutable, so
    not even an empty -shm file is left behind. With one, read through it (read-only)."""
    wal = Path(f"{path}-wal")
    mode = "ro" if wal.exists() and wal.stat().st_size else "ro&immutable=1"
    return f"file:{quote(str(path))}?mode={mode}"


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


def check_book_file(path: Path) -> int:
    """Refuse a file that is not a whole tui-crm book this version can open (one to restore
    from): not a regular file, another program's or an empty database, a newer schema, or a
    damaged page anywhere (a full integrity check). Return its schema version. Only reads."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise DatabaseRefused(f"{path} does not exist") from None
    except OSError as err:
        raise DatabaseRefused(f"cannot read {path}: {err.strerror or err}") from None
    if not stat.S_ISREG(mode):
        kind = "a folder" if stat.S_ISDIR(mode) else "not a regular file"
        raise DatabaseRefused(f"{path} is {kind}, not a tui-crm book")
    version = check_file(path)
    app_id, _, _ = _inspect(path)
    if app_id != APPLICATION_ID or version < 1:
        raise DatabaseRefused(f"{path} is not a tui-crm book")
    from tui_crm.db.backup import integrity_problem  # restores only: not on every open

    try:
        conn = sqlite3.connect(read_only_uri(path), uri=True)
        try:
            problem = integrity_problem(conn)
        finally:
            conn.close()
    except sqlite3.DatabaseError as err:
        raise DatabaseRefused(f"{path} is damaged or not a database ({err})") from None
    if problem:
        raise DatabaseRefused(_damaged(str(path), problem))
    return version


def open_database(path: str | os.PathLike[str], *, create: bool = True) -> SqliteDatabase:
    """Point the shared handle at `path`, creating (unless `create` is false) and migrating
    it as needed."""
    text = str(path)
    if text.startswith(("postgres://", "postgresql://")):
        from tui_crm.db.postgres.book import open_book

        close_database()
        book = open_book(text)
        _bind(book)
        return book
    if re.match(r"(?i)postgres(ql)?:/(?!/)", text):  # a URL read as a path somewhere
        raise DatabaseRefused(f"{text}: a book on PostgreSQL is named postgresql://…")
    target = Path(text).expanduser()
    version = check_file(target)
    if not target.exists() and not create:
        raise DatabaseRefused(f"no database at {target} (give the right --db, or run tui-crm demo)")
    if not create and _empty(target):
        raise DatabaseRefused(
            f"{target} is an empty file (0 bytes), not a tui-crm book "
            "(give the right --db, or run tui-crm demo)"
        )
    if not target.exists():
        if not target.parent.exists():
            ensure_private_dir(target.parent)
        try:
            os.close(os.open(target, os.O_CREAT | os.O_WRONLY, 0o600))
        except OSError as err:
            raise DatabaseRefused(f"cannot create {target}: {err.strerror or err}") from None
    close_database()
    _bind(db)
    db.init(str(target), pragmas=PRAGMAS)
    try:
        db.connect()
    except sqlite3.DatabaseError as err:
        raise DatabaseRefused(explain(err) or f"cannot open {target}: {err}") from None
    _migrate(target, version)
    return db


def open_second(path: str | os.PathLike[str]) -> Database:
    """A handle on another book beside the one open (what `tui-crm copy` reads from): checked
    and migrated as `open_database` does, but not the book the models are bound to. It must
    exist. Close it when done."""
    text = str(path)
    if text.startswith(("postgres://", "postgresql://")):
        from tui_crm.db.postgres.book import open_book

        return open_book(text)  # its own connection, checked and migrated
    open_database(path, create=False)  # refuses what is not a book; migrates an older one
    close_database()
    second = _Database(str(Path(text).expanduser()), pragmas=PRAGMAS)
    second.func("casefold", num_params=1, deterministic=True)(_casefold)
    second.connect()
    return second


def _migrate(path: Path, version: int) -> None:
    if version >= migrations.LATEST:
        return
    pending = migrations.migrations(after=version)
    if version > 0:
        from tui_crm.db.backup import backup_file  # only before a migration

        backup_file(path, f"before-schema-{pending[-1][0]}")
    for number, module in pending:
        with db.atomic("IMMEDIATE"):
            module.up(db)
            db.execute_sql(f"PRAGMA application_id = {APPLICATION_ID}")
            db.execute_sql(f"PRAGMA user_version = {number}")


def expected_schema() -> dict[str, tuple[str, str, str]]:
    """What every migration together creates: {name: (type, table, sql)} of each table,
    index and trigger, read from a scratch in-memory database migrated from nothing."""
    return dict(_migrated_from_nothing())


@functools.cache
def _migrated_from_nothing() -> dict[str, tuple[str, str, str]]:
    """expected_schema's, worked out once a process: every migration run again (40 ms) was
    most of a check of a small book."""
    scratch = _Database(":memory:")
    scratch.func("casefold", num_params=1, deterministic=True)(_casefold)
    try:
        scratch.connect()
        for _, module in migrations.migrations():
            module.up(scratch)
        rows = scratch.execute_sql(
            "SELECT name, type, tbl_name, sql FROM sqlite_master WHERE sql IS NOT NULL"
        ).fetchall()
    finally:
        scratch.close()
    return {name: (kind, table, sql) for name, kind, table, sql in rows}


_bound: list[Database] = [db]  # the book the models are bound to


def _bind(book: Database) -> None:
    """Bind the models to `book`, the one open book of this process."""
    if _bound[0] is not book:
        from tui_crm.db.models import ALL_MODELS

        book.bind(ALL_MODELS, bind_refs=False, bind_backrefs=False)
        _bound[0] = book


def close_database() -> None:
    if not _bound[0].is_closed():
        _bound[0].close()
    if not db.is_closed():
        db.close()


def _empty(path: Path) -> bool:
    """A zero-length file with no write-ahead log beside it: nothing has ever been kept in it."""
    wal = Path(f"{path}-wal")
    return path.stat().st_size == 0 and not (wal.exists() and wal.stat().st_size)


_PAGE = re.compile(r"\bpage (\d+)", re.IGNORECASE)


def _damaged(name: str, verdict: str) -> str:
    """One line for what an integrity check said, with the page it named."""
    detail = " ".join(
        line for line in verdict.splitlines() if line.strip() != "*** in database main ***"
    )
    page = _PAGE.search(detail)
    where = f" at page {page.group(1)}" if page else ""
    return f"{name} is damaged{where} (SQLite: {detail})"


def _damaged_page(path: Path) -> str | None:
    """What a quick integrity check of `path` says is wrong (None when it finds nothing)."""
    try:
        conn = sqlite3.connect(f"file:{quote(str(path))}?mode=ro", uri=True)
        try:
            verdict = conn.execute("PRAGMA quick_check(1)").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.Error:
        return None
    return None if verdict == "ok" else verdict


def _sqlite_errors(err: BaseException) -> list[sqlite3.Error]:
    """The sqlite3 errors under `err`: peewee wraps one (and keeps it as its first argument),
    and a failed rollback after SQLite already undid the transaction (a full disk does that)
    hides the real one as its context."""
    found: list[sqlite3.Error] = []
    seen: set[int] = set()
    pending: list[BaseException | None] = [err]
    while pending:
        one = pending.pop(0)
        if one is None or id(one) in seen:
            continue
        seen.add(id(one))
        if isinstance(one, sqlite3.Error):
            found.append(one)
        pending += [arg for arg in one.args if isinstance(arg, BaseException)]
        pending += [one.__cause__, one.__context__]
    return found


def _why_read_only(path: Path) -> str:
    folder = path.parent
    try:
        if os.statvfs(folder).f_flag & os.ST_RDONLY:
            return "it is on a read-only file system"
    except (OSError, AttributeError):
        pass
    if path.exists() and not os.access(path, os.W_OK):
        return "the file is read-only"
    if not os.access(folder, os.W_OK):
        return f"its folder {folder} is read-only (SQLite keeps its -wal and -shm files there)"
    return "it was opened read-only"


def explain(err: BaseException) -> str | None:
    """One line naming what really went wrong with the open book, for a database error: a full
    disk, a read-only file or folder, a damaged page (with its number), a lock held too long.
    None when `err` is no database error or says nothing more specific."""
    path = Path(db.database) if db.database else None
    for found in _sqlite_errors(err):
        said = _explained(found, path)
        if said:
            return said
    return None


def _explained(found: sqlite3.Error, path: Path | None) -> str | None:
    code = getattr(found, "sqlite_errorname", "") or ""
    text = str(found)
    name = str(path) if path else "the database"

    def kind(prefix: str, *words: str) -> bool:
        return code.startswith(prefix) or any(word in text for word in words)

    if kind("SQLITE_FULL", "database or disk is full"):
        return f"{name}: the disk is full; nothing was saved (free some space and try again)"
    if kind("SQLITE_READONLY", "readonly database"):
        why = _why_read_only(path) if path else "it is read-only"
        return f"{name} cannot be written: {why}; nothing was changed"
    if kind("SQLITE_CORRUPT", "malformed") or kind("SQLITE_NOTADB", "not a database"):
        verdict = _damaged_page(path) if path else None
        return _damaged(name, verdict) if verdict else f"{name} is damaged ({text})"
    if kind("SQLITE_CANTOPEN", "unable to open"):
        if path and not os.access(path.parent, os.W_OK):
            return f"cannot open {name}: " + _why_read_only(path)
        return f"cannot open {name} ({text})"
    if kind("SQLITE_BUSY", "database is locked") or kind("SQLITE_LOCKED", "is locked"):
        return f"{name} is busy: another program held it locked for too long; try again"
    if kind("SQLITE_IOERR", "disk I/O error"):
        return f"{name}: the disk reported a read or write error ({code or text})"
    return None
