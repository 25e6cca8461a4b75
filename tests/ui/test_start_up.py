"""The first frame waits for nothing it does not show (issue 18): starting the app and running
its first search load neither the phone metadata, nor the queue's rules, the backups, the
undo journal or import and export; each loads when it is first used, in a worker."""

from __future__ import annotations

import subprocess
import sys

LATER = (
    "phonenumbers",  # formatting and checking phones: once there are rows, or a phone typed
    "tui_crm.core.attention",  # status:, reason: and the Needs attention screen
    "tui_crm.core.referrals",
    "tui_crm.core.backups",  # the daily backup, in a worker after the first frame
    "tui_crm.core.undo",  # the undo journal, likewise
    "tui_crm.core.interchange",  # import and export
    "vobject",
)


def test_starting_the_app_and_parsing_a_query_load_only_what_the_first_frame_needs():
    code = (
        "import sys\n"
        "import tui_crm.cli, tui_crm.ui.app, tui_crm.db.database\n"
        "from tui_crm.core.search import search\n"
        "from tui_crm.core.query import parse\n"
        "parse('rob city:oslo tier:gold sort:-value')\n"
        "print('\\n'.join(sys.modules))\n"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    assert "textual.app" in loaded and "tui_crm.core.search" in loaded  # it did run
    early = [m for m in loaded for later in LATER if m == later or m.startswith(later + ".")]
    assert early == []
