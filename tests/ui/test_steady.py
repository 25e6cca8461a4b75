"""The UI suite gives the same answer on every run: nothing in a frame depends on the moment
it is taken, and waiting for the app never fails because of the order threads finish in."""

from __future__ import annotations

import asyncio
import threading

from textual import work
from textual.screen import Screen
from textual.widgets import Input, Static, TextArea

from tests.ui.conftest import settle
from tui_crm.ui.screens.customer_form import CustomerFormScreen
from tui_crm.ui.screens.log import LogInteractionScreen
from tui_crm.ui.screens.purchase import AddPurchaseScreen


class _Busy(Screen):
    """A screen whose worker is still running when the screen is closed."""

    def __init__(self, release: threading.Event) -> None:
        super().__init__()
        self.release = release

    def compose(self):
        yield Static("busy")

    def on_mount(self) -> None:
        self.work()

    @work(thread=True, exit_on_error=False)
    def work(self) -> None:
        self.release.wait(10)


async def test_settle_waits_out_a_worker_cancelled_by_closing_its_screen(demo_app):
    release = threading.Event()
    try:
        async with demo_app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            await demo_app.push_screen(_Busy(release))
            await pilot.pause()
            waiting = asyncio.ensure_future(settle(pilot))
            await asyncio.sleep(0)  # settle is waiting for the worker
            demo_app.pop_screen()  # closing the screen cancels its worker
            await asyncio.wait_for(waiting, 10)  # finished, not WorkerCancelled
    finally:
        release.set()


async def _cursors(pilot, screen_type, count: int) -> list[bool]:
    """cursor_blink of each field the focus visits on `screen_type` (tab after tab)."""
    seen = []
    for _ in range(count):
        focused = pilot.app.focused
        assert isinstance(pilot.app.screen, screen_type)
        if isinstance(focused, (Input, TextArea)):
            seen.append(focused.cursor_blink)
        await pilot.press("tab")
    return seen


async def test_no_cursor_blinks_in_any_form_when_the_app_is_made_without_blinking(demo_app):
    assert demo_app.cursor_blink is False  # as the snapshot tests make it
    async with demo_app.run_test(size=(100, 40)) as pilot:
        await pilot.press(*"smith", "down", "ctrl+l")
        await settle(pilot)
        log = await _cursors(pilot, LogInteractionScreen, 4)
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("ctrl+b")
        await settle(pilot)
        purchase = await _cursors(pilot, AddPurchaseScreen, 4)
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("ctrl+n")
        await settle(pilot)
        form = await _cursors(pilot, CustomerFormScreen, 12)
    assert log and purchase and form
    assert not any(log + purchase + form), (log, purchase, form)
