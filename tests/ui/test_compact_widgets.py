"""Form widgets made compact by `ui/widgets/compact.py` look as Textual's `compact=True` makes
them (one line, no border), and are styled once, as they mount."""

from __future__ import annotations

from textual.app import App
from textual.widgets import Button, Checkbox, Input, Select

from tui_crm.ui.widgets.compact import compact


class Both(App):
    def compose(self):
        yield Input(placeholder="theirs", compact=True, id="theirs")
        yield compact(Input(placeholder="ours", id="ours"))
        yield Select([("a", "a")], value="a", allow_blank=False, compact=True, id="s-theirs")
        yield compact(Select([("a", "a")], value="a", allow_blank=False, id="s-ours"))
        yield compact(Button("Go", id="b-ours"))
        yield compact(Checkbox("Yes", id="c-ours"))


async def test_compact_widgets_match_textuals_compact_style(monkeypatch):
    styled = []
    real = Input.update_node_styles

    def counting(self, *args, **kwargs):
        styled.append(self)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Input, "update_node_styles", counting)
    compact(Input(placeholder="x"))
    assert styled == []  # not styled before it is mounted (compact=True styles it there)
    Input(placeholder="y", compact=True)
    assert styled  # (so the count above can tell)
    monkeypatch.undo()

    async with Both().run_test(size=(60, 12)) as pilot:
        app = pilot.app
        for ours, theirs in (("#ours", "#theirs"), ("#s-ours", "#s-theirs")):
            a, b = app.query_one(ours), app.query_one(theirs)
            assert a.compact and a.has_class("-textual-compact")
            assert a.size.height == b.size.height == 1
            assert a.styles.border == b.styles.border
        assert app.query_one("#b-ours", Button).size.height == 1
        assert app.query_one("#c-ours", Checkbox).compact
