"""The keyboard flow of issue 17: top-level screens are modes that keep their place, one key
means one thing (the README's key table is the single source), and a name typed on any list
searches for it and fires nothing."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from datetime import timedelta
from pathlib import Path

import pytest
from textual.binding import Binding
from textual.screen import Screen

import tui_crm.ui.screens
from tests.ui.conftest import TODAY, settle
from tui_crm.db.models import AttentionMark, Customer, Interaction, Purchase
from tui_crm.ui.app import CrmApp
from tui_crm.ui.keys import TypeToSearch
from tui_crm.ui.screens.attention import AttentionScreen
from tui_crm.ui.screens.profile import ProfileScreen
from tui_crm.ui.screens.search import SearchScreen

README = Path(__file__).resolve().parents[2] / "README.md"
NAMES = {"question_mark": "?", "slash": "/"}


def _our_classes() -> list[type]:
    """Every class of the app that declares bindings of its own."""
    modules = [importlib.import_module("tui_crm.ui.app")]
    for info in pkgutil.iter_modules(tui_crm.ui.screens.__path__):
        modules.append(importlib.import_module(f"tui_crm.ui.screens.{info.name}"))
    found = []
    for module in modules:
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ == module.__name__ and "BINDINGS" in cls.__dict__:
                found.append(cls)
    return found


def _keys(cls: type) -> list[str]:
    keys = []
    for binding in cls.__dict__["BINDINGS"]:
        key = binding.key if isinstance(binding, Binding) else binding[0]
        keys += [NAMES.get(k, k) for k in key.split(",")]
    return keys


def _key_table() -> set[str]:
    """The keys named in the README's key table (its first column)."""
    text = README.read_text()
    table = text[text.index("**Keys.**") :]
    table = table[: table.index("\n\n", table.index("| key |"))]
    named = set()
    for line in table.splitlines()[2:]:
        if line.startswith("| ") and not line.startswith("| key") and not line.startswith("| ---"):
            named.update(re.findall(r"`([^`]+)`", line.split(" | ")[0]))
    return named


def test_every_binding_is_in_the_readme_key_table():
    named = _key_table()
    missing = sorted({f"{cls.__name__}: {key}" for cls in _our_classes() for key in _keys(cls)
                      if key not in named})  # fmt: skip
    assert not missing, f"keys bound but not in README's key table: {missing}"


def test_no_list_or_top_level_screen_binds_a_letter():
    """Letters typed on a list are a search; only screens where nothing is typed (a profile,
    a merge, a question) have letter commands."""
    lists = {"search.SearchScreen", "attention.AttentionScreen", "referrals.ReferralTreeScreen",
             "insights.InsightsScreen", "duplicates.DuplicatesScreen", "trash.TrashScreen",
             "app.CrmApp"}  # fmt: skip
    for cls in _our_classes():
        named = f"{cls.__module__.rsplit('.', 1)[-1]}.{cls.__name__}"
        if named in lists or issubclass(cls, TypeToSearch):
            letters = [k for k in _keys(cls) if len(k) == 1 and k.isalpha()]
            assert not letters, f"{cls.__name__} binds {letters}"


def _counts() -> tuple[int, ...]:
    return (
        Interaction.select().count(),
        Purchase.select().count(),
        AttentionMark.select().count(),
        Customer.select().where(Customer.deleted_at.is_null(False)).count(),
        Customer.select().where(Customer.status == "lost").count(),
    )


async def _typed_a_name(app: CrmApp, pilot, name: str = "paul camille") -> None:
    before = _counts()
    await pilot.press(*[("space" if c == " " else c) for c in name])
    await settle(pilot)
    assert isinstance(app.screen, SearchScreen), f"{name!r} left {app.screen}"
    assert app.screen.query_one("#query").value == name
    assert app.focused.id == "query"
    assert _counts() == before  # nothing but the search happened


@pytest.mark.parametrize("key", ["f2", "f3", "f4", "f5", "f6"])
async def test_a_name_typed_on_any_top_level_screen_searches(demo_app, key):
    async with demo_app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press(key)
        await settle(pilot)
        assert not isinstance(demo_app.screen, SearchScreen)
        await _typed_a_name(demo_app, pilot)


async def test_a_name_typed_after_a_profile_closes_searches(demo_app):
    async with demo_app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("down", "enter")
        await settle(pilot)
        assert isinstance(demo_app.screen, ProfileScreen)
        await pilot.press("escape")
        await settle(pilot)
        assert demo_app.focused.id == "results"  # back on the list …
        await _typed_a_name(demo_app, pilot, "kari hansen")  # … and typing searches


async def test_a_name_typed_on_the_results_carries_on_the_query_until_a_profile_was_open(
    demo_app,
):
    async with demo_app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press(*"smit", "down")  # a look down the list, then more of the query
        await settle(pilot)
        await pilot.press("h")  # (space there would mark a customer)
        await settle(pilot)
        assert demo_app.screen.query_one("#query").value == "smith"
        assert demo_app.focused.id == "query" and not demo_app.screen.marked
        await pilot.press("space", *"rob")  # in the field again: a space, no mark
        await settle(pilot)
        assert demo_app.screen.query_one("#query").value == "smith rob"
        assert not demo_app.screen.marked
        await pilot.press("down", "enter")  # Rob Smith's profile, and back: the next lookup
        await settle(pilot)
        assert isinstance(demo_app.screen, ProfileScreen)
        await pilot.press("escape")
        await settle(pilot)
        assert demo_app.focused.id == "results"
        await _typed_a_name(demo_app, pilot, "robert")  # not "smith robrobert"
        await pilot.press("enter")  # the first, opened from the field, and back to the field
        await settle(pilot)
        assert isinstance(demo_app.screen, ProfileScreen)
        await pilot.press("escape")
        await settle(pilot)
        await _typed_a_name(demo_app, pilot, "paul")  # typed over the query


