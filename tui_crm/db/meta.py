"""The book's own settings and marks: one text value per key in the `meta` table."""

from __future__ import annotations

from peewee import Database


def meta_value(db: Database, key: str) -> str | None:
    """The value kept under `key`, or None."""
    row = db.execute_sql("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return row[0] if row else None


def set_meta(db: Database, key: str, value: str) -> None:
    db.execute_sql(
        "INSERT INTO meta (key, value) VALUES (?, ?) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (key, value),
    )
