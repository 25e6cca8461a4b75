"""A screen is arranged once when it is filled (ui/arrange.py), and what follows its size still
follows it."""

from __future__ import annotations

from textual._compositor import Compositor
from textual.widget import Widget
from textual.widgets import Input, Static

from tests.ui.conftest import settle
from tui_crm.ui.screens.customer_form import CustomerFormScreen
from tui_crm.ui.screens.insights import InsightsScreen


async def test_the_filled_form_is_arranged_once(demo_app, monkeypatch):
    """Once the filled form is arranged, none of its 200 widgets asks for another arrangement
    (which draws them all again): Textual has each one it sized ask."""
    arranged: list[CustomerFormScreen] = []
    asked: list[Widget] = []
    reflow, refresh = Compositor.reflow, Widget.refresh

    def counting_reflow(self, parent, size):
        if isinstance(parent, CustomerFormScreen) and parent.query_one("#form-body").display:
            arranged.append(parent)
        return reflow(self, parent, size)

    def counting_refresh(self, *regions, layout=False, **kwargs):
        if layout and arranged:
            asked.append(self)
        return refresh(self, *regions, layout=layout, **kwargs)

    monkeypatch.setattr(Compositor, "reflow", counting_reflow)
    monkeypatch.setattr(Widget, "refresh", counting_refresh)
    async with demo_app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+n")
        await settle(pilot)
        assert isinstance(demo_app.screen, CustomerFormScreen) and arranged
        assert asked == []
        await pilot.press("D", "a")  # and it works as a form
        assert demo_app.screen.query_one("#f-first-name", Input).value == "Da"


async def test_text_wraps_again_when_the_terminal_is_resized(demo_app):
    async with demo_app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("f4")
        await settle(pilot)
        assert isinstance(demo_app.screen, InsightsScreen)
        summary = demo_app.screen.query_one("#insights-summary", Static)
        assert summary.size.height == 2  # too long for one line at 80 columns
        await pilot.resize_terminal(160, 30)
        await settle(pilot)
        assert summary.size.height == 1
        await pilot.resize_terminal(80, 24)
        await settle(pilot)
        assert summary.size.height == 2
