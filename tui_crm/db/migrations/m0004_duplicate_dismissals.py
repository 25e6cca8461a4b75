"""Migration 4: pairs of customers a user said are not duplicates (core/duplicates.py).

A pair is stored once, lower id first, and disappears with either customer. Merging re-points
a merged-away customer's pairs to the survivor (core/merge.py).
"""

SCHEMA = """
CREATE TABLE duplicate_dismissal (
  customer_a_id INTEGER NOT NULL REFERENCES customer (id) ON DELETE CASCADE,
  customer_b_id INTEGER NOT NULL REFERENCES customer (id) ON DELETE CASCADE,
  dismissed_at DATETIME NOT NULL,
  who TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (customer_a_id, customer_b_id),
  CHECK (customer_a_id < customer_b_id)
) WITHOUT ROWID;

CREATE INDEX duplicate_dismissal_b ON duplicate_dismissal (customer_b_id);
"""


def up(db) -> None:
    for statement in SCHEMA.split(";"):
        if statement.strip():
            db.execute_sql(statement)
