"""The footer of every screen: the keys that apply now, drawn as one line by one widget."""

from __future__ import annotations

from dataclasses import dataclass

from rich.cells import cell_len
from rich.style import Style
from rich.text import Text
from textual import events
from textual.css.query import NoMatches
from textual.screen import Screen
from textual.widget import Widget


@dataclass(frozen=True)
class FooterKey:
    """One key as the footer shows it."""

    key: str  # what pressing it simulates
    shown_as: str  # as the app displays it ("^s", "f1")
    description: str
    action: str
    enabled: bool
    tooltip: str

    def parts(self, *, palette: bool = False) -> list[tuple[str, bool]]:
        """The key as drawn, in (text, is the key itself) parts: " ^s " "Save ", or for the
        palette's key, drawn compact as Textual draws it, "^p" " palette "."""
        if palette:
            return [(self.shown_as, True), (f" {self.description} ", False)]
        if self.description:
            return [(f" {self.shown_as} ", True), (f"{self.description} ", False)]
        return [(self.shown_as, True)]

    @property
    def text(self) -> str:
        """The key as drawn: " ^s Save " (the palette's key is drawn apart)."""
        return "".join(text for text, _ in self.parts())


class KeysFooter(Widget, can_focus=False):
    """Keys in their order, as many as fit whole beside the palette's key; the rest are left
    out rather than cut mid-word ("d De▏" at 80 columns). The key back to Search and the help
    key stay whenever they fit: one is the way home from anywhere, the other lists every key
    the footer leaves out.

    One widget drawing one line, where Textual's footer is a container of a widget a key:
    each of those was mounted, styled, laid out and drawn on its own (some 15 a screen, a
    fifth of the time some screens took to open), and built again whenever the keys changed.
    It looks as Textual's does, in the theme's footer colours."""

    ALLOW_SELECT = False
    KEEP = frozenset({"go_search", "toggle_help"})  # actions shown before any other is
    COMPONENT_CLASSES = {
        "footer-key--key",
        "footer-key--description",
        "footer-key--edge",
        "footer-key--hover",
    }
    DEFAULT_CSS = """
    KeysFooter {
        dock: bottom;
        height: 1;
        color: $footer-foreground;
        background: $footer-background;
        .footer-key--key {
            color: $footer-key-foreground;
            background: $footer-key-background;
            text-style: bold;
        }
        .footer-key--description {
            color: $footer-description-foreground;
            background: $footer-description-background;
        }
        .footer-key--edge {
            color: $foreground 20%;
        }
        .footer-key--hover {
            color: $footer-key-foreground;
            background: $block-hover-background;
        }
    }
    """

    def __init__(self, *, show_command_palette: bool = True, id: str | None = None) -> None:
        super().__init__(id=id)
        self.show_command_palette = show_command_palette
        self.keys: tuple[FooterKey, ...] = ()  # in order, shown or not
        self.palette: FooterKey | None = None
        self._hover: FooterKey | None = None
        self._spans: list[tuple[int, int, FooterKey]] = []  # where each key shown was drawn

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)
        self.read_keys()

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, screen: Screen) -> None:
        # As Textual's footer: the keys are not changed while the app is not focused (then
        # nothing has the focus, and the keys would flicker to the screen's own and back).
        if screen.app.app_focus and self.is_attached and screen is self.screen:
            self.read_keys()

    def read_keys(self) -> None:
        """The screen's keys as they are now; drawn again only if they differ."""
        try:
            bindings = self.screen.active_bindings
        except NoMatches:  # a screen still mounting its widgets: it says when its keys are ready
            return
        keys, palette = [], None
        actions: set[str] = set()
        for key, (_, binding, enabled, tooltip) in bindings.items():
            is_palette = key == self.app.COMMAND_PALETTE_BINDING
            if is_palette:
                if not (self.show_command_palette and self.app.ENABLE_COMMAND_PALETTE):
                    continue
            elif not binding.show or binding.action in actions:  # one key an action
                continue
            shown = FooterKey(
                binding.key,
                self.app.get_key_display(binding),
                binding.description,
                binding.action,
                enabled,
                tooltip or binding.tooltip,
            )
            if is_palette:
                palette = shown
            else:
                actions.add(binding.action)
                keys.append(shown)
        if (tuple(keys), palette) != (self.keys, self.palette):
            self.keys, self.palette = tuple(keys), palette
            self.refresh()

    def shown(self, width: int | None = None) -> list[FooterKey]:
        """The keys that fit whole at `width` (the footer's own by default), in order."""
        room = (self.size.width if width is None else width) - self._palette_width()
        kept = [key for key in self.keys if key.action in self.KEEP]
        kept_width = sum(cell_len(key.text) for key in kept)
        if kept_width <= room:
            room -= kept_width
        else:
            kept = []
        out, full = [], False
        for key in self.keys:
            if key in kept:
                out.append(key)
                continue
            width = cell_len(key.text)
            full = full or width > room
            if not full:
                out.append(key)
                room -= width
        return out

    def _palette_width(self) -> int:
        if self.palette is None:
            return 0
        return 1 + sum(cell_len(text) for text, _ in self.palette.parts(palette=True))  # "▏" first

    def render(self) -> Text:
        key_style = self.get_component_rich_style("footer-key--key")
        description_style = self.get_component_rich_style("footer-key--description")
        hover_style = self.get_component_rich_style("footer-key--hover", partial=True)
        line = Text(no_wrap=True, overflow="crop", end="")
        self._spans = []
        for key in self.shown():
            self._spans.append((line.cell_len, line.cell_len + cell_len(key.text), key))
            self._append(line, key, key_style, description_style, hover_style, palette=False)
        if self.palette is not None:
            gap = self.size.width - line.cell_len - self._palette_width()
            line.append(" " * max(gap, 0))
            line.append("▏", self.get_component_rich_style("footer-key--edge"))
            start = line.cell_len
            self._append(line, self.palette, key_style, description_style, hover_style, True)
            self._spans.append((start, line.cell_len, self.palette))
        return line

    def _append(
        self,
        line: Text,
        key: FooterKey,
        key_style: Style,
        description_style: Style,
        hover_style: Style,
        palette: bool,
    ) -> None:
        extra = Style(dim=True) if not key.enabled else Style()
        if key is self._hover:
            extra += hover_style
        for text, is_key in key.parts(palette=palette):
            line.append(text, (key_style if is_key else description_style) + extra)

    def _key_at(self, x: int) -> FooterKey | None:
        return next((key for start, end, key in self._spans if start <= x < end), None)

    def on_mouse_move(self, event: events.MouseMove) -> None:
        key = self._key_at(event.x)
        if key is not self._hover:
            self._hover = key
            self.tooltip = key.tooltip or None if key else None
            self.refresh()

    def on_leave(self) -> None:
        if self._hover is not None:
            self._hover = None
            self.refresh()

    def on_mouse_down(self, event: events.MouseDown) -> None:
        key = self._key_at(event.x)
        if key is None:
            return
        if key.enabled:
            self.app.simulate_key(key.key)
        else:
            self.app.bell()
