"""A Choice (ui/widgets/choice.py) is a Select whose drop-down is made when first opened."""

from __future__ import annotations

from textual.app import App
from textual.widgets import Input, Select

from tui_crm.ui.widgets.choice import Choice

STATUSES = [("Active", "active"), ("Lapsed", "lapsed"), ("Lost", "lost")]


class _Form(App):
    def __init__(self) -> None:
        super().__init__()
        self.changes: list[object] = []

    def compose(self):
        yield Choice(STATUSES, value="lapsed", allow_blank=False, id="status")
        yield Choice([], prompt="—", id="category")
        yield Input(id="after")

    def on_select_changed(self, event: Select.Changed) -> None:
        self.changes.append(event.value)


async def test_the_drop_down_is_made_when_first_opened_and_picks_as_a_select_does():
    app = _Form()
    async with app.run_test(size=(40, 20)) as pilot:
        status = app.query_one("#status", Choice)
        assert not status.query("SelectOverlay")  # shown with its value, no list yet
        assert "Lapsed" in str(status.query_one("#label").render())
        status.focus()
        await pilot.press("enter")
        await pilot.pause()
        assert status.expanded
        (overlay,) = status.query("SelectOverlay")
        assert overlay.has_focus and overlay.highlighted == 1  # on the value it has
        await pilot.press("down", "enter")
        await pilot.pause()
        assert status.value == "lost" and not status.expanded and status.has_focus
        assert app.changes[-1] == "lost"
        await pilot.press("enter", "up", "up", "enter")  # again, with the same list
        await pilot.pause()
        assert status.value == "active" and len(status.query("SelectOverlay")) == 1


async def test_options_given_before_it_is_opened_are_the_ones_it_offers():
    app = _Form()
    async with app.run_test(size=(40, 20)) as pilot:
        category = app.query_one("#category", Choice)
        assert category.value == Select.NULL
        category.set_options([("Key account", "Key account"), ("Small", "Small")])
        category.focus()
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("down", "down", "enter")  # the prompt, then the two options
        await pilot.pause()
        assert category.value == "Small"
        assert "Small" in str(category.query_one("#label").render())
