"""Small helpers for reading and writing rows in bulk: ids in chunks, timestamps as stored."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

CHUNK = 500  # ids per IN (...) list


def chunks(ids: Sequence[int], size: int = CHUNK) -> Iterable[Sequence[int]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def marks(count: int) -> str:
    """`?, ?, …` for an IN list or a VALUES row of `count` parameters."""
    return ", ".join("?" * count)


def stamp(moment: datetime) -> str:
    """A moment as peewee stores a DateTimeField."""
    return moment.strftime("%Y-%m-%d %H:%M:%S")
