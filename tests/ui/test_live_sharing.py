"""Two salespeople on one book: what another program writes shows up on the open screen by
itself, without moving the highlight or losing what is being typed. On a shared file, and on
a book on PostgreSQL (team mode), whose writes notify every open app."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from textual.widgets import Input

from tests.ui.conftest import TODAY, settle
from tui_crm.db.database import close_database, open_database
from tui_crm.ui.app import CrmApp
from tui_crm.ui.screens.attention import AttentionScreen
from tui_crm.ui.screens.profile import ProfileScreen
from tui_crm.ui.screens.search import SearchScreen

pytestmark = pytest.mark.both_engines


@pytest.fixture
def shared(demo_book: Path | str):
    """The app on a copy of the demo book, looking for others' changes every 50 ms."""
    path = demo_book
    app = CrmApp(
        db=open_database(path),
        db_path=path,
        today=lambda: TODAY,
        cursor_blink=False,
        watch_every=0.05,
    )
    yield app, path
    close_database()


def colleague_writes(path: Path | str, sql: str, params: tuple = ()) -> None:
    """A write from another program: its own connection, committed."""
    if isinstance(path, str):  # a book on PostgreSQL: the same statement in its words
        import psycopg

        for sqlite_words, postgres_words in _SPELLED:
            sql = sql.replace(sqlite_words, postgres_words)
        with psycopg.connect(path) as other:
            other.execute(sql, params)
        return
    other = sqlite3.connect(path, timeout=5)
    try:
        with other:
            other.execute(sql, params)
    finally:
        other.close()


_SPELLED = (("datetime('now')", "localtimestamp(0)"), ("date('now')", "current_date"), ("?", "%s"))


async def until(pilot, condition, what: str) -> None:
    """Wait (up to 10 s) for the app to show what the condition looks for."""
    for _ in range(200):
        await pilot.pause(0.05)
        if condition():
            return
    raise AssertionError(f"the screen never showed {what}")


def _ids(screen) -> list[int]:
    return [row.id for row in screen.rows]


async def test_results_show_a_colleagues_new_customer_and_keep_the_highlight(shared):
    app, path = shared
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press(*"smith")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, SearchScreen)
        await pilot.press("down", "down", "down")
        await settle(pilot)
        chosen = screen.highlighted().id
        assert chosen != _ids(screen)[0]
        before = set(_ids(screen))

        colleague_writes(
            path,
            "INSERT INTO customer (first_name, last_name, created_at, updated_at) "
            "VALUES ('Aaron', 'Smith', datetime('now'), datetime('now'))",
        )
        await until(pilot, lambda: set(_ids(screen)) - before, "the new customer")
        await settle(pilot)

        assert any(row.name == "Aaron Smith" for row in screen.rows)
        assert screen.highlighted().id == chosen
        assert app.focused.id == "results"
        assert screen.query_one("#query", Input).value == "smith"


async def test_a_query_being_typed_is_kept_when_the_book_changes(shared):
    app, path = shared
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press(*"smi")
        await settle(pilot)
        screen = app.screen
        field = screen.query_one("#query", Input)
        field.cursor_position = 1  # the user went back to fix a letter
        colleague_writes(
            path,
            "INSERT INTO customer (first_name, last_name, created_at, updated_at) "
            "VALUES ('Zoe', 'Smiley', datetime('now'), datetime('now'))",
        )
        await until(pilot, lambda: any(r.name == "Zoe Smiley" for r in screen.rows), "Zoe")
        assert field.value == "smi" and field.cursor_position == 1 and field.has_focus
        await pilot.press("x")
        assert field.value == "sxmi"


def _highlighted_key(table) -> str:
    return table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value


async def test_an_open_profile_shows_a_call_a_colleague_logged(shared):
    app, path = shared
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press(*"robert smith", "enter")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ProfileScreen)
        customer_id = screen.customer_id
        timeline = screen.query_one("#profile-timeline")
        assert len(screen.profile.interactions) >= 2
        timeline.focus()
        await pilot.press("down")
        chosen = _highlighted_key(timeline)
        assert chosen == str(screen.profile.interactions[1].id)
        colleague_writes(
            path,
            "INSERT INTO interaction (customer_id, kind, at, notes, logged_by, created_at) "
            "VALUES (?, 'call', datetime('now'), 'Called from the Oslo office', 'kari', "
            "datetime('now'))",
            (customer_id,),
        )
        await until(
            pilot,
            lambda: any(
                "Oslo office" in i.notes
                for i in (screen.profile.interactions if screen.profile else ())
            ),
            "the colleague's call",
        )
        assert app.screen is screen
        assert _highlighted_key(timeline) == chosen  # the new call is above it now
        assert timeline.has_focus


async def test_the_queue_drops_a_customer_a_colleague_marked_lost(shared):
    app, path = shared
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f2")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, AttentionScreen)
        first = screen.items[0].customer_id
        colleague_writes(
            path,
            "UPDATE customer SET status = 'lost', lost_reason = 'moved away', "
            "lost_on = date('now'), version = version + 1 WHERE id = ?",
            (first,),
        )
        await until(
            pilot,
            lambda: first not in [item.customer_id for item in screen.items],
            "the queue without the lost customer",
        )
