"""Snapshot tests: what a person sees, at fixed sizes, clock and data."""

from __future__ import annotations

import pytest

from tests.ui.conftest import settle


async def _wait(pilot) -> None:
    await settle(pilot)


def test_search_screen_at_80x24(demo_app, snap_compare):
    assert snap_compare(demo_app, terminal_size=(80, 24), run_before=_wait)


def test_search_results_at_120x30(demo_app, snap_compare):
    async def type_query(pilot):
        await pilot.press(*"tier:gold sort:-value")
        await settle(pilot)

    assert snap_compare(demo_app, terminal_size=(120, 30), run_before=type_query)


def test_profile_at_80x24(demo_app, snap_compare):
    async def open_profile(pilot):
        await pilot.press(*"robert smith")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)

    assert snap_compare(demo_app, terminal_size=(80, 24), run_before=open_profile)


def test_empty_book(empty_app, snap_compare):
    assert snap_compare(empty_app, terminal_size=(80, 24), run_before=_wait)


def _keys(*keys: str):
    async def run(pilot):
        await settle(pilot)
        for key in keys:
            await pilot.press(key)
            await settle(pilot)

    return run


def test_search_with_the_ansi_theme_in_16_colours(demo_app, snap_compare, monkeypatch):
    from tui_crm.core import config

    monkeypatch.setenv("TUI_CRM_THEME", "ansi-dark")
    config.settings.cache_clear()
    assert snap_compare(demo_app, terminal_size=(80, 24), run_before=_keys(*"smith", "down"))


def test_profile_at_200x60(demo_app, snap_compare):
    keys = _keys(*"robert smith", "enter")
    assert snap_compare(demo_app, terminal_size=(200, 60), run_before=keys)


def test_log_dialog(demo_app, snap_compare):
    keys = _keys(*"robert smith", "ctrl+l", *"Wants a quote", "tab", "tab", *"+2w")
    assert snap_compare(demo_app, terminal_size=(80, 24), run_before=keys)


def test_purchase_dialog_with_an_error(demo_app, snap_compare):
    keys = _keys(*"robert smith", "ctrl+b", *"lots", "ctrl+s")
    assert snap_compare(demo_app, terminal_size=(80, 24), run_before=keys)


def test_customer_form(demo_app, snap_compare):
    keys = _keys(*"robert smith", "enter", "e")
    assert snap_compare(demo_app, terminal_size=(100, 40), run_before=keys)


def test_duplicate_warning(demo_app, snap_compare):
    keys = _keys("ctrl+n", *"Rob", "tab", *"Smith", "ctrl+s")
    assert snap_compare(demo_app, terminal_size=(80, 24), run_before=keys)


def test_sort_dialog(demo_app, snap_compare):
    keys = _keys("down", "f7")
    assert snap_compare(demo_app, terminal_size=(80, 24), run_before=keys)


def test_mark_lost_dialog(demo_app, snap_compare):
    keys = _keys(*"robert smith", "enter", "x")
    assert snap_compare(demo_app, terminal_size=(80, 24), run_before=keys)


def test_needs_attention_at_100x30(demo_app, snap_compare):
    assert snap_compare(demo_app, terminal_size=(100, 30), run_before=_keys("f2", "down"))


def test_needs_attention_at_80x24_with_the_snooze_dialog(demo_app, snap_compare):
    assert snap_compare(demo_app, terminal_size=(80, 24), run_before=_keys("f2", "ctrl+t"))


def test_plan_dialog(demo_app, snap_compare):
    assert snap_compare(demo_app, terminal_size=(110, 30), run_before=_keys("f2", "f7"))


def test_referral_tree_at_100x30(demo_app, snap_compare):
    keys = _keys("f3", "down", "space", "down")
    assert snap_compare(demo_app, terminal_size=(100, 30), run_before=keys)


def test_referral_tree_centred_on_a_customer_at_80x24(demo_app, snap_compare):
    keys = _keys(*"robert smith", "enter", "r")
    assert snap_compare(demo_app, terminal_size=(80, 24), run_before=keys)


def test_duplicates_at_80x24(demo_app, snap_compare):
    assert snap_compare(demo_app, terminal_size=(80, 24), run_before=_keys("f5"))


def test_merge_chooser_at_100x30(demo_app, snap_compare):
    keys = _keys("f5", "enter", "down", "right")
    assert snap_compare(demo_app, terminal_size=(100, 30), run_before=keys)


def test_import_screen_after_a_check_at_100x30(empty_app, snap_compare, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "contacts.csv").write_text(
        "First Name,Last Name,E-mail Address,Mobile Phone,Company\n"
        "Ada,Lovelace,ada@example.com,+47 91234567,Engines Ltd\n"
        "Bob,Builder,not-an-email,,Builders\n"
        "Cara,Smith,cara@example.com,+47 92345678,\n",
        encoding="utf-8",
    )
    keys = _keys("ctrl+o", *"contacts.csv", "enter")
    assert snap_compare(empty_app, terminal_size=(100, 30), run_before=keys)


def test_export_dialog_at_80x24(demo_app, snap_compare):
    keys = _keys(*"tag:vip", "down", "f8")
    assert snap_compare(demo_app, terminal_size=(80, 24), run_before=keys)


def test_marked_customers_and_their_action_at_80x24(demo_app, snap_compare):
    """Three customers marked (● before their names, counted above the list); f9 and ctrl+s:
    the dialog asks, saying the action and the count."""
    keys = _keys(*"city:oslo", "down", "space", "space", "space", "f9", *"+fair", "ctrl+s")
    assert snap_compare(demo_app, terminal_size=(80, 24), run_before=keys)


def test_help_over_search_at_80x24(demo_app, snap_compare):
    """f1 on Search: an overlay with its actions first, the search screen unsqueezed behind."""
    assert snap_compare(demo_app, terminal_size=(80, 24), run_before=_keys("f1"))


# 80×24 in 16 colours: the ANSI theme, which a 16-colour terminal (TERM=xterm, no COLORTERM)
# gets. The screens are reached through the app, not their keys, so these stay as keys move.
ANSI_THEME = "ansi-dark"


def _in_16_colours(*keys: str, then=None):
    """Press `keys` in the ANSI theme, then do `then(app)`."""

    async def run(pilot):
        await settle(pilot)
        pilot.app.theme = ANSI_THEME
        await _keys(*keys)(pilot)
        if then is not None:
            then(pilot.app)
            await settle(pilot)

    return run


@pytest.mark.parametrize(
    "mode", ["search", "attention", "referrals", "insights", "duplicates", "trash", "agenda"]
)
def test_each_screen_at_80x24_in_16_colours(demo_app, snap_compare, mode):
    def show(app):
        app.switch_mode(mode)
        if mode == "search":  # gold and silver customers; follow-ups late, today and to come
            app.screen.query_one("#query").value = "tier:gold"

    assert snap_compare(demo_app, terminal_size=(80, 24), run_before=_in_16_colours(then=show))


def test_profile_at_80x24_in_16_colours(demo_app, snap_compare):
    def focus_the_interactions(app):
        app.screen.query_one("#profile-timeline").focus()

    run = _in_16_colours(*"robert smith", "enter", then=focus_the_interactions)
    assert snap_compare(demo_app, terminal_size=(80, 24), run_before=run)


def test_query_error_at_80x24_in_16_colours(demo_app, snap_compare):
    run = _in_16_colours(*"tier:gold colour:red")  # the error wraps, its position kept
    assert snap_compare(demo_app, terminal_size=(80, 24), run_before=run)
