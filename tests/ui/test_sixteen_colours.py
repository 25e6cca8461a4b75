"""In 16 colours (the ANSI themes, which a 16-colour terminal gets unless the config says
otherwise): tiers, errors and warnings in colours of their own, every focus visible."""

from __future__ import annotations

import pytest
from rich.color import ColorSystem
from rich.style import Style
from textual.widgets import Input

from tests.ui.conftest import app_on, settle
from tui_crm.core import config
from tui_crm.ui.format import ANSI_COLOURS, THEME_COLOURS, colours

ANSI = "ansi-dark"


def drawn(app, region) -> list[list[tuple[str, Style | None]]]:
    """What the app draws in `region`: each line's segments, text and style."""
    update = app.screen._compositor.render_update(full=True, screen_stack=app._background_screens)
    lines = []
    for y, line in enumerate(update.strips):
        if region.y <= y < region.bottom:
            segments, x = [], 0
            for strip in line:
                for segment in strip:
                    if region.x <= x < region.right:
                        segments.append((segment.text, segment.style))
                    x += len(segment.text)
            lines.append(segments)
    return lines


def style_of(app, region, text: str) -> Style:
    """The style `text` is drawn in within `region` (the first place it is drawn)."""
    for line in drawn(app, region):
        for piece, style in line:
            if text in piece:
                return style
    raise AssertionError(f"{text!r} is not drawn there")


def colour_of(app, region, text: str) -> int | None:
    """Which of the terminal's colours `text` is drawn in within `region`: 0-15, or None for
    its default."""
    colour = style_of(app, region, text).color
    assert colour is None or colour.is_system_defined, colour
    return colour.number if colour else None


def number(style: str) -> int | None:
    """The terminal colour a style names (0-15)."""
    return Style.parse(style).color.number


def theme_colour(app, name: str) -> int | None:
    """A theme variable ($error, $warning) as the terminal colour it draws in."""
    return number(app.theme_variables[name].removeprefix("ansi_"))


async def test_gold_errors_and_warnings_have_colours_of_their_own(demo_app):
    async with demo_app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press(*"tier:gold")  # gold customers, drawn in Textual's own theme
        await settle(pilot)
        assert colours() == THEME_COLOURS
        rows = demo_app.screen.query_one("#results").region
        below_cursor = rows._replace(y=rows.y + 2, height=rows.height - 2)
        assert not style_of(demo_app, below_cursor, "gold").color.is_system_defined

        demo_app.theme = ANSI  # the rows shown are drawn again, in the terminal's colours
        await settle(pilot)
        assert colours() == ANSI_COLOURS
        error, warning = theme_colour(demo_app, "error"), theme_colour(demo_app, "warning")
        styles = {name: number(getattr(colours(), name)) for name in ("gold", "late", "soon")}
        assert styles["late"] == error and styles["soon"] == warning
        assert len({error, warning, styles["gold"]}) == 3
        assert colour_of(demo_app, below_cursor, "gold") == styles["gold"]

        await pilot.press(*" colour:red")  # a query's error, above them
        await settle(pilot)
        status = demo_app.screen.query_one("#query-status")
        assert colour_of(demo_app, status.region, "unknown qualifier") == error


def _focusable(app):
    """The widgets on screen that take the focus, with the part of the screen that shows it."""
    for widget in app.screen.focus_chain:
        parent = widget.parent
        # an insights section marks its focus on its title
        yield (
            widget,
            parent if parent is not None and parent.has_class("insights-section") else widget,
        )


async def _screens(pilot):
    """Screens and dialogs, in turn (their names yielded as each is shown)."""
    from tui_crm.ui.screens.interchange import ExportDialog
    from tui_crm.ui.screens.log import LogInteractionScreen

    app = pilot.app
    await settle(pilot)
    first = app.screen.rows[0]
    for mode in ("search", "attention", "referrals", "insights", "duplicates"):
        app.switch_mode(mode)
        await settle(pilot)
        yield mode
    app.switch_mode("search")
    await settle(pilot)
    for name, screen in (
        ("profile", lambda: app.open_profile(first.id)),
        ("customer form", app.action_new_customer),
        ("import", app.action_import_file),
        ("export", lambda: app.push_screen(ExportDialog("", app.today()))),
        ("log", lambda: app.push_screen(LogInteractionScreen(first.id, first.name))),
    ):
        screen()
        await settle(pilot)
        yield name
        app.pop_screen()
        await settle(pilot)


