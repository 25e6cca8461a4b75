"""Whole tables as rows: what copying a book from one engine to the other reads and writes
(core/copy.py). The SQL reads the same on both engines."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence

from tui_crm.db.store.area import Area, Row

_NAME = re.compile(r"[a-z_]+")


def _known(name: str) -> str:
    """A table or column name as the models spell it: it goes into the SQL as it is."""
    if not _NAME.fullmatch(name):
        raise ValueError(f"not a table or column name: {name!r}")
    return name


class Rows(Area):
    def table_rows(
        self, table: str, columns: Sequence[str], order: Sequence[str], batch: int
    ) -> Iterator[list[Row]]:
        """Every row of `table` (those columns, in `order`), `batch` rows at a time."""
        cursor = self.db.execute_sql(
            f"SELECT {', '.join(map(_known, columns))} FROM {_known(table)} "
            f"ORDER BY {', '.join(map(_known, order))}"
        )
        while rows := cursor.fetchmany(batch):
            yield [tuple(row) for row in rows]

    def row_counts(self, tables: Iterable[str]) -> dict[str, int]:
        return {
            table: int(self.db.execute_sql(f"SELECT count(*) FROM {_known(table)}").fetchone()[0])
            for table in tables
        }

    def has_rows(self, tables: Iterable[str]) -> bool:
        """Whether any of `tables` holds a row."""
        return any(
            self.db.execute_sql(f"SELECT 1 FROM {_known(table)} LIMIT 1").fetchone()
            for table in tables
        )

    def delete_rows(self, table: str) -> None:
        self.db.execute_sql(f"DELETE FROM {_known(table)}")
