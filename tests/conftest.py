"""Shared fixtures: a private home folder per test and a fresh database file under tmp_path."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings
from peewee import SqliteDatabase

from tui_crm.core import config
from tui_crm.db.database import close_database, open_database

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
def db(db_path: Path) -> Iterator[SqliteDatabase]:
    """A freshly created and migrated database file, closed after the test."""
    database = open_database(db_path)
    yield database
    close_database()
