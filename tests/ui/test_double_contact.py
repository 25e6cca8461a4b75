"""No customer called or mailed twice (issue 19): a contact of the last days is said on the
profile, under the name, and above the note of a new log, before anyone contacts them again."""

from __future__ import annotations

from datetime import datetime, timedelta

from textual.widgets import Static

from tests.ui.conftest import settle
from tui_crm.core.customers import log_interaction
from tui_crm.core.search import search
from tui_crm.ui.screens.log import LogInteractionScreen
from tui_crm.ui.screens.profile import ProfileScreen


def _said(app, widget_id: str) -> str:
    line = app.screen.query_one(widget_id, Static)
    return str(line.render()) if line.display else ""


async def test_a_colleagues_call_yesterday_is_said_before_calling_again(demo_app):
    (robert,) = search(demo_app.db, "robert smith", as_of=demo_app.today(), limit=1)
    now = datetime.now().replace(microsecond=0)
    at = now - timedelta(hours=3)
    log_interaction(demo_app.db, robert.id, notes="Sent the quote", at=at, who="ben")
    when = "3 hours ago" if at.date() == now.date() else "yesterday"  # run after midnight
    line = f"Ben called them {when}: 'Sent the quote'"
    async with demo_app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press(*"robert smith")
        await settle(pilot)
        await pilot.press("ctrl+l")
        await settle(pilot)
        assert isinstance(demo_app.screen, LogInteractionScreen)
        assert _said(demo_app, "#log-recent") == line
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(demo_app.screen, ProfileScreen)
        assert _said(demo_app, "#profile-recent") == line


async def test_nothing_is_said_without_a_contact_in_the_last_days(demo_app):
    async with demo_app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press(*"robert smith", "ctrl+l")
        await settle(pilot)
        assert isinstance(demo_app.screen, LogInteractionScreen)
        assert _said(demo_app, "#log-recent") == ""
