"""The insights screen: its sections, changing the as-of date, opening customers, snapshots."""

from __future__ import annotations

from datetime import date

from rich.cells import cell_len
from textual.widgets import Input, Static

from tests.ui.conftest import TODAY, joined, settle
from tui_crm.core.insights import insights
from tui_crm.ui.screens.insights import (
    NAME_WIDTH,
    Chart,
    CustomerList,
    InsightsBody,
    InsightsScreen,
    percent,
)
from tui_crm.ui.screens.profile import ProfileScreen
from tui_crm.ui.screens.search import SearchScreen
from tui_crm.ui.widgets.bars import BarRow, bar, bar_chart, bar_lines


async def _open(pilot) -> InsightsScreen:
    await settle(pilot)
    await pilot.press("f4")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, InsightsScreen)
    return screen


def _keys(table: CustomerList) -> list[int]:
    return [table.key_at(row) for row in range(table.row_count)]


def _text(screen: InsightsScreen, selector: str) -> str:
    return str(screen.query_one(selector, Static).render())


async def test_every_section_shows_the_figures_as_of_the_day(demo_app):
    async with demo_app.run_test(size=(100, 40)) as pilot:
        screen = await _open(pilot)
        expected = insights(demo_app.db, TODAY)
        assert screen.figures == expected
        assert expected.gold.members and expected.referrers and expected.why.answers
        gold = screen.query_one("#insights-gold", CustomerList)
        assert _keys(gold) == [m.customer_id for m in expected.gold.members]
        assert gold.has_focus
        silver = screen.query_one("#insights-silver", CustomerList)
        assert _keys(silver) == [m.customer_id for m in expected.silver.members]
        referrers = screen.query_one("#insights-referrers", CustomerList)
        assert _keys(referrers) == [r.customer_id for r in expected.referrers]
        sources = screen.query_one("#insights-sources", Chart)
        assert [row.label for row in sources.rows] == [s.source for s in expected.sources]
        assert [row.value for row in sources.rows] == [s.spent_12m for s in expected.sources]
        why = screen.query_one("#insights-why", Chart)
        assert [row.label for row in why.rows] == [a.text for a in expected.why.answers]
        lost = screen.query_one("#insights-lost", Chart)
        assert [row.value for row in lost.rows] == [a.count for a in expected.lost.answers]
        gold_title = _text(screen, "#insights-gold-title")
        assert f"{expected.gold.count} customers" in gold_title and "% of revenue" in gold_title
        assert "2026-11-22" in _text(screen, "#insights-summary")
        assert expected.lapsed  # the demo has customers who stopped buying: status:lapsed
        assert f"{expected.lapsed} stopped buying (lapsed)" in _text(screen, "#insights-summary")
        assert screen.sub_title == "Insights as of 2026-11-22"


async def test_a_new_as_of_date_recomputes_everything(demo_app):
    async with demo_app.run_test(size=(100, 40)) as pilot:
        screen = await _open(pilot)
        await pilot.press("f7")
        field = screen.query_one("#insights-as-of", Input)
        assert field.has_focus
        await pilot.press(*"2026-03-31", "enter")  # the old date is selected: typing replaces it
        await settle(pilot)
        day = date(2026, 3, 31)
        assert screen.as_of == day
        assert screen.figures == insights(demo_app.db, day)
        assert screen.figures != insights(demo_app.db, TODAY)
        gold = screen.query_one("#insights-gold", CustomerList)
        assert _keys(gold) == [m.customer_id for m in screen.figures.gold.members]
        assert gold.has_focus  # back in the lists, ready for ↑ ↓ and Enter
        assert field.value == "2026-03-31"
        assert "2026-03-31" in _text(screen, "#insights-summary")
        assert screen.sub_title == "Insights as of 2026-03-31"

        # The words the rest of the app accepts work too, relative to today.
        await pilot.press("f7", *"today", "enter")
        await settle(pilot)
        assert screen.as_of == TODAY and field.value == TODAY.isoformat()
        assert screen.figures == insights(demo_app.db, TODAY)


