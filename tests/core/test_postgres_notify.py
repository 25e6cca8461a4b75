"""Every app on a PostgreSQL book hears another's write (LISTEN tui_crm_book): one
notification when a transaction that wrote the book's rows commits, none for one that only
read or was rolled back."""

from __future__ import annotations

import psycopg
import pytest

from tui_crm.db.postgres.book import PostgresBook, migrate

pytestmark = pytest.mark.postgres


def _heard(listener: psycopg.Connection) -> int:
    return sum(1 for _ in listener.notifies(timeout=0.2, stop_after=10))


def test_a_committed_write_is_heard_once_and_a_read_or_rollback_not_at_all(pg_url):
    writer = PostgresBook(pg_url)
    migrate(writer)
    listener = psycopg.connect(pg_url, autocommit=True)
    listener.execute("LISTEN tui_crm_book")
    try:
        with writer.atomic():
            writer.execute_sql(
                "INSERT INTO customer (first_name, created_at, updated_at) "
                "VALUES ('Ann', '2026-12-06 10:00:00', '2026-12-06 10:00:00')"
            )
            writer.execute_sql(
                "INSERT INTO interaction (customer_id, at, created_at) "
                "SELECT id, '2026-12-06 10:05:00', '2026-12-06 10:05:00' FROM customer"
            )
        assert _heard(listener) == 1

        writer.execute_sql("SELECT count(*) FROM customer")
        assert _heard(listener) == 0

        try:
            with writer.atomic():
                writer.execute_sql("UPDATE customer SET notes = 'x'")
                raise RuntimeError("changed my mind")
        except RuntimeError:
            pass
        assert _heard(listener) == 0
    finally:
        listener.close()
        writer.close()
