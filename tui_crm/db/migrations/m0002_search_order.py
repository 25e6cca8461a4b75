"""Migration 2: indexes in the sort orders search offers that had none (name, created, lifetime).

With them, a search that matches most of the book can walk customers in the asked order and
stop at the limit, instead of sorting every match (core/search.py).
"""

INDEXES = (
    "CREATE INDEX customer_first_name "
    "ON customer (first_name COLLATE NOCASE, last_name COLLATE NOCASE)",
    "CREATE INDEX customer_created ON customer (created_at)",
    "CREATE INDEX customer_value_lifetime ON customer_value (lifetime)",
)


def up(db) -> None:
    for statement in INDEXES:
        db.execute_sql(statement)
