"""Shared fixtures: a private home folder per test and a fresh database file under tmp_path."""

from __future__ import annotations

import atexit
import functools
import itertools
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import settings
from peewee import SqliteDatabase

from tui_crm.core import config
from tui_crm.db.database import close_database, open_database

if TYPE_CHECKING:
    from tests.postgres import Cluster

# CI tries the same examples on every run, so a red build always points at the change that made
# it; a developer's run draws new ones each time (and keeps the failures it finds in
# .hypothesis/, to try first next time). Either way a failure prints the example.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """TUI_CRM_HOME in tmp_path: nothing reads or writes the real data or config folders."""
    path = tmp_path / "home"
    monkeypatch.setenv("TUI_CRM_HOME", str(path))
    monkeypatch.setenv("TUI_CRM_USER", "tester")
    monkeypatch.setenv("TUI_CRM_REGION", "US")
    monkeypatch.delenv("TUI_CRM_DB", raising=False)
    monkeypatch.delenv("TUI_CRM_DEBUG", raising=False)
    config.settings.cache_clear()
    yield path
    config.settings.cache_clear()


@pytest.fixture
def db_path(home: Path, tmp_path: Path) -> Path:
    return tmp_path / "crm.db"


@pytest.fixture
def engine(request: pytest.FixtureRequest) -> str:
    """The engine of the test's book: "sqlite", or each engine in turn in a test module marked
    `both_engines`."""
    return getattr(request, "param", "sqlite")


@pytest.fixture
def book_place(db_path: Path, engine: str, request: pytest.FixtureRequest) -> str:
    """Where the test's book is, as `open_database` and --db take it: a file (not made yet),
    or a new database on the test cluster."""
    return request.getfixturevalue("pg_url") if engine == "postgresql" else str(db_path)


@pytest.fixture
def db(book_place: str, engine: str) -> Iterator[SqliteDatabase]:
    """A freshly created and migrated book (a file, or a database on the test cluster), closed
    after the test."""
    if engine != "postgresql" and not Path(book_place).exists():
        # A copy of a new book migrated once a process (5 ms, not 50 ms of migrations), as
        # PostgreSQL's books are copies of a migrated template.
        shutil.copyfile(migrated_file(), book_place)
        os.chmod(book_place, 0o600)
    database = open_database(book_place)
    yield database
    close_database()


# Tests marked `postgres` run against a throwaway PostgreSQL cluster (tests/postgres.py), one per
# test process, started when the first of them needs it. TUI_CRM_ENGINES=sqlite leaves them
# out, on a machine without PostgreSQL.
ENGINES = {
    name.strip() for name in os.environ.get("TUI_CRM_ENGINES", "sqlite,postgresql").split(",")
}


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Each test that takes a book (`db`, `book_place` or a fixture made from them) runs on
    SQLite and on PostgreSQL, unless it is a test of SQLite itself (`sqlite_only`).
    TUI_CRM_ENGINES=sqlite leaves the PostgreSQL half out."""
    if metafunc.definition.get_closest_marker("sqlite_only"):
        return
    if {"db", "book_place"} & set(metafunc.fixturenames):
        metafunc.parametrize(
            "engine",
            ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)],
            indirect=True,
        )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if "postgresql" in ENGINES:
        return
    kept = [item for item in items if item.get_closest_marker("postgres") is None]
    if len(kept) != len(items):
        config.hook.pytest_deselected(items=[i for i in items if i not in kept])
        items[:] = kept


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[Cluster]:
    from tests.postgres import Cluster, memory_folder

    # In memory when there is room: the tests' databases are dropped after each test, and
    # what a whole run keeps at once is the templates and one book per test process.
    cluster = Cluster(memory_folder())
    import psycopg

    # The tests' user (TUI_CRM_USER=tester) is the role their books are opened as: on
    # PostgreSQL, who writes is the role (README "Team mode").
    with psycopg.connect(cluster.url(), autocommit=True) as conn:
        conn.execute(f"CREATE ROLE {TEST_ROLE} LOGIN SUPERUSER")
    yield cluster
    cluster.stop()


_BOOKS = itertools.count(1)
TEST_ROLE = "tester"


@pytest.fixture(scope="session")
def pg_template(pg_cluster: Cluster) -> str:
    """A database migrated to the newest schema once, that each test's book is copied from."""
    from tui_crm.db.postgres.book import PostgresBook, migrate

    create_database(pg_cluster, "book_template")
    book = PostgresBook(pg_cluster.url("book_template"))
    migrate(book)
    book.close()
    return "book_template"


