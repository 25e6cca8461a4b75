"""The agenda (f10, issue 19): the follow-ups of the week ahead, overdue first; ctrl+l logs (a
contact answers what is due, which leaves the agenda), ctrl+t moves one to another day, Enter
opens the profile."""

from __future__ import annotations

from datetime import timedelta

from textual.widgets import Input

from tests.ui.conftest import joined, settle
from tui_crm.db.models import AttentionMark, Interaction
from tui_crm.ui.screens.agenda import AgendaScreen
from tui_crm.ui.screens.profile import ProfileScreen
from tui_crm.ui.screens.search import ResultsList


async def _agenda(demo_app, pilot) -> AgendaScreen:
    await settle(pilot)
    await pilot.press("f10")
    await settle(pilot)
    screen = demo_app.screen
    assert isinstance(screen, AgendaScreen)
    return screen


async def test_the_week_ahead_overdue_first_and_a_move_to_another_day(demo_app):
    async with demo_app.run_test(size=(110, 30)) as pilot:
        screen = await _agenda(demo_app, pilot)
        today = demo_app.today()
        days = [item.day for item in screen.items]
        assert days == sorted(days) and days[0] < today  # overdue first
        follow_ups = [item for item in screen.items if item.touch is None]
        late = sum(1 for item in follow_ups if item.day < today)
        touches = len(days) - len(follow_ups)
        assert touches and all(i.day >= today for i in screen.items if i.touch is not None)
        said = f"{len(follow_ups)} follow-ups ({late} overdue) and {touches} plan touches this week"
        assert said in joined(demo_app)
        first = screen.items[0]
        await pilot.press("ctrl+t")
        await settle(pilot)
        await pilot.press("ctrl+s")  # +1w, as offered
        await settle(pilot)
        moved = next(i for i in screen.items if i.customer.id == first.customer.id)
        assert (moved.day - today).days == 7


async def test_a_plan_touch_is_logged_with_its_kind_and_moved_by_a_snooze(demo_app):
    async with demo_app.run_test(size=(110, 30)) as pilot:
        screen = await _agenda(demo_app, pilot)
        today = demo_app.today()
        table = screen.query_one(ResultsList)
        touch = next(i for i in screen.items if i.touch is not None)
        table.cursor_row = screen.items.index(touch)
        await pilot.press("ctrl+t")
        await settle(pilot)
        field = demo_app.screen.query_one("#move-day", Input)
        field.value = "+3d"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert demo_app.screen is screen
        moved = next(i for i in screen.items if i.customer.id == touch.customer.id and i.touch)
        assert moved.day == today + timedelta(days=3)
        marks = AttentionMark.select().where(AttentionMark.customer == touch.customer.id)
        assert [(m.reason, m.snoozed_until) for m in marks] == [("cadence", moved.day)]
        # Logged with the touch's kind (a call for "contact"), it leaves the agenda.
        table.cursor_row = screen.items.index(moved)
        await pilot.press("ctrl+l")
        await settle(pilot)
        wanted = "call" if moved.touch.kind == "contact" else moved.touch.kind
        assert demo_app.screen.query_one("#log-kind").value == wanted
        await pilot.press(*"Touched base", "ctrl+s")
        await settle(pilot)
        assert demo_app.screen is screen
        assert not any(i.customer.id == touch.customer.id and i.touch for i in screen.items)


async def test_a_call_logged_for_an_overdue_follow_up_clears_it(demo_app):
    async with demo_app.run_test(size=(110, 30)) as pilot:
        screen = await _agenda(demo_app, pilot)
        first = screen.items[0]
        assert first.day < demo_app.today()
        await pilot.press("ctrl+l")
        await settle(pilot)
        await pilot.press(*"Called, all good", "ctrl+s")
        await settle(pilot)
        assert demo_app.screen is screen
        assert first.customer.id not in [i.customer.id for i in screen.items]


async def test_enter_opens_the_profile(demo_app):
    async with demo_app.run_test(size=(110, 30)) as pilot:
        screen = await _agenda(demo_app, pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(demo_app.screen, ProfileScreen)
        assert demo_app.screen.profile.id == screen.items[0].customer.id


async def test_a_follow_up_logged_at_a_time_shows_first_on_its_day_with_the_time(demo_app):
    async with demo_app.run_test(size=(110, 30)) as pilot:
        await settle(pilot)
        await pilot.press(*"robert smith")
        await settle(pilot)
        await pilot.press("down")
        await pilot.pause()
        robert = demo_app.screen.highlighted()
        await pilot.press("ctrl+l")
        await settle(pilot)
        await pilot.press(*"Wants the contract read out", "tab", "tab")
        await pilot.press(*"tomorrow 14:00")
        await settle(pilot)
        tomorrow = demo_app.today() + timedelta(days=1)
        hint = demo_app.screen.query_one("#log-follow-up-error")
        assert f"{tomorrow:%a} {tomorrow.day} {tomorrow:%b %Y} 14:00" in str(hint.render())
        await pilot.press("ctrl+s")
        await settle(pilot)
        screen = await _agenda(demo_app, pilot)
        first_tomorrow = next(i for i in screen.items if i.day == tomorrow)
        assert (first_tomorrow.customer.id, first_tomorrow.time) == (robert.id, "14:00")
        assert first_tomorrow.promised == "Wants the contract read out"
        screen.query_one(ResultsList).cursor_row = screen.items.index(first_tomorrow)
        await settle(pilot)
        assert "tomorrow 14:00" in joined(demo_app)


async def test_a_call_logged_before_the_day_promised_clears_that_follow_up(demo_app):
    async with demo_app.run_test(size=(110, 30)) as pilot:
        screen = await _agenda(demo_app, pilot)
        today = demo_app.today()
        ahead = next(i for i in screen.items if i.touch is None and i.day > today)
        screen.query_one(ResultsList).cursor_row = screen.items.index(ahead)
        await pilot.press("ctrl+l")
        await settle(pilot)
        await pilot.press(*"Called early, sorted", "ctrl+s")
        await settle(pilot)
        assert demo_app.screen is screen
        still = [i for i in screen.items if i.interaction_id == ahead.interaction_id]
        assert still == []
        assert Interaction.get_by_id(ahead.interaction_id).follow_up_done
        # ctrl+z takes the answer back (the call stays logged): the follow-up is open again.
        await pilot.press("ctrl+z")
        await settle(pilot)
        assert [i.interaction_id for i in screen.items if i.touch is None].count(
            ahead.interaction_id
        ) == 1
        assert not Interaction.get_by_id(ahead.interaction_id).follow_up_done
