"""Online backups of a SQLite database file, with rotation of older copies."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from pathlib import Path
from urllib.parse import quote

from tui_crm.paths import backup_dir_for, ensure_private_dir
from tui_crm.whole_files import replacing

KEEP = 10


def backup_file(
    db_path: Path, reason: str, *, keep: int = KEEP, now: datetime | None = None
) -> Path:
    """Copy `db_path` with SQLite's online backup API into its backup folder; keep `keep`."""
    folder = backup_dir_for(db_path)
    ensure_private_dir(folder)
    stamp = (now or datetime.now()).strftime("%Y%m%d-%H%M%S-%f")
    target = folder / f"{db_path.stem}-{stamp}-{reason}.db"
    source = sqlite3.connect(f"file:{quote(str(db_path))}?mode=ro", uri=True)
    try:
        # Written whole or not at all: a killed backup leaves no half copy among the backups.
        with replacing(target, prefix=".tui-crm-backup-", suffix=".partial") as part:
            dest = sqlite3.connect(part)
            try:
                source.backup(dest)
            finally:
                dest.close()
    finally:
        source.close()
    backups = sorted(folder.glob(f"{db_path.stem}-*.db"))
    for old in backups[:-keep] if keep > 0 else []:
        old.unlink()
    return target
