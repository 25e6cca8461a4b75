"""At 80×24: messages wrap instead of being cut, notes wrap in their row, footers hold whole keys."""

from __future__ import annotations

from datetime import datetime

from textual.geometry import Region
from textual.widgets import DataTable

from tests.ui.conftest import TODAY, joined, screen_lines, settle
from tui_crm.db.models import Interaction
from tui_crm.ui.screens.profile import ProfileScreen
from tui_crm.ui.widgets.footer import KeysFooter


async def test_a_long_query_error_wraps_and_keeps_its_position(demo_app):
    async with demo_app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press(*"tier:gold colour:red")
        await settle(pilot)
        status = demo_app.screen.query_one("#query-status")
        assert status.has_class("error")
        assert status.size.height > 1  # the message is longer than one line at 80 columns
        text = joined(demo_app)
        assert "unknown qualifier 'colour:'" in text
        assert "lifetime, sort) (at 11: colour:red)" in text
        # and the results stay below it, whole
        assert status.region.bottom <= demo_app.screen.query_one("#results").region.y


LONG_NOTE = (
    "Asked about volume pricing for the next quarter, wants the catalogue by post and a call "
    "back from the workshop about the 20 units they ordered in spring: ENDWORD"
)


async def _profile_with_a_long_note(pilot):
    """Robert Smith's profile, his newest interaction a note far longer than 80 columns."""
    app = pilot.app
    await settle(pilot)
    await pilot.press(*"robert smith", "enter")
    await settle(pilot)
    screen = app.screen
    assert isinstance(screen, ProfileScreen)
    moment = datetime.combine(TODAY, datetime.min.time()).replace(hour=8)
    Interaction.create(
        customer=screen.customer_id, kind="call", at=moment, notes=LONG_NOTE, created_at=moment
    )
    screen.load()
    await settle(pilot)
    return screen.query_one("#profile-timeline", DataTable)


def _fits(table: DataTable) -> bool:
    """Nothing in the list is wider than the list: no sideways scrolling."""
    return table.virtual_size.width <= table.scrollable_content_region.width


async def test_a_long_note_wraps_within_its_row_at_80_columns(demo_app):
    async with demo_app.run_test(size=(80, 24)) as pilot:
        timeline = await _profile_with_a_long_note(pilot)
        assert str(timeline.get_row_at(0)[2]) == LONG_NOTE
        row = timeline.rows[timeline.coordinate_to_cell_key((0, 0)).row_key]
        assert row.height > 2  # the whole note, over several lines
        assert _fits(timeline)
        timeline.focus()
        timeline.scroll_home(animate=False)
        await settle(pilot)
        # The whole note is on screen, read in its own column: where it wraps depends on the
        # column's width (a scrollbar beside the list or not), and the screen's whole lines
        # would put the other columns' cells between two words.
        columns = list(timeline.columns.values())
        x = timeline.region.x + sum(column.get_render_width(timeline) for column in columns[:2])
        note_column = Region(x, timeline.region.y, columns[2].get_render_width(timeline), 24)
        assert LONG_NOTE in joined(demo_app, note_column)
        for other in ("#profile-purchases", "#profile-history"):
            assert _fits(demo_app.screen.query_one(other, DataTable))


async def test_notes_wrap_again_when_the_terminal_is_resized(demo_app):
    async with demo_app.run_test(size=(200, 50)) as pilot:
        timeline = await _profile_with_a_long_note(pilot)
        first = timeline.coordinate_to_cell_key((0, 0)).row_key
        wide = timeline.rows[first].height
        assert wide <= 2
        timeline.focus()
        await pilot.press("down")
        highlighted = timeline.coordinate_to_cell_key(timeline.cursor_coordinate).row_key
        await pilot.resize_terminal(80, 24)
        await settle(pilot)
        assert timeline.rows[first].height > wide
        assert _fits(timeline)
        # the same interaction stays highlighted
        assert timeline.coordinate_to_cell_key(timeline.cursor_coordinate).row_key == highlighted


async def _each_screen(pilot):
    """Every top-level screen, a profile, the import screen and the customer form, in turn:
    yields each one's name once it is shown."""
    app = pilot.app
    await settle(pilot)
    first = app.screen.rows[0].id
    for mode in ("search", "attention", "referrals", "insights", "duplicates", "trash"):
        app.switch_mode(mode)
        await settle(pilot)
        yield mode
    app.switch_mode("search")
    for name, show in (
        ("profile", lambda: app.open_profile(first)),
        ("import", app.action_import_file),
        ("customer form", app.action_new_customer),
    ):
        show()
        await settle(pilot)
        yield name
        app.pop_screen()
        await settle(pilot)


def _footer_keys(app) -> tuple[str, list[str]]:
    """The footer's line left of the palette's key, and the keys it says it shows."""
    footer = app.screen.query_one(KeysFooter)
    line = screen_lines(app)[footer.region.y]
    return line.partition("▏")[0], [key.text for key in footer.shown()]


async def test_every_footer_shows_whole_keys_at_80_columns(demo_app):
    async with demo_app.run_test(size=(80, 24)) as pilot:
        async for name in _each_screen(pilot):
            left, shown = _footer_keys(demo_app)
            assert shown, name
            # the keys shown, each whole, and nothing else: no key cut at the edge
            assert left.rstrip() == "".join(shown).rstrip(), name
            assert "f1 Help" in left, name  # the way to every key left out
            if name not in ("import", "customer form"):  # ctrl+f would drop their work
                assert "^f Search" in left, name  # the way home


async def test_keys_left_out_come_back_on_a_wider_terminal(demo_app):
    async with demo_app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        _, narrow = _footer_keys(demo_app)
        await pilot.resize_terminal(160, 24)
        await settle(pilot)
        left, wide = _footer_keys(demo_app)
        assert len(wide) > len(narrow)
        assert left.rstrip() == "".join(wide).rstrip()
        await pilot.resize_terminal(80, 24)
        await settle(pilot)
        assert _footer_keys(demo_app)[1] == narrow


async def test_the_import_report_wraps_without_losing_a_word(empty_app, tmp_path):
    rows = "".join(f"Per{n},Son{n},bad-email-{n},Firm {n}\n" for n in range(25))
    contacts = tmp_path / "contacts.csv"
    contacts.write_text("First Name,Last Name,E-mail Address,Company\n" + rows, encoding="utf-8")
    async with empty_app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        empty_app.action_import_file()
        await settle(pilot)
        empty_app.screen.query_one("#import-path").value = str(contacts)
        empty_app.screen.action_run(True)  # check it: the report is long, and scrolls
        await settle(pilot)
        report = empty_app.screen.query_one("#import-report")
        assert report.display and report.max_scroll_y > 0
        text = joined(empty_app, report.content_region)
        assert (
            "would be 25 added, 0 updated, 0 unchanged, 0 rejected, 0 probable duplicates, "
            "25 with values kept as given"
        ) in text
        assert "'bad-email-0' is not a valid email address; kept in the notes" in text
        assert report.max_scroll_x == 0  # nothing to scroll sideways to
