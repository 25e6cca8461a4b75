"""Migration 3: what the needs-attention queue keeps (core/attention.py).

- `attention_mark`: a reason snoozed until a date, or marked done (its clock restarts then);
- `purchase_rhythm`: each customer's usual gap between purchases, computed in Python from
  their purchase days (a median and a spread, too awkward for a trigger) and dropped by the
  triggers below whenever their purchases change, so it is never stale;
- a partial index on thanks interactions, for "was this referrer thanked?".
"""

SCHEMA = """
CREATE TABLE attention_mark (
  customer_id INTEGER NOT NULL REFERENCES customer (id) ON DELETE CASCADE,
  reason TEXT NOT NULL,
  snoozed_until DATE,
  done_at DATETIME,
  who TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (customer_id, reason)
) WITHOUT ROWID;

CREATE TABLE purchase_rhythm (
  customer_id INTEGER PRIMARY KEY REFERENCES customer (id) ON DELETE CASCADE,
  purchases INTEGER NOT NULL,
  typical_gap REAL NOT NULL,
  limit_days INTEGER NOT NULL
);

CREATE INDEX interaction_thanks ON interaction (customer_id, at) WHERE kind = 'thanks';
"""

FORGET_RHYTHM = "DELETE FROM purchase_rhythm WHERE customer_id = {cid}"

TRIGGERS = (
    "CREATE TRIGGER purchase_rhythm_ai AFTER INSERT ON purchase BEGIN "
    f"{FORGET_RHYTHM.format(cid='NEW.customer_id')}; END",
    "CREATE TRIGGER purchase_rhythm_au AFTER UPDATE ON purchase BEGIN "
    f"{FORGET_RHYTHM.format(cid='OLD.customer_id')}; "
    f"{FORGET_RHYTHM.format(cid='NEW.customer_id')}; END",
    "CREATE TRIGGER purchase_rhythm_ad AFTER DELETE ON purchase BEGIN "
    f"{FORGET_RHYTHM.format(cid='OLD.customer_id')}; END",
)


def up(db) -> None:
    for statement in SCHEMA.split(";"):
        if statement.strip():
            db.execute_sql(statement)
    for statement in TRIGGERS:
        db.execute_sql(statement)
