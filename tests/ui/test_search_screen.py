"""The search screen through Pilot: typing, moving into results, opening a profile."""

from __future__ import annotations

from textual.widgets import Input, Static

from tests.ui.conftest import TODAY, screen_lines, settle
from tui_crm.core.search import search
from tui_crm.ui.screens.profile import ProfileScreen
from tui_crm.ui.screens.search import SearchScreen
from tui_crm.ui.widgets.row_list import RowList


def _names(app) -> list[str]:
    table = app.screen.query_one("#results", RowList)
    return [str(row.cells[0]) for _, row in sorted(table.held.items())]  # those read


async def test_typing_shows_matching_customers_as_you_type(demo_app):
    async with demo_app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert isinstance(demo_app.screen, SearchScreen)
        everyone = _names(demo_app)
        await pilot.press(*"smith")
        await settle(pilot)
        names = _names(demo_app)
        assert names and names != everyone
        assert all("Smith" in name for name in names)
        expected = [row.name for row in search(demo_app.db, "smith", as_of=demo_app.today())]
        assert names == expected


async def test_down_enter_opens_the_highlighted_profile_and_escape_returns(demo_app):
    async with demo_app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*"smith")
        await settle(pilot)
        second = _names(demo_app)[1]
        await pilot.press("down")
        await pilot.pause()
        assert demo_app.focused.id == "results"
        await pilot.press("down", "enter")
        await settle(pilot)
        assert isinstance(demo_app.screen, ProfileScreen)
        title = str(demo_app.screen.query_one("#profile-title", Static).render())
        assert second in title
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(demo_app.screen, SearchScreen)
        assert demo_app.screen.query_one("#query", Input).value == "smith"


async def test_enter_in_the_input_opens_the_first_result(demo_app):
    async with demo_app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*"robert smith")
        await settle(pilot)
        first = _names(demo_app)[0]
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(demo_app.screen, ProfileScreen)
        assert demo_app.screen.profile.name == first


async def test_j_and_k_on_the_results_go_to_the_search_rather_than_move(demo_app):
    async with demo_app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*"smith")
        await settle(pilot)
        await pilot.press("down", "down")
        await pilot.pause()
        assert demo_app.focused.id == "results"
        await pilot.press("j", "k")
        await settle(pilot)
        assert demo_app.focused.id == "query"
        assert demo_app.screen.query_one("#query", Input).value == "smithjk"


async def test_slash_returns_to_the_input_from_the_results(demo_app):
    async with demo_app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("down")
        await pilot.pause()
        assert demo_app.focused.id == "results"
        await pilot.press("slash")
        await pilot.pause()
        assert demo_app.focused.id == "query"


async def test_bad_qualifier_is_shown_inline_and_results_stay(demo_app):
    async with demo_app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*"smith")
        await settle(pilot)
        before = _names(demo_app)
        # A pasted bad qualifier arrives as one change to the input.
        demo_app.screen.query_one("#query", Input).insert_text_at_cursor(" colour:red")
        await settle(pilot)
        status = demo_app.screen.query_one("#query-status", Static)
        assert "unknown qualifier 'colour:'" in str(status.render())
        assert status.has_class("error")
        assert _names(demo_app) == before


async def test_qualifiers_filter_the_list(demo_app):
    async with demo_app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*"tier:gold")
        await settle(pilot)
        gold = search(demo_app.db, "tier:gold", as_of=demo_app.today(), limit=200)
        assert gold and _names(demo_app) == [row.name for row in gold]


async def test_empty_book_shows_what_to_do_next(empty_app):
    async with empty_app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        hint = empty_app.screen.query_one("#empty-hint", Static)
        assert hint.display
        assert "tui-crm --demo" in str(hint.render()) and "ctrl+n" in str(hint.render())


async def test_ctrl_q_quits(demo_app):
    async with demo_app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*"rob")
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert not demo_app.is_running


async def test_down_down_enter_opens_the_second_result(demo_app):
    async with demo_app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*"smith")
        await settle(pilot)
        second = _names(demo_app)[1]
        await pilot.press("down", "down", "enter")
        await settle(pilot)
        assert isinstance(demo_app.screen, ProfileScreen)
        assert demo_app.screen.profile.name == second


async def test_f7_sorts_by_one_then_two_keys_and_writes_them_into_the_query(demo_app):
    from textual.widgets import Select

    from tui_crm.ui.screens.sort import SortScreen

    async with demo_app.run_test(size=(100, 30)) as pilot:
        await pilot.press(*"tier:gold")
        await settle(pilot)
        await pilot.press("down", "f7")
        await pilot.pause()
        assert isinstance(demo_app.screen, SortScreen)
        demo_app.screen.query_one("#sort-first", Select).value = "city"
        demo_app.screen.query_one("#sort-second", Select).value = "-spent12m"
        await pilot.press("ctrl+s")
        await settle(pilot)
        query = demo_app.screen.query_one("#query", Input)
        assert query.value == "tier:gold sort:city,-spent12m"
        rows = demo_app.screen.rows
        keys = [(r.city.casefold(), -r.value_12m) for r in rows]
        assert rows and keys == sorted(keys)
        # The same keys again, now only one (f7 from the field this time): the second is
        # dropped from the query.
        await pilot.press("slash", "f7")
        await pilot.pause()
        demo_app.screen.query_one("#sort-second", Select).clear()
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert demo_app.screen.query_one("#query", Input).value == "tier:gold sort:city"


