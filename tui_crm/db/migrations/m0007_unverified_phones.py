"""Migration 7: phone numbers kept as given (issue 15).

- `customer_phone.verified`: 1 for a number phonenumbers validated (`number` is E.164, as
  every number stored before this migration), 0 for one kept as typed (`number` is the text
  as given, `national` its digits, so search still finds it; duplicate checks ignore it);
- `customer_phone.extension`: the digits after "x", "ext." or ";ext=", kept apart from the
  number and written back by exports.
"""

SCHEMA = """
ALTER TABLE customer_phone ADD COLUMN verified INTEGER NOT NULL DEFAULT 1;
ALTER TABLE customer_phone ADD COLUMN extension TEXT NOT NULL DEFAULT '';
"""


def up(db) -> None:
    for statement in SCHEMA.split(";"):
        if statement.strip():
            db.execute_sql(statement)
