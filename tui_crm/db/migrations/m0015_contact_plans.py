"""Migration 15: communication plans (issue 19).

A category had one cadence in days (`category.cadence_days`) and customers without one the
book's default (meta `default_cadence_days`). Now a plan is a list of touches, each a kind
and an interval (`plan_touch`), for everyone, for the customers without a category, or for
one category; see core/plans.py. The old cadences become one-touch plans that behave exactly
as before: "contact every N days", answered by any interaction.

The queue keeps, with each score, the touch that falls due first and when it was last
answered (`attention_score.touch_id`, `touch_heard`); a meeting or a call is found through
the new index on (customer, kind, time) instead of every interaction of the customer.
"""

PLAN_TOUCH = """
CREATE TABLE plan_touch (
  id INTEGER PRIMARY KEY,
  scope TEXT NOT NULL CHECK (scope IN ('everyone', 'none', 'category')),
  category_id INTEGER REFERENCES category (id) ON DELETE CASCADE,
  kind TEXT NOT NULL CHECK (kind IN ('contact', 'call', 'meeting', 'email', 'message', 'thanks')),
  every_days INTEGER NOT NULL CHECK (every_days BETWEEN 1 AND 3650),
  position INTEGER NOT NULL DEFAULT 0,
  CHECK ((scope = 'category') = (category_id IS NOT NULL))
)"""


def _mark(row: str) -> str:
    """A change to a plan: the scores of the customers it applies to are worked out again."""
    return (
        "UPDATE attention_score SET valid_until = 0 WHERE customer_id IN ("
        f"SELECT id FROM customer WHERE {row}.scope = 'everyone' "
        f"OR ({row}.scope = 'none' AND category_id IS NULL) "
        f"OR category_id = {row}.category_id)"
    )


def up(db) -> None:
    db.execute_sql(PLAN_TOUCH)
    db.execute_sql("CREATE INDEX plan_touch_category ON plan_touch (category_id)")
    db.execute_sql("CREATE INDEX interaction_customer_kind ON interaction (customer_id, kind, at)")
    kept = db.execute_sql("SELECT value FROM meta WHERE key = 'default_cadence_days'").fetchone()
    try:
        default = int(kept[0]) if kept else 90
    except ValueError:
        default = 90
    if not 1 <= default <= 3650:
        default = 90
    db.execute_sql(
        "INSERT INTO plan_touch (scope, kind, every_days) VALUES ('none', 'contact', ?)",
        (default,),
    )
    db.execute_sql(
        "INSERT INTO plan_touch (scope, category_id, kind, every_days) "
        "SELECT 'category', id, 'contact', min(max(cadence_days, 1), 3650) FROM category "
        "ORDER BY id"
    )
    db.execute_sql("DELETE FROM meta WHERE key = 'default_cadence_days'")
    db.execute_sql("DROP TRIGGER IF EXISTS category_kept_au")
    db.execute_sql("ALTER TABLE category DROP COLUMN cadence_days")
    for verb, rows in (("INSERT", ("NEW",)), ("UPDATE", ("OLD", "NEW")), ("DELETE", ("OLD",))):
        body = "; ".join(_mark(row) for row in rows)
        db.execute_sql(
            f"CREATE TRIGGER plan_touch_kept_{verb.lower()} AFTER {verb} ON plan_touch "
            f"BEGIN {body}; END"
        )
    db.execute_sql("ALTER TABLE attention_score ADD COLUMN touch_id INTEGER")
    db.execute_sql("ALTER TABLE attention_score ADD COLUMN touch_heard INTEGER")
    # Every score is worked out again, with its touch, when next read.
    db.execute_sql("DELETE FROM meta WHERE key = 'attention_kept'")
