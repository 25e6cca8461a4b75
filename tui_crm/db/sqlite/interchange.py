"""Import and export on SQLite."""

from __future__ import annotations

from collections.abc import Sequence

from tui_crm.db.store.area import Row
from tui_crm.db.store.interchange import Interchange, _marks


class SqliteInterchange(Interchange):
    def export_tags(self, ids: Sequence[int]) -> list[Row]:
        return self.db.execute_sql(
            "SELECT ct.customer_id, t.name FROM customer_tag ct JOIN tag t ON t.id = ct.tag_id "
            f"WHERE ct.customer_id IN ({_marks(len(ids))}) ORDER BY t.name",
            list(ids),
        ).fetchall()

    def first_new_customer_id(self) -> int:
        # The import's IMMEDIATE transaction keeps every other writer out until it ends.
        return (self.db.execute_sql("SELECT max(id) FROM customer").fetchone()[0] or 0) + 1
