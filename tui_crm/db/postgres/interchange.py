"""Import and export on PostgreSQL."""

from __future__ import annotations

from collections.abc import Sequence

from tui_crm.db.store.area import Row
from tui_crm.db.store.interchange import Interchange, _marks


class PostgresInterchange(Interchange):
    def export_tags(self, ids: Sequence[int]) -> list[Row]:
        return self.db.execute_sql(
            "SELECT ct.customer_id, t.name FROM customer_tag ct JOIN tag t ON t.id = ct.tag_id "
            f'WHERE ct.customer_id IN ({_marks(len(ids))}) ORDER BY t.name COLLATE "C"',
            list(ids),
        ).fetchall()

    def first_new_customer_id(self) -> int:
        # The new customers' rows need their ids before they are written (their emails,
        # phones and tags name them): other writers wait to add a customer until this
        # transaction ends (bulk_load then moves the sequence past the ids written), while
        # reads and updates go on.
        self.db.execute_sql("LOCK TABLE customer IN SHARE ROW EXCLUSIVE MODE")
        return (self.db.execute_sql("SELECT max(id) FROM customer").fetchone()[0] or 0) + 1
