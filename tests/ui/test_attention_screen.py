"""The needs-attention screen driven by keys: open it, log, snooze, done, mark lost, cadence."""

from __future__ import annotations

from datetime import timedelta

from textual.widgets import Input, Static

from tests.ui.conftest import TODAY, settle
from tui_crm.core.attention import attention_queue, default_cadence
from tui_crm.db.models import AttentionMark, Category, Customer, Interaction
from tui_crm.ui.screens.attention import AttentionScreen
from tui_crm.ui.screens.cadence import CadenceScreen
from tui_crm.ui.screens.log import LogInteractionScreen
from tui_crm.ui.screens.lost import MarkLostScreen
from tui_crm.ui.screens.profile import ProfileScreen
from tui_crm.ui.screens.search import SearchScreen
from tui_crm.ui.screens.snooze import SnoozeScreen
from tui_crm.ui.widgets.row_list import RowList


async def _attention(pilot) -> AttentionScreen:
    await settle(pilot)
    await pilot.press("f2")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, AttentionScreen)
    for _ in range(200):  # the queue is worked out in a thread
        if "Working out" not in _text(screen.query_one("#attention-status")):
            break
        await pilot.pause(0.05)
        await settle(pilot)
    return screen


def _ids(screen: AttentionScreen) -> list[int]:
    rows = screen.query_one("#attention-table", RowList)
    return [rows.key_at(row) for row in range(rows.row_count)]


def _text(widget: Static) -> str:
    return str(widget.render())


async def test_f2_shows_the_queue_in_order_with_the_reasons(demo_app):
    async with demo_app.run_test(size=(100, 30)) as pilot:
        screen = await _attention(pilot)
        queue = attention_queue(demo_app.db, TODAY)
        assert queue
        assert _ids(screen) == [item.customer_id for item in queue]
        assert f"{len(queue)} customers to look at" in _text(screen.query_one("#attention-status"))
        why = _text(screen.query_one("#attention-why"))
        assert queue[0].name in why
        assert all(reason.text in why for reason in queue[0].reasons)
        await pilot.press("down")
        assert queue[1].reasons[0].text in _text(screen.query_one("#attention-why"))


async def test_enter_opens_the_profile_and_escape_comes_back(demo_app):
    async with demo_app.run_test(size=(100, 30)) as pilot:
        screen = await _attention(pilot)
        first = _ids(screen)[0]
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(demo_app.screen, ProfileScreen)
        assert demo_app.screen.customer_id == first
        await pilot.press("escape")
        await settle(pilot)
        assert demo_app.screen is screen
        await pilot.press("escape")  # the queue is its mode's home: Escape stays there
        await settle(pilot)
        assert demo_app.screen is screen
        await pilot.press("ctrl+f")
        await settle(pilot)
        assert isinstance(demo_app.screen, SearchScreen)


async def test_logging_a_call_clears_the_contact_reasons(demo_app):
    async with demo_app.run_test(size=(100, 30)) as pilot:
        screen = await _attention(pilot)
        queue = attention_queue(demo_app.db, TODAY)
        target = next(
            item for item in queue if {r.code for r in item.reasons} <= {"cadence", "gold_quiet"}
        )
        await pilot.press(*["down"] * _ids(screen).index(target.customer_id))
        await pilot.press("ctrl+l")
        await pilot.pause()
        assert isinstance(demo_app.screen, LogInteractionScreen)
        await pilot.press(*"Caught up, all good", "ctrl+s")
        await settle(pilot)
        assert demo_app.screen is screen
        assert target.customer_id not in _ids(screen)
        assert (
            Interaction.select()
            .where(
                (Interaction.customer == target.customer_id)
                & (Interaction.notes == "Caught up, all good")
            )
            .exists()
        )


async def test_a_referrer_waiting_only_for_thanks_gets_a_thanks_logged(demo_app):
    async with demo_app.run_test(size=(100, 30)) as pilot:
        screen = await _attention(pilot)
        queue = attention_queue(demo_app.db, TODAY)
        target = next(
            item for item in queue if [r.code for r in item.reasons] == ["thank_referrer"]
        )
        await pilot.press(*["down"] * _ids(screen).index(target.customer_id), "ctrl+l")
        await pilot.pause()
        assert demo_app.screen.query_one("#log-kind").value == "thanks"
        await pilot.press(*"Flowers for the referral", "ctrl+s")
        await settle(pilot)
        assert target.customer_id not in _ids(screen)


