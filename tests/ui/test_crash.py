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
