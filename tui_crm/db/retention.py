"""How many backups rotation keeps: read with the settings as the app starts, so on its own,
without the backup code (loaded when a backup is made)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Retention:
    """How many backups rotation keeps: the newest `recent` whatever their age, and the
    newest of each of the last `daily` days, `weekly` ISO weeks and `monthly` months that
    have a backup (a backup may count for several)."""

    daily: int = 7
    weekly: int = 4
    monthly: int = 12
    recent: int = 5
