"""Nothing deleted is gone, in the app: a wrong note or purchase corrected from the profile,
ctrl+z undoing the last delete, merge, lost, done, snooze or correction (also from another
screen), and the Trash screen bringing a customer back whole or purging it after a yes."""

from __future__ import annotations

from textual.widgets import Input, TextArea

from tests.ui.conftest import app_on, screen_lines, settle
from tui_crm.db.models import Customer, CustomerChange, Interaction, Purchase
from tui_crm.ui.screens.attention import AttentionScreen
from tui_crm.ui.screens.confirm import ConfirmScreen
from tui_crm.ui.screens.corrections import CorrectInteractionScreen, CorrectPurchaseScreen
from tui_crm.ui.screens.profile import ProfileScreen
from tui_crm.ui.screens.search import SearchScreen
from tui_crm.ui.screens.trash import TrashScreen


async def _profile(pilot, query: str = "robert smith") -> ProfileScreen:
    await pilot.press(*query, "enter")
    await settle(pilot)
    assert isinstance(pilot.app.screen, ProfileScreen)
    return pilot.app.screen


async def _focus(pilot, screen, widget_id: str) -> None:
    """Tab to a list of the profile, as a user does."""
    for _ in range(6):
        if pilot.app.focused is not None and pilot.app.focused.id == widget_id:
            return
        await pilot.press("tab")
    raise AssertionError(f"tab never reached #{widget_id}")


def _notes(customer_id: int) -> list[str]:
    return [
        i.notes
        for i in Interaction.select()
        .where(Interaction.customer == customer_id)
        .order_by(Interaction.id)
    ]


def _messages(app) -> list[str]:
    return [n.message for n in app._notifications]


async def test_a_logged_note_is_corrected_from_the_profile_and_recorded(demo_app):
    async with demo_app.run_test(size=(120, 50)) as pilot:
        screen = await _profile(pilot)
        newest = screen.profile.interactions[0]
        await _focus(pilot, screen, "profile-timeline")
        await pilot.press("c")
        await settle(pilot)
        dialog = demo_app.screen
        assert isinstance(dialog, CorrectInteractionScreen)
        notes = dialog.query_one("#log-notes", TextArea)
        assert notes.text == newest.notes  # the note as stored, to fix
        notes.text = "Wants 12 chairs, not 20"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert demo_app.screen is screen
        assert Interaction.get_by_id(newest.id).notes == "Wants 12 chairs, not 20"
        assert Interaction.get_by_id(newest.id).at == newest.at  # When shown, not changed
        assert screen.profile.interactions[0].notes == "Wants 12 chairs, not 20"
        change = (
            CustomerChange.select()
            .where(CustomerChange.customer == screen.customer_id)
            .order_by(CustomerChange.id.desc())
            .first()
        )
        assert change.field == "interaction" and "12 chairs" in change.new

        await pilot.press("ctrl+z")  # and back
        await settle(pilot)
        assert Interaction.get_by_id(newest.id).notes == newest.notes
        assert any(m.startswith("Undid") for m in _messages(demo_app))


async def test_a_mistyped_purchase_is_corrected_and_the_value_follows(demo_app):
    async with demo_app.run_test(size=(120, 50)) as pilot:
        screen = await _profile(pilot)
        lifetime = screen.profile.value.lifetime
        bought = screen.profile.purchases[0]
        await _focus(pilot, screen, "profile-purchases")
        await pilot.press("enter")
        await settle(pilot)
        dialog = demo_app.screen
        assert isinstance(dialog, CorrectPurchaseScreen)
        amount = dialog.query_one("#purchase-amount", Input)
        assert amount.value.replace(",", "") == f"{bought.cents / 100:.2f}"
        amount.value = f"{(bought.cents + 100_00) / 100:.2f}"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert Purchase.get_by_id(bought.id).cents == bought.cents + 100_00
        assert Customer.get_by_id(screen.customer_id).lifetime_cents == lifetime + 100_00