async def test_a_bad_date_shows_one_line_and_changes_nothing(demo_app):
    async with demo_app.run_test(size=(80, 24)) as pilot:
        screen = await _open(pilot)
        before = screen.figures
        await pilot.press("f7", *"soon", "enter")
        await settle(pilot)
        error = screen.query_one("#insights-error", Static)
        assert error.display  # the whole line, wrapped where it is longer than the screen
        assert "'soon' is not a date (use YYYY-MM-DD, -1m, -2w, -30d, yesterday, today or +1w)" in (
            joined(demo_app, error.region)
        )
        assert screen.as_of == TODAY and screen.figures is before
        field = screen.query_one("#insights-as-of", Input)
        assert field.value == "soon" and field.has_focus  # left to be corrected
        # Escape leaves the date as it was; a second escape stays: Insights is a home.
        await pilot.press("escape")
        await pilot.pause()
        assert field.value == TODAY.isoformat() and not error.display
        assert demo_app.screen is screen
        assert screen.query_one("#insights-gold", CustomerList).has_focus
        await pilot.press("escape")
        await pilot.pause()
        assert demo_app.screen is screen


async def test_enter_opens_the_customer_the_arrows_move_and_j_k_search(demo_app):
    async with demo_app.run_test(size=(100, 40)) as pilot:
        screen = await _open(pilot)
        gold = screen.query_one("#insights-gold", CustomerList)
        await pilot.press("down", "down", "up")
        assert gold.cursor_row == 1
        await pilot.press("enter")
        await settle(pilot)
        profile = demo_app.screen
        assert isinstance(profile, ProfileScreen)
        assert profile.customer_id == screen.figures.gold.members[1].customer_id
        await pilot.press("escape")
        await settle(pilot)
        assert demo_app.screen is screen
        assert gold.cursor_row == 1  # recomputed on the way back, the cursor stayed
        await pilot.press("j", "k")  # letters on a list are a search, not arrows
        await settle(pilot)
        assert isinstance(demo_app.screen, SearchScreen)
        assert demo_app.screen.query_one("#query", Input).value == "jk"
        await pilot.press("f4")  # Insights as it was left
        await settle(pilot)
        assert demo_app.screen is screen and gold.cursor_row == 1


async def test_enter_on_a_referrer_opens_the_referrer(demo_app):
    async with demo_app.run_test(size=(100, 40)) as pilot:
        screen = await _open(pilot)
        await pilot.press("tab", "tab", "tab")  # silver, the sources chart, the referrers
        referrers = screen.query_one("#insights-referrers", CustomerList)
        assert referrers.has_focus
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(demo_app.screen, ProfileScreen)
        assert demo_app.screen.customer_id == screen.figures.referrers[0].customer_id


async def test_an_empty_book_says_what_to_do_and_enter_opens_nothing(empty_app):
    async with empty_app.run_test(size=(80, 24)) as pilot:
        screen = await _open(pilot)
        assert "No customers yet" in _text(screen, "#insights-summary")
        assert "no gold customers yet" in str(
            screen.query_one("#insights-gold", CustomerList).get_row_at(0)
        )
        await pilot.press("enter")
        await settle(pilot)
        assert empty_app.screen is screen


async def test_a_database_error_is_shown_and_the_date_can_be_tried_again(demo_app, monkeypatch):
    from peewee import OperationalError

    from tui_crm.ui.screens import insights as screen_module

    def locked(db, as_of, **kwargs):
        raise OperationalError("database is locked")

    async with demo_app.run_test(size=(80, 24)) as pilot:
        monkeypatch.setattr(screen_module, "insights", locked)
        screen = await _open(pilot)
        assert "database is locked" in _text(screen, "#insights-summary")
        assert "f7, then Enter, tries again" in _text(screen, "#insights-as-of-hint")
        monkeypatch.undo()
        await pilot.press("f7", "enter")  # the same date again
        await settle(pilot)
        assert screen.figures == insights(demo_app.db, TODAY)
        assert "f7 changes the date" in _text(screen, "#insights-as-of-hint")


def test_every_key_has_an_id():
    for owner in (InsightsScreen, CustomerList):
        assert all(binding.id and binding.id.startswith("insights.") for binding in owner.BINDINGS)


