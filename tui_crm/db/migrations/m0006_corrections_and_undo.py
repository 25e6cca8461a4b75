"""Migration 6: corrections and undo (core/corrections.py, core/undo.py, core/trash.py).

- `interaction.version` and `purchase.version`: a correction is based on the version of the
  row it read, so two people correcting one call cannot silently overwrite each other;
- `undo_step`: the journal of undoable actions (trash, merge, mark lost, snooze, done and each
  correction), one row per action written in the action's own transaction, with what undoing
  it needs as JSON. A step names one or two customers and disappears with them (purge).
"""

SCHEMA = """
ALTER TABLE interaction ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
ALTER TABLE purchase ADD COLUMN version INTEGER NOT NULL DEFAULT 1;

CREATE TABLE undo_step (
  id INTEGER PRIMARY KEY,
  at DATETIME NOT NULL,
  who TEXT NOT NULL DEFAULT '',
  kind TEXT NOT NULL,
  label TEXT NOT NULL,
  customer_id INTEGER NOT NULL REFERENCES customer (id) ON DELETE CASCADE,
  other_id INTEGER REFERENCES customer (id) ON DELETE CASCADE,
  payload TEXT NOT NULL DEFAULT '{}',
  undone_at DATETIME
);
CREATE INDEX undo_step_who ON undo_step (who, id);
CREATE INDEX undo_step_customer ON undo_step (customer_id, kind);
CREATE INDEX undo_step_other ON undo_step (other_id, kind);
"""


def up(db) -> None:
    for statement in SCHEMA.split(";"):
        if statement.strip():
            db.execute_sql(statement)
