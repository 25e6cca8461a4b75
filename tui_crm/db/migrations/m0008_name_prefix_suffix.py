"""Migration 8: a name's prefix and suffix in fields of their own (issue 15).

"Dr.", "Mr.", "Prof." (`prefix`) and "Jr.", "III", "PhD" (`suffix`) were kept in the notes
("Title: Dr.") until the customer's fields were declared once; they are never a first or last
name. Existing notes lines are left as they are.
"""

SCHEMA = """
ALTER TABLE customer ADD COLUMN prefix TEXT NOT NULL DEFAULT '';
ALTER TABLE customer ADD COLUMN suffix TEXT NOT NULL DEFAULT '';
"""


def up(db) -> None:
    for statement in SCHEMA.split(";"):
        if statement.strip():
            db.execute_sql(statement)
