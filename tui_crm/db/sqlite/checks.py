"""The book's checks, repairs and backups on SQLite."""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from pathlib import Path

from peewee import DatabaseError

from tui_crm.db import derived
from tui_crm.db.retention import Retention
from tui_crm.db.store.area import Row
from tui_crm.db.store.checks import Checks

FIGURES = {
    "last_contact_at": derived.LAST_CONTACT,
    "next_follow_up": derived.NEXT_FOLLOW_UP,
    "lifetime_cents": derived.LIFETIME_CENTS,
    "purchase_count": derived.PURCHASE_COUNT,
    "last_purchase_on": derived.LAST_PURCHASE,
}


class _RollBack(Exception):
    """Leaves a transaction that only looked, undoing it."""


class SqliteChecks(Checks):
    def take_backup(self, reason: str, keep: Retention) -> Path | None:
        """A checked copy of the book's file (none for a book that is not a file, or one with
        nothing in it yet)."""
        name = str(self.db.database or "")
        if not name or name == ":memory:" or name.startswith("file:"):
            return None
        path = Path(name)
        if not path.exists() or path.stat().st_size == 0:
            return None
        from tui_crm.db.backup import backup_file  # a backup is taken: not for every `find`

        return backup_file(path, reason, keep=keep)

    def tell_readers(self, *, if_written: bool = False) -> None:
        return None  # each reader's BookClock sees the file's data_version move

    def file_problem(self) -> str | None:
        verdict = [row[0] for row in self.db.execute_sql("PRAGMA integrity_check(20)")]
        if verdict == ["ok"]:
            return None
        return "; ".join(str(line) for line in verdict[:3]) + (" …" if len(verdict) > 3 else "")

    def broken_references(self) -> list[tuple[str, int, str]]:
        return [
            (table, rowid, parent)
            for table, rowid, parent, _ in self.db.execute_sql("PRAGMA foreign_key_check")
        ]

    def _present(self) -> set[str]:
        return {row[0] for row in self.db.execute_sql("SELECT name FROM sqlite_master")}

    def missing_schema(self) -> list[tuple[str, str, str]]:
        from tui_crm.db.database import expected_schema

        present = self._present()
        return [
            (kind, name, sql)
            for name, (kind, _, sql) in expected_schema().items()
            if name not in present and not name.startswith("customer_fts_")
        ]

    def search_index_fault(self) -> str | None:
        if "customer_fts" not in self._present():
            return None  # said under schema
        try:
            with self.db.atomic("DEFERRED"):
                self.db.execute_sql(
                    "INSERT INTO customer_fts(customer_fts) VALUES ('integrity-check')"
                )
        except (sqlite3.DatabaseError, DatabaseError) as err:
            return str(err)
        return None

    def search_index_queries(self) -> tuple[str, str, str] | None:
        if "customer_fts" not in self._present():
            return None
        columns = derived.FTS_COLUMNS
        differs = " OR ".join(f"f.{column} IS NOT doc.{column}" for column in columns)
        return (
            "SELECT id FROM customer WHERE id NOT IN (SELECT rowid FROM customer_fts) ORDER BY id",
            "SELECT rowid FROM customer_fts WHERE rowid NOT IN (SELECT id FROM customer) "
            "ORDER BY rowid",
            f"WITH doc(id, {', '.join(columns)}) AS ({derived.SEARCH_DOC}) "
            f"SELECT doc.id FROM doc JOIN customer_fts f ON f.rowid = doc.id "
            f"WHERE {differs} ORDER BY doc.id",
        )

    def wrong_figures(self) -> dict[str, list[int]]:
        tests = ", ".join(
            f"{column} IS NOT {sql.format(cid='customer.id')}" for column, sql in FIGURES.items()
        )
        wrong: dict[str, list[int]] = defaultdict(list)
        for cid, *flags in self.db.execute_sql(f"SELECT id, {tests} FROM customer ORDER BY id"):
            for column, flag in zip(FIGURES, flags, strict=True):
                if flag:
                    wrong[column].append(cid)
        return dict(wrong)

    def values_differ(self, bounds: dict[str, str], columns: str) -> list[int]:
        db, wrong = self.db, []
        try:
            with db.atomic("DEFERRED"):
                db.execute_sql("CREATE TEMP TABLE check_value AS SELECT * FROM main.customer_value")
                self.rebuild_values(bounds)  # type: ignore[attr-defined]
                wrong = [
                    row[0]
                    for row in db.execute_sql(
                        f"SELECT customer_id FROM (SELECT {columns} FROM main.customer_value "
                        f"EXCEPT SELECT {columns} FROM temp.check_value) "
                        f"UNION SELECT customer_id FROM (SELECT {columns} FROM temp.check_value "
                        f"EXCEPT SELECT {columns} FROM main.customer_value) ORDER BY 1"
                    )
                ]
                raise _RollBack
        except _RollBack:
            pass
        return wrong

    def rhythms_from_purchases(self) -> list[Row]:
        return self.db.execute_sql(derived.RHYTHM_OF.format(where="")).fetchall()

    def repair_schema(self) -> list[str]:
        from tui_crm.db.database import expected_schema

        db = self.db
        missing = self.missing_schema()
        book_fts = db.execute_sql(
            "SELECT sql FROM sqlite_master WHERE name = 'customer_fts'"
        ).fetchone()
        fts_sql = book_fts[0] if book_fts else expected_schema()["customer_fts"][2]
        for kind, _name, sql in missing:
            if kind in ("index", "trigger"):
                db.execute_sql(sql)
        if book_fts:
            db.execute_sql("DROP TABLE customer_fts")  # its index may be beyond a DELETE
        db.execute_sql(fts_sql)
        for statement in derived.bulk_index_sql():
            db.execute_sql(statement)
        return [f"{kind} {name}" for kind, name, _ in missing if kind != "table"]

    def refresh_figures(self) -> None:
        self.db.execute_sql(
            "UPDATE customer SET "
            + ", ".join(f"{col} = {sql.format(cid='customer.id')}" for col, sql in FIGURES.items())
        )
