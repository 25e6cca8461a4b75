"""For domain tests: the fixed clock, books built the same way in several test files, and a
merge that is not about a race."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from peewee import SqliteDatabase

from tests.versions import current_version
from tui_crm.core.attention import attention_state, mark_done, snooze
from tui_crm.core.customers import add_purchase, create_customer, log_interaction, trash_customer
from tui_crm.core.duplicates import dismiss_pair
from tui_crm.core.merge import merge
from tui_crm.core.plans import Touch, add_category
from tui_crm.db.database import APPLICATION_ID
from tui_crm.db.migrations import m0001_initial

TODAY = date(2026, 11, 18)
NOW = datetime(2026, 11, 18, 12, 0)
ME = "tester"  # the user the `home` fixture sets (TUI_CRM_USER)


def category(db, name: str, days: int) -> int:
    """A category whose plan is one touch: any contact every `days` days (as a category's
    cadence was before plans)."""
    return add_category(db, name, touches=(Touch("contact", days),))


def days_ago(days: int) -> datetime:
    return NOW - timedelta(days=days)


def merge_as_they_are(db, survivor: int, other: int, choices=None, **kwargs):
    """A merge based on the two records as they are now (the race is tested on its own)."""
    return merge(
        db,
        survivor,
        other,
        choices,
        survivor_version=current_version(survivor),
        other_version=current_version(other),
        **kwargs,
    )


def smiths(
    db,
    *,
    stamped: bool = False,
    robert: Mapping[str, Any] | None = None,
    rob: Mapping[str, Any] | None = None,
    rob_talked_about_robert: bool = False,
) -> dict[str, int]:
    """Robert (survivor) and Rob (the other) Smith, each with a life of their own.

    Rob was referred by Rita, brought in Fay and Gus (Gus is in the trash), and both have
    interactions, follow-ups, thanks, purchases and attention marks; Rob's pair with Olga is
    dismissed. `stamped` puts every write that is not about a time of its own on the fixed
    clock too (else they go at the real one); `robert` and `rob` add or replace fields;
    `rob_talked_about_robert` logs an interaction of Rob's regarding Robert."""

    def when(days: int) -> datetime | None:
        return days_ago(days) if stamped else None

    referrer = create_customer(db, {"first_name": "Rita", "last_name": "Referrer"}, now=when(500))
    robert_id = create_customer(
        db,
        {
            "first_name": "Robert",
            "last_name": "Smith",
            "company": "Acme",
            "notes": "Prefers calls in the morning",
            "emails": [("work", "robert@acme.com")],
            "phones": [("work", "+12125550100")],
            "tags": ["vip"],
            "birthday": "1970-01-02",
            **(robert or {}),
        },
        now=days_ago(400),
    )
    rob_id = create_customer(
        db,
        {
            "first_name": "Rob",
            "last_name": "Smith",
            "company": "Acme Corp",
            "city": "Boston",
            "notes": "CFO decides",
            "emails": [("home", "rob@gmail.com"), ("work", "ROBERT@acme.com")],
            "phones": [("mobile", "+16175550123")],
            "tags": ["newsletter", "VIP"],
            "referred_by": referrer,
            "email_opt_out": True,
            "uid": "vcard-rob",
            **(rob or {}),
        },
        now=days_ago(300),
    )
    # Customers Rob brought in, one of them in the trash.
    friend = create_customer(
        db, {"first_name": "Fay", "last_name": "Friend", "referred_by": rob_id}, now=when(200)
    )
    gone = create_customer(
        db, {"first_name": "Gus", "last_name": "Gone", "referred_by": rob_id}, now=when(200)
    )
    trash_customer(db, gone, expected_version=current_version(gone), now=when(100))
    # Interactions, follow-ups, thanks and purchases on both.
    log_interaction(db, robert_id, notes="Intro call", at=days_ago(200), now=days_ago(200))
    log_interaction(
        db,
        rob_id,
        notes="Asked about the zeppelin order",
        at=days_ago(20),
        follow_up="+30d",
        now=days_ago(20),
    )
    log_interaction(
        db, rob_id, kind="thanks", regarding=friend, notes="Card", at=days_ago(15), now=when(0)
    )
    if rob_talked_about_robert:
        log_interaction(
            db, rob_id, regarding=robert_id, notes="Talked about Robert", at=days_ago(14), now=NOW
        )
    log_interaction(
        db, referrer, kind="thanks", regarding=rob_id, notes="Flowers", at=days_ago(250)
    )
    add_purchase(db, robert_id, amount=10000, day=TODAY - timedelta(days=100), now=when(0))
    add_purchase(db, rob_id, amount=2550, day=TODAY - timedelta(days=10), now=when(0))
    add_purchase(db, rob_id, amount=700, day=TODAY - timedelta(days=500), now=when(0))
    snooze(
        db,
        rob_id,
        ["cadence", "lapsed"],
        TODAY + timedelta(days=5),
        seen=attention_state(db, rob_id),
    )
    mark_done(db, robert_id, ["cadence"], now=NOW, seen=attention_state(db, robert_id))
    other = create_customer(db, {"first_name": "Olga", "last_name": "Other"}, now=when(50))
    dismiss_pair(
        db, rob_id, other, a_version=current_version(rob_id), b_version=current_version(other)
    )
    return {
        "robert": robert_id,
        "rob": rob_id,
        "referrer": referrer,
        "friend": friend,
        "gone": gone,
        "other": other,
    }


def first_release_book(path: Path, names=("Anna", "Ben", "Cecilie")) -> None:
    """A book as the first release wrote it (schema 1), with one customer per name."""
    first = SqliteDatabase(str(path))
    m0001_initial.up(first)
    first.execute_sql(f"PRAGMA application_id = {APPLICATION_ID}")
    first.execute_sql("PRAGMA user_version = 1")
    for name in names:
        first.execute_sql(
            "INSERT INTO customer (first_name, created_at, updated_at) VALUES (?, ?, ?)",
            (name, "2025-01-01 09:00:00", "2025-01-01 09:00:00"),
        )
    first.close()


def recorded_statements(db, monkeypatch) -> list[tuple[str, Any]]:
    """(SQL, parameters) of every statement `db.execute_sql` runs from now on, as it runs."""
    statements: list[tuple[str, Any]] = []
    execute = db.execute_sql
    monkeypatch.setattr(
        db,
        "execute_sql",
        lambda sql, params=None: statements.append((sql, params)) or execute(sql, params),
    )
    return statements


def query_plan(db, sql: str, params: Any = None) -> str:
    """SQLite's EXPLAIN QUERY PLAN of one statement, as text."""
    return str(db.execute_sql("EXPLAIN QUERY PLAN " + sql, params).fetchall())
