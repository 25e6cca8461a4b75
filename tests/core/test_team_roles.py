"""Who you are on a book on PostgreSQL (issue 20, team mode): each salesperson logs in as a
role of their own; the book's tables belong to the team's role that owns the database, so
whoever opens it first, every member reads and writes it; what each writes is recorded as
their role, `owner:me` means their role, and undo never takes back another's step."""

from __future__ import annotations

import os
from datetime import date

import psycopg
import pytest

from tui_crm.core.config import user_of
from tui_crm.core.customers import create_customer, get_profile, log_interaction
from tui_crm.core.query import parse
from tui_crm.core.search import search
from tui_crm.core.undo import NOTHING_TO_UNDO, undo_last
from tui_crm.db.database import close_database, open_database
from tui_crm.errors import CrmError

pytestmark = pytest.mark.postgres

TODAY = date(2026, 12, 6)


@pytest.fixture
def team(pg_cluster):
    """A database owned by a team role with two members, anna and ben: their URLs."""
    tag = os.getpid()
    names = {"team": f"team_{tag}", "anna": f"anna_{tag}", "ben": f"ben_{tag}"}
    database = f"sales_{tag}"
    with psycopg.connect(pg_cluster.url(), autocommit=True) as conn:
        conn.execute(f"CREATE ROLE {names['team']}")
        for person in ("anna", "ben"):
            conn.execute(f"CREATE ROLE {names[person]} LOGIN IN ROLE {names['team']}")
        conn.execute(f"CREATE DATABASE {database} OWNER {names['team']}")
    yield {person: pg_cluster.url(database, user=names[person]) for person in ("anna", "ben")} | {
        "names": names
    }
    close_database()
    with psycopg.connect(pg_cluster.url(), autocommit=True) as conn:
        conn.execute(f"DROP DATABASE {database} WITH (FORCE)")
        for role in ("anna", "ben", "team"):
            conn.execute(f"DROP ROLE {names[role]}")


def test_each_member_writes_as_their_role_into_a_book_the_team_owns(team):
    names = team["names"]
    anna = open_database(team["anna"])  # the first to open it makes the tables
    owners = {
        row[0]
        for row in anna.execute_sql("SELECT tableowner FROM pg_tables WHERE schemaname = 'public'")
    }
    assert owners == {names["team"]}
    mine = create_customer(anna, {"first_name": "Astrid", "owner": names["anna"]})
    close_database()

    ben = open_database(team["ben"])
    theirs = create_customer(ben, {"first_name": "Bodil", "owner": names["ben"]})
    log_interaction(ben, mine, kind="call", notes="ben called astrid")
    profile = get_profile(ben, mine, TODAY)
    assert [i.logged_by for i in profile.interactions] == [names["ben"]]
    who = dict(ben.execute_sql("SELECT customer_id, who FROM customer_change").fetchall())
    assert who == {mine: names["anna"], theirs: names["ben"]}
    assert user_of(ben) == names["ben"]
    assert [row.id for row in search(ben, parse("owner:me"), as_of=TODAY)] == [theirs]
    close_database()

    anna = open_database(team["anna"])
    assert [row.id for row in search(anna, parse("owner:me"), as_of=TODAY)] == [mine]
    # ben's call is not anna's to undo: only her own steps are
    with pytest.raises(CrmError, match=NOTHING_TO_UNDO):
        while True:
            undo_last(anna, who=user_of(anna))
    assert [i.notes for i in get_profile(anna, mine, TODAY).interactions] == ["ben called astrid"]


def test_a_restore_by_one_member_leaves_the_book_the_teams(team, home):
    from tui_crm.core.backups import backup_now, restore_from

    names = team["names"]
    anna = open_database(team["anna"])
    kept = create_customer(anna, {"first_name": "Kept"})
    close_database()
    archive = backup_now(team["anna"])
    ben = open_database(team["ben"])
    create_customer(ben, {"first_name": "Gone"})
    close_database()

    done = restore_from(team["anna"], archive)
    assert done.customers == 1
    ben = open_database(team["ben"])
    owners = {
        row[0]
        for row in ben.execute_sql("SELECT tableowner FROM pg_tables WHERE schemaname = 'public'")
    }
    assert owners == {names["team"]}
    log_interaction(ben, kept, kind="call", notes="still ours")
    assert [c.id for c in search(ben, parse(""), as_of=TODAY)] == [kept]