async def test_escape_on_the_results_goes_to_the_field_and_escape_there_clears_it(demo_app):
    async with demo_app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press(*"tier:", "down", "down", "escape")
        await settle(pilot)
        field = demo_app.screen.query_one("#query")
        assert demo_app.focused is field and field.has_focus and field.value == "tier:"
        await pilot.press("escape")
        await settle(pilot)
        assert field.value == ""


async def test_modes_keep_their_place_and_ctrl_f_goes_home_to_search(demo_app):
    async with demo_app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("f2")
        await settle(pilot)
        queue = demo_app.screen
        assert isinstance(queue, AttentionScreen)
        await pilot.press("down", "down", "enter")  # a profile over the queue
        await settle(pilot)
        profile = demo_app.screen
        assert isinstance(profile, ProfileScreen)
        await pilot.press("f4", "f2")  # insights, and back: the profile is still there
        await settle(pilot)
        assert demo_app.screen is profile
        await pilot.press("f2")  # the mode's own key again: its home
        await settle(pilot)
        assert demo_app.screen is queue
        await pilot.press("escape")  # at home, Escape stays
        await settle(pilot)
        assert demo_app.screen is queue
        await pilot.press("f3", "f4", "f5", "f6")  # no pile: one screen per mode
        await settle(pilot)
        assert len(demo_app.screen_stack) == 1
        await pilot.press("ctrl+f")
        await settle(pilot)
        assert isinstance(demo_app.screen, SearchScreen)
        assert isinstance(demo_app.screen, Screen) and demo_app.focused.id == "query"


def _offered(app) -> set[str]:
    """The descriptions of the keys the footer offers now."""
    return {b.binding.description for b in app.screen.active_bindings.values() if b.enabled}


async def test_footers_offer_only_what_applies_now(demo_app):
    async with demo_app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert {"Log call", "Edit"} <= _offered(demo_app)
        await pilot.press(*"tier:gold colour:red")  # an error: no rows to act on
        await settle(pilot)
        assert not {"Log call", "Edit", "Purchase"} & _offered(demo_app)
        await pilot.press("f2")  # the queue at its home: nothing to go back to
        await settle(pilot)
        assert "Back" not in _offered(demo_app) and "Log call" in _offered(demo_app)
        await pilot.press("enter")
        await settle(pilot)
        assert "Back" in _offered(demo_app)  # a profile over the queue
        await pilot.press("f4")  # insights at its home
        await settle(pilot)
        assert "Back" not in _offered(demo_app)
        customer = Customer.get(Customer.status == "lost")
        demo_app.open_profile(customer.id)
        await settle(pilot)
        assert "Lost" not in _offered(demo_app)  # lost already


async def test_ctrl_f_never_closes_unsaved_work(demo_app):
    async with demo_app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press(*"smith", "ctrl+l")  # the log dialog, a note typed
        await settle(pilot)
        dialog = demo_app.screen
        await pilot.press(*"wants a quote", "ctrl+f")
        await settle(pilot)
        assert demo_app.screen is dialog and "Search" not in _offered(demo_app)
        assert dialog.query_one("#log-notes").text == "wants a quote"
        await pilot.press("escape", "y")  # discard it, after the question
        await settle(pilot)
        await pilot.press("ctrl+n", *"Ann")  # the new-customer form
        await settle(pilot)
        form = demo_app.screen
        assert "Search" not in _offered(demo_app)
        await pilot.press("ctrl+f")
        await settle(pilot)
        assert demo_app.screen is form
        await pilot.press("f1", "ctrl+f", "escape")  # not from the help over it either
        await settle(pilot)
        assert demo_app.screen is form


async def test_coming_back_to_a_list_reads_it_again_only_when_the_book_changed(
    demo_app, monkeypatch
):
    """f2, f3, f2 with nothing written meanwhile shows the queue as it was, without reading
    the book again; once someone wrote (here another connection, as another program would),
    coming back shows the change. (The first visit of each screen keeps its day's figures in
    the book, which is a write; from then on, visits write nothing.)"""
    import tui_crm.ui.screens.attention as attention_screen
    from tui_crm.core.attention import snooze

    reads: list[int] = []
    real = attention_screen.attention_page
    monkeypatch.setattr(
        attention_screen,
        "attention_page",
        lambda *args, **kwargs: reads.append(1) or real(*args, **kwargs),
    )
    async with demo_app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        for key in ("f3", "f4", "f2"):
            await pilot.press(key)
            await settle(pilot)
        assert len(reads) == 1
        first = demo_app.screen.items[0]
        for key in ("f3", "f2", "f4", "f2"):
            await pilot.press(key)
            await settle(pilot)
        assert len(reads) == 1
        assert demo_app.screen.items[0] == first

        snooze(
            demo_app.db,
            first.customer_id,
            [r.code for r in first.reasons],
            TODAY + timedelta(days=7),
            seen=first.seen,
            as_of=TODAY,
        )
        await pilot.press("f3")
        await settle(pilot)
        await pilot.press("f2")
        await settle(pilot)
        assert len(reads) == 2
        assert first.customer_id not in [item.customer_id for item in demo_app.screen.items]
