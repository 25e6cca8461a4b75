"""The footer of every screen: Textual's, showing only the keys that fit whole."""

from __future__ import annotations

import contextlib

from textual.app import ComposeResult
from textual.css.query import NoMatches
from textual.geometry import Size
from textual.widget import Widget
from textual.widgets import Footer
from textual.widgets._footer import FooterKey


class KeysFooter(Footer):
    """Keys in their order, as many as fit whole beside the palette's key; the rest are left
    out rather than cut mid-word ("d De▏" at 80 columns). The key back to Search and the help
    key stay whenever they fit: one is the way home from anywhere, the other lists every key
    the footer leaves out."""

    KEEP = frozenset({"go_search", "toggle_help"})  # actions shown before any other is

    _shown: tuple | None = None  # what the keys show now (see `_what_shows`)

    async def recompose(self) -> None:
        # Bindings are "updated" on every focus change and refresh_bindings(), mostly with the
        # same keys: building the keys again then costs some 30 ms a time for nothing.
        shown = self._what_shows()
        if shown is not None and shown == self._shown and self.children:
            return
        async with self.batch():  # drawn once, with only the keys that fit
            await super().recompose()
            self.fit_keys()
        self._forget_old_keys()

    def _forget_old_keys(self) -> None:
        """Each key watches the footer's `compact` (its data binding); Textual lets go of a
        removed key's watch only when `compact` changes, which it never does here. So every
        rebuild of a footer that stays (the search screen's) kept the keys it replaced alive,
        with everything they had drawn: some 25 keys a form opened and closed."""
        watchers = getattr(self, "__watchers", {}).get("compact")
        if watchers:
            watchers[:] = [(key, call) for key, call in watchers if not key._closing]

    def compose(self) -> ComposeResult:
        if not self._bindings_ready and self.is_attached:
            # The keys are built at once from the screen's keys as they are, not left empty
            # until the screen says its keys are ready and then built (a second round of
            # mounting, styling and drawing every key as each screen opens): then they are
            # built again only if what they show differs.
            with contextlib.suppress(NoMatches):  # a screen still mounting: wait for it
                self.screen.active_bindings  # noqa: B018 - can they be read yet?
                self._bindings_ready = True
        self._shown = self._what_shows()  # read at the moment the keys are built from it
        for widget in super().compose():
            if isinstance(widget, FooterKey):
                # Born with the `compact` it ends with: the footer's (bound to it), and for
                # the palette's key (not bound) its own default. Each key would otherwise
                # take the class of its default as it mounts, then lose it to the footer's
                # value, each change restyling the key: ~1 ms a key, twice, per footer.
                compact = True if widget.has_class("-command-palette") else self.compact
                widget.set_reactive(FooterKey.compact, compact)
                widget.set_class(compact, "-compact")
            yield widget

    def _what_shows(self) -> tuple | None:
        """Everything `Footer.compose` reads to build the keys, for the screen as it is now."""
        if not self._bindings_ready or not self.is_attached or self._pruning:
            return ()
        try:
            bindings = self.screen.active_bindings
        except NoMatches:  # a screen still mounting its widgets: build the keys when it is
            return None
        return (
            self.compact,
            self.show_command_palette,
            tuple(
                (
                    binding.key,
                    self.app.get_key_display(binding),
                    binding.description,
                    binding.action,
                    binding.group,
                    binding.show,
                    enabled,
                    tooltip,
                )
                for key, (_, binding, enabled, tooltip) in bindings.items()
                # Only what the keys show: focusing a field adds its own bindings, which
                # the footer does not show (all but the palette's key, shown apart).
                if binding.show or key == self.app.COMMAND_PALETTE_BINDING
            ),
        )

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
