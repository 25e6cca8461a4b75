"""The footer of every screen: Textual's, showing only the keys that fit whole."""

from __future__ import annotations

from textual.geometry import Size
from textual.widget import Widget
from textual.widgets import Footer


class KeysFooter(Footer):
    """Keys in their order, as many as fit whole beside the palette's key; the rest are left
    out rather than cut mid-word ("d De▏" at 80 columns). The key back to Search and the help
    key stay whenever they fit: one is the way home from anywhere, the other lists every key
    the footer leaves out."""

    KEEP = frozenset({"go_search", "toggle_help"})  # actions shown before any other is

    async def recompose(self) -> None:
        async with self.batch():  # drawn once, with only the keys that fit
            await super().recompose()
            self.fit_keys()

    def on_resize(self) -> None:
        self.fit_keys()

    def fit_keys(self) -> None:
        """Show the keys that fit whole in the footer's width, in order."""
        keys = [key for key in self.children if not key.has_class("-command-palette")]
        room = self.size.width - sum(
            self._width(key) for key in self.children if key.has_class("-command-palette")
        )
        kept = [key for key in keys if getattr(key, "action", None) in self.KEEP]
        if sum(map(self._width, kept)) <= room:
            room -= sum(map(self._width, kept))
        else:
            kept = []
        full = False
        for key in keys:
            if key in kept:
                key.display = True
                continue
            width = self._width(key)
            full = full or width > room
            key.display = not full
            if not full:
                room -= width

    def _width(self, widget: Widget) -> int:
        """The columns `widget` takes in the footer's row: content, padding, border, margin."""
        styles = widget.styles
        viewport = self.app.size
        content = widget.get_content_width(Size(self.size.width, 1), viewport)
        return content + styles.gutter.width + styles.margin.width
