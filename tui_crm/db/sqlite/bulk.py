"""Writing many rows at once on SQLite: the triggers dropped and made again."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager

from tui_crm.db import derived
from tui_crm.db.store.bulk import EVERYTHING, Bulk, Rebuild

_TRIGGERS = "SELECT name, sql FROM main.sqlite_master WHERE type = 'trigger' ORDER BY rowid"


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class SqliteBulk(Bulk):
    @contextmanager
    def bulk_load(self, rebuild: Rebuild = EVERYTHING) -> Iterator[None]:
        """The triggers are dropped, and made again from the SQL sqlite_master held."""
        db = self.db
        with db.atomic():
            triggers = list(db.execute_sql(_TRIGGERS))
            for name, _ in triggers:
                db.execute_sql(f"DROP TRIGGER {_quote(name)}")
            try:
                yield
                # Rebuild before the triggers return: these statements touch no trigger's
                # columns today, and with the triggers off they could not double-count later.
                for statement, params in self._rebuilt(rebuild):
                    db.execute_sql(statement, params)
            finally:
                present = {name for name, _ in db.execute_sql(_TRIGGERS)}
                for name, sql in triggers:  # in their original order (migration 17)
                    if name not in present:
                        db.execute_sql(sql)

    def _rebuilt(self, rebuild: Rebuild) -> Iterator[tuple[str, tuple]]:
        where, params = self._where(rebuild, "id")
        figures = []
        if rebuild.contact:
            figures += [
                f"last_contact_at = {derived.LAST_CONTACT.format(cid='customer.id')}",
                f"next_follow_up = {derived.NEXT_FOLLOW_UP.format(cid='customer.id')}",
            ]
        if rebuild.purchases:
            figures.append(derived.purchase_figures_sql("customer.id"))
        if figures:
            yield f"UPDATE customer SET {', '.join(figures)} WHERE {where}", params
        if rebuild.purchases and not rebuild.summaries:
            rhythm_where, rhythm_params = self._where(rebuild, "customer_id")
            yield f"DELETE FROM purchase_rhythm WHERE {rhythm_where}", rhythm_params
        if rebuild.search:
            if rebuild.customers is None and rebuild.from_id is None:
                yield "DELETE FROM customer_fts", ()
                search_where, search_params = "", ()
            else:
                if rebuild.from_id is None:  # from an id on, the customers are new ones
                    rows_where, rows_params = self._where(rebuild, "rowid")
                    yield f"DELETE FROM customer_fts WHERE {rows_where}", rows_params
                search_where, search_params = self._where(rebuild, "c.id")
            merge_off, index, merge_on = derived.bulk_index_sql(search_where)
            yield merge_off, ()
            yield index, search_params
            yield merge_on, ()
        yield from self._queue_marks(rebuild)
        if rebuild.summaries or rebuild.purchases:
            yield self.SUMMARIES_STALE, ()

    @contextmanager
    def indexes_built_after(self, adding: dict[str, int]) -> Iterator[None]:
        """The plain indexes (not behind UNIQUE or PRIMARY KEY, so rows are still checked as
        they go in) dropped, and made again from their own SQL: one sorted build instead of
        100 000 scattered inserts. Whatever happens, every dropped index is back at the end."""
        db = self.db
        dropped: list[tuple[str, str]] = []
        for table, count in adding.items():
            (held,) = db.execute_sql(f"SELECT count(*) FROM {table}").fetchone()
            if not count or count < held:
                continue
            plain = {
                name
                for _, name, unique, origin, *_ in db.execute_sql(f"PRAGMA index_list({table})")
                if origin == "c" and not unique
            }
            dropped += [
                (name, sql)
                for name, sql in db.execute_sql(
                    "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? "
                    "ORDER BY rowid",
                    (table,),
                )
                if name in plain and sql
            ]
        for name, _ in dropped:
            db.execute_sql(f'DROP INDEX "{name}"')
        try:
            yield
        finally:
            present = {
                name
                for (name,) in db.execute_sql("SELECT name FROM sqlite_master WHERE type = 'index'")
            }
            for name, sql in dropped:
                if name not in present:
                    db.execute_sql(sql)

    def executemany(self, sql: str, rows: Iterable[Sequence]) -> None:
        self.db.connection().executemany(sql, rows)
