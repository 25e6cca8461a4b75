"""Why a customer is listed (issue 19): a search whose words are in the notes (profile notes,
why they chose us, every interaction's notes) shows the words around them, the words found
in bold: in the company's place on a wide screen, for the highlighted customer above the
list on a narrow one. A name search shows companies as before."""

from __future__ import annotations

from rich.text import Text

from tests.ui.conftest import joined, settle
from tui_crm.ui.screens.search import ResultsList, found_text


async def test_a_search_in_the_notes_shows_why_each_customer_is_listed(demo_app):
    async with demo_app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        await pilot.press(*"voicemail")
        await settle(pilot)
        screen = demo_app.screen
        results = screen.query_one(ResultsList)
        shown = [results.get_row_at(place) for place in range(min(results.row_count, 20))]
        companies = [cells[1] for cells in shown]
        assert companies and all("voicemail" in c.plain.lower() for c in companies)
        assert all(isinstance(c, Text) and "italic" in str(c.style) for c in companies)
        assert "…Left a voicemail" in joined(demo_app)  # cut before it, so the word shows
        # The word found is in bold, the rest not.
        first = companies[0]
        bold = [first.plain[s.start : s.end] for s in first.spans if "bold" in str(s.style)]
        assert [b.lower() for b in bold] == ["voicemail"]
        # A name search: the companies, as before.
        await pilot.press(*["backspace"] * 9, *"robert smith")
        await settle(pilot)
        assert results.get_row_at(0)[1].plain == screen.held[0].company


async def test_on_a_narrow_screen_the_highlighted_customers_match_is_said_above(demo_app):
    async with demo_app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press(*"voicemail")
        await settle(pilot)
        await pilot.press("down")
        await settle(pilot)
        status = str(demo_app.screen.query_one("#query-status").render())
        assert "customers · " in status and "Left a voicemail" in status


def test_a_snippet_is_shown_as_text_never_markup_nor_terminal_control():
    from tui_crm.core.search import FOUND_FROM, FOUND_TO

    shown = found_text(f"…Left a {FOUND_FROM}voicemail{FOUND_TO} [b]twice[/b] \x1b[31m…")
    assert "[b]twice[/b]" in shown.plain and "\x1b" not in shown.plain
    assert FOUND_FROM not in shown.plain and FOUND_TO not in shown.plain
