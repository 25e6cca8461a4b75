"""Communication plans as the book keeps them (`plan_touch`; core/plans.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from tui_crm.db.store.area import Area, Row


class Plans(Area):
    caseless: Callable[[str], str]  # the search's: a column in SQLite's NOCASE order

    def plan_touches(self) -> list[Row]:
        """(scope, category id, kind, every days) of every touch, in each plan's order."""
        return self.db.execute_sql(
            "SELECT scope, category_id, kind, every_days FROM plan_touch ORDER BY position, id"
        ).fetchall()

    def categories_by_name(self) -> list[Row]:
        """(id, name) of every category, by name in any case."""
        return self.db.execute_sql(
            f"SELECT id, name FROM category ORDER BY {self.caseless('name')}, id"
        ).fetchall()

    def touches_for(self, category_id: int | None) -> list[Row]:
        """(kind, every days) of everyone's touches, then those of the category (of the
        customers without one for None)."""
        scope = "t.scope = 'none'" if category_id is None else "t.category_id = ?"
        return self.db.execute_sql(
            f"SELECT kind, every_days FROM plan_touch t WHERE t.scope = 'everyone' OR {scope} "
            "ORDER BY t.scope = 'everyone' DESC, t.position, t.id",
            () if category_id is None else (category_id,),
        ).fetchall()

    def category_named(self, folded: str) -> Row | None:
        """(id, name) of the category whose name folds to `folded`, if any."""
        return self.db.execute_sql(
            "SELECT id, name FROM category WHERE casefold(name) = ?", (folded,)
        ).fetchone()

    def category_exists(self, category_id: int) -> bool:
        return bool(
            self.db.execute_sql("SELECT 1 FROM category WHERE id = ?", (category_id,)).fetchone()
        )

    def scope_touches(self, scope: str, category_id: int | None) -> list[Row]:
        """(kind, every days) of one plan's touches, in order."""
        return self.db.execute_sql(
            "SELECT kind, every_days FROM plan_touch "
            f"WHERE scope = ? AND category_id {self.SAME_AS} ? ORDER BY position, id",
            (scope, category_id),
        ).fetchall()

    def replace_touches(
        self, scope: str, category_id: int | None, touches: Iterable[tuple[str, int]]
    ) -> None:
        """One plan's touches, (kind, every days) in order, in place of the ones it had."""
        self.db.execute_sql(
            f"DELETE FROM plan_touch WHERE scope = ? AND category_id {self.SAME_AS} ?",
            (scope, category_id),
        )
        for position, (kind, every_days) in enumerate(touches):
            self.db.execute_sql(
                "INSERT INTO plan_touch (scope, category_id, kind, every_days, position) "
                "VALUES (?, ?, ?, ?, ?)",
                (scope, category_id, kind, every_days, position),
            )

    def touch_people(self, ids: Iterable[int]) -> list[Row]:
        """(id, category id, created at, last contact at) of those customers."""
        return self.db.execute_sql(
            f"SELECT id, category_id, created_at, last_contact_at FROM customer "
            f"WHERE id IN ({self.ID_LIST})",
            (self.ids(ids),),
        ).fetchall()

    def last_of_each_kind(self, ids: Iterable[int]) -> list[Row]:
        """(customer id, kind, time of the last interaction of that kind) of those customers."""
        return self.db.execute_sql(
            "SELECT customer_id, kind, max(at) FROM interaction "
            f"WHERE customer_id IN ({self.ID_LIST}) GROUP BY customer_id, kind",
            (self.ids(ids),),
        ).fetchall()
