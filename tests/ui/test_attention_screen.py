"""The needs-attention screen driven by keys: open it, log, snooze, done, mark lost, cadence."""

from __future__ import annotations

from datetime import timedelta

from textual.widgets import Input, Static

from tests.ui.conftest import TODAY, settle
from tui_crm.core.attention import attention_queue
from tui_crm.core.plans import Touch, parse_plan, scope_plan
from tui_crm.db.models import AttentionMark, Category, Customer, Interaction
from tui_crm.ui.screens.attention import AttentionScreen
from tui_crm.ui.screens.log import LogInteractionScreen
from tui_crm.ui.screens.lost import MarkLostScreen
from tui_crm.ui.screens.plans import PlanScreen
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


async def test_plans_are_edited_from_the_queue_and_a_bad_touch_is_refused(demo_app):
    async with demo_app.run_test(size=(110, 40)) as pilot:
        screen = await _attention(pilot)
        count = len(_ids(screen))
        await pilot.press("f7")
        await settle(pilot)
        dialog = demo_app.screen
        assert isinstance(dialog, PlanScreen)
        key = Category.get(Category.name == "key account")
        field = dialog.query_one(f"#plan-category-{key.id}", Input)
        assert field.value == "meeting every 3 months, call every 2 weeks"
        field.value = "meeting every 3 months, dinner every week"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "'dinner' is not one of" in _text(dialog.query_one(f"#plan-category-{key.id}-error"))
        assert scope_plan(demo_app.db, "key account") == parse_plan(
            "meeting every 3 months, call every 2 weeks"
        )
        field.value = "meeting every 3 months, call every week"
        dialog.query_one("#plan-none", Input).value = "contact every month"
        dialog.query_one("#plan-new-name", Input).value = "prospect"
        dialog.query_one("#plan-new-touches", Input).value = "call every 10 days"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert demo_app.screen is screen
        db = demo_app.db
        assert scope_plan(db, "key account") == parse_plan(
            "meeting every 3 months, call every week"
        )
        assert scope_plan(db, "prospect") == (Touch("call", 10),)
        assert scope_plan(db, "none") == (Touch("contact", 30),)
        assert len(_ids(screen)) > count  # tighter plans: more customers to call
        # The queue names the touch that is due.
        reasons = [r.text for item in attention_queue(db, TODAY) for r in item.reasons]
        assert any(text.startswith("weekly call due (last call or meeting") for text in reasons)


async def test_the_palette_opens_the_plan_editor_from_any_screen(demo_app):
    async with demo_app.run_test(size=(110, 40)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p", *"communication plans")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        dialog = demo_app.screen
        assert isinstance(dialog, PlanScreen)
        dialog.query_one("#plan-everyone", Input).value = "gift every year"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert not isinstance(demo_app.screen, PlanScreen)
        assert scope_plan(demo_app.db, "everyone") == (Touch("thanks", 365),)


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


async def test_a_plan_with_two_touches_is_answered_by_different_kinds(demo_app):
    """A key account's plan: a meeting every 3 months and a call every 2 weeks. A call logged
    from the queue answers the call; the meeting stays due until a meeting is logged, which
    answers both."""
    from textual.widgets import Select

    def cadence(cid: int) -> str | None:
        for item in attention_queue(demo_app.db, TODAY, reasons=["cadence"]):
            if item.customer_id == cid:
                return item.reasons[0].text
        return None

    async with demo_app.run_test(size=(110, 30)) as pilot:
        screen = await _attention(pilot)
        both = next(
            item.customer_id
            for item in attention_queue(demo_app.db, TODAY, reasons=["cadence"])
            if "also due: quarterly meeting" in item.reasons[0].text
        )
        assert cadence(both).startswith("fortnightly call due")
        for kind, left in (("call", "quarterly meeting due"), ("meeting", None)):
            await pilot.press(*["down"] * _ids(screen).index(both), "ctrl+l")
            await settle(pilot)
            demo_app.screen.query_one("#log-kind", Select).value = kind
            await pilot.press(*f"A {kind}", "ctrl+s")
            await settle(pilot)
            assert demo_app.screen is screen
            said = cadence(both)
            assert (said or "").startswith(left) if left else said is None
            await pilot.press("home")