async def test_deleting_an_interaction_asks_and_ctrl_z_brings_it_back(demo_app):
    async with demo_app.run_test(size=(120, 50)) as pilot:
        screen = await _profile(pilot)
        before = _notes(screen.customer_id)
        doomed = screen.profile.interactions[0]
        await _focus(pilot, screen, "profile-timeline")
        await pilot.press("delete")
        await settle(pilot)
        assert isinstance(demo_app.screen, ConfirmScreen)
        await pilot.press("y")
        await settle(pilot)
        assert Interaction.get_or_none(Interaction.id == doomed.id) is None
        assert doomed.id not in [i.id for i in screen.profile.interactions]
        await pilot.press("ctrl+z")
        await settle(pilot)
        assert _notes(screen.customer_id) == before
        assert doomed.id in [i.id for i in screen.profile.interactions]


async def test_ctrl_z_on_the_search_screen_undoes_a_delete_made_on_the_profile(demo_app):
    async with demo_app.run_test(size=(120, 50)) as pilot:
        screen = await _profile(pilot)
        customer_id, name = screen.customer_id, screen.profile.name
        await pilot.press("d", "y")
        await settle(pilot)
        assert isinstance(demo_app.screen, SearchScreen)
        assert Customer.get_by_id(customer_id).deleted_at is not None
        assert customer_id not in [row.id for row in demo_app.screen.rows]
        await pilot.press("ctrl+z")
        await settle(pilot)
        assert Customer.get_by_id(customer_id).deleted_at is None
        assert customer_id in [row.id for row in demo_app.screen.rows]
        assert f"Undid: moved {name} to the trash" in _messages(demo_app)


async def test_ctrl_z_undoes_done_in_the_queue(demo_app):
    async with demo_app.run_test(size=(120, 50)) as pilot:
        await pilot.press("f2")
        await settle(pilot)
        queue = demo_app.screen
        assert isinstance(queue, AttentionScreen)
        first = queue.items[0].customer_id
        await pilot.press("ctrl+d")
        await settle(pilot)
        assert first not in [item.customer_id for item in queue.items]
        await pilot.press("ctrl+z")
        await settle(pilot)
        assert first in [item.customer_id for item in queue.items]


async def test_nothing_to_undo_says_so_and_changes_nothing(demo_app):
    async with demo_app.run_test(size=(120, 50)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+z")
        await settle(pilot)
        assert "nothing to undo" in _messages(demo_app)


async def test_the_trash_restores_a_customer_whole_and_purges_only_after_yes(demo_app):
    async with demo_app.run_test(size=(120, 50)) as pilot:
        screen = await _profile(pilot)
        customer_id = screen.customer_id
        calls = len(_notes(customer_id))
        await pilot.press("d", "y")
        await settle(pilot)
        await pilot.press("f6")
        await settle(pilot)
        trash = demo_app.screen
        assert isinstance(trash, TrashScreen)
        assert [item.id for item in trash.items] == [customer_id]
        status = str(trash.query_one("#trash-status").render())
        assert "Enter restores one whole · ctrl+d deletes it for ever" in status
        await pilot.pause()
        footer = screen_lines(demo_app)[-1]
        assert "⏎ Restore" in footer and "^d Purge…" in footer  # once there is a row to act on
        await pilot.press("enter")  # the list's own Enter must not swallow it
        await settle(pilot)
        assert Customer.get_by_id(customer_id).deleted_at is None
        assert len(_notes(customer_id)) == calls
        assert trash.items == []

        # Deleted again, then purged: Enter on the question keeps it, `y` deletes for ever.
        await pilot.press("escape")
        await settle(pilot)
        demo_app.open_profile(customer_id)
        await settle(pilot)
        await pilot.press("d", "y", "f6")
        await settle(pilot)
        trash = demo_app.screen
        await pilot.press("ctrl+d")
        await settle(pilot)
        assert isinstance(demo_app.screen, ConfirmScreen)
        await pilot.press("enter")
        await settle(pilot)
        assert Customer.get_or_none(Customer.id == customer_id) is not None
        await pilot.press("ctrl+d", "y")
        await settle(pilot)
        assert Customer.get_or_none(Customer.id == customer_id) is None
        assert trash.items == []


async def test_the_app_backs_the_book_up_when_it_starts_once_a_day(demo_app):
    from tui_crm.core.backups import list_backups

    assert list_backups(demo_app.db_path) == []
    async with demo_app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
    taken = list_backups(demo_app.db_path)
    assert [one.reason for one in taken] == ["daily"] and taken[0].customers > 0
    again = app_on(demo_app.db_path)  # started again the same day
    async with again.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
    assert len(list_backups(demo_app.db_path)) == 1
