"""For command-line tests on either engine (tests/conftest.py `engine`, `book_place`): a
book's place as --db takes it, a file or a PostgreSQL URL; a book made once and copied for
each test (a file copied, or a database made from a template); its rows read past the app."""

from __future__ import annotations

import itertools
import os
import shutil
import sqlite3
from collections.abc import Callable
from contextlib import closing
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.cli.commands import run_cli

if TYPE_CHECKING:
    from tests.postgres import Cluster

Place = Path | str

_COPIES = itertools.count(1)


def on_server(place: Place) -> bool:
    return str(place).startswith("postgresql://")


def _plain(value: object) -> object:
    """A value as SQLite's file holds it: times and days as text, booleans as 0 or 1."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (date, datetime)):
        return str(value)
    return value


def rows(place: Place, sql: str, params: tuple = ()) -> list[tuple]:
    """The rows of one statement (`?` for each parameter) on the book at `place`, read past
    the app: sqlite3 on a file (read-only), psycopg on a URL."""
    if not on_server(place):
        with closing(sqlite3.connect(f"file:{place}?mode=ro", uri=True)) as conn:
            return conn.execute(sql, params).fetchall()
    import psycopg

    with psycopg.connect(str(place), autocommit=True) as conn:
        found = conn.execute(sql.replace("?", "%s"), params or None).fetchall()
    return [tuple(_plain(value) for value in row) for row in found]


def write(place: Place, *statements: str) -> None:
    """Statements run on the book at `place` past the app, as another program would, in one
    transaction."""
    if not on_server(place):
        with closing(sqlite3.connect(place)) as conn, conn:
            for sql in statements:
                conn.execute(sql)
        return
    import psycopg

    with psycopg.connect(str(place)) as conn:
        for sql in statements:
            conn.execute(sql)


class Books:
    """Books made once per test process and copied for each test: on SQLite a file copied
    beside the test's, on PostgreSQL a database made from a template database."""

    def __init__(self, factory: pytest.TempPathFactory) -> None:
        self._factory = factory
        self._files: dict[str, Path] = {}
        self._templates: dict[str, str] = {}

    def file(self, name: str, make: Callable[[Path], None]) -> Path:
        """The book `name` in a file, made by `make(path)` the first time it is asked for."""
        if name not in self._files:
            folder = self._factory.mktemp(f"book-{name}")
            path = folder / f"{name}.db"
            make(path)
            self._files[name] = path
        return self._files[name]

    def copy(
        self,
        name: str,
        make: Callable[[Path], None],
        into: Path,
        request: pytest.FixtureRequest,
        on_server: Callable[[str], None] | None = None,
    ) -> Place:
        """A private copy of the book `name` where the test's book is (its `engine`): the
        file `into`; or on PostgreSQL a new database (its URL, dropped after the test), made
        from a template database that is the file copied there (`tui-crm copy`), or that
        `on_server(url)` wrote into a new book."""
        if request.getfixturevalue("engine") != "postgresql":
            shutil.copy(self.file(name, make), into)
            return into
        from tests.conftest import TEST_ROLE, create_database, drop_database

        cluster: Cluster = request.getfixturevalue("pg_cluster")
        if name not in self._templates:
            template = f"template_{name}"
            drop_database(cluster, template)  # what a failed attempt left
            create_database(cluster, template)
            url = cluster.url(template, user=TEST_ROLE)
            if on_server is not None:
                on_server(url)
            else:
                copied = run_cli(
                    self._factory.mktemp("copy-home"),
                    *("copy", "--from", str(self.file(name, make)), "--to", url),
                )
                assert copied.returncode == 0, copied.stderr
            self._templates[name] = template
        copy = f"{name}_{os.getpid()}_{next(_COPIES)}"
        create_database(cluster, copy, self._templates[name])
        request.addfinalizer(lambda: drop_database(cluster, copy))
        return cluster.url(copy, user=TEST_ROLE)
