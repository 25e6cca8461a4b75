"""Import and export (core/interchange/)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from tui_crm.db.store.area import Area, Row


def _marks(count: int) -> str:
    return ", ".join("?" * count)


def _names(columns: Sequence[str]) -> str:
    for column in columns:
        if not re.fullmatch(r"\w+", column):
            raise ValueError(f"not a column: {column!r}")
    return ", ".join(columns)


class Interchange(Area):
    # -- what an export writes (core/interchange/export.py); ids a chunk at a time ----------

    def export_customers(self, ids: Sequence[int], fields: Sequence[str]) -> list[Row]:
        """The `fields` of each customer of `ids`, then their category's name ('' for none)
        and their referrer's uid."""
        listed = ", ".join("c." + c for c in _names(fields).split(", "))
        return self.db.execute_sql(
            f"SELECT {listed}, coalesce(g.name, ''), r.uid "
            "FROM customer c LEFT JOIN category g ON g.id = c.category_id "
            f"LEFT JOIN customer r ON r.id = c.referred_by_id WHERE c.id IN ({_marks(len(ids))})",
            list(ids),
        ).fetchall()

    def export_emails(self, ids: Sequence[int]) -> list[Row]:
        """(customer id, label, address) in each customer's order."""
        return self.db.execute_sql(
            "SELECT customer_id, label, address FROM customer_email "
            f"WHERE customer_id IN ({_marks(len(ids))}) ORDER BY customer_id, position",
            list(ids),
        ).fetchall()

    def export_phones(self, ids: Sequence[int]) -> list[Row]:
        """(customer id, label, number, verified, extension) in each customer's order."""
        return self.db.execute_sql(
            "SELECT customer_id, label, number, verified, extension FROM customer_phone "
            f"WHERE customer_id IN ({_marks(len(ids))}) ORDER BY customer_id, position",
            list(ids),
        ).fetchall()

    def export_tags(self, ids: Sequence[int]) -> list[Row]:
        """(customer id, tag name), by name as SQLite orders it (by code point)."""
        raise NotImplementedError

    # -- the book's keys, read once for a whole file (keys.py, load.py) --------------------

    def customer_keys(self) -> Iterable[Row]:
        """(id, uid, first name, last name, company, deleted at, referrer id) of everyone."""
        return self.db.execute_sql(
            "SELECT id, uid, first_name, last_name, company, deleted_at, referred_by_id "
            "FROM customer"
        )

    def merges(self) -> Iterable[Row]:
        """(customer id, the history's text) of each merge away, oldest first."""
        return self.db.execute_sql(
            "SELECT customer_id, new FROM customer_change WHERE field = 'merged_into' ORDER BY id"
        )

    def email_owners(self) -> Iterable[Row]:
        """(customer id, address) of every email."""
        return self.db.execute_sql("SELECT customer_id, address FROM customer_email")

    def verified_numbers(self) -> Iterable[Row]:
        """(customer id, number) of every verified phone."""
        return self.db.execute_sql("SELECT customer_id, number FROM customer_phone WHERE verified")

    # -- writing an import (load.py, purchases.py) -------------------------------------------

    def first_new_customer_id(self) -> int:
        """The id the first of the customers an import writes (with their own ids) takes,
        the next ones following; no other writer adds a customer until the transaction ends."""
        raise NotImplementedError

    def insert_customers(self, columns: Sequence[str], rows: Iterable[Sequence]) -> None:
        self.executemany(  # type: ignore[attr-defined]
            f"INSERT INTO customer ({_names(columns)}) VALUES ({_marks(len(columns))})", rows
        )

    def insert_emails(self, rows: Iterable[Sequence]) -> None:
        """(customer id, label, address, position) rows."""
        self.executemany(  # type: ignore[attr-defined]
            "INSERT INTO customer_email (customer_id, label, address, position) "
            "VALUES (?, ?, ?, ?)",
            rows,
        )

    def insert_phones(self, rows: Iterable[Sequence]) -> None:
        """(customer id, label, number, national, verified, extension, shown, position)."""
        self.executemany(  # type: ignore[attr-defined]
            "INSERT INTO customer_phone "
            "(customer_id, label, number, national, verified, extension, shown, position) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )

    def insert_customer_tags(self, rows: Iterable[Sequence]) -> None:
        """(customer id, tag id) rows, each once."""
        self.executemany(  # type: ignore[attr-defined]
            "INSERT INTO customer_tag (customer_id, tag_id) VALUES (?, ?) ON CONFLICT DO NOTHING",
            rows,
        )

    def record_created(self, rows: Iterable[Sequence]) -> None:
        """(customer id, at, who, field, new, version): a line of history with no old value."""
        self.executemany(  # type: ignore[attr-defined]
            "INSERT INTO customer_change (customer_id, at, who, field, old, new, version) "
            "VALUES (?, ?, ?, ?, NULL, ?, ?)",
            rows,
        )

    def set_referrers(self, rows: Iterable[Sequence]) -> None:
        """(referrer id, customer id) rows."""
        self.executemany(  # type: ignore[attr-defined]
            "UPDATE customer SET referred_by_id = ? WHERE id = ?", rows
        )

    def purchases_of(self, ids: Sequence[int]) -> list[Row]:
        """(customer id, day, cents, currency, description, category, invoice ref) of every
        purchase of the customers `ids`."""
        return self.db.execute_sql(
            "SELECT customer_id, day, cents, currency, description, category, invoice_ref "
            f"FROM purchase WHERE customer_id IN ({_marks(len(ids))})",
            list(ids),
        ).fetchall()

    def insert_purchases(self, rows: Iterable[Sequence]) -> None:
        """(customer id, day, cents, currency, description, category, invoice ref, created
        at) rows."""
        self.executemany(  # type: ignore[attr-defined]
            "INSERT INTO purchase (customer_id, day, cents, currency, description, category, "
            "invoice_ref, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
