"""Migration 19: on PostgreSQL, indexes that hold text of any length (tui_crm/db/postgres/
migrations/m0019_long_text.sql). SQLite's indexes hold entries of any length already: a book in
a file only takes the number."""


def up(db) -> None:
    pass
