"""Writing customers, interactions, corrections, the trash, undo and bulk actions on SQLite."""

from __future__ import annotations

import contextlib
import json
import sqlite3
import threading
from collections.abc import Sequence

from tui_crm.db.store.area import Row
from tui_crm.db.store.writes import ChangeClock, Writes


class _DataVersion:
    """SQLite's `data_version` read on a connection of the clock's own, which never writes,
    so every commit moves it (this program's workers and other programs alike): a few
    microseconds a reading. A lock keeps the connection to one thread at a time."""

    def __init__(self, path: str) -> None:
        self._path = path
        self._lock = threading.Lock()
        self._connection: sqlite3.Connection | None = None

    def reading(self) -> int | None:
        with self._lock:
            try:
                if self._connection is None:
                    self._connection = sqlite3.connect(self._path, check_same_thread=False)
                return int(self._connection.execute("PRAGMA data_version").fetchone()[0])
            except sqlite3.Error:  # opened again at the next reading
                self._close()
                return None

    def close(self) -> None:
        with self._lock:
            self._close()

    def _close(self) -> None:
        if self._connection is not None:
            with contextlib.suppress(sqlite3.Error):
                self._connection.close()
            self._connection = None


class SqliteWrites(Writes):
    _text_list = "SELECT value FROM json_each(?)"

    def role(self) -> str | None:
        return None  # a file has no users of its own

    def _texts(self, texts: Sequence[str]) -> object:
        return json.dumps(list(texts))

    def change_clock(self) -> ChangeClock | None:
        # A book that is not a file: no second connection reaches it.
        path = str(getattr(self.db, "database", "") or "")
        if not path or path == ":memory:" or path.startswith("file::memory"):
            return None
        return _DataVersion(path)

    def hold_customers(self, ids: Sequence[int]) -> None:
        pass  # the writer's IMMEDIATE transaction holds the whole book already

    def names_and_tags(self, ids: Sequence[int]) -> list[Row]:
        return self._customer_columns(
            ids,
            "c.id, c.first_name, c.last_name, c.company, "
            "(SELECT group_concat(name, char(10)) FROM "
            " (SELECT t.name FROM customer_tag ct JOIN tag t ON t.id = ct.tag_id "
            "  WHERE ct.customer_id = c.id ORDER BY t.name))",
            live=True,
        )

    def log_interactions(self, rows: Sequence[Sequence]) -> tuple[int, int]:
        # The writer holds the book alone (an IMMEDIATE transaction): the ids follow max(id).
        (first,) = self.db.execute_sql(
            "SELECT coalesce(max(id), 0) + 1 FROM interaction"
        ).fetchone()
        self.executemany(self._LOG, rows)
        (last,) = self.db.execute_sql("SELECT max(id) FROM interaction").fetchone()
        return first, last

    def logged_between(self, first: int, last: int) -> tuple[int, int]:
        held, edited = self.db.execute_sql(
            "SELECT count(*), coalesce(sum(version != 1), 0) FROM interaction "
            "WHERE id BETWEEN ? AND ?",
            (first, last),
        ).fetchone()
        return int(held), int(edited)

    def steps_on_row(self, kind: str, row_id: int) -> list[int]:
        return [
            step
            for (step,) in self.db.execute_sql(
                "SELECT id FROM undo_step WHERE kind = ? AND json_extract(payload, '$.row.id') = ? "
                "ORDER BY id",
                (kind, row_id),
            )
        ]
