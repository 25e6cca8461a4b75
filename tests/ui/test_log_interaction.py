"""Logging a call from the search results (ctrl+l) and the profile (`l`): the note, ctrl+s."""

from __future__ import annotations

from datetime import timedelta

from textual.widgets import DataTable, Static, TextArea

from tests.ui.conftest import TODAY, latest_interaction, settle
from tui_crm.db.models import Interaction
from tui_crm.ui.screens.confirm import ConfirmScreen
from tui_crm.ui.screens.log import LogInteractionScreen
from tui_crm.ui.screens.profile import ProfileScreen
from tui_crm.ui.screens.search import SearchScreen
from tui_crm.ui.widgets.row_list import RowList


async def _highlight_first(pilot, query: str):
    await pilot.press(*query)
    await settle(pilot)
    await pilot.press("down")
    await pilot.pause()
    return pilot.app.screen.highlighted()


async def test_ctrl_l_note_ctrl_s_logs_a_call_for_the_highlighted_customer(demo_app):
    async with demo_app.run_test(size=(80, 24)) as pilot:
        row = await _highlight_first(pilot, "smith")
        before = Interaction.select().where(Interaction.customer == row.id).count()
        await pilot.press("ctrl+l")
        await pilot.pause()
        assert isinstance(demo_app.screen, LogInteractionScreen)
        assert demo_app.focused is demo_app.screen.query_one("#log-notes", TextArea)
        await pilot.press(*"Wants a quote for 20 seats", "ctrl+s")
        await settle(pilot)
        assert isinstance(demo_app.screen, SearchScreen)
        logged = (
            Interaction.select()
            .where(Interaction.customer == row.id)
            .order_by(Interaction.id.desc())
            .first()
        )
        assert Interaction.select().where(Interaction.customer == row.id).count() == before + 1
        assert (logged.kind, logged.notes) == ("call", "Wants a quote for 20 seats")
        assert logged.at.date() == TODAY
        # The list behind refreshed: the customer was contacted today.
        table = demo_app.screen.query_one("#results", RowList)
        index = [r.id for r in demo_app.screen.rows].index(row.id)
        assert "today" in str(table.get_row_at(index)[-2])


async def test_follow_up_is_shown_resolved_and_stored(demo_app):
    async with demo_app.run_test(size=(80, 24)) as pilot:
        row = await _highlight_first(pilot, "smith")
        await pilot.press("ctrl+l")
        await pilot.pause()
        await pilot.press(*"Send the price list", "tab", "tab", *"+2w")
        await pilot.pause()
        hint = demo_app.screen.query_one("#log-follow-up-error", Static)
        assert "Sun 6 Dec 2026" in str(hint.render())
        await pilot.press("ctrl+s")
        await settle(pilot)
        latest = (
            Interaction.select()
            .where(Interaction.customer == row.id)
            .order_by(Interaction.id.desc())
            .first()
        )
        assert latest.follow_up == TODAY + timedelta(weeks=2)


async def test_empty_note_is_refused_and_nothing_saved(demo_app):
    async with demo_app.run_test(size=(80, 24)) as pilot:
        await _highlight_first(pilot, "smith")
        count = Interaction.select().count()
        await pilot.press("ctrl+l")
        await pilot.pause()
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(demo_app.screen, LogInteractionScreen)
        error = demo_app.screen.query_one("#log-notes-error", Static)
        assert "write a note" in str(error.render())
        assert Interaction.select().count() == count


async def test_bad_follow_up_is_refused_with_the_reason_and_nothing_saved(demo_app):
    async with demo_app.run_test(size=(80, 24)) as pilot:
        await _highlight_first(pilot, "smith")
        count = Interaction.select().count()
        await pilot.press("ctrl+l")
        await pilot.pause()
        await pilot.press(*"Called", "tab", "tab", *"next blursday", "ctrl+s")
        await settle(pilot)
        assert isinstance(demo_app.screen, LogInteractionScreen)
        hint = demo_app.screen.query_one("#log-follow-up-error", Static)
        assert "is not a date" in str(hint.render())
        assert demo_app.focused.id == "log-follow-up"
        assert Interaction.select().count() == count


