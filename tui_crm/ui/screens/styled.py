"""Screens that are not styled twice when they first show."""

from __future__ import annotations

from textual import events


class StyledOnce:
    """Mixed into a screen, before `Screen`: its first showing does not style every widget a
    second time. Textual styles a whole screen again each time it resumes (for a theme changed
    while it was under another), and the first resume comes right after mounting styled each
    widget: for the customer form's 200 widgets that repeat cost some 100 ms for nothing.
    Later resumes are styled as Textual does."""

    _styled_at_mount = True

    def _on_screen_resume(self, event: events.ScreenResume) -> None:
        if self._styled_at_mount:
            self._styled_at_mount = False
            event.refresh_styles = False  # Screen's own handler runs next and reads this
