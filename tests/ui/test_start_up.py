"""The first frame waits for nothing it does not show (issue 18): starting the app and running
its first search load neither the phone metadata, nor the queue's rules, the backups, the
undo journal or import and export; each loads when it is first used, in a worker."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from concurrent.futures import Future

import pytest
from textual.geometry import Region

from tests.ui.conftest import TODAY, joined, settle
from tui_crm.db.database import close_database, open_database
from tui_crm.errors import CrmError
from tui_crm.ui.app import CrmApp
from tui_crm.ui.first_answer import WINDOW, FirstAnswer, answer, start_first_answer
from tui_crm.ui.screens.search import ResultsList

LATER = (
    "phonenumbers",  # formatting and checking phones: once there are rows, or a phone typed
    "tui_crm.core.attention",  # status:, reason: and the Needs attention screen
    "tui_crm.core.referrals",
    "tui_crm.core.backups",  # the daily backup, in a worker after the first frame
    "tui_crm.core.undo",  # the undo journal, likewise
    "tui_crm.core.interchange",  # import and export
    "vobject",
    "tui_crm.core.types",  # the profile's types, with the profile
    "tomllib",  # only with a config file to read
    "textual.widgets._text_area",  # the first screen has none
)


def test_starting_the_app_and_parsing_a_query_load_only_what_the_first_frame_needs():
    code = (
        "import sys\n"
        "import tui_crm.cli, tui_crm.ui.app, tui_crm.db.database\n"
        "from tui_crm.core.search import search\n"
        "from tui_crm.core.query import parse\n"
        "parse('rob city:oslo tier:gold sort:-value')\n"
        "print('\\n'.join(sys.modules))\n"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    assert "textual.app" in loaded and "tui_crm.core.search" in loaded  # it did run
    early = [m for m in loaded for later in LATER if m == later or m.startswith(later + ".")]
    assert early == []


def _started_as_the_command_line_starts_it(path) -> CrmApp:
    """The app on the book at `path`, its first answer read before the app runs (and read
    whole, so the first frame has it)."""
    db = open_database(path)
    first = start_first_answer(db, lambda: TODAY)
    first.rows.result(timeout=10)
    return CrmApp(
        db=db, db_path=path, today=lambda: TODAY, cursor_blink=False, watch_every=None, first=first
    )


async def test_the_first_answer_read_as_the_app_loads_is_drawn_in_its_first_frame(
    demo_file, ui_home
):
    # The command line starts reading everyone before it loads Textual; the search screen
    # shows those rows as it mounts, without a search of its own.
    copy = ui_home / "first.db"
    shutil.copy(demo_file, copy)
    app = _started_as_the_command_line_starts_it(copy)
    try:
        async with app.run_test(size=(120, 30)) as pilot:
            screen = app.screen
            assert [w for w in app.workers if w.group == "search"] == []
            assert len(screen.rows) == WINDOW and screen.query_one(ResultsList).row_count
            assert "60+ customers" in joined(app)
            word = screen.rows[7].name.split()[0].lower()
            await settle(pilot)
            await pilot.press(*word)  # and typing searches as ever
            await settle(pilot)
            assert screen.rows and all(word in row.name.lower() for row in screen.rows)
    finally:
        close_database()


async def test_a_first_answer_that_failed_is_read_again_by_the_screen(demo_app):
    failed = Future()
    failed.set_exception(CrmError("the book was locked"))
    demo_app.first = FirstAnswer(demo_app.search_line, demo_app.book_clock, failed)
    async with demo_app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        assert len(demo_app.screen.rows) == WINDOW


async def test_the_app_reads_its_first_answer_once(demo_app, monkeypatch):
    # Twice, before: the watcher for others' writes started with the app and saw the first
    # search's own kept figures of the day as a change; the screen's first resume could come
    # before its search worker had started; the theme set as the app started counted as a
    # change of theme. Each cost the first rows some 30 ms.
    from tui_crm.ui.screens import search

    asked = []

    def counted(db, text, today):
        asked.append(text)
        return answer(db, text, today)

    monkeypatch.setattr(search, "answer", counted)
    demo_app.watch_every = 0.02  # looking for others' writes from the start, as in use
    async with demo_app.run_test(size=(120, 30)) as pilot:
        for _ in range(3):
            await settle(pilot)
            await pilot.pause(0.05)
        assert asked == [""]
        assert demo_app.undo_after is not None  # what waited for the first rows did run


def test_the_app_draws_up_to_240_frames_a_second_unless_told_otherwise():
    # A key's rows are drawn at the next of Textual's ticks: at its default 60 a second they
    # waited up to 16 ms for it. TEXTUAL_FPS of the user's own wins (README, Configuration).
    code = "import tui_crm.ui.app, textual.constants as c; print(c.MAX_FPS)"
    env = {k: v for k, v in os.environ.items() if k != "TEXTUAL_FPS"}
    ours = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    theirs = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={**env, "TEXTUAL_FPS": "30"},
    )
    assert (ours.stdout.strip(), theirs.stdout.strip()) == ("240", "30")


async def test_the_collectors_full_passes_wait_for_a_pause(demo_app, monkeypatch):
    # A full pass walks everything built since the start: up to 130 ms, which used to land in
    # a screen opening or a keystroke's rows at random.
    import gc

    from tui_crm.ui import app as app_module

    passes = []

    def noted(phase: str, info: dict) -> None:
        if phase == "stop" and info["generation"] == 2:
            passes.append(info)

    async with demo_app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert gc.get_threshold()[2] >= app_module.FULL_PASS_AT_MOST  # never by itself
        monkeypatch.setattr(gc, "get_count", lambda: (0, 0, app_module.FULL_PASS_AFTER))
        gc.callbacks.append(noted)
        try:
            await pilot.press("a")  # typing: no full pass now
            demo_app._collect_when_idle()
            assert passes == []
            demo_app._last_input -= app_module.FULL_PASS_IDLE  # the user paused
            demo_app._collect_when_idle()
            assert len(passes) == 1
        finally:
            gc.callbacks.remove(noted)


async def test_the_app_starts_on_search_without_holding_back_its_frames(demo_app, monkeypatch):
    # Switching to Search from Textual's empty first screen held every frame back 50 ms
    # (`delay_update`), a third of the time to the first rows.
    from textual.app import App

    held = []
    monkeypatch.setattr(App, "delay_update", lambda self, delay=0.05: held.append(delay))
    async with demo_app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert demo_app.current_mode == "search" and held == []
        assert [type(s).__name__ for s in demo_app.screen_stack] == ["SearchScreen"]
        assert "customers" in joined(demo_app)


async def test_the_collector_started_without_is_started_once_the_first_rows_are_drawn(demo_app):
    # The command line starts the app with the collector off (its passes over the objects
    # loading builds cost 15-20 ms of the first frame); the app starts it again.
    import gc

    gc.disable()
    try:
        async with demo_app.run_test(size=(100, 30)) as pilot:
            await settle(pilot)
            assert gc.isenabled()
    finally:
        gc.enable()


async def test_the_empty_books_hint_is_drawn_in_the_texts_colour_from_the_first_frame(ui_home):
    # The hint is on the first screen as the app starts: once it was drawn before the app had
    # its colours and kept the colour it had then, the background's (an invisible hint).
    app = _started_as_the_command_line_starts_it(ui_home / "empty.db")
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            hint = app.screen.query_one("#empty-hint")
            lines = hint.render_lines(Region(0, 0, hint.size.width, hint.size.height))
            drawn = [part.style for line in lines for part in line if "empty" in part.text]
            assert drawn and all(style.color != style.bgcolor for style in drawn)
    finally:
        close_database()


@pytest.mark.sqlite_only  # FTS5's segments (tests/core/test_search_tidy.py)
async def test_the_app_tidies_the_search_index_in_the_background_while_the_user_pauses(
    demo_app,
):
    db = demo_app.db
    automerge = "INSERT INTO customer_fts(customer_fts, rank) VALUES ('automerge', ?)"
    db.execute_sql(automerge, (0,))
    for n in range(40):  # writes whose merging is left to do
        db.execute_sql("UPDATE customer SET notes = ? WHERE id = ?", (f"n {n}", n % 20 + 1))
    db.execute_sql(automerge, (4,))
    segments = "SELECT count(DISTINCT segid) FROM customer_fts_idx"
    before = db.execute_sql(segments).fetchone()[0]
    async with demo_app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        demo_app._last_input = 0.0  # the user paused; then the minute's look comes
        demo_app._tidy_search_index()
        await settle(pilot)
        assert db.execute_sql(segments).fetchone()[0] <= before / 2
