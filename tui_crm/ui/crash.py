"""An unexpected error said in one line; its details kept in a private file, never shown raw
(a traceback quotes local variables: customer data)."""

from __future__ import annotations

import os
import traceback
from datetime import datetime

from tui_crm.core.display import printable
from tui_crm.paths import crash_reports_dir, ensure_private_dir


def keep_report(error: BaseException) -> str:
    """Write `error` with its traceback to a new private file in the crash-report folder; the
    words that say where ("details in …"), or how to see them when it cannot be written."""
    try:
        folder = crash_reports_dir()
        ensure_private_dir(folder)
        path = folder / f"{datetime.now():%Y-%m-%d_%H%M%S_%f}.txt"
        # A new file (O_EXCL): never one that is there already, nor a link's target.
        with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as out:
            out.write("".join(traceback.format_exception(error)))
    except OSError:
        return "set TUI_CRM_DEBUG=1 for details"
    return f"details in {path}"


def said(error: BaseException) -> str:
    """One line for an unexpected error, its details kept (`keep_report`)."""
    return f"internal error: {type(error).__name__}: {printable(error)} ({keep_report(error)})"