async def test_the_arrows_scroll_the_page_while_a_chart_has_focus(demo_app):
    async with demo_app.run_test(size=(80, 24)) as pilot:
        screen = await _open(pilot)
        await pilot.press("tab", "tab", "tab", "tab", "tab")  # down to the lost reasons
        assert screen.focused is screen.query_one("#insights-lost", Chart)
        body = screen.query_one("#insights-body")
        bottom = body.scroll_y
        assert bottom > 0
        await pilot.press("up", "up", "up")
        await pilot.pause()
        assert body.scroll_y == bottom - 3
        await pilot.press("down")
        await pilot.pause()
        assert body.scroll_y == bottom - 2


async def test_page_down_and_up_scroll_the_page_from_a_list_and_the_focus_follows(demo_app):
    async with demo_app.run_test(size=(80, 24)) as pilot:
        screen = await _open(pilot)
        body = screen.query_one(InsightsBody)
        gold = screen.query_one("#insights-gold", CustomerList)
        assert gold.has_focus and body.scroll_y == 0 and body.max_scroll_y > 0
        page = body.scrollable_content_region.height
        await pilot.press("pagedown")
        await pilot.pause()
        assert body.scroll_y == min(page, body.max_scroll_y)
        assert gold.cursor_row == 0  # the page moved, not the list's cursor
        # The focus went to what is shown: Enter opens a customer on the screen.
        focused = screen.focused
        assert focused is not gold and isinstance(focused, (CustomerList, Chart))
        assert body.region.contains_region(focused.region)
        for _ in range(5):
            await pilot.press("pagedown")
        await pilot.pause()
        assert body.scroll_y == body.max_scroll_y
        for _ in range(6):
            await pilot.press("pageup")
        await pilot.pause()
        assert body.scroll_y == 0 and gold.has_focus
        assert isinstance(demo_app.screen, InsightsScreen)


async def test_relative_days_set_the_as_of_date(demo_app):
    async with demo_app.run_test(size=(80, 24)) as pilot:
        screen = await _open(pilot)
        field = screen.query_one("#insights-as-of", Input)
        for typed, day in [
            ("-1m", date(2026, 10, 22)),
            ("-2w", date(2026, 11, 8)),
            ("-30d", date(2026, 10, 23)),
            ("yesterday", date(2026, 11, 21)),
        ]:
            screen.action_edit_as_of()  # whichever key it is on
            await pilot.press(*typed, "enter")
            await settle(pilot)
            assert screen.as_of == day and field.value == day.isoformat()
            assert screen.figures == insights(demo_app.db, day)
        screen.action_edit_as_of()
        await pilot.press(*"-1q", "enter")
        await settle(pilot)
        error = screen.query_one("#insights-error", Static)
        assert error.display
        assert "'-1q' is not a date (use YYYY-MM-DD, -1m, -2w, -30d, yesterday, today or +1w)" in (
            joined(demo_app, error.region)
        )
        assert screen.as_of == date(2026, 11, 21)  # nothing changed


def test_bars_are_filled_to_the_nearest_eighth_of_a_cell():
    assert bar(10, 10, 4) == "████"
    assert bar(5, 10, 3) == "█▌ "  # 12 eighths of 24
    assert bar(1, 64, 8) == "▏       "  # one eighth out of 64
    assert bar(3, 64, 8) == "▍       "
    assert bar(63, 64, 8) == "███████▉"
    assert bar(0.001, 1000, 5) == "▏    "  # a little is never drawn as nothing
    assert bar(0, 10, 3) == bar(-5, 10, 3) == "   "
    assert bar(5, 0, 3) == "   "
    assert bar(20, 10, 3) == "███"  # never past the width
    assert bar(5, 10, 0) == ""


