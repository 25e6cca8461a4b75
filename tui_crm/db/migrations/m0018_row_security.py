"""Migration 18: who may see what, on PostgreSQL (tui_crm/db/postgres/migrations/
m0018_row_security.sql: row-level security, and the kept figures written as the tables'
owner). A file has no roles: whoever can open it reads every customer (README "Sharing one
book"), so a book in a file only takes the number, and a book at schema N is the same on
either engine."""


def up(db) -> None:
    pass