async def test_snooze_hides_until_the_day_and_a_bad_day_changes_nothing(demo_app):
    async with demo_app.run_test(size=(100, 30)) as pilot:
        screen = await _attention(pilot)
        first = _ids(screen)[0]
        await pilot.press("ctrl+t")
        await pilot.pause()
        assert isinstance(demo_app.screen, SnoozeScreen)
        field = demo_app.screen.query_one("#snooze-until", Input)
        assert "back on Sun 29 Nov 2026" in _text(demo_app.screen.query_one("#snooze-until-error"))
        field.value = "someday"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(demo_app.screen, SnoozeScreen)
        assert "someday" in _text(demo_app.screen.query_one("#snooze-until-error"))
        assert AttentionMark.select().count() == 0
        field.value = "+3d"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert demo_app.screen is screen
        assert first not in _ids(screen)
        assert first in [
            item.customer_id for item in attention_queue(demo_app.db, TODAY + timedelta(days=3))
        ]


async def test_done_takes_the_customer_off_the_queue(demo_app):
    async with demo_app.run_test(size=(100, 30)) as pilot:
        screen = await _attention(pilot)
        before = _ids(screen)
        await pilot.press("down", "ctrl+d")
        await settle(pilot)
        assert _ids(screen) == [before[0], *before[2:]]
        assert _ids(screen)[screen.query_one("#attention-table", RowList).cursor_row] == before[2]


async def test_ctrl_x_marks_lost_with_the_deal_breaker(demo_app):
    async with demo_app.run_test(size=(100, 30)) as pilot:
        screen = await _attention(pilot)
        first = _ids(screen)[0]
        await pilot.press("ctrl+x")
        await settle(pilot)
        assert isinstance(demo_app.screen, MarkLostScreen)
        await pilot.press(*"Budget went to a competitor", "ctrl+s")
        await settle(pilot)
        row = Customer.get_by_id(first)
        assert (row.status, row.lost_reason) == ("lost", "Budget went to a competitor")
        assert first not in _ids(screen)


async def test_cadence_is_edited_from_the_queue_and_bad_days_are_refused(demo_app):
    async with demo_app.run_test(size=(100, 40)) as pilot:
        screen = await _attention(pilot)
        count = len(_ids(screen))
        await pilot.press("f7")
        await pilot.pause()
        dialog = demo_app.screen
        assert isinstance(dialog, CadenceScreen)
        key = Category.get(Category.name == "key account")
        dialog.query_one(f"#cadence-{key.id}", Input).value = "0"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "1 to 3650" in _text(dialog.query_one(f"#cadence-{key.id}-error"))
        assert Category.get_by_id(key.id).cadence_days == 14
        dialog.query_one(f"#cadence-{key.id}", Input).value = "7"
        dialog.query_one("#cadence-default", Input).value = "30"
        dialog.query_one("#cadence-new-name", Input).value = "prospect"
        dialog.query_one("#cadence-new-days", Input).value = "10"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert demo_app.screen is screen
        assert Category.get_by_id(key.id).cadence_days == 7
        assert Category.get(Category.name == "prospect").cadence_days == 10
        assert default_cadence(demo_app.db) == 30
        assert len(_ids(screen)) > count  # tighter cadences: more customers to call


async def test_a_long_queue_shows_its_first_rows_and_counts_them_all(demo_app, monkeypatch):
    from tui_crm.ui.screens import attention

    monkeypatch.setattr(attention, "SHOWN", 5)
    async with demo_app.run_test(size=(100, 30)) as pilot:
        screen = await _attention(pilot)
        queue = attention_queue(demo_app.db, TODAY)
        assert len(queue) > 5
        assert _ids(screen) == [item.customer_id for item in queue[:5]]
        status = _text(screen.query_one("#attention-status"))
        assert f"{len(queue)} customers to look at" in status and "the first 5 shown" in status


async def test_done_refused_after_a_colleague_snoozed_them_shows_the_queue_as_it_is(demo_app):
    from datetime import date

    from tui_crm.core.attention import attention_page, snooze

    async with demo_app.run_test(size=(100, 30)) as pilot:
        screen = await _attention(pilot)
        first = _ids(screen)[0]
        # A colleague snoozes the same customer from their own queue, read just now.
        (item,) = [
            i for i in attention_page(demo_app.db, TODAY, limit=50).items if i.customer_id == first
        ]
        snooze(
            demo_app.db,
            first,
            [r.code for r in item.reasons],
            date(2026, 12, 24),
            seen=item.seen,
        )
        demo_app.db.close()
        await pilot.press("ctrl+d")
        await settle(pilot)
        errors = [n for n in demo_app._notifications if n.severity == "error"]
        assert errors, "done based on the queue as it was must be refused"
        assert first not in _ids(screen)  # reloaded: the snoozed customer has left the queue
