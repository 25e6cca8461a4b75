"""The profile's status: LOST as someone said, LAPSED as the purchases say, with the reason."""

from __future__ import annotations

from datetime import timedelta

from textual.widgets import Input, Static

from tests.ui.conftest import TODAY, settle
from tui_crm.core.attention import lapsed_ids
from tui_crm.db.models import Customer
from tui_crm.ui.screens.profile import ProfileScreen
from tui_crm.ui.screens.purchase import AddPurchaseScreen


def _shown(screen: ProfileScreen, part: str) -> str:
    """The text of a part of the profile as drawn (the panels are Rich tables), words joined
    again where they wrapped."""
    content = screen.query_one(f"#profile-{part}", Static).content
    lines = screen.app.console.render_lines(content, screen.app.console.options)
    return " ".join("".join(seg.text for seg in line) for line in lines)


async def _open_profile(pilot, customer_id: int) -> ProfileScreen:
    pilot.app.open_profile(customer_id)
    await settle(pilot)
    assert isinstance(pilot.app.screen, ProfileScreen)
    return pilot.app.screen


async def test_a_customer_who_stopped_buying_shows_lapsed_with_why_until_they_buy(demo_app):
    lapsed = sorted(lapsed_ids(demo_app.db, TODAY))
    assert lapsed, "the demo book has customers who stopped buying"
    customer_id = lapsed[0]
    assert Customer.get_by_id(customer_id).status == "active"  # nobody typed it
    async with demo_app.run_test(size=(100, 40)) as pilot:
        profile = await _open_profile(pilot, customer_id)
        assert "LAPSED" in _shown(profile, "title")
        value = " ".join(_shown(profile, "value").split())
        assert "lapsed" in value and "probably gone" in value and "chance still buying" in value

        # They buy again, four days ago: active again, and nothing says otherwise.
        await pilot.press("b")
        await pilot.pause()
        assert isinstance(demo_app.screen, AddPurchaseScreen)
        demo_app.screen.query_one("#purchase-day", Input).value = (
            TODAY - timedelta(days=4)
        ).isoformat()
        await pilot.press(*"120", "ctrl+s")
        await settle(pilot)
        assert demo_app.screen is profile
        assert "LAPSED" not in _shown(profile, "title")
        assert "probably gone" not in _shown(profile, "value")
        assert Customer.get_by_id(customer_id).status == "active"


async def test_a_customer_who_buys_shows_no_status_and_a_lost_one_shows_lost(demo_app):
    lapsed = set(lapsed_ids(demo_app.db, TODAY))
    buying = (
        Customer.select()
        .where(
            (Customer.status == "active")
            & (Customer.last_purchase_on >= TODAY - timedelta(days=7))
            & Customer.id.not_in(lapsed)
        )
        .first()
    )
    lost = Customer.select().where(Customer.status == "lost").first()
    async with demo_app.run_test(size=(100, 40)) as pilot:
        profile = await _open_profile(pilot, buying.id)
        title = _shown(profile, "title")
        assert "LAPSED" not in title and "LOST" not in title
        assert "probably gone" not in _shown(profile, "value")
        await pilot.press("escape")
        profile = await _open_profile(pilot, lost.id)
        assert "LOST" in _shown(profile, "title") and "LAPSED" not in _shown(profile, "title")
        assert lost.lost_reason in " ".join(_shown(profile, "about").split())


async def test_x_on_a_lost_customer_marks_them_active_again_after_a_yes(demo_app):
    lost = Customer.get(Customer.status == "lost")
    async with demo_app.run_test(size=(100, 40)) as pilot:
        profile = await _open_profile(pilot, lost.id)
        offered = {b.binding.description for b in demo_app.screen.active_bindings.values()}
        assert "Active again" in offered and "Lost" not in offered
        await pilot.press("x")
        await pilot.pause()
        await pilot.press("escape")  # "Keep lost": nothing changes
        await settle(pilot)
        assert Customer.get_by_id(lost.id).status == "lost"
        await pilot.press("x")
        await pilot.pause()
        await pilot.press("enter")  # Reactivate, the default
        await settle(pilot)
        again = Customer.get_by_id(lost.id)
        assert again.status == "active" and again.lost_reason == ""
        assert demo_app.screen is profile and "LOST" not in _shown(profile, "title")
        offered = {b.binding.description for b in demo_app.screen.active_bindings.values()}
        assert "Lost" in offered and "Active again" not in offered
