"""Profile actions: mark lost with the deal breaker, move to the trash (confirmed)."""

from __future__ import annotations

from textual.widgets import DataTable, Input, Static

from tests.ui.conftest import settle
from tui_crm.core.insights import lost_reasons
from tui_crm.core.search import search
from tui_crm.db.models import Customer, CustomerChange
from tui_crm.ui.screens.confirm import ConfirmScreen
from tui_crm.ui.screens.lost import MarkLostScreen
from tui_crm.ui.screens.profile import ProfileScreen
from tui_crm.ui.screens.search import SearchScreen


async def _open(pilot, query: str) -> ProfileScreen:
    await pilot.press(*query, "enter")
    await settle(pilot)
    assert isinstance(pilot.app.screen, ProfileScreen)
    return pilot.app.screen


async def test_x_marks_lost_with_the_reason_and_history_shows_it(demo_app):
    async with demo_app.run_test(size=(100, 40)) as pilot:
        profile = await _open(pilot, "robert smith")
        customer_id = profile.customer_id
        await pilot.press("x")
        await pilot.pause()
        assert isinstance(demo_app.screen, MarkLostScreen)
        await pilot.press(*"Went with a cheaper competitor", "ctrl+s")
        await settle(pilot)
        row = Customer.get_by_id(customer_id)
        assert (row.status, row.lost_reason) == ("lost", "Went with a cheaper competitor")
        assert row.lost_on is not None
        assert isinstance(demo_app.screen, ProfileScreen)
        assert "LOST" in str(demo_app.screen.query_one("#profile-title", Static).render())
        history = demo_app.screen.query_one("#profile-history", DataTable)
        fields = [str(history.get_row_at(i)[2]) for i in range(history.row_count)]
        assert "status" in fields and "lost_reason" in fields


async def test_marking_lost_without_a_reason_is_refused(demo_app):
    async with demo_app.run_test(size=(100, 40)) as pilot:
        profile = await _open(pilot, "robert smith")
        changes = CustomerChange.select().count()
        await pilot.press("x")
        await pilot.pause()
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(demo_app.screen, MarkLostScreen)
        error = demo_app.screen.query_one("#lost-reason-error", Static)
        assert "what broke the deal" in str(error.render())
        assert Customer.get_by_id(profile.customer_id).status != "lost"
        assert CustomerChange.select().count() == changes
        # The error goes as soon as something is typed, not on the next save.
        await pilot.press("M")
        await pilot.pause()
        assert not error.display and not str(error.render()).strip()
        assert isinstance(demo_app.screen, MarkLostScreen)


async def test_the_lost_dialog_suggests_the_books_reasons_whatever_the_case(demo_app):
    reasons = lost_reasons(demo_app.db)
    assert "Unhappy with support response times" in reasons
    async with demo_app.run_test(size=(100, 40)) as pilot:
        profile = await _open(pilot, "robert smith")
        demo_app.push_screen(MarkLostScreen(profile.profile))
        await settle(pilot)  # the reasons are read in a worker
        field = demo_app.screen.query_one("#lost-reason", Input)
        assert field.has_focus
        await pilot.press(*"UNHAPPY w")
        await settle(pilot)
        await pilot.press("right")  # takes the suggestion as the book spells it
        assert field.value == "Unhappy with support response times"
        await pilot.press("ctrl+s")
        await settle(pilot)
        row = Customer.get_by_id(profile.customer_id)
        assert (row.status, row.lost_reason) == ("lost", "Unhappy with support response times")
        assert lost_reasons(demo_app.db) == reasons  # no new spelling: the same rows


async def test_a_reason_the_book_does_not_have_is_typed_as_it_is(demo_app):
    async with demo_app.run_test(size=(100, 40)) as pilot:
        profile = await _open(pilot, "robert smith")
        demo_app.push_screen(MarkLostScreen(profile.profile))
        await settle(pilot)
        field = demo_app.screen.query_one("#lost-reason", Input)
        await pilot.press(*"Retired", "right")
        await settle(pilot)
        assert field.value == "Retired"


async def test_d_moves_to_the_trash_after_confirming(demo_app):
    async with demo_app.run_test(size=(100, 40)) as pilot:
        profile = await _open(pilot, "robert smith")
        customer_id = profile.customer_id
        await pilot.press("d")
        await pilot.pause()
        assert isinstance(demo_app.screen, ConfirmScreen)
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(demo_app.screen, SearchScreen)
        assert Customer.get_by_id(customer_id).deleted_at is not None
        assert customer_id not in [r.id for r in demo_app.screen.rows]
        found = search(demo_app.db, "robert smith", as_of=demo_app.today())
        assert customer_id not in [r.id for r in found]


async def test_d_then_n_keeps_the_customer(demo_app):
    async with demo_app.run_test(size=(100, 40)) as pilot:
        profile = await _open(pilot, "robert smith")
        await pilot.press("d")
        await pilot.pause()
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(demo_app.screen, ProfileScreen)
        assert Customer.get_by_id(profile.customer_id).deleted_at is None


async def test_a_trash_refused_because_a_colleague_changed_them_shows_the_change(demo_app):
    from tests.versions import current_version
    from tui_crm.core.customers import update_customer

    async with demo_app.run_test(size=(100, 40)) as pilot:
        profile = await _open(pilot, "robert smith")
        customer_id = profile.customer_id
        update_customer(  # a colleague, on another connection in real life
            demo_app.db,
            customer_id,
            {"company": "Colleague & Co"},
            who="ben",
            expected_version=current_version(customer_id),
        )
        demo_app.db.close()
        await pilot.press("d")
        await pilot.pause()
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(demo_app.screen, ProfileScreen)
        assert Customer.get_by_id(customer_id).deleted_at is None
        (notice,) = [n for n in demo_app._notifications if n.severity == "error"]
        assert "changed by ben" in notice.message
        title = str(demo_app.screen.query_one("#profile-title", Static).render())
        assert "Colleague & Co" in title  # shown as it is now, so a second d is not refused
