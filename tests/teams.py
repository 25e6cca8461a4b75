"""A team on the test cluster for row-level security tests (README "Team mode"): a book owned
by a team role with one member (mona, who sees everything) and two salespeople restricted to
their own customers (ole and per, with rights on the tables through `reps`)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg

PEOPLE = ("mona", "ole", "per")


@contextmanager
def restricted_team(cluster, tag: str = "") -> Iterator[dict]:
    """The team's book, empty: {"urls": {person: URL}, "names": {person or role: role name},
    "admin": the superuser's URL of the book}. Dropped afterwards."""
    tag = f"{os.getpid()}{tag}"
    names = {who: f"{who}_{tag}" for who in ("team", "reps", *PEOPLE)}
    database = f"rls_{tag}"
    with psycopg.connect(cluster.url(), autocommit=True) as conn:
        conn.execute(f"CREATE ROLE {names['team']}")
        conn.execute(f"CREATE ROLE {names['reps']}")
        conn.execute(f"CREATE ROLE {names['mona']} LOGIN IN ROLE {names['team']}")
        for rep in ("ole", "per"):
            conn.execute(f"CREATE ROLE {names[rep]} LOGIN IN ROLE {names['reps']}")
        conn.execute(f"CREATE DATABASE {database} OWNER {names['team']}")
    with psycopg.connect(cluster.url(database), autocommit=True) as conn:
        for grant in ("SELECT, INSERT, UPDATE, DELETE ON TABLES", "USAGE, SELECT ON SEQUENCES"):
            conn.execute(
                f"ALTER DEFAULT PRIVILEGES FOR ROLE {names['team']} IN SCHEMA public "
                f"GRANT {grant} TO {names['reps']}"
            )
    try:
        yield {
            "urls": {who: cluster.url(database, user=names[who]) for who in PEOPLE},
            "names": names,
            "admin": cluster.url(database),
        }
    finally:
        with psycopg.connect(cluster.url(), autocommit=True) as conn:
            conn.execute(f"DROP DATABASE {database} WITH (FORCE)")
            for role in ("ole", "per", "mona", "reps", "team"):
                conn.execute(f"DROP ROLE {names[role]}")
