"""What each part of the store builds on: the book, and a list of ids as a parameter."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

Row = tuple[Any, ...]


class Area:
    """One part of the store (plans, search, the queue …): its methods use `self.db`."""

    db: Any
    engine = ""
    # `… IN (ID_LIST)` with `ids(…)` as its parameter: the rows of those ids.
    ID_LIST = ""
    # The schema of a connection's own tables: `{TEMP}.value_ranks`.
    TEMP = ""
    # `a {SAME_AS} b`: true when both are NULL, or equal.
    SAME_AS = ""

    def ids(self, ids: Iterable[int]) -> object:
        """The parameter `ID_LIST` reads: the ids, as this engine takes a list."""
        raise NotImplementedError
