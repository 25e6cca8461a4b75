"""The same app on a book on PostgreSQL (issue 20, team mode): each screen draws, character for
character, what it draws for the same book in a file; only the title, which names the book,
differs."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.teams import restricted_team
from tests.ui.conftest import TODAY, app_on, copy_to_server, settle
from tests.ui.test_hostile_text import terminal_text
from tui_crm.core.keeping import keep_book
from tui_crm.db.database import close_database, open_database

pytestmark = pytest.mark.postgres

# What a salesperson opens in a day, in order: results, a profile, its log dialog, then each
# screen of its own key.
STEPS: tuple[tuple[str, ...], ...] = (
    tuple("rob"),
    ("escape", *"robert smith", "enter"),
    ("l",),
    ("escape", "escape"),
    ("f2",),
    ("f3",),
    ("f4",),
    ("f5",),
    ("f6",),
    ("f10",),
)


async def _drawn(place: Path | str) -> list[str]:
    """The screen after each step, without its title line."""
    app = app_on(place)
    frames = []
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            for keys in STEPS:
                await pilot.press(*keys)
                await settle(pilot)
                frames.append(terminal_text(app).split("\n", 1)[1])
    finally:
        close_database()
    return frames


async def test_every_screen_draws_the_same_on_postgresql_as_on_a_file(demo_file, ui_home, pg_url):
    book = ui_home / "demo.db"
    shutil.copy(demo_file, book)
    copy_to_server(book, pg_url)
    on_file = await _drawn(book)
    on_server = await _drawn(pg_url)
    assert "Robert Smith" in on_file[0] and "Log " in on_file[2]
    for keys, expected, drawn in zip(STEPS, on_file, on_server, strict=True):
        assert drawn == expected, f"after {' '.join(keys)}"


async def test_a_salesperson_restricted_to_their_own_sees_only_them_and_is_told_so(
    demo_file, ui_home, pg_cluster
):
    book = ui_home / "demo.db"
    shutil.copy(demo_file, book)
    with restricted_team(pg_cluster, "ui") as team:
        copy_to_server(book, team["urls"]["mona"])
        mona = open_database(team["urls"]["mona"])
        ole = team["names"]["ole"]
        mona.execute_sql("UPDATE customer SET owner = ? WHERE city = 'Oslo'", (ole,))
        theirs = {
            row[0] for row in mona.execute_sql("SELECT id FROM customer WHERE owner = ?", (ole,))
        }
        names = [
            f"{first} {last}"
            for first, last in mona.execute_sql(
                "SELECT first_name, last_name FROM customer WHERE owner = ? ORDER BY id", (ole,)
            )
        ]
        keep_book(mona, TODAY)
        close_database()
        app = app_on(team["urls"]["ole"])
        try:
            async with app.run_test(size=(120, 40)) as pilot:
                await settle(pilot)
                title, results = terminal_text(app).split("\n", 1)
                assert f"· {ole}'s customers" in title
                assert f"{len(theirs)} customers" in results
                assert all(name in results for name in names)
                await pilot.press("f2")
                await settle(pilot)
                queue = terminal_text(app)
                lines = queue.splitlines()
                rows = lines[3 : next(n for n, line in enumerate(lines) if line.startswith("─"))]
                shown = [line for line in rows if line.strip()]
                assert shown and all(any(n in line for n in names) for line in shown)
        finally:
            close_database()
