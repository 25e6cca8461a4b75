"""The book's checks, repairs and backups (core/check.py, backups.py)."""

from __future__ import annotations

from pathlib import Path

from tui_crm.db.retention import Retention
from tui_crm.db.store.area import Area, Row


class Checks(Area):
    # The figures kept on each customer row, as the check names them.
    FIGURE_NAMES = (
        "last_contact_at",
        "next_follow_up",
        "lifetime_cents",
        "purchase_count",
        "last_purchase_on",
    )

    def take_backup(self, reason: str, keep: Retention) -> Path | None:
        """A backup of the book in its backup folder (`reason`: `before-import`, `daily`),
        rotated by `keep`; None when there is nothing to back up yet."""
        raise NotImplementedError

    def tell_readers(self, *, if_written: bool = False) -> None:
        """Make every app that has the book open read it again (after a restore; with
        `if_written`, inside a transaction, when it wrote anything: what a keeper kept): a
        book on a server tells them; a file's readers see its change by themselves."""
        raise NotImplementedError

    def file_problem(self) -> str | None:
        """What the engine's own check of the stored book finds damaged (its first lines),
        or None."""
        raise NotImplementedError

    def broken_references(self) -> list[tuple[str, int, str]]:
        """(table, row, table it points at) of each row whose reference finds nothing."""
        raise NotImplementedError

    def missing_schema(self) -> list[tuple[str, str, str]]:
        """(kind, name, statement) of each table, index, trigger or function the book's
        schema should have and has not."""
        raise NotImplementedError

    def search_index_fault(self) -> str | None:
        """What the search index's own check says is wrong, or None."""
        raise NotImplementedError

    def search_index_differences(self) -> tuple[list[int], list[int], list[int]]:
        """The customers the search index misses, holds for no customer, and holds with old
        text, each in id order."""
        queries = self.search_index_queries()
        if queries is None:
            return [], [], []
        missing, extra, stale = ([row[0] for row in self.db.execute_sql(q)] for q in queries)
        return missing, extra, stale

    def search_index_queries(self) -> tuple[str, str, str] | None:
        """The statements `search_index_differences` reads, each the ids in order; None when
        there is no search index to compare (the check names it missing)."""
        raise NotImplementedError

    def wrong_figures(self) -> dict[str, list[int]]:
        """For each figure of FIGURE_NAMES, the customers whose kept value is not the one
        their rows give."""
        raise NotImplementedError

    def values_differ(self, bounds: dict[str, str], columns: str) -> list[int]:
        """The customers whose kept value row (those columns) differs from one built whole
        as of bounds["as_of"]; the build is undone (run it inside a transaction that is
        rolled back)."""
        raise NotImplementedError

    def rhythms_from_purchases(self) -> list[Row]:
        """(customer id, purchase days, first day, last day) worked out from the purchases."""
        raise NotImplementedError

    def kept_rhythms(self) -> list[Row]:
        return self.db.execute_sql(
            "SELECT customer_id, purchases, first_day, last_day FROM purchase_rhythm"
        ).fetchall()

    def kept_rows(self, table: str, columns: str) -> list[Row]:
        """Every row of a table the book keeps from others (attention_score, referral_figure),
        those columns."""
        if table not in ("attention_score", "referral_figure"):
            raise ValueError(f"not a kept table: {table}")
        return self.db.execute_sql(f"SELECT {columns} FROM {table}").fetchall()

    def book_counts(self) -> tuple[int, int, int, int]:
        """Customers, of them in the trash, interactions, purchases."""
        customers, trashed = self.db.execute_sql(
            "SELECT count(*), count(deleted_at) FROM customer"
        ).fetchone()
        interactions = self.db.execute_sql("SELECT count(*) FROM interaction").fetchone()[0]
        purchases = self.db.execute_sql("SELECT count(*) FROM purchase").fetchone()[0]
        return int(customers), int(trashed), int(interactions), int(purchases)

    def table_count(self, table: str) -> int:
        if table not in ("customer", "purchase_rhythm", "duplicate_pair", "referral_figure"):
            raise ValueError(f"not a table the repair counts: {table}")
        return int(self.db.execute_sql(f"SELECT count(*) FROM {table}").fetchone()[0])

    def forget_gap_count(self) -> None:
        """The book's count of gaps between buying days, to be counted again when read."""
        self.db.execute_sql("DELETE FROM meta WHERE key = 'purchase_gaps'")

    def repair_schema(self) -> list[str]:
        """Make again the indexes, triggers and functions that are missing, and the search
        index whole; what was made again ("trigger customer_ai", …)."""
        raise NotImplementedError

    def refresh_figures(self) -> None:
        """Every customer's kept figures worked out again from their rows."""
        raise NotImplementedError
