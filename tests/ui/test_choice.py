"""A Choice (ui/widgets/choice.py) is a Select whose drop-down is made when first opened."""

from __future__ import annotations

from textual.app import App
from textual.widgets import Input, Select

from tui_crm.ui.widgets.choice import Choice, ChoiceCurrent

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
        assert "Lapsed" in str(status.query_one(ChoiceCurrent).render())
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
        assert "Small" in str(category.query_one(ChoiceCurrent).render())


async def test_the_value_and_its_arrow_are_one_widget_drawn_as_select_draws_them():
    # Select shows its value in four widgets (36 of the customer form's 152); a Choice in one,
    # with the same cells: the value (the prompt dimmed), then " ▼", or " ▲" while open.
    app = _Form()
    async with app.run_test(size=(40, 20)) as pilot:
        status = app.query_one("#status", Choice)
        current = status.query_one(ChoiceCurrent)
        assert list(current.children) == []
        line = current.render()
        assert line.plain == "Lapsed".ljust(current.content_size.width - 2) + " ▼"
        category = app.query_one("#category", Choice)
        prompt = category.query_one(ChoiceCurrent).render()
        assert prompt.plain.startswith("—") and prompt.spans  # the prompt is dimmed
        category.set_options([("[b]Key[/b] account", "key")])  # text from the book
        category.value = "key"
        await pilot.pause()
        assert category.query_one(ChoiceCurrent).render().plain.startswith("[b]Key[/b] account")
        status.focus()
        await pilot.press("enter")
        await pilot.pause()
        assert current.render().plain.endswith(" ▲")
        await pilot.press("escape")
        await pilot.pause()
        assert current.render().plain.endswith(" ▼")
