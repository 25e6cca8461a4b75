"""Adding a purchase with ctrl+b (`b` on a profile): amount typed as people type it,
validation, value refresh."""

from __future__ import annotations

from textual.widgets import DataTable, Input, Static

from tests.ui.conftest import TODAY, settle
from tui_crm.db.models import Purchase
from tui_crm.ui.screens.profile import ProfileScreen
from tui_crm.ui.screens.purchase import AddPurchaseScreen
from tui_crm.ui.screens.search import SearchScreen


async def test_ctrl_b_from_the_results_adds_a_purchase_dated_today(demo_app):
    async with demo_app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*"smith")
        await settle(pilot)
        await pilot.press("down")
        row = demo_app.screen.highlighted()
        await pilot.press("ctrl+b")
        await pilot.pause()
        assert isinstance(demo_app.screen, AddPurchaseScreen)
        assert demo_app.focused.id == "purchase-amount"
        assert demo_app.screen.query_one("#purchase-day", Input).value == TODAY.isoformat()
        await pilot.press(*"1,250.50", "tab", *"Support plan", "tab", *"service", "ctrl+s")
        await settle(pilot)
        assert isinstance(demo_app.screen, SearchScreen)
        latest = Purchase.select().order_by(Purchase.id.desc()).first()
        assert (latest.customer_id, latest.cents, latest.day) == (row.id, 125050, TODAY)
        assert (latest.description, latest.category) == ("Support plan", "service")
        refreshed = next(r for r in demo_app.screen.rows if r.id == row.id)
        assert refreshed.value_12m == row.value_12m + 125050


async def test_bad_amount_and_date_are_refused_beside_the_fields(demo_app):
    async with demo_app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*"smith")
        await settle(pilot)
        await pilot.press("down", "ctrl+b")
        await pilot.pause()
        count = Purchase.select().count()
        screen = demo_app.screen
        screen.query_one("#purchase-day", Input).value = "2026-13-45"
        await pilot.press(*"lots", "ctrl+s")
        await settle(pilot)
        assert isinstance(demo_app.screen, AddPurchaseScreen)
        assert "not an amount" in str(screen.query_one("#purchase-amount-error", Static).render())
        assert "not a date" in str(screen.query_one("#purchase-day-error", Static).render())
        assert Purchase.select().count() == count


async def test_purchase_from_the_profile_shows_in_its_list(demo_app):
    async with demo_app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*"smith", "enter")
        await settle(pilot)
        assert isinstance(demo_app.screen, ProfileScreen)
        await pilot.press("b")
        await pilot.pause()
        await pilot.press(*"99", "tab", *"Consumables", "ctrl+s")
        await settle(pilot)
        assert isinstance(demo_app.screen, ProfileScreen)
        purchases = demo_app.screen.query_one("#profile-purchases", DataTable)
        first = purchases.get_row_at(0)
        assert str(first[0]) == TODAY.isoformat()
        assert "99.00" in str(first[1])
        assert "Consumables" in str(first[2])