def create_database(cluster: Cluster, name: str, template: str | None = None) -> None:
    """A new database on the test cluster: empty, or a copy of `template`."""
    import psycopg

    copy = f" TEMPLATE {template} STRATEGY FILE_COPY" if template else ""
    with psycopg.connect(cluster.url(), autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}{copy}")


def drop_database(cluster: Cluster, name: str) -> None:
    """Drop a test's database, and end any session still on it (a test's worker thread or
    subprocess that outlived it)."""
    import psycopg

    with psycopg.connect(cluster.url(), autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def pg_url(pg_cluster: Cluster, pg_template: str) -> Iterator[str]:
    """The URL of a new book on PostgreSQL at the newest schema, for this test alone (dropped
    after it)."""
    name = f"book_{os.getpid()}_{next(_BOOKS)}"
    create_database(pg_cluster, name, pg_template)
    yield pg_cluster.url(name, user=TEST_ROLE)
    drop_database(pg_cluster, name)


# Books that many tests of a module read alike: built once per test process and engine, and
# copied for each test (a file's copy; on PostgreSQL, a database made with the built one as its
# template), rather than built again for each.
_BUILT: dict[tuple[str, str], tuple[str, Any]] = {}


def open_built_book(request: pytest.FixtureRequest, key: str, build: Callable[[Any], Any]):
    """(db, what `build` returned): the test's own book, opened as `db` opens one, holding
    what `build(db)` wrote into a new book of the test's engine. `build` runs once per test
    process and engine for each `key`; it must write the same whenever it runs (fixed days
    and times) and leave no connection open but the book's. The book is at `db_path` on
    SQLite; on PostgreSQL a database of its own (not `book_place`'s), dropped after the test."""
    engine = request.getfixturevalue("engine")
    made = _BUILT.get((key, engine))
    if made is None:
        made = _BUILT[(key, engine)] = _build_book(request, key, engine, build)
    source, value = made
    if engine == "postgresql":
        cluster = request.getfixturevalue("pg_cluster")
        name = f"book_{os.getpid()}_{next(_BOOKS)}"
        create_database(cluster, name, source)
        request.addfinalizer(lambda: drop_database(cluster, name))
        return open_database(cluster.url(name, user=TEST_ROLE)), value
    path: Path = request.getfixturevalue("db_path")
    for end in ("", "-wal"):
        if Path(source + end).exists():
            shutil.copyfile(source + end, f"{path}{end}")
            os.chmod(f"{path}{end}", 0o600)
    return open_database(path), value


def _build_book(
    request: pytest.FixtureRequest, key: str, engine: str, build: Callable[[Any], Any]
) -> tuple[str, Any]:
    if engine == "postgresql":
        cluster = request.getfixturevalue("pg_cluster")
        name = f"built_{key}_{os.getpid()}"
        create_database(cluster, name, request.getfixturevalue("pg_template"))
        place = cluster.url(name, user=TEST_ROLE)
    else:
        folder = request.getfixturevalue("tmp_path_factory").mktemp(f"built-{key}")
        name = place = str(folder / "book.db")
    try:
        value = build(open_database(place))
    finally:
        close_database()
    return name, value


@functools.cache
def migrated_file() -> Path:
    """A new SQLite book migrated to the newest schema, made once a process (and removed at
    its end): `db` and tests that make many new books (a state machine's runs) copy it rather
    than migrating each."""
    folder = tempfile.mkdtemp(prefix="tui-crm-migrated-")
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    path = Path(folder) / "crm.db"
    open_database(path)  # as `db` would open it (which closes any other book open too)
    close_database()
    if Path(f"{path}-wal").exists():
        raise RuntimeError(f"{path}: its write-ahead log was not folded in when it was closed")
    return path


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """`-n auto`: two test processes a core. A test waits about half its time (on the app's
    worker threads and timers, on the PostgreSQL server): the whole suite on both engines took
    12 min 18 s with one process a core on this 2-core machine, 9 min 0 s with two."""
    return 2 * (os.cpu_count() or 1)
