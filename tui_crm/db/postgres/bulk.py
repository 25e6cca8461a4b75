"""Writing many rows at once on PostgreSQL: the triggers stay, and do nothing while the
transaction has `crm.bulk` on (the schema's crm_bulk()); no table is locked for it."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager

from tui_crm.db.store.bulk import EVERYTHING, Bulk, Rebuild

# Each figure kept on the customer row, as worked out from their rows (the schema's
# crm_contact_figures and crm_purchase_figures do the same for one customer).
FIGURES = {
    "last_contact_at": "(SELECT max(at) FROM interaction WHERE customer_id = customer.id)",
    "next_follow_up": """(
  SELECT CASE WHEN EXISTS (
           SELECT 1 FROM interaction j
           WHERE j.customer_id = i.customer_id AND j.at > i.at AND j.at::date >= i.follow_up)
         THEN NULL ELSE i.follow_up END
  FROM interaction i
  WHERE i.customer_id = customer.id AND i.follow_up IS NOT NULL AND NOT i.follow_up_done
  ORDER BY i.at DESC, i.id DESC LIMIT 1)""",
    "lifetime_cents": "(SELECT coalesce(sum(cents), 0) FROM purchase "
    "WHERE customer_id = customer.id)",
    "purchase_count": "(SELECT count(*) FROM purchase WHERE customer_id = customer.id)",
    "last_purchase_on": "(SELECT max(day) FROM purchase WHERE customer_id = customer.id)",
}


def _set(*columns: str) -> str:
    return ", ".join(f"{column} = {FIGURES[column]}" for column in columns)


CONTACT = _set("last_contact_at", "next_follow_up")
PURCHASES = _set("lifetime_cents", "purchase_count", "last_purchase_on")


def _refreshed(columns: list[str], where: str) -> str:
    """The UPDATE that brings `columns` of the customers `where` picks to what their rows say,
    writing only those whose figures differ: a copied book's are right already, and writing
    100 000 customers again (a new version of each row and of its entry in every index) cost
    5 s of the 6."""
    worked_out = ", ".join(f"{FIGURES[column]} AS {column}" for column in columns)
    kept = ", ".join(f"customer.{column}" for column in columns)
    found = ", ".join(f"f.{column}" for column in columns)
    return (
        f"UPDATE customer SET {', '.join(f'{column} = f.{column}' for column in columns)} "
        f"FROM (SELECT id, {worked_out} FROM customer WHERE {where}) AS f "
        f"WHERE customer.id = f.id AND ({kept}) IS DISTINCT FROM ({found})"
    )


class PostgresBulk(Bulk):
    @contextmanager
    def bulk_load(self, rebuild: Rebuild = EVERYTHING) -> Iterator[None]:
        db = self.db
        with db.atomic():
            db.execute_sql("SELECT set_config('crm.bulk', 'on', true)")
            # A failure inside ends the transaction (or its savepoint), and the setting with
            # it: no statement after one that failed, which would only hide its error.
            yield
            db.execute_sql("SELECT set_config('crm.bulk', 'off', true)")
            db.execute_sql("SELECT crm_resync_ids()")  # rows may have come with their ids
            for statement, params in self._rebuilt(rebuild):
                db.execute_sql(statement, params)
            self._analyze_written()
            # The rows written with crm.bulk on notified no one (the schema's crm_notify):
            # every open app hears of them once, at the commit, if a row of theirs changed.
            db.execute_sql(
                "SELECT pg_notify('tui_crm_book', '') WHERE EXISTS ("
                "SELECT 1 FROM pg_stat_xact_user_tables x JOIN pg_trigger t ON t.tgrelid = x.relid "
                "WHERE t.tgfoid = 'crm_notify'::regproc "
                "AND x.n_tup_ins + x.n_tup_upd + x.n_tup_del > 0)"
            )

    def _analyze_written(self) -> None:
        """The planner's statistics of each table this transaction changed by a tenth or more
        (autovacuum's measure), taken now rather than a minute after the commit: a copied book
        planned without them reads every document for a one-letter search. And the search
        index's list of pending entries merged into it, which every search would read through
        until autovacuum gets to it. Tables the user does not own are left to autovacuum."""
        written = self.db.execute_sql(
            "SELECT x.relname, x.n_tup_ins FROM pg_stat_xact_user_tables x "
            "JOIN pg_class c ON c.oid = x.relid "
            "WHERE x.schemaname = current_schema() AND pg_has_role(c.relowner, 'USAGE') "
            "AND x.n_tup_ins + x.n_tup_upd + x.n_tup_del > 50 + 0.1 * greatest(c.reltuples, 0) "
            "ORDER BY x.relname"
        ).fetchall()
        for table, inserted in written:
            self.db.execute_sql(f'ANALYZE "{table}"')
            if table == "customer_search" and inserted:
                self.db.execute_sql("SELECT gin_clean_pending_list('customer_search_words')")

    def _rebuilt(self, rebuild: Rebuild) -> Iterator[tuple[str, tuple]]:
        where, params = self._where(rebuild, "id")
        figures = (["last_contact_at", "next_follow_up"] if rebuild.contact else []) + (
            ["lifetime_cents", "purchase_count", "last_purchase_on"] if rebuild.purchases else []
        )
        if figures:
            yield _refreshed(figures, where), params
        if rebuild.purchases and not rebuild.summaries:
            rhythm_where, rhythm_params = self._where(rebuild, "customer_id")
            yield f"DELETE FROM purchase_rhythm WHERE {rhythm_where}", rhythm_params
        if rebuild.search:
            search_where, search_params = self._where(rebuild, "customer_id")
            if rebuild.from_id is None:
                yield f"DELETE FROM customer_search WHERE {search_where}", search_params
            yield (
                "INSERT INTO customer_search (customer_id, name, company, contact, place, tags, "
                "notes, words) SELECT customer_id, name, company, contact, place, tags, notes, "
                f"words FROM customer_search_made WHERE {search_where}",
                search_params,
            )
        yield from self._queue_marks(rebuild)
        if rebuild.summaries or rebuild.purchases:
            yield self.SUMMARIES_STALE, ()

    @contextmanager
    def indexes_built_after(self, adding: dict[str, int]) -> Iterator[None]:
        # PostgreSQL keeps its indexes well enough row by row for the sizes a book has.
        yield

    def insert_rows(self, table: str, columns: Sequence[str], rows: Iterable[Sequence]) -> None:
        if self.db.restricted:  # PostgreSQL checks each row a policy limits as it is inserted
            super().insert_rows(table, columns, rows)
            return
        # COPY: one stream of rows, not a statement for each.
        statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
        with self.db.cursor() as cursor, cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(row)

    def executemany(self, sql: str, rows: Iterable[Sequence]) -> None:
        from tui_crm.db.postgres.book import _own_terms

        with self.db.cursor() as cursor:
            cursor.executemany(_own_terms(sql), rows)
