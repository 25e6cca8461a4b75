"""Numbered schema migrations, applied in order and recorded in `PRAGMA user_version`.

A migration is a module `mNNNN_name.py` with `up(db)`; each runs in its own transaction.
Only the migrations a book still needs are imported, so opening a book that is up to date
(every one-shot command) imports none of them.
"""

from __future__ import annotations

import importlib
import os
import re
from types import ModuleType

_NAME = re.compile(r"m(\d{4})_\w+")


def _numbered() -> list[tuple[int, str]]:
    """(number, module name) of every migration, in order, without importing any. The folder
    is listed directly: pkgutil would import typing and inspect, a tenth of `tui-crm find`'s
    start; an app whose modules are not files (frozen) asks the import system instead."""
    try:
        names = [
            name.removesuffix(".py")
            for folder in __path__
            for name in os.listdir(folder)
            if name.endswith(".py")
        ]
    except OSError:
        import pkgutil

        names = [info.name for info in pkgutil.iter_modules(__path__)]
    found = [(int(match.group(1)), name) for name in names if (match := _NAME.fullmatch(name))]
    return sorted(found)


def migrations(after: int = 0) -> list[tuple[int, ModuleType]]:
    """The migrations numbered above `after` (all of them by default), imported, in order."""
    return [
        (number, importlib.import_module(f"{__name__}.{name}"))
        for number, name in _numbered()
        if number > after
    ]


LATEST = _numbered()[-1][0]
