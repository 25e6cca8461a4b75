"""At 80×24: messages wrap instead of being cut, notes wrap in their row, footers hold whole keys."""

from __future__ import annotations

from tests.ui.conftest import settle


def screen_lines(app) -> list[str]:
    """The characters the app would draw now, line by line (every layer)."""
    update = app.screen._compositor.render_update(full=True, screen_stack=app._background_screens)
    return ["".join(segment.text for strip in line for segment in strip) for line in update.strips]


def joined(app) -> str:
    """The screen's lines joined with single spaces: text wrapped over lines reads whole."""
    return " ".join(" ".join(line.split()) for line in screen_lines(app))


async def test_a_long_query_error_wraps_and_keeps_its_position(demo_app):
    async with demo_app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press(*"tier:gold colour:red")
        await settle(pilot)
        status = demo_app.screen.query_one("#query-status")
        assert status.has_class("error")
        assert status.size.height > 1  # the message is longer than one line at 80 columns
        text = joined(demo_app)
        assert "unknown qualifier 'colour:'" in text
        assert "lifetime, sort) (at 11: colour:red)" in text
        # and the results stay below it, whole
        assert status.region.bottom <= demo_app.screen.query_one("#results").region.y
