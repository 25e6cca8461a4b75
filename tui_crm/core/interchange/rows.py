"""Small helpers for reading and writing rows in bulk: ids in chunks, timestamps as stored, and
many rows built without the cycle collector going over them again and again."""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime

CHUNK = 500  # ids per IN (...) list
SETTLE_EVERY = 5_000  # rows built between calls of a `settled_objects` block's settle


def chunks(ids: Sequence[int], size: int = CHUNK) -> Iterable[Sequence[int]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def marks(count: int) -> str:
    """`?, ?, …` for an IN list or a VALUES row of `count` parameters."""
    return ", ".join("?" * count)


def stamp(moment: datetime) -> str:
    """A moment as peewee stores a DateTimeField."""
    return moment.strftime("%Y-%m-%d %H:%M:%S")


_settling = threading.Lock()
_users = 0  # how many `settled_objects` blocks are open, in any thread
_ours = False  # whether those blocks may freeze (nobody else had frozen objects)


def _no_settling() -> None:
    pass


@contextmanager
def settled_objects() -> Iterator[Callable[[], None]]:
    """For building many long-lived objects (100 000 rows of dicts and lists, then their plans).

    Each time enough new objects pile up, the cycle collector goes over every object that has
    lived a while, so it goes over the rows built so far again and again (a third of a large
    import's time). Calling the `settle` this yields now and then takes everything that exists
    at that moment out of those passes (gc.freeze), so each pass looks only at what was made
    since. The collector is never paused, for this thread or any other; when the last block
    open in the process ends, everything goes back under it (gc.unfreeze), whatever happened
    inside. If something else in the process already froze objects, `settle` does nothing,
    so its choice is left alone."""
    global _users, _ours
    with _settling:
        if _users == 0:
            _ours = gc.get_freeze_count() == 0
        _users += 1
        settle = gc.freeze if _ours else _no_settling
    try:
        yield settle
    finally:
        with _settling:
            _users -= 1
            if _users == 0 and _ours:
                gc.unfreeze()