def test_a_chart_fits_its_width_and_cuts_long_labels():
    rows = [
        BarRow("referral", 300, "3,000  60.0 %"),
        BarRow("a very long source name indeed", 150, "1,500  30.0 %"),
        BarRow("(none)", 0, "0   0.0 %"),
    ]
    lines = bar_chart(rows, 60).splitlines()
    assert len(lines) == 3
    assert all(len(line) <= 60 for line in lines)
    assert lines[0].startswith("referral ") and lines[0].endswith("3,000  60.0 %")
    assert lines[1].startswith("a very long source…")  # a third of the width at most
    assert lines[2].endswith("0   0.0 %")  # notes are right-aligned
    first, second = bar_lines(rows, 60)[:2]
    assert first.bar.rstrip() == "█" * len(first.bar)  # the largest value fills its bar
    assert len(first.bar) == 23  # 60 - 20 (label) - 13 (note) - 2 gaps of 2
    assert second.bar.rstrip() == "█" * 11 + "▌"  # half of 23 cells: 11 and 4/8
    # Too narrow for the labels: they give way before the bars do.
    narrow = bar_lines(rows, 30)
    assert len(narrow[0].bar) >= 8 and narrow[0].label.endswith("…")


def test_labels_last_get_the_room_they_need():
    rows = [
        BarRow("Fast delivery and a person who picks up the phone", 23, "23"),
        BarRow("Price", 7, " 7"),
    ]
    lines = bar_chart(rows, 80, label_last=True, max_bar=24).splitlines()
    assert lines[0].startswith("23  █") and lines[0].endswith("picks up the phone")
    assert lines[1].startswith(" 7  ") and lines[1].endswith("Price")
    assert max(len(line) for line in lines) <= 80
    wide = bar_lines(rows, 200, label_last=True, max_bar=24)
    assert len(wide[0].bar) == 24


def test_wide_characters_are_measured_in_cells():
    rows = [BarRow("東京の取引先", 10, "10"), BarRow("Oslo", 5, "5")]
    lines = bar_lines(rows, 40)
    assert cell_len(lines[0].label) == cell_len(lines[1].label)
    assert all(cell_len(str(line)) <= 40 for line in lines)


def _show_insights(*keys: str):
    async def run(pilot) -> None:
        await _open(pilot)
        for key in keys:
            await pilot.press(key)
            await settle(pilot)

    return run


def test_insights_at_80x24(demo_app, snap_compare):
    assert snap_compare(demo_app, terminal_size=(80, 24), run_before=_show_insights())


def test_insights_lower_sections_at_100x30(demo_app, snap_compare):
    keys = _show_insights("tab", "tab", "tab", "tab")  # down to the why-they-chose-us chart
    assert snap_compare(demo_app, terminal_size=(100, 30), run_before=keys)


def test_insights_with_a_bad_date_at_80x24(demo_app, snap_compare):
    keys = _show_insights("f7", *"next year", "enter")
    assert snap_compare(demo_app, terminal_size=(80, 24), run_before=keys)


async def test_f4_opens_insights_escape_stays_and_ctrl_f_goes_back_to_search(demo_app):
    async with demo_app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("f4")
        await settle(pilot)
        insights_screen = demo_app.screen
        assert isinstance(insights_screen, InsightsScreen)
        await pilot.press("escape")  # Insights is its mode's home
        await settle(pilot)
        assert demo_app.screen is insights_screen
        await pilot.press("ctrl+f")
        await settle(pilot)
        assert isinstance(demo_app.screen, SearchScreen)
        assert demo_app.focused.id == "query"


async def test_side_by_side_the_lists_show_every_figure_whole(demo_app):
    """From 120 columns gold and silver sit side by side: their names take what the figures
    leave of half the width, and no share is cut."""
    async with demo_app.run_test(size=(120, 40)) as pilot:
        screen = await _open(pilot)
        assert screen.has_class("wide")
        for tier in (screen.figures.gold, screen.figures.silver):
            table = screen.query_one(f"#insights-{tier.name}", CustomerList)
            first = "".join(segment.text for segment in table.render_line(1))
            assert first.rstrip().endswith(percent(tier.members[0].share))
            assert tier.members[0].name in first
        await pilot.resize_terminal(100, 40)  # one under the other: the names their own width
        await settle(pilot)
        assert not screen.has_class("wide")
        gold = screen.query_one("#insights-gold", CustomerList)
        assert gold.columns[1].width == NAME_WIDTH
