"""The next key acts on the customer the user acted on, or opened, or moved to.

Keys are sent as fast as the test can (`pilot.press` with every key in one call), or as one
read from the terminal brings them (`burst`): lists that are still loading, screens that are
still opening and dialogs that are still saving must neither drop them nor give them to the
wrong customer.
"""

from __future__ import annotations

from tests.ui.conftest import TODAY, burst, latest_interaction, settle
from tui_crm.core.attention import attention_queue
from tui_crm.core.duplicates import find_duplicate_pairs
from tui_crm.core.referrals import referral_forest
from tui_crm.core.search import search
from tui_crm.db.models import DuplicateDismissal, Interaction, Purchase
from tui_crm.ui.screens.log import LogInteractionScreen
from tui_crm.ui.screens.purchase import AddPurchaseScreen
from tui_crm.ui.screens.referrals import ReferralTree
from tui_crm.ui.screens.search import SearchScreen
from tui_crm.ui.widgets.row_list import RowList

F2, F3, F5 = "\x1bOQ", "\x1bOR", "\x1b[15~"
DOWN, CTRL_D, CTRL_L = "\x1b[B", "\x04", "\x0c"


def _money(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


async def test_after_logging_on_the_second_result_ctrl_b_adds_a_purchase_for_the_same_one(
    demo_app,
):
    second = search(demo_app.db, "smith", as_of=TODAY, limit=200)[1]
    async with demo_app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*"smith", "down", "down", "ctrl+l", *"Called back", "ctrl+s", "ctrl+b")
        await settle(pilot)
        dialog = demo_app.screen
        assert isinstance(dialog, AddPurchaseScreen)
        assert dialog.customer_id == second.id
        assert latest_interaction(second.id).notes == "Called back"
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(demo_app.screen, SearchScreen)
        assert demo_app.screen.highlighted().id == second.id


async def test_the_highlight_follows_the_customer_when_a_purchase_moves_them_up(demo_app):
    rows = search(demo_app.db, "smith", as_of=TODAY, limit=200)
    third = rows[2]
    # Enough to move the third above the second, not above the first.
    amount = (rows[0].value_12m + rows[1].value_12m) // 2 - third.value_12m
    async with demo_app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*"smith", "down", "down", "down", "ctrl+b", *_money(amount), "ctrl+s")
        await settle(pilot)
        screen = demo_app.screen
        assert isinstance(screen, SearchScreen)
        assert Purchase.select().where(Purchase.customer == third.id).count() > 0
        assert [row.id for row in screen.rows][:3] == [rows[0].id, third.id, rows[1].id]
        assert screen.query_one("#results", RowList).cursor_row == 1
        assert screen.highlighted().id == third.id
        await pilot.press("ctrl+l", *"Thanked for the order", "ctrl+s")
        await settle(pilot)
        assert latest_interaction(third.id).notes == "Thanked for the order"


async def test_keys_typed_as_a_profile_opens_act_on_that_customer(demo_app):
    first = search(demo_app.db, "smith", as_of=TODAY, limit=200)[0]
    count = Interaction.select().count()
    async with demo_app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        burst(demo_app, "smith\rlMet at the fair\x13")
        await settle(pilot)
        assert Interaction.select().count() == count + 1
        assert latest_interaction(first.id).notes == "Met at the fair"


async def test_keys_typed_as_the_attention_queue_opens_wait_for_it(demo_app):
    queue = attention_queue(demo_app.db, TODAY)
    second = queue[1]
    async with demo_app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        burst(demo_app, F2 + DOWN + CTRL_L)
        await settle(pilot)
        dialog = demo_app.screen
        assert isinstance(dialog, LogInteractionScreen)
        assert dialog.customer_id == second.customer_id


async def test_ctrl_d_twice_on_the_duplicates_marks_two_pairs(demo_app):
    pairs = find_duplicate_pairs(demo_app.db)
    assert len(pairs) >= 3
    async with demo_app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        burst(demo_app, F5 + CTRL_D + CTRL_D)
        await settle(pilot)
        marked = {(d.customer_a_id, d.customer_b_id) for d in DuplicateDismissal.select()}
        assert marked == {pairs[0].ids, pairs[1].ids}


async def test_keys_typed_as_the_referral_tree_opens_move_in_it(demo_app):
    roots = referral_forest(demo_app.db, TODAY).roots()
    async with demo_app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        burst(demo_app, F3 + DOWN)
        await settle(pilot)
        tree = demo_app.screen.query_one(ReferralTree)
        assert tree.cursor_node.data.customer_id == roots[1].customer_id
