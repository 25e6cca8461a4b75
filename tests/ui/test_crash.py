"""An unexpected error in the app ends it with one line and a private file of details."""

from __future__ import annotations

import stat

from tests.ui.conftest import TODAY
from tui_crm.db.database import close_database, open_database
from tui_crm.paths import crash_reports_dir
from tui_crm.ui.app import CrmApp


class BrokenApp(CrmApp):
    def on_ready(self) -> None:
        raise RuntimeError("boom \x1b]0;pwned\x07 [/]")


def test_an_unexpected_error_is_one_line_and_the_details_are_kept(ui_home, capsys):
    path = ui_home / "crm.db"
    app = BrokenApp(db=open_database(path), db_path=path, today=lambda: TODAY)
    try:
        app.run(headless=True, size=(80, 24))
    finally:
        close_database()
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("tui-crm: internal error: RuntimeError: boom ␛]0;pwned␇ [/]")
    assert "\x1b]" not in err and "Traceback" not in err
    assert app.return_code == 1
    (report,) = crash_reports_dir().iterdir()
    assert str(report) in lines[0]
    assert "Traceback" in report.read_text() and "on_ready" in report.read_text()
    assert stat.S_IMODE(report.stat().st_mode) == 0o600


async def test_a_fault_in_a_read_is_said_in_one_line_and_the_worker_still_fails(demo_app):
    """A fault of ours in a screen's read (not a refusal of the book) is said where a refusal
    would be, never leaving the screen waiting for ever; its details are kept; and the worker
    fails, so a test still sees it."""
    from concurrent.futures import Future

    from textual.worker import WorkerState

    from tui_crm.errors import CrmError
    from tui_crm.ui.background import in_background, when_read

    heard: list[CrmError | None] = []
    async with demo_app.run_test(size=(80, 24)) as pilot:
        screen = demo_app.screen
        reading: Future[int] = Future()
        read = when_read(screen, reading, lambda _, error: heard.append(error), group="read")
        reading.set_exception(RuntimeError("the read broke \x1b[2J"))

        def broken(db):
            raise KeyError("no such thing")

        job = in_background(screen, broken, lambda _: None, failed=heard.append)
        while not (read.is_finished and job.is_finished):
            await pilot.pause(0.01)
        await pilot.pause()
        assert read.state == job.state == WorkerState.ERROR
    said = sorted(str(error) for error in heard)
    assert len(said) == 2
    assert said[0].startswith("internal error: KeyError: 'no such thing' (details in ")
    assert said[1].startswith("internal error: RuntimeError: the read broke ␛[2J (details in ")
    reports = sorted(crash_reports_dir().iterdir())
    assert len(reports) == 2 and all(str(report) in " ".join(said) for report in reports)
    assert all(stat.S_IMODE(report.stat().st_mode) == 0o600 for report in reports)
