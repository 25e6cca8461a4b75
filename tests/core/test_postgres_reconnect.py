"""A book on PostgreSQL outlives its server's restarts (issue 20): when the server ends a
session, the statement that finds it gone fails in one line, and the next one connects again,
as the app's next key or the next command does. A transaction it cut is not carried on."""

from __future__ import annotations

import psycopg
import pytest

from tui_crm.core.customers import create_customer
from tui_crm.db.database import close_database, open_database

pytestmark = pytest.mark.postgres


def _end_sessions(url: str, pid: int) -> None:
    """What a server restart does to a session: it is ended from outside."""
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))


def test_the_next_statement_after_the_server_ended_the_session_connects_again(pg_url):
    db = open_database(pg_url)
    try:
        create_customer(db, {"first_name": "Ada"})
        pid = db.execute_sql("SELECT pg_backend_pid()").fetchone()[0]
        _end_sessions(pg_url, pid)
        with pytest.raises(Exception):  # noqa: B017 - whichever way the driver says it
            db.execute_sql("SELECT count(*) FROM customer")
        assert db.execute_sql("SELECT count(*) FROM customer").fetchone() == (1,)
        assert db.execute_sql("SELECT pg_backend_pid()").fetchone()[0] != pid
        # and a write in a transaction works on the new session
        create_customer(db, {"first_name": "Grace"})
        assert db.execute_sql("SELECT count(*) FROM customer").fetchone() == (2,)
    finally:
        close_database()


def test_a_transaction_the_server_cut_is_lost_whole_and_the_next_one_works(pg_url):
    db = open_database(pg_url)
    try:
        with pytest.raises(Exception), db.atomic():  # noqa: B017
            db.execute_sql("INSERT INTO tag (name) VALUES ('half')")
            _end_sessions(pg_url, db.execute_sql("SELECT pg_backend_pid()").fetchone()[0])
            db.execute_sql("INSERT INTO tag (name) VALUES ('other half')")
        with db.atomic():
            db.execute_sql("INSERT INTO tag (name) VALUES ('whole')")
        names = [row[0] for row in db.execute_sql("SELECT name FROM tag ORDER BY name")]
        assert names == ["whole"]
    finally:
        close_database()
