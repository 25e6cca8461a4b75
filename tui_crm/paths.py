"""Where the database, its backups and the config live: the one seam tests override."""

from __future__ import annotations

import os
from pathlib import Path

APP_NAME = "tui-crm"


def _base_override() -> Path | None:
    """`TUI_CRM_HOME` puts data and config under one folder (tests and portable installs)."""
    home = os.environ.get("TUI_CRM_HOME")
    return Path(home).expanduser() if home else None


def data_dir() -> Path:
    """The folder holding databases and backups (created lazily, mode 0700)."""
    base = _base_override()
    if base is not None:
        return base / "data"
    from platformdirs import user_data_path

    return user_data_path(APP_NAME, appauthor=False)


def config_dir() -> Path:
    base = _base_override()
    if base is not None:
        return base / "config"
    from platformdirs import user_config_path

    return user_config_path(APP_NAME, appauthor=False)


def cache_dir() -> Path:
    """What the app can make again (the parsed stylesheet): losing it costs only time."""
    base = _base_override()
    if base is not None:
        return base / "cache"
    from platformdirs import user_cache_path

    return user_cache_path(APP_NAME, appauthor=False)


def default_db_path() -> Path:
    """`TUI_CRM_DB` if set, else `crm.db` in the data folder."""
    env = os.environ.get("TUI_CRM_DB")
    if env:
        return Path(env).expanduser()
    return data_dir() / "crm.db"


def demo_db_path() -> Path:
    return data_dir() / "demo.db"


def backup_dir_for(db_path: Path) -> Path:
    """Backups of a database sit next to it, in `<name>.backups/`."""
    return db_path.parent / f"{db_path.name}.backups"


def import_reports_dir() -> Path:
    """Where the Import screen keeps whole reports too long to show."""
    return data_dir() / "import-reports"


def crash_reports_dir() -> Path:
    """Where the app keeps the details of an unexpected error (the user sees one line)."""
    return data_dir() / "crash-reports"


def ensure_private_dir(path: Path) -> None:
    """Create `path` (and parents) readable by the owner only."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
