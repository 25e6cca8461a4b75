"""Migration 20: on PostgreSQL, the index on when customers were added holds their ids too
(tui_crm/db/postgres/migrations/m0020_created_order.sql). SQLite's index holds every row's id
already: a book in a file only takes the number."""


def up(db) -> None:
    pass
