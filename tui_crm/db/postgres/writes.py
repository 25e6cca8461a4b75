"""Writing customers, interactions, corrections, the trash, undo and bulk actions on PostgreSQL."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Sequence
from typing import Any

from tui_crm.db.store.area import Row
from tui_crm.db.store.writes import ChangeClock, Writes

# The boolean columns of logged rows: a journal written on SQLite (a book copied over) holds
# them as 0 and 1, which a PostgreSQL boolean does not take.
_BOOLEAN = {"follow_up_done"}


class _Heard:
    """Whether anyone committed a change: the book's triggers notify `tui_crm_book` once for
    each transaction that wrote its rows (m0017_schema.sql), and the clock's own connection
    listens; a reading counts what it heard since the last. Connecting again (the server
    restarted, say) counts as a change: what was written meanwhile went unheard."""

    def __init__(self, url: str) -> None:
        self._url = url
        self._lock = threading.Lock()
        self._connection: Any = None
        self._count = 0

    def reading(self) -> int | None:
        import psycopg

        with self._lock:
            try:
                if self._connection is None:
                    self._connection = psycopg.connect(self._url, autocommit=True)
                    self._connection.execute("LISTEN tui_crm_book")
                    self._count += 1
                self._count += sum(1 for _ in self._connection.notifies(timeout=0))
            except psycopg.Error:  # connected again at the next reading
                self._close()
                return None
            return self._count

    def close(self) -> None:
        with self._lock:
            self._close()

    def _close(self) -> None:
        if self._connection is not None:
            with contextlib.suppress(Exception):
                self._connection.close()
            self._connection = None


def _values(row: dict[str, Any]) -> dict[str, Any]:
    return {k: (None if v is None else bool(v)) if k in _BOOLEAN else v for k, v in row.items()}


class PostgresWrites(Writes):
    _text_list = "SELECT unnest(?::text[])"

    def _texts(self, texts: Sequence[str]) -> object:
        return list(texts)

    def role(self) -> str | None:
        return self.db.role

    def sees_whole_book(self) -> bool:
        return not self.db.restricted

    def change_clock(self) -> ChangeClock | None:
        return _Heard(self.db.url)

    def hold_customers(self, ids: Sequence[int]) -> None:
        # Row locks, taken in id order so two writers holding some of the same customers
        # wait for each other rather than deadlock.
        self.db.execute_sql(
            f"SELECT id FROM customer WHERE id IN ({self.ID_LIST}) ORDER BY id FOR UPDATE",
            (self.ids(ids),),
        )

    def names_and_tags(self, ids: Sequence[int]) -> list[Row]:
        # Tags in SQLite's (and Python's) order: by code point.
        return self._customer_columns(
            ids,
            "c.id, c.first_name, c.last_name, c.company, "
            '(SELECT string_agg(t.name, chr(10) ORDER BY t.name COLLATE "C") '
            " FROM customer_tag ct JOIN tag t ON t.id = ct.tag_id WHERE ct.customer_id = c.id)",
            live=True,
        )

    def log_interactions(self, rows: Sequence[Sequence]) -> tuple[int, int]:
        # In one statement, the ids each row was given (another writer's may come between).
        columns = list(zip(*rows, strict=True)) if rows else [()] * 7
        ids = [
            i
            for (i,) in self.db.execute_sql(
                "INSERT INTO interaction (customer_id, kind, at, notes, outcome, follow_up, "
                "follow_up_done, logged_by, created_at, version) "
                "SELECT r.customer_id, r.kind, r.at::timestamp, r.notes, r.outcome, NULL, FALSE, "
                "r.logged_by, r.created_at::timestamp, 1 "
                "FROM unnest(?::integer[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], "
                "?::text[]) WITH ORDINALITY "
                "AS r(customer_id, kind, at, notes, outcome, logged_by, created_at, n) "
                "ORDER BY r.n RETURNING id",
                [list(column) for column in columns],
            )
        ]
        return min(ids), max(ids)

    def logged_between(self, first: int, last: int) -> tuple[int, int]:
        held, edited = self.db.execute_sql(
            "SELECT count(*), count(*) FILTER (WHERE version <> 1) FROM interaction "
            "WHERE id BETWEEN ? AND ?",
            (first, last),
        ).fetchone()
        return int(held), int(edited)

    def steps_on_row(self, kind: str, row_id: int) -> list[int]:
        return [
            step
            for (step,) in self.db.execute_sql(
                "SELECT id FROM undo_step WHERE kind = ? AND payload::jsonb #>> '{row,id}' = ? "
                "ORDER BY id",
                (kind, str(row_id)),
            )
        ]

    def put_back_logged(
        self, table: str, row_id: int, values: dict[str, Any], version: int, expected: int
    ) -> bool:
        return super().put_back_logged(table, row_id, _values(values), version, expected)

    def insert_logged(self, table: str, row: dict[str, Any]) -> None:
        super().insert_logged(table, _values(row))
        if "id" in row:  # written with its own id: the sequence moves past it
            self.db.execute_sql("SELECT crm_resync_ids()")
