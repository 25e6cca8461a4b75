"""Numbered schema migrations, applied in order and recorded in `PRAGMA user_version`.

A migration is a module `mNNNN_name.py` with `up(db)`; each runs in its own transaction.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from types import ModuleType


def migrations() -> list[tuple[int, ModuleType]]:
    found = []
    for info in pkgutil.iter_modules(__path__):
        match = re.fullmatch(r"m(\d{4})_\w+", info.name)
        if match:
            found.append((int(match.group(1)), importlib.import_module(f"{__name__}.{info.name}")))
    return sorted(found, key=lambda pair: pair[0])


LATEST = max(number for number, _ in migrations())