@pytest.mark.parametrize("theme", [ANSI, "ansi-light"])
async def test_every_focus_is_visible(demo_app, theme):
    async with demo_app.run_test(size=(80, 24)) as pilot:
        demo_app.theme = theme
        unseen = []
        async for name in _screens(pilot):
            for widget, shows in _focusable(demo_app):
                widget.focus()
                await settle(pilot)
                if isinstance(widget, Input):  # the moment its blinking cursor is off
                    widget._cursor_visible = False
                    await pilot.pause()
                focused = drawn(demo_app, shows.region)
                demo_app.screen.set_focus(None)
                await settle(pilot)
                if drawn(demo_app, shows.region) == focused:
                    unseen.append(f"{name}: {widget!r}")
        assert not unseen, "focus not visible on " + ", ".join(unseen)


async def test_the_import_reports_border_shows(empty_app, tmp_path):
    contacts = tmp_path / "contacts.csv"
    contacts.write_text("First Name,Last Name\nAda,Lovelace\n", encoding="utf-8")
    async with empty_app.run_test(size=(80, 24)) as pilot:
        empty_app.theme = ANSI
        await settle(pilot)
        empty_app.action_import_file()
        await settle(pilot)
        empty_app.screen.query_one("#import-path").value = str(contacts)
        empty_app.screen.action_run(True)
        await settle(pilot)
        report = empty_app.screen.query_one("#import-report")
        assert report.display
        border = colour_of(empty_app, report.region, "╭")
        # not the terminal's black, nor its default: on a dark terminal both would hide it
        assert border not in (None, number("black"))


async def test_an_open_select_at_the_foot_of_the_screen_stays_above_the_footer(demo_app):
    from textual.widgets import Select

    from tui_crm.ui.widgets.footer import KeysFooter

    async with demo_app.run_test(size=(80, 24)) as pilot:
        demo_app.theme = ANSI
        await settle(pilot)
        demo_app.action_new_customer()
        await settle(pilot)
        screen = demo_app.screen
        select = screen.query_one("#f-category", Select)
        footer = screen.query_one(KeysFooter)
        select.focus()
        await settle(pilot)
        body = screen.query_one("#form-body")  # the select on the last line above the footer
        body.scroll_to(y=body.scroll_y + select.region.bottom - footer.region.y, animate=False)
        await settle(pilot)
        assert select.region.bottom == footer.region.y
        await pilot.press("enter")
        await settle(pilot)
        assert select.expanded
        overlay = select.query_one("SelectOverlay")
        assert overlay.region.bottom <= select.region.y  # opened upwards
        assert not overlay.region.overlaps(footer.region)
        (keys,) = drawn(demo_app, footer.region)
        assert "".join(text for text, _ in keys).strip().endswith("▏^p palette")


@pytest.mark.parametrize(
    ("colour_system", "configured", "theme"),
    [
        (ColorSystem.STANDARD, "", ANSI),  # TERM=xterm, no COLORTERM
        (ColorSystem.EIGHT_BIT, "", "textual-dark"),
        (ColorSystem.TRUECOLOR, "", "textual-dark"),
        (ColorSystem.STANDARD, "nord", "nord"),  # the config wins
    ],
)
async def test_a_16_colour_terminal_gets_the_ansi_theme(
    demo_file, ui_home, monkeypatch, colour_system, configured, theme
):
    import shutil

    from tui_crm.db.database import close_database

    if configured:
        monkeypatch.setenv("TUI_CRM_THEME", configured)
        config.settings.cache_clear()
    copy = ui_home / "demo.db"
    shutil.copy(demo_file, copy)
    app = app_on(copy)
    app.fit_terminal = True
    app.console._color_system = colour_system
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            assert app.theme == theme
    finally:
        close_database()
