"""Command palette (jump to a customer, fixed commands), help and remapped keys."""

from __future__ import annotations

from textual.command import CommandPalette

from tests.ui.conftest import settle
from tui_crm.ui.screens.log import LogInteractionScreen
from tui_crm.ui.screens.profile import ProfileScreen
from tui_crm.ui.screens.search import SearchScreen


async def _palette(pilot, text: str) -> None:
    await pilot.press("ctrl+p")
    await pilot.pause()
    assert isinstance(pilot.app.screen, CommandPalette)
    await pilot.press(*text)
    for _ in range(10):  # the palette searches asynchronously
        await pilot.pause(0.1)


async def test_palette_jumps_to_a_customer_by_name(demo_app):
    async with demo_app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await _palette(pilot, "robert smith")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(demo_app.screen, ProfileScreen)
        assert demo_app.screen.profile.name == "Robert Smith"


async def test_palette_search_command_returns_home_from_a_profile(demo_app):
    async with demo_app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*"smith", "enter")
        await settle(pilot)
        assert isinstance(demo_app.screen, ProfileScreen)
        await _palette(pilot, "Search")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(demo_app.screen, SearchScreen)
        assert demo_app.focused.id == "query"


async def test_f1_shows_the_keys_of_the_current_screen(demo_app):
    from tests.ui.test_help import help_text
    from tui_crm.ui.screens.help import HelpScreen

    async with demo_app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("down")
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(demo_app.screen, HelpScreen)
        text = help_text(demo_app)
        assert "Log call" in text and "Purchase" in text
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(demo_app.screen, SearchScreen)


async def test_keys_can_be_remapped_from_the_config_file(demo_file, ui_home, tmp_path):
    from tests.ui.conftest import demo_app_with_config

    remapped = '[keys]\n"search.log" = "ctrl+g"\n'
    with demo_app_with_config(demo_file, tmp_path, remapped) as app:
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press(*"smith")
            await settle(pilot)
            await pilot.press("down", "ctrl+l")
            await pilot.pause()
            assert isinstance(app.screen, SearchScreen)  # ctrl+l no longer logs
            await pilot.press("ctrl+g")
            await pilot.pause()
            assert isinstance(app.screen, LogInteractionScreen)


def test_the_readme_names_every_binding_id_that_can_be_remapped():
    import importlib
    import pkgutil
    import re
    from pathlib import Path

    from textual.binding import Binding
    from textual.dom import DOMNode

    import tui_crm.ui.screens as screens
    from tui_crm.ui.app import CrmApp

    for module in pkgutil.iter_modules(screens.__path__):
        importlib.import_module(f"{screens.__name__}.{module.name}")
    classes: list[type] = [DOMNode]
    seen: set[type] = {CrmApp}
    while classes:  # every app, screen and widget class, ours kept below
        cls = classes.pop()
        if cls in seen:
            continue
        seen.add(cls)
        classes.extend(cls.__subclasses__())
    ids = {
        binding.id
        for cls in seen
        if cls.__module__.startswith("tui_crm") and issubclass(cls, DOMNode)
        for binding in cls.BINDINGS
        if isinstance(binding, Binding) and binding.id
    }
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"`([a-z-]+(?:\.[a-z-]+)?)`", readme))
    assert len(ids) > 40
    assert sorted(ids - documented) == []
