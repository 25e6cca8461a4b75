"""A note being typed survives a dropped session and is offered back on the next start."""

from __future__ import annotations

from textual.widgets import Input, TextArea

from tests.ui.conftest import app_on, settle
from tui_crm.core.drafts import load_drafts
from tui_crm.db.database import close_database
from tui_crm.db.models import Interaction
from tui_crm.ui.screens.confirm import ConfirmScreen
from tui_crm.ui.screens.log import LogInteractionScreen
from tui_crm.ui.screens.search import SearchScreen


async def _type_and_drop(app, note: str) -> int:
    """Start a note, let the draft be written, then lose the session without saving."""
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*"smith")
        await settle(pilot)
        await pilot.press("down")
        customer_id = app.screen.highlighted().id
        await pilot.press("ctrl+l")
        await pilot.pause()
        await pilot.press(*note, "tab", "tab", *"+1w", "tab", *"yesterday 15:30")
        await pilot.pause(0.8)  # the draft is written shortly after typing stops
    close_database()
    return customer_id


async def test_a_dropped_note_is_offered_back_and_can_be_saved(demo_app):
    path = demo_app.db_path
    customer_id = await _type_and_drop(demo_app, "Wants 20 seats, call back")
    assert [d.notes for d in load_drafts(path)] == ["Wants 20 seats, call back"]
    app = app_on(path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await pilot.pause()
        assert isinstance(app.screen, LogInteractionScreen)
        assert app.screen.query_one("#log-notes", TextArea).text == "Wants 20 seats, call back"
        assert app.screen.query_one("#log-follow-up", Input).value == "+1w"
        assert app.screen.query_one("#log-at", Input).value == "yesterday 15:30"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, SearchScreen)
        latest = Interaction.select().order_by(Interaction.id.desc()).first()
        assert (latest.customer_id, latest.notes) == (customer_id, "Wants 20 seats, call back")
        assert load_drafts(path) == []
    close_database()


async def test_declining_the_offer_discards_the_draft(demo_app):
    path = demo_app.db_path
    await _type_and_drop(demo_app, "Never mind")
    app = app_on(path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)  # the draft is offered
        count = Interaction.select().count()
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, SearchScreen)
        assert Interaction.select().count() == count
    assert load_drafts(path) == []
    close_database()


async def test_a_saved_note_leaves_no_draft(demo_app):
    async with demo_app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*"smith")
        await settle(pilot)
        await pilot.press("down", "ctrl+l")
        await pilot.pause()
        await pilot.press(*"Quick call")
        await pilot.pause(0.8)
        assert load_drafts(demo_app.db_path)  # kept while typing
        await pilot.press("ctrl+s")
        await settle(pilot)
    assert load_drafts(demo_app.db_path) == []


async def test_a_resumed_thanks_draft_still_names_the_referral(demo_app):
    from tui_crm.core.drafts import Draft, save_draft
    from tui_crm.db.models import Customer

    path = demo_app.db_path
    close_database()
    referred = Customer.select().where(Customer.referred_by.is_null(False)).first()
    save_draft(
        path,
        Draft(
            referred.referred_by_id,
            "Referrer",
            "thanks",
            "Sent a hamper",
            "",
            "",
            "2026-11-22T10:00:00",
            referred.id,
            "Their friend",
        ),
    )
    app = app_on(path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("y")
        await pilot.pause()
        assert "for referring Their friend" in str(app.screen.query_one(".dialog-title").render())
        await pilot.press("ctrl+s")
        await settle(pilot)
        latest = Interaction.select().order_by(Interaction.id.desc()).first()
        assert (latest.kind, latest.regarding_id) == ("thanks", referred.id)
    close_database()
