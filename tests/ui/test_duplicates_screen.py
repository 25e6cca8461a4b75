"""The duplicates screen and the merge chooser driven by keys."""

from __future__ import annotations

from textual.widgets import Static

from tests.ui.conftest import settle
from tests.ui.test_palette_and_help import _palette
from tests.versions import current_version
from tui_crm.core.customers import create_customer, log_interaction, update_customer
from tui_crm.core.duplicates import find_duplicate_pairs
from tui_crm.db.models import Customer, DuplicateDismissal, Interaction
from tui_crm.ui.screens.duplicates import DuplicatesScreen, MergeScreen
from tui_crm.ui.screens.search import ResultsTable
from tui_crm.ui.widgets.row_list import RowList


def _pair(db) -> tuple[int, int]:
    """Robert and Rob Smith: the same birthday, one email each, a call logged with Rob."""
    robert = create_customer(
        db,
        {
            "first_name": "Robert",
            "last_name": "Smith",
            "birthday": "1961-04-02",
            "city": "Oslo",
            "emails": [("work", "robert@smith.example.com")],
        },
    )
    rob = create_customer(
        db,
        {
            "first_name": "Rob",
            "last_name": "Smith",
            "birthday": "1961-04-02",
            "city": "Bergen",
            "emails": [("home", "rob@mail.example.org")],
        },
    )
    log_interaction(db, rob, notes="Asked for the spring catalogue")
    return robert, rob


async def _duplicates(pilot) -> DuplicatesScreen:
    await settle(pilot)
    await pilot.press("f5")
    await _quiet(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, DuplicatesScreen)
    return screen


async def _quiet(pilot) -> None:
    for _ in range(3):
        await pilot.pause(0.05)
        await settle(pilot)


def _text(widget: Static) -> str:
    return str(widget.render())


def _rows(screen) -> list[list[str]]:
    pairs = screen.query_one("#duplicates-table", RowList)
    return [[str(cell) for cell in pairs.get_row_at(row)] for row in range(pairs.row_count)]


async def test_f5_lists_the_pairs_strongest_first_with_why(demo_app):
    async with demo_app.run_test(size=(120, 30)) as pilot:
        screen = await _duplicates(pilot)
        pairs = find_duplicate_pairs(demo_app.db)
        assert pairs
        rows = _rows(screen)
        assert [(r[1], r[2]) for r in rows] == [
            (f"{p.a.name} #{p.a.id}", f"{p.b.name} #{p.b.id}") for p in pairs
        ]
        assert rows[0][3] == pairs[0].reason_text
        assert f"{len(pairs)} pairs" in _text(screen.query_one("#duplicates-status"))


async def test_ctrl_d_marks_a_pair_as_different_people_and_it_stays_hidden(empty_app):
    robert, rob = _pair(empty_app.db)
    async with empty_app.run_test(size=(100, 30)) as pilot:
        screen = await _duplicates(pilot)
        assert len(_rows(screen)) == 1
        await pilot.press("ctrl+d")
        await _quiet(pilot)
        assert _rows(screen) == []
        assert "No probable duplicates" in _text(screen.query_one("#duplicates-status"))
        assert DuplicateDismissal.select().count() == 1
        assert find_duplicate_pairs(empty_app.db) == []


async def test_merge_applies_the_chosen_fields_moves_the_calls_and_trashes_the_other(empty_app):
    robert, rob = _pair(empty_app.db)
    async with empty_app.run_test(size=(100, 30)) as pilot:
        screen = await _duplicates(pilot)
        await pilot.press("enter")
        await _quiet(pilot)
        merging = empty_app.screen
        assert isinstance(merging, MergeScreen)
        assert (merging.survivor_id, merging.other_id) == (robert, rob)
        title = _text(merging.query_one("#merge-title"))
        assert "Keep Robert Smith #" in title and "1 interactions" in title
        fields = [c.field for c in merging.preview.differences]
        assert {"first_name", "city", "emails"} <= set(fields)
        table = merging.query_one(ResultsTable)
        table.move_cursor(row=fields.index("city"))
        await pilot.press("right")  # take Bergen from the right
        assert merging.choices["city"] == "other"
        await pilot.press("ctrl+s")
        await _quiet(pilot)
        assert empty_app.screen is screen
        survivor = Customer.get_by_id(robert)
        assert (survivor.first_name, survivor.city) == ("Robert", "Bergen")
        assert Customer.get_by_id(rob).deleted_at is not None
        assert Interaction.get(
            Interaction.notes == "Asked for the spring catalogue"
        ).customer_id == (robert)
        assert _rows(screen) == []  # the pair is gone: one of them is in the trash


async def test_arrows_h_and_space_choose_a_side_even_in_a_table_wider_than_the_terminal(
    empty_app,
):
    robert, rob = _pair(empty_app.db)
    async with empty_app.run_test(size=(60, 24)) as pilot:
        await _duplicates(pilot)
        await pilot.press("enter")
        await _quiet(pilot)
        merging = empty_app.screen
        assert isinstance(merging, MergeScreen)
        table = merging.query_one(ResultsTable)
        assert table.virtual_size.width > table.size.width  # ← → could scroll it sideways
        fields = [c.field for c in merging.preview.differences]
        table.move_cursor(row=fields.index("city"))
        await pilot.press("right")
        assert merging.choices["city"] == "other"
        await pilot.press("left")
        assert merging.choices["city"] == "survivor"
        await pilot.press("right", "h")  # h is ← here
        assert merging.choices["city"] == "survivor"
        table.move_cursor(row=fields.index("emails"))
        await pilot.press("left")
        assert merging.choices["emails"] == "survivor"
        await pilot.press("space")
        assert merging.choices["emails"] == "both"
        status = _text(merging.query_one("#merge-status"))
        assert "space keeps both" in status and "f7 swaps" in status


async def test_f7_swaps_which_record_stays(empty_app):
    robert, rob = _pair(empty_app.db)
    async with empty_app.run_test(size=(100, 30)) as pilot:
        await _duplicates(pilot)
        await pilot.press("enter")
        await _quiet(pilot)
        await pilot.press("f7")
        await _quiet(pilot)
        merging = empty_app.screen
        assert (merging.preview.survivor.id, merging.preview.other.id) == (rob, robert)
        await pilot.press("ctrl+s")
        await _quiet(pilot)
        assert Customer.get_by_id(robert).deleted_at is not None
        assert Customer.get_by_id(rob).deleted_at is None


async def test_a_change_made_meanwhile_refuses_the_merge_and_shows_fresh_values(empty_app):
    robert, rob = _pair(empty_app.db)
    async with empty_app.run_test(size=(100, 30)) as pilot:
        await _duplicates(pilot)
        await pilot.press("enter")
        await _quiet(pilot)
        merging = empty_app.screen
        update_customer(
            empty_app.db,
            rob,
            {"city": "Tromsø"},
            who="colleague",
            expected_version=current_version(rob),
        )
        await pilot.press("ctrl+s")
        await _quiet(pilot)
        assert empty_app.screen is merging  # nothing merged, the chooser stays
        assert Customer.get_by_id(rob).deleted_at is None
        city = next(c for c in merging.preview.differences if c.field == "city")
        assert city.other == "Tromsø"
        await pilot.press("ctrl+s")  # now on the fresh versions
        await _quiet(pilot)
        assert Customer.get_by_id(rob).deleted_at is not None


async def test_palette_opens_duplicates(demo_app):
    async with demo_app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await _palette(pilot, "Duplicates")
        await pilot.press("enter")
        await _quiet(pilot)
        assert isinstance(demo_app.screen, DuplicatesScreen)
