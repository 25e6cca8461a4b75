"""The help overlay (f1, `?`): this screen's actions, then the app's, and on Search the query
language; over the screen, which keeps its size, and closed with Escape."""

from __future__ import annotations

import io

from rich.console import Console
from textual.widgets import Input, Static

from tests.ui.conftest import demo_app_with_config, settle
from tui_crm.core.query import CHOICE_QUALIFIERS, ID_QUALIFIERS, MONEY_KEYS, TEXT_QUALIFIERS, parse
from tui_crm.ui.screens.help import QUERY_HELP, HelpScreen
from tui_crm.ui.screens.profile import ProfileScreen
from tui_crm.ui.screens.search import ResultsList, SearchScreen


def help_text(app) -> str:
    """What the help shows, top to bottom, as plain text."""
    assert isinstance(app.screen, HelpScreen)
    console = Console(width=100, record=True, file=io.StringIO())
    for widget in app.screen.query(Static):
        console.print(widget.content)
    return console.export_text()


def in_order(text: str, *parts: str) -> bool:
    at = [text.index(part) for part in parts]
    return at == sorted(at)


async def test_f1_on_search_shows_its_actions_then_everywhere_then_the_query_language(demo_app):
    async with demo_app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("f1")
        await settle(pilot)
        assert isinstance(demo_app.screen, HelpScreen)
        text = help_text(demo_app)
        assert in_order(
            text,
            "This screen — Search",
            "Log call",
            "Export",
            "Everywhere",
            "Attention",
            "Undo",
            "Searching",
            "tier:gold city:oslo",
            "status:lapsed sort:-value",
        )
        # The search field's own editing keys are Textual's, not this screen's actions.
        keys = text[: text.index("Searching")]
        for noise in ("Delete", "word", "Paste", "Cut", "Copy", "Cursor", "Scroll", "Down"):
            assert noise not in keys
        here = [line.description for line in demo_app.screen.here]
        assert here[:2] == ["Results", "Open"] and "Clear" in here
        assert len(here) == len(set(here))
        everywhere = {line.description: line.keys for line in demo_app.screen.everywhere}
        assert everywhere["Help"] == "f1 ?"
        assert everywhere["Quit"] == "^q" and "^p" in everywhere.values()


def test_every_query_in_the_help_parses_and_every_qualifier_is_named():
    for query, _meaning in QUERY_HELP.qualifiers + QUERY_HELP.examples:
        parse(query)  # raises QueryError on anything the parser does not take
    assert 6 <= len(QUERY_HELP.examples) <= 8
    text = " ".join(q + " " + m for q, m in QUERY_HELP.qualifiers) + " " + QUERY_HELP.notes
    names = [*TEXT_QUALIFIERS, *CHOICE_QUALIFIERS, *ID_QUALIFIERS, "sort"]
    assert [name for name in names if f"{name}:" not in text] == []
    assert [key for key in MONEY_KEYS if key not in text] == []
    lines = {q.split(":")[0]: m for q, m in QUERY_HELP.qualifiers}
    for name in ("tier", "gender", "status", "due"):
        assert all(value in lines[name] for value in CHOICE_QUALIFIERS[name]), name


async def test_f1_on_a_profile_overlays_it_and_lists_its_actions_first(demo_app):
    async with demo_app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*"robert smith", "enter")
        await settle(pilot)
        profile = demo_app.screen
        assert isinstance(profile, ProfileScreen)
        sizes = (profile.size, profile.query_one("#profile-body").size)
        await pilot.press("f1")
        await settle(pilot)
        assert isinstance(demo_app.screen, HelpScreen)
        assert demo_app.screen_stack[-2] is profile
        assert (profile.size, profile.query_one("#profile-body").size) == sizes
        assert profile.size.width == 80  # Textual's key panel took 30 columns of it
        text = help_text(demo_app)
        assert "This screen — Profile: Robert Smith" in text
        assert in_order(text, "Edit", "Log call", "Purchase", "Lost", "Everywhere", "Insights")
        here = [line.description for line in demo_app.screen.here]
        assert here[:3] == ["Back", "Edit", "Log call"]


async def test_escape_f1_and_question_mark_close_it_and_the_focus_comes_back(demo_app):
    async with demo_app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*"smith")
        await settle(pilot)
        await pilot.press("down")
        await settle(pilot)
        assert isinstance(demo_app.focused, ResultsList)
        for close in ("escape", "f1", "question_mark"):
            await pilot.press("question_mark")  # on the results, ? is help
            await settle(pilot)
            assert isinstance(demo_app.screen, HelpScreen)
            help_screen = demo_app.screen
            # Over the results, their actions apply; moving into them does not.
            enabled = {line.description: line.enabled for line in help_screen.here}
            assert enabled["Log call"] and enabled["Export"] and not enabled["Results"]
            await pilot.press(close)
            await settle(pilot)
            assert isinstance(demo_app.screen, SearchScreen), close
            assert isinstance(demo_app.focused, ResultsList), close
        assert demo_app.screen.query_one("#query", Input).value == "smith"


async def test_question_mark_in_the_search_field_types_a_question_mark(demo_app):
    async with demo_app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press(*"rob", "question_mark")
        await settle(pilot)
        assert isinstance(demo_app.screen, SearchScreen)
        assert not any(isinstance(s, HelpScreen) for s in demo_app.screen_stack)
        assert demo_app.screen.query_one("#query", Input).value == "rob?"


async def test_the_help_scrolls_to_the_query_language_at_80x24(demo_app):
    async with demo_app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("f1")
        await settle(pilot)
        body = demo_app.screen.query_one("#help-body")
        assert demo_app.focused is body and body.max_scroll_y > 0
        assert "scroll" in body.border_subtitle
        await pilot.press("pagedown")
        await pilot.pause()
        assert body.scroll_y > 0
        await pilot.press("end")
        await pilot.pause()
        assert body.scroll_y == body.max_scroll_y
        await pilot.press("home")
        await pilot.pause()
        assert body.scroll_y == 0


async def test_the_help_shows_remapped_keys(demo_file, ui_home, tmp_path):
    remapped = '[keys]\n"search.log" = "c"\n"help" = "f9"\n'
    with demo_app_with_config(demo_file, tmp_path, remapped) as app:
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            await pilot.press("f9")
            await settle(pilot)
            assert isinstance(app.screen, HelpScreen)
            here = {line.description: line.keys for line in app.screen.here}
            assert here["Log call"] == "c"
            everywhere = {line.description: line.keys for line in app.screen.everywhere}
            assert everywhere["Help"] == "f9 ?"
            await pilot.press("f9")  # the remapped key closes it too
            await settle(pilot)
            assert isinstance(app.screen, SearchScreen)


async def test_the_palettes_keys_command_opens_the_same_help(demo_app):
    from tests.ui.test_palette_and_help import _palette

    async with demo_app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*"robert smith", "enter")
        await settle(pilot)
        profile = demo_app.screen
        await _palette(pilot, "keys")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(demo_app.screen, HelpScreen)
        assert demo_app.screen_stack[-2] is profile
        assert "This screen — Profile: Robert Smith" in help_text(demo_app)
        assert not profile.query("HelpPanel")
