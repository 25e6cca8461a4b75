"""For command-line tests: `tui-crm` run as a user runs it, in a private home folder."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def cli_env(home: Path, **extra: str) -> dict[str, str]:
    """This environment without the machine's TUI_CRM_* settings, with a private home."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TUI_CRM_")}
    env.update(TUI_CRM_HOME=str(home), TUI_CRM_USER="tester", TUI_CRM_REGION="US", **extra)
    return env


def run_cli(home: Path, *args: str, stdin: str | None = None, **env: str):
    """`tui-crm ARGS` in a new process; its exit status, stdout and stderr."""
    return subprocess.run(
        [sys.executable, "-m", "tui_crm", *args],
        capture_output=True,
        text=True,
        input=stdin,
        env=cli_env(home, **env),
        timeout=60,
    )