async def test_down_and_ctrl_l_arriving_together_log_a_call_and_leave_the_query_alone(demo_app):
    """Keys bunched by a slow SSH link reach the app in one read: ↓ must move to the results
    before the ctrl+l behind it is handled, and nothing of it may end up in the query."""
    from textual import events

    from tui_crm.ui.screens.log import LogInteractionScreen

    async with demo_app.run_test(size=(100, 30)) as pilot:
        await pilot.press(*"robert smith")
        await settle(pilot)
        search = demo_app.screen
        for key, character in (("down", None), ("ctrl+l", "\x0c")):
            demo_app.post_message(events.Key(key, character))
        await settle(pilot)
        assert isinstance(demo_app.screen, LogInteractionScreen)
        assert search.query_one("#query", Input).value == "robert smith"


async def test_a_name_then_ctrl_l_typed_faster_than_the_search_log_for_that_name(demo_app):
    """ctrl+l in the search field waits for the results of what was typed: it never logs a
    call for whoever headed the list before the search answered."""
    from textual import events

    from tui_crm.ui.screens.log import LogInteractionScreen

    async with demo_app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        search_screen = demo_app.screen
        first_before = search_screen.rows[0].name
        expected = search(demo_app.db, "robert smith", as_of=TODAY, limit=1)[0].name
        assert first_before != expected
        for character in "robert smith":
            demo_app.post_message(events.Key(character if character != " " else "space", character))
        demo_app.post_message(events.Key("ctrl+l", "\x0c"))
        await settle(pilot)
        await pilot.pause(0.1)
        await settle(pilot)
        assert isinstance(demo_app.screen, LogInteractionScreen)
        assert demo_app.screen.customer_name == expected
        assert search_screen.query_one("#query", Input).value == "robert smith"


async def test_the_list_reads_further_rows_as_it_is_scrolled_and_counts_them_all(demo_app):
    from tui_crm.core.search import search
    from tui_crm.ui.screens.search import WINDOW

    everyone = search(demo_app.db, "", as_of=TODAY, limit=None)
    assert len(everyone) > WINDOW  # more than the first answer holds
    async with demo_app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = demo_app.screen
        status = str(screen.query_one("#query-status", Static).render())
        assert status.startswith(f"{len(everyone)} customers")  # counted after the first rows
        results = screen.query_one("#results", RowList)
        assert results.row_count == len(everyone) and len(results.held) <= WINDOW
        await pilot.press("down", "end")  # to the last customer: read when scrolled to
        await settle(pilot)
        assert screen.highlighted().id == everyone[-1].id
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(demo_app.screen, ProfileScreen)
        assert demo_app.screen.customer_id == everyone[-1].id


async def test_the_footer_shows_the_keys_that_apply_now(demo_app):
    from tui_crm.ui.widgets.footer import KeysFooter

    async with demo_app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        footer = demo_app.screen.query_one(KeysFooter)
        line = lambda: screen_lines(demo_app)[footer.region.y]  # noqa: E731
        assert "^l Log call" in line() and line().rstrip().endswith("▏^p palette")
        demo_app.screen.query_one("#query", Input).value = "tier:gold colour:red"
        await settle(pilot)
        await pilot.pause()
        assert "Log call" not in line()  # an error has no rows to act on
        assert "f1 Help" in line() and line().rstrip().endswith("▏^p palette")
        demo_app.screen.query_one("#query", Input).value = ""
        await settle(pilot)
        await pilot.pause()
        assert "^l Log call" in line()


async def test_a_key_in_the_footer_can_be_clicked(demo_app):
    from tui_crm.ui.screens.customer_form import CustomerFormScreen
    from tui_crm.ui.widgets.footer import KeysFooter

    async with demo_app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        footer = demo_app.screen.query_one(KeysFooter)
        line = screen_lines(demo_app)[footer.region.y]
        await pilot.click(KeysFooter, offset=(line.index("^n New") + 1, 0))
        await settle(pilot)
        assert isinstance(demo_app.screen, CustomerFormScreen)


async def test_a_closed_form_leaves_nothing_watching_the_app(demo_app):
    # Textual lets go of a closed widget's watch on the app (its title, its theme) only when
    # the watched value changes, which may be never: each form opened and closed stayed alive
    # through its header and text areas, with everything they had drawn.
    async with demo_app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        for _ in range(2):
            demo_app.action_new_customer()
            await settle(pilot)
            await pilot.press("escape")
            await settle(pilot)
        watching = [node for w in getattr(demo_app, "__watchers").values() for node, _ in w]
        assert watching  # the search screen's header, at least
        assert not [node for node in watching if node._closing]


async def test_gold_in_a_book_without_purchases_says_why_no_one_is(empty_app):
    # Contacts just imported: nobody has bought yet, so nobody is gold or silver.
    from tui_crm.core.customers import create_customer
    from tui_crm.core.search import NO_TIERS_YET

    for name in ("Ada", "Bo", "Cy"):
        create_customer(empty_app.db, {"first_name": name})
    async with empty_app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        await pilot.press(*"tier:gold")
        await settle(pilot)
        status = str(empty_app.screen.query_one("#query-status").render())
        assert status == f"0 customers · {NO_TIERS_YET}"
        await pilot.press(*["backspace"] * 4, *"none")  # tier:none: all three, no reason
        await settle(pilot)
        assert str(empty_app.screen.query_one("#query-status").render()) == "3 customers"