async def test_escape_with_a_typed_note_asks_first(demo_app):
    async with demo_app.run_test(size=(80, 24)) as pilot:
        await _highlight_first(pilot, "smith")
        count = Interaction.select().count()
        await pilot.press("ctrl+l")
        await pilot.pause()
        await pilot.press(*"half a thought", "escape")
        await pilot.pause()
        assert isinstance(demo_app.screen, ConfirmScreen)
        await pilot.press("n")  # keep editing
        await pilot.pause()
        assert isinstance(demo_app.screen, LogInteractionScreen)
        assert demo_app.screen.query_one("#log-notes", TextArea).text == "half a thought"
        await pilot.press("escape", "y")  # discard
        await pilot.pause()
        assert isinstance(demo_app.screen, SearchScreen)
        assert Interaction.select().count() == count


async def test_escape_on_an_empty_note_just_closes(demo_app):
    async with demo_app.run_test(size=(80, 24)) as pilot:
        await _highlight_first(pilot, "smith")
        await pilot.press("ctrl+l")
        await pilot.pause()
        assert isinstance(demo_app.screen, LogInteractionScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(demo_app.screen, SearchScreen)


async def test_logging_from_the_profile_updates_its_timeline(demo_app):
    async with demo_app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*"smith", "enter")
        await settle(pilot)
        assert isinstance(demo_app.screen, ProfileScreen)
        await pilot.press("l")
        await pilot.pause()
        await pilot.press(*"Met at the fair", "ctrl+s")
        await settle(pilot)
        assert isinstance(demo_app.screen, ProfileScreen)
        timeline = demo_app.screen.query_one("#profile-timeline", DataTable)
        assert str(timeline.get_row_at(0)[2]) == "Met at the fair"


async def test_ctrl_s_right_after_fast_typing_saves_every_character(demo_app):
    """Keys arriving in one burst (a fast typist, a paste, a slow SSH link) are all saved."""
    from textual import events

    async with demo_app.run_test(size=(80, 24)) as pilot:
        row = await _highlight_first(pilot, "smith")
        await pilot.press("ctrl+l")
        await pilot.pause()
        note = "Wants a quote for twenty seats"
        for char in note:  # posted at once, without waiting for each to be handled
            demo_app.post_message(events.Key("space" if char == " " else char, char))
        demo_app.post_message(events.Key("ctrl+s", None))
        await settle(pilot)
        latest = (
            Interaction.select()
            .where(Interaction.customer == row.id)
            .order_by(Interaction.id.desc())
            .first()
        )
        assert latest.notes == note


async def test_a_call_is_logged_back_dated_and_never_ahead(demo_app):
    from datetime import datetime

    async with demo_app.run_test(size=(80, 24)) as pilot:
        row = await _highlight_first(pilot, "smith")
        count = Interaction.select().count()
        await pilot.press("ctrl+l")
        await pilot.pause()
        # Kind → note → outcome → follow-up → when: tab tab tab from the note.
        await pilot.press(*"Called", "tab", "tab", "tab", *"tomorrow 10:00", "ctrl+s")
        await settle(pilot)
        assert isinstance(demo_app.screen, LogInteractionScreen)
        said = str(demo_app.screen.query_one("#log-at-error", Static).render())
        assert "is in the future; log what has happened" in said
        assert Interaction.select().count() == count
        field = demo_app.screen.query_one("#log-at")
        field.value = "yesterday 15:30"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(demo_app.screen, SearchScreen)
        logged = latest_interaction(row.id)
        assert logged.at == datetime.combine(
            TODAY - timedelta(days=1), datetime.min.time()
        ).replace(hour=15, minute=30)
