"""Writing customers, interactions and corrections; bulk actions; the book as a whole."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any, Protocol

from tui_crm.db.store.area import Area, Row

# A column as a bulk action names it: `status`, or `status AS was`.
_COLUMN = re.compile(r"\w+( AS \w+)?")
# The tables a correction edits, and the undo steps that name a row of one.
LOGGED = ("interaction", "purchase")


class ChangeClock(Protocol):
    """A counter that moves whenever anyone commits a change to the book."""

    def reading(self) -> int | None:
        """The counter now; None when it cannot tell (the book locked or gone a moment)."""

    def close(self) -> None: ...


class Writes(Area):
    # -- the book as a whole (core/book.py) ------------------------------------------------

    def role(self) -> str | None:
        """Who the book's server knows the writer as (a PostgreSQL role), or None for a file,
        whose writers are named by their config."""
        raise NotImplementedError

    def sees_whole_book(self) -> bool:
        """This session sees every customer, so it brings what readers keep up to date (a new
        day's value summary and queue, the referral and duplicate figures), checks the book
        and backs it up. A role restricted to its own customers (PostgreSQL's row-level
        security) reads those figures as the team's sessions keep them: it would work them out
        from its own customers alone."""
        return True

    def book_is_empty(self) -> bool:
        """No customer at all, not even in the trash."""
        return self.db.execute_sql("SELECT 1 FROM customer LIMIT 1").fetchone() is None

    def purchase_amount(self, purchase_id: int) -> Row:
        """(cents, currency) of a purchase as stored."""
        return self.db.execute_sql(
            "SELECT cents, currency FROM purchase WHERE id = ?", (purchase_id,)
        ).fetchone()

    def change_clock(self) -> ChangeClock | None:
        """A clock that says whether the book changed since a reading, on a connection of
        its own; None when this book cannot have one."""
        raise NotImplementedError

    # -- customers, many at once (core/bulk_actions.py) --------------------------------------

    def categories(self) -> list[Row]:
        """(id, name) of every category."""
        return self.db.execute_sql("SELECT id, name FROM category").fetchall()

    def customer_columns(
        self, ids: Sequence[int], columns: Sequence[str], *, live: bool = False
    ) -> list[Row]:
        """The `columns` (names, or `name AS other`) of the customers `ids`, in the book's
        order; with `live`, of those not in the trash."""
        for column in columns:
            if not _COLUMN.fullmatch(column):
                raise ValueError(f"not a column: {column!r}")
        return self._customer_columns(ids, ", ".join(f"c.{column}" for column in columns), live)

    def _customer_columns(self, ids: Sequence[int], listed: str, live: bool) -> list[Row]:
        alive = " AND c.deleted_at IS NULL" if live else ""
        return self.db.execute_sql(
            f"SELECT {listed} FROM customer c WHERE c.id IN ({self.ID_LIST}){alive}",
            (self.ids(ids),),
        ).fetchall()

    def hold_customers(self, ids: Sequence[int]) -> None:
        """Inside a writing transaction: the customers `ids` kept from other writers until it
        ends, so what it read of them is what it writes over."""
        raise NotImplementedError

    def customer_versions(self, ids: Sequence[int]) -> list[Row]:
        """(id, version) of the customers `ids`."""
        return self.db.execute_sql(
            f"SELECT id, version FROM customer WHERE id IN ({self.ID_LIST})", (self.ids(ids),)
        ).fetchall()

    def names_and_tags(self, ids: Sequence[int]) -> list[Row]:
        """(id, first name, last name, company, tags by name joined by newlines) of the live
        customers among `ids`."""
        raise NotImplementedError

    def bump_customers(
        self, ids: Sequence[int], at: str, columns: Sequence[tuple[str, Any]] = ()
    ) -> None:
        """`columns` (name, value) set, a new version and `at` as updated for each of `ids`."""
        for column, _ in columns:
            if not re.fullmatch(r"\w+", column):
                raise ValueError(f"not a column: {column!r}")
        assignments = "".join(f"{column} = ?, " for column, _ in columns)
        self.db.execute_sql(
            f"UPDATE customer SET {assignments}version = version + 1, updated_at = ? "
            f"WHERE id IN ({self.ID_LIST})",
            (*[value for _, value in columns], at, self.ids(ids)),
        )

    def record_changes(self, rows: Iterable[Sequence]) -> None:
        """Lines of history: (customer id, at, who, field, old, new, version)."""
        self.executemany(  # type: ignore[attr-defined]
            "INSERT INTO customer_change (customer_id, at, who, field, old, new, version) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            rows,
        )

    def add_tag_names(self, names: Iterable[str]) -> None:
        """The tags named, made where the book has none of that name."""
        self.executemany(  # type: ignore[attr-defined]
            "INSERT INTO tag (name) VALUES (?) ON CONFLICT DO NOTHING", [(t,) for t in names]
        )

    def tag_ids(self, names: Sequence[str] | None = None) -> dict[str, int]:
        """{name: id} of the tags named (None: of every tag)."""
        if names is None:
            return dict(self.db.execute_sql("SELECT name, id FROM tag").fetchall())
        return dict(
            self.db.execute_sql(
                f"SELECT name, id FROM tag WHERE name IN ({self._text_list})",
                (self._texts(names),),
            ).fetchall()
        )

    # A list of texts as one parameter, as ID_LIST is for ids.
    _text_list = ""

    def _texts(self, texts: Sequence[str]) -> object:
        raise NotImplementedError

    def tag_customers(self, adding: Iterable[Sequence], removing: Iterable[Sequence]) -> None:
        """(customer id, tag id) rows in and out."""
        many = self.executemany  # type: ignore[attr-defined]
        many("DELETE FROM customer_tag WHERE customer_id = ? AND tag_id = ?", removing)
        many(
            "INSERT INTO customer_tag (customer_id, tag_id) VALUES (?, ?) ON CONFLICT DO NOTHING",
            adding,
        )

    def log_interactions(self, rows: Sequence[Sequence]) -> tuple[int, int]:
        """Interactions (customer id, kind, at, notes, outcome, logged by, created at) with no
        follow-up, at version 1; the first and last of their ids (every id between is theirs,
        as the book's writer holds it alone)."""
        raise NotImplementedError

    _LOG = (
        "INSERT INTO interaction (customer_id, kind, at, notes, outcome, follow_up, "
        "follow_up_done, logged_by, created_at, version) "
        "VALUES (?, ?, ?, ?, ?, NULL, FALSE, ?, ?, 1)"
    )

    def logged_between(self, first: int, last: int) -> tuple[int, int]:
        """(how many interactions have an id from `first` to `last`, how many of them were
        corrected since: not at version 1)."""
        raise NotImplementedError

    def customers_logged_between(self, first: int, last: int) -> list[int]:
        return [
            cid
            for (cid,) in self.db.execute_sql(
                "SELECT DISTINCT customer_id FROM interaction WHERE id BETWEEN ? AND ?",
                (first, last),
            )
        ]

    def delete_logged_between(self, first: int, last: int) -> None:
        self.db.execute_sql("DELETE FROM interaction WHERE id BETWEEN ? AND ?", (first, last))

    def attention_marks(self, ids: Sequence[int]) -> list[Row]:
        """(customer id, reason, snoozed until, done at, who) of the customers' marks."""
        return self.db.execute_sql(
            "SELECT customer_id, reason, snoozed_until, done_at, who FROM attention_mark "
            f"WHERE customer_id IN ({self.ID_LIST}) ORDER BY customer_id, reason",
            (self.ids(ids),),
        ).fetchall()

    def snooze_marks(self, rows: Iterable[Sequence]) -> None:
        """(customer id, reason, snoozed until, who): each reason snoozed."""
        self.executemany(  # type: ignore[attr-defined]
            "INSERT INTO attention_mark (customer_id, reason, snoozed_until, who) "
            "VALUES (?, ?, ?, ?) ON CONFLICT (customer_id, reason) DO UPDATE SET "
            "snoozed_until = excluded.snoozed_until, who = excluded.who",
            rows,
        )

    def drop_marks_of(self, ids: Sequence[int]) -> None:
        """Every attention mark of the customers `ids` gone."""
        self.db.execute_sql(
            f"DELETE FROM attention_mark WHERE customer_id IN ({self.ID_LIST})",
            (self.ids(ids),),
        )

    # -- corrections (core/corrections.py) ---------------------------------------------------

    def logged_row(self, table: str, row_id: int) -> dict[str, Any] | None:
        """An interaction's or a purchase's row as stored, by column name; None if gone."""
        cursor = self.db.execute_sql(f"SELECT * FROM {_logged(table)} WHERE id = ?", (row_id,))
        found = cursor.fetchone()
        if found is None:
            return None
        return dict(zip([c[0] for c in cursor.description], found, strict=True))

    def put_back_logged(
        self, table: str, row_id: int, values: dict[str, Any], version: int, expected: int
    ) -> bool:
        """Columns of a row as they were, at `version`, if the row is still at `expected`;
        whether it was."""
        sets = ", ".join(f'"{_name(k)}" = ?' for k in values)
        cursor = self.db.execute_sql(
            f"UPDATE {_logged(table)} SET {sets}, version = ? WHERE id = ? AND version = ?",
            (*values.values(), version, row_id, expected),
        )
        return cursor.rowcount == 1

    def insert_logged(self, table: str, row: dict[str, Any]) -> None:
        """A row back (with its id when it has one)."""
        names = ", ".join(f'"{_name(k)}"' for k in row)
        self.db.execute_sql(
            f"INSERT INTO {_logged(table)} ({names}) VALUES ({', '.join('?' for _ in row)})",
            tuple(row.values()),
        )

    def steps_on_row(self, kind: str, row_id: int) -> list[int]:
        """The ids of the undo steps of `kind` (edit_interaction …) on that row, in order."""
        raise NotImplementedError


def _logged(table: str) -> str:
    if table not in LOGGED:
        raise ValueError(f"not a table of logged rows: {table!r}")
    return table


def _name(column: str) -> str:
    if not re.fullmatch(r"\w+", column):
        raise ValueError(f"not a column: {column!r}")
    return column
