"""Snapshot tests: what a person sees, at fixed sizes, clock and data."""

from __future__ import annotations

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
