"""Keys typed faster than the app answers land where they were meant to.

Over SSH a fast typist's keys arrive in bunches: one read from the terminal holds several.
`burst` hands them to the app the way Textual's driver does with one read (parsed by the
XTermParser, every event posted before any is handled); `pilot.press(*keys)` sends them as
fast as the test can, without pauses.
"""

from __future__ import annotations

import pytest
from textual.widgets import Input, TextArea

from tests.ui.conftest import TODAY, burst, latest_interaction, settle
from tui_crm.core.search import search
from tui_crm.db.models import Interaction
from tui_crm.ui.screens.customer_form import CustomerFormScreen
from tui_crm.ui.screens.log import LogInteractionScreen
from tui_crm.ui.screens.purchase import AddPurchaseScreen
from tui_crm.ui.screens.search import SearchScreen

DOWN = "\x1b[B"
CTRL_S = "\x13"
CTRL_N = "\x0e"
CTRL_L = "\x0c"
CTRL_B = "\x02"


async def _results_for(pilot, query: str):
    await pilot.press(*query)
    await settle(pilot)
    return list(pilot.app.screen.rows)


async def test_a_tab_in_a_burst_moves_to_the_next_field(demo_app):
    async with demo_app.run_test(size=(80, 24)) as pilot:
        rows = await _results_for(pilot, "smith")
        await pilot.press("down", "ctrl+l")
        await settle(pilot)
        burst(demo_app, "Wants a quote\t\t+2w")
        await settle(pilot)
        dialog = demo_app.screen
        assert isinstance(dialog, LogInteractionScreen)
        assert dialog.query_one("#log-notes", TextArea).text == "Wants a quote"
        assert dialog.query_one("#log-follow-up", Input).value == "+2w"
        burst(demo_app, CTRL_S)
        await settle(pilot)
        latest = latest_interaction(rows[0].id)
        assert (latest.notes, latest.follow_up is not None) == ("Wants a quote", True)


async def test_a_tab_in_a_burst_on_the_new_customer_form(demo_app):
    async with demo_app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        burst(demo_app, CTRL_N + "Zed\tZebulon")
        await settle(pilot)
        form = demo_app.screen
        assert isinstance(form, CustomerFormScreen)
        assert form.query_one("#f-first-name", Input).value == "Zed"
        assert form.query_one("#f-last-name", Input).value == "Zebulon"


@pytest.mark.parametrize("where", ["the field", "the results"])
async def test_a_note_typed_right_after_ctrl_l_lands_in_the_note(demo_app, where):
    async with demo_app.run_test(size=(80, 24)) as pilot:
        rows = await _results_for(pilot, "smith")
        before = Interaction.select().count()
        move = DOWN if where == "the results" else ""
        burst(demo_app, move + CTRL_L + "Left a voicemail, try Friday" + CTRL_S)
        await settle(pilot)
        assert isinstance(demo_app.screen, SearchScreen)
        assert Interaction.select().count() == before + 1
        assert latest_interaction(rows[0].id).notes == "Left a voicemail, try Friday"


async def test_the_whole_call_typed_in_one_go_from_the_query(demo_app):
    """Query, ↓↓, ctrl+l, note, ctrl+s, then ctrl+b: all before the first search has
    answered."""
    second = search(demo_app.db, "smith", as_of=TODAY, limit=200)[1]
    async with demo_app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        burst(demo_app, "smith" + DOWN + DOWN + CTRL_L + "Called back" + CTRL_S + CTRL_B)
        await settle(pilot)
        dialog = demo_app.screen
        assert isinstance(dialog, AddPurchaseScreen)
        assert dialog.customer_id == second.id
        assert latest_interaction(second.id).notes == "Called back"
