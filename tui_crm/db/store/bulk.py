"""Writing many rows at once: the figures the triggers keep are left alone while the rows go
in, and worked out once after, for the customers the rows touched (core/bulk.py)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass

from tui_crm.db.store.area import Area


@dataclass(frozen=True)
class Rebuild:
    """What to work out again after rows were written with the triggers off, and for whom:
    `customers` (None: everyone), or every customer from `from_id` on (new ones)."""

    customers: Sequence[int] | None = None
    from_id: int | None = None
    contact: bool = False  # last contact and next follow-up
    purchases: bool = False  # lifetime, count and last purchase, and the buying days
    search: bool = False  # search documents
    queue: bool = False  # queue scores marked for working out again
    summaries: bool = False  # value summary, buying days, queue, referrals: rebuilt when read


# After a bulk load that wrote anything: every figure, for everyone.
EVERYTHING = Rebuild(contact=True, purchases=True, search=True, summaries=True)


class Bulk(Area):
    def bulk_load(self, rebuild: Rebuild = EVERYTHING) -> AbstractContextManager[None]:
        """A transaction (a savepoint inside one) in which rows are written without the
        triggers' work, which `rebuild` does once at the end. If the body raises, nothing it
        wrote is kept and the triggers are as before."""
        raise NotImplementedError

    def indexes_built_after(self, adding: dict[str, int]) -> AbstractContextManager[None]:
        """Inside a transaction: for each table about to get at least as many rows as it holds
        (`adding`: table → rows), its plain indexes are built once the rows are in rather than
        row by row, when the engine gains by it."""
        raise NotImplementedError

    def executemany(self, sql: str, rows: Iterable[Sequence]) -> None:
        """One statement of the book's SQL (`?` placeholders) for each row, on this thread's
        connection, inside the caller's transaction."""
        raise NotImplementedError

    def insert_rows(self, table: str, columns: Sequence[str], rows: Iterable[Sequence]) -> None:
        """`rows` (values of `columns`, in order) added to `table`, inside the caller's
        transaction: an INSERT for each row, unless the engine has a faster way in."""
        self.executemany(
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
            rows,
        )

    def _where(self, rebuild: Rebuild, column: str) -> tuple[str, tuple]:
        """The condition picking `rebuild`'s customers by `column`, and its parameters."""
        if rebuild.customers is not None:
            return f"{column} IN ({self.ID_LIST})", (self.ids(sorted(rebuild.customers)),)
        if rebuild.from_id is not None:
            return f"{column} >= ?", (rebuild.from_id,)
        return "true", ()

    def _queue_marks(self, rebuild: Rebuild) -> Iterator[tuple[str, tuple]]:
        if rebuild.queue:
            where, params = self._where(rebuild, "id")
            yield (
                "INSERT INTO attention_score (customer_id) SELECT id FROM customer "
                f"WHERE {where} ON CONFLICT (customer_id) DO UPDATE SET valid_until = 0",
                params,
            )

    # What a bulk writer leaves to be built again when next read.
    SUMMARIES_STALE = (
        "DELETE FROM meta WHERE key IN ('values_as_of', 'values_day', 'purchase_gaps', "
        "'attention_kept', 'referrals_kept', 'duplicates_kept')"
    )
