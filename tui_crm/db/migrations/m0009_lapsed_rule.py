"""Migration 9: "stopped buying" that predicts (issue 16).

- `purchase_rhythm` keeps what the new rule reads: each customer's purchase days, first and
  last (day numbers), instead of a median gap and a limit. Rows are dropped, as the purchase
  triggers do, and computed again when the queue is next asked for (core/attention.py).
- "lapsed" is no longer a status someone types: it is computed from the purchases. A typed
  "lapsed" becomes "active", and the change is kept in the customer's history; whether the
  customer has stopped buying is what the rule says (`status:lapsed`, `reason:lapsed`).
"""

from datetime import datetime

SCHEMA = """
DROP TABLE purchase_rhythm;
CREATE TABLE purchase_rhythm (
  customer_id INTEGER PRIMARY KEY REFERENCES customer (id) ON DELETE CASCADE,
  purchases INTEGER NOT NULL,
  first_day INTEGER NOT NULL,
  last_day INTEGER NOT NULL
);
DELETE FROM meta WHERE key LIKE 'book_purchase_gap%';
"""

# The change as `update_customer` records one: the customer's version after it.
RECORD = """INSERT INTO customer_change (customer_id, at, who, field, old, new, version)
SELECT id, ?, 'tui-crm (lapsed is now computed from purchases)', 'status', 'lapsed', 'active',
  version + 1
FROM customer WHERE status = 'lapsed'"""


def up(db) -> None:
    for statement in SCHEMA.split(";"):
        if statement.strip():
            db.execute_sql(statement)
    now = datetime.now().replace(microsecond=0).isoformat(sep=" ")
    db.execute_sql(RECORD, (now,))
    db.execute_sql(
        "UPDATE customer SET status = 'active', version = version + 1, updated_at = ? "
        "WHERE status = 'lapsed'",
        (now,),
    )
