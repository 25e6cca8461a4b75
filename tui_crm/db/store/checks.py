"""The book's checks, repairs and backups (core/check.py, backups.py)."""

from __future__ import annotations

from pathlib import Path

from tui_crm.db.retention import Retention
from tui_crm.db.store.area import Area


class Checks(Area):
    def take_backup(self, reason: str, keep: Retention) -> Path | None:
        """A backup of the book in its backup folder (`reason`: `before-import`, `daily`),
        rotated by `keep`; None when there is nothing to back up yet."""
        raise NotImplementedError
