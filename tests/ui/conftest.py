"""Fixtures for driving the app: a deterministic demo book, a fixed clock, no blinking."""

from __future__ import annotations

import contextlib
import itertools
import os
import shutil
from datetime import date
from pathlib import Path

import pytest
from textual.geometry import Region
from textual.worker import WorkerCancelled, WorkerState

from tests.conftest import TEST_ROLE, create_database, drop_database
from tui_crm.core import config
from tui_crm.db.database import close_database, open_database
from tui_crm.db.models import Interaction
from tui_crm.ui.app import CrmApp

TODAY = date(2026, 11, 22)


@pytest.fixture(scope="session")
def demo_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A demo book built once per session (copied per test, so tests cannot leak writes)."""
    from tui_crm.cli import make_demo

    home = tmp_path_factory.mktemp("demo-home")
    saved = {k: os.environ.get(k) for k in ("TUI_CRM_HOME", "TUI_CRM_REGION", "TUI_CRM_USER")}
    os.environ.update(TUI_CRM_HOME=str(home), TUI_CRM_REGION="US", TUI_CRM_USER="tester")
    config.settings.cache_clear()
    try:
        path = home / "demo.db"
        make_demo(path, customers=120, seed=7, today=TODAY)
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        config.settings.cache_clear()
    return path


@pytest.fixture
def ui_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("TUI_CRM_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("TUI_CRM_REGION", "US")
    monkeypatch.setenv("TUI_CRM_USER", "tester")
    monkeypatch.delenv("TUI_CRM_DB", raising=False)
    config.settings.cache_clear()
    yield tmp_path
    config.settings.cache_clear()


def app_on(path: Path | str) -> CrmApp:
    # Without the watcher for others' changes: nothing else writes to a test's book, and a
    # refresh at a moment of its own would make frames differ (tests/ui/test_live_sharing.py
    # runs it).
    return CrmApp(
        db=open_database(path),
        db_path=path,
        today=lambda: TODAY,
        cursor_blink=False,
        watch_every=None,
    )


# The demo book on the test cluster, copied there once per test process: each test's book is
# a database made with it as its template (0.14 s, where a copy of its rows took 0.3-0.4).
_DEMO_ON_SERVER: list[str] = []


@pytest.fixture
def demo_book(
    demo_file: Path, ui_home: Path, book_place: str, request: pytest.FixtureRequest
) -> Path | str:
    """A private copy of the demo book where the test's book is: a file, or (the test's
    PostgreSQL half) a database of its own on the test cluster, dropped after it."""
    copy = ui_home / "demo.db"
    shutil.copy(demo_file, copy)
    if not book_place.startswith("postgresql://"):
        return copy
    cluster = request.getfixturevalue("pg_cluster")
    if not _DEMO_ON_SERVER:
        template = f"demo_{os.getpid()}"
        create_database(cluster, template, request.getfixturevalue("pg_template"))
        copy_to_server(copy, cluster.url(template, user=TEST_ROLE))
        _DEMO_ON_SERVER.append(template)
    name = f"demo_{os.getpid()}_{next(_DEMO_BOOKS)}"
    create_database(cluster, name, _DEMO_ON_SERVER[0])
    request.addfinalizer(lambda: drop_database(cluster, name))
    return cluster.url(name, user=TEST_ROLE)


_DEMO_BOOKS = itertools.count(1)


def copy_to_server(book: Path, url: str) -> None:
    """Every row of the book in the file `book` into the new book at `url` (tui-crm copy)."""
    from tui_crm.core.copy import copy_book
    from tui_crm.db.database import open_second

    reading = open_second(book)
    try:
        copy_book(reading, open_database(url))
    finally:
        reading.close()
        close_database()


@pytest.fixture
def demo_app(demo_book: Path | str):
    """The app on a private copy of the demo book (a file; on PostgreSQL too with
    its PostgreSQL half)."""
    app = app_on(demo_book)
    if isinstance(demo_book, str):  # the title names the book; all else is as on the file
        app.sub_title = "demo.db"
    yield app
    close_database()


@pytest.fixture
def empty_app(ui_home: Path, book_place: str):
    place = book_place if book_place.startswith("postgresql://") else ui_home / "empty.db"
    app = app_on(place)
    app.sub_title = "empty.db"  # the title names the book; all else is as on the file
    yield app
    close_database()


async def settle(pilot) -> None:
    """Let database workers finish and their messages be handled.

    A cancelled worker has finished too: a newer search replaces an older one, and closing a
    screen cancels its workers (a form's save closes its own screen while its worker is still
    returning). Textual's `wait_for_complete` raises WorkerCancelled for those, so a test
    would fail or pass by the timing of a thread. A worker that failed still fails the test.
    """
    quiet = 0  # rounds in a row that found nothing to wait for
    for _ in range(100):
        # A worker made a moment ago may not have started yet: it is waited for too.
        for _ in range(100):
            if not [w for w in pilot.app.workers if w.state == WorkerState.PENDING]:
                break
            await pilot.pause()
        running = [w for w in pilot.app.workers if w.state == WorkerState.RUNNING]
        # The watcher for others' changes runs as long as the app does.
        waited = [w for w in running if w.group != "watch"]
        for worker in waited:
            with contextlib.suppress(WorkerCancelled):
                await worker.wait()
        await pilot.pause()
        # A screen just opened starts its workers once it is mounted, which on a busy
        # machine can take more than a round: it is not settled before that. Nor before
        # what its last messages changed is laid out and drawn (the screen's next refresh;
        # a screenshot taken before it shows the frame before, on a busy machine).
        screen = pilot.app.screen
        drawn = not (
            screen._layout_required
            or screen._scroll_required
            or screen._repaint_required
            or screen._dirty_widgets
        )
        quiet = 0 if waited or not screen.is_mounted or not drawn else quiet + 1
        if quiet >= 2:
            break


def burst(app, data: str) -> None:
    """Keys as they come from one read() of the terminal (a fast typist over SSH): parsed by
    Textual's XTermParser and all posted to the app before any is handled, as its driver
    does. `data` is what the terminal sends: "\\t" Tab, "\\r" Enter, "\\x13" ctrl+s,
    "\\x1b[B" ↓."""
    from textual._xterm_parser import XTermParser

    for event in XTermParser().feed(data):
        app.post_message(event)


def latest_interaction(customer_id: int) -> Interaction | None:
    """The interaction logged last for a customer."""
    return (
        Interaction.select()
        .where(Interaction.customer == customer_id)
        .order_by(Interaction.id.desc())
        .first()
    )


@contextlib.contextmanager
def demo_app_with_config(demo_file: Path, tmp_path: Path, config_text: str):
    """The app on a copy of the demo book, with this config.toml (e.g. remapped keys)."""
    from tui_crm.paths import config_dir

    config_dir().mkdir(parents=True, exist_ok=True)
    (config_dir() / "config.toml").write_text(config_text)
    config.settings.cache_clear()
    copy = tmp_path / "remap.db"
    shutil.copy(demo_file, copy)
    try:
        yield app_on(copy)
    finally:
        close_database()


def screen_lines(app) -> list[str]:
    """The characters the app would draw now, line by line (every layer)."""
    update = app.screen._compositor.render_update(full=True, screen_stack=app._background_screens)
    return ["".join(segment.text for strip in line for segment in strip) for line in update.strips]


def joined(app, region: Region | None = None) -> str:
    """The screen's lines (or a region of it) joined with single spaces: text wrapped over
    lines reads whole."""
    lines = screen_lines(app)
    if region is not None:
        lines = [line[region.x : region.right] for line in lines[region.y : region.bottom]]
    return " ".join(" ".join(line.split()) for line in lines)


_ENGINES = {"sqlite", "postgresql"}


def _without_engine(name: str) -> str:
    """A test's name without the engine among its parameters: `test_x[postgresql-search]` is
    `test_x[search]`, `test_x[sqlite]` is `test_x`."""
    test, bracket, params = name.partition("[")
    if not bracket:
        return name
    kept = "-".join(part for part in params[:-1].split("-") if part not in _ENGINES)
    return f"{test}[{kept}]" if kept else test


@pytest.fixture
def snapshot(snapshot):
    """syrupy's snapshot, named as the test is on a file whichever engine runs it: a screen
    must draw the same on PostgreSQL (each engine's half compares it)."""
    location = snapshot.test_location
    location.nodename = location.testname = _without_engine(location.testname)
    return snapshot
