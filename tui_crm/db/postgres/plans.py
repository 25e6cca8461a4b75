"""Communication plans on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterable

from tui_crm.db.store.plans import Plans, Row


class PostgresPlans(Plans):
    def categories_by_name(self) -> list[Row]:
        return self.db.execute_sql(
            'SELECT id, name FROM category ORDER BY ascii_lower(name) COLLATE "C", id'
        ).fetchall()

    def scope_touches(self, scope: str, category_id: int | None) -> list[Row]:
        return self.db.execute_sql(
            "SELECT kind, every_days FROM plan_touch "
            "WHERE scope = ? AND category_id IS NOT DISTINCT FROM ? ORDER BY position, id",
            (scope, category_id),
        ).fetchall()

    def replace_touches(
        self, scope: str, category_id: int | None, touches: Iterable[tuple[str, int]]
    ) -> None:
        self.db.execute_sql(
            "DELETE FROM plan_touch WHERE scope = ? AND category_id IS NOT DISTINCT FROM ?",
            (scope, category_id),
        )
        self._insert_touches(scope, category_id, touches)
