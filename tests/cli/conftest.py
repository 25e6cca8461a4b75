"""Fixtures for command-line tests on either engine (tests/cli/books.py)."""

from __future__ import annotations

import itertools
import os
from pathlib import Path

import pytest

from tests.cli.books import Books, Place

_OTHERS = itertools.count(1)


@pytest.fixture(scope="session")
def books(tmp_path_factory: pytest.TempPathFactory) -> Books:
    return Books(tmp_path_factory)


@pytest.fixture
def another_place(engine: str, tmp_path: Path, request: pytest.FixtureRequest):
    """A second new book for a test, where its first is (`book_place`): `another_place(name)`
    is the file tmp_path/name, not made yet, or a new book on the test cluster."""

    def place(name: str) -> Place:
        if engine != "postgresql":
            return tmp_path / name
        from tests.conftest import TEST_ROLE, create_database, drop_database

        cluster = request.getfixturevalue("pg_cluster")
        database = f"other_{os.getpid()}_{next(_OTHERS)}"
        create_database(cluster, database, request.getfixturevalue("pg_template"))
        request.addfinalizer(lambda: drop_database(cluster, database))
        return cluster.url(database, user=TEST_ROLE)

    return place
