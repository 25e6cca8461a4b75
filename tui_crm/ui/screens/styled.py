"""Screens styled again only when the app's CSS changed."""

from __future__ import annotations

import contextlib

from textual import events
from textual._context import active_app


class StyledAsNeeded:
    """Mixed into a screen, before `Screen`. Textual styles a whole screen again each time it
    resumes, in case the app's CSS (its theme) changed while it was away, and the first time a
    top-level screen is shown it re-reads and re-applies the CSS of the whole app first: for
    the customer form's 200 widgets one pass cost ~100 ms, for Needs attention's first showing
    more. Here a screen is styled again only when the app's CSS changed since it was last
    styled (Textual counts the changes): a theme picked while the screen was under another
    still reaches it when it is back."""

    _css_update_count: int

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Styled as it mounts, with the CSS as it is now. (Textual's -1: "never styled".)
        # Not the app's first screen, made as the app starts: Textual styles the app itself
        # only after that screen is built, unless the screen asks for the whole CSS first.
        # Without it, what the screen drew before the app was styled kept the colour it had
        # then: the empty book's hint, drawn at once, was text of the background's colour.
        with contextlib.suppress(LookupError):  # made before any app runs: Textual's way
            app = active_app.get()
            if app._mounted_event.is_set():
                self._css_update_count = app._css_update_count

    def _on_screen_resume(self, event: events.ScreenResume) -> None:
        now = self.app._css_update_count  # type: ignore[attr-defined]
        if self._css_update_count == now:
            event.refresh_styles = False  # Screen's own handler runs next and reads this
        self._css_update_count = now

    def _on_unmount(self) -> None:
        self.app.call_later(forget_closed_watchers, self.app)  # once all of it has closed


def forget_closed_watchers(obj: object) -> None:
    """Textual drops a closed widget's watch on `obj` (the app's title, theme …) only when
    that value next changes, which may be never: until then the watch keeps the widget, its
    screen and all they had drawn alive. Each customer form opened and closed left its header
    and text areas behind that way."""
    for watchers in getattr(obj, "__watchers", {}).values():
        watchers[:] = [(node, call) for node, call in watchers if not node._closing]
