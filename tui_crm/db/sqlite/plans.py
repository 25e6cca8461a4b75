"""Communication plans on SQLite."""

from __future__ import annotations

from collections.abc import Iterable

from tui_crm.db.store.plans import Plans, Row


class SqlitePlans(Plans):
    def categories_by_name(self) -> list[Row]:
        return self.db.execute_sql(
            "SELECT id, name FROM category ORDER BY name COLLATE NOCASE, id"
        ).fetchall()

    def scope_touches(self, scope: str, category_id: int | None) -> list[Row]:
        return self.db.execute_sql(
            "SELECT kind, every_days FROM plan_touch WHERE scope = ? AND category_id IS ? "
            "ORDER BY position, id",
            (scope, category_id),
        ).fetchall()

    def replace_touches(
        self, scope: str, category_id: int | None, touches: Iterable[tuple[str, int]]
    ) -> None:
        self.db.execute_sql(
            "DELETE FROM plan_touch WHERE scope = ? AND category_id IS ?", (scope, category_id)
        )
        self._insert_touches(scope, category_id, touches)
