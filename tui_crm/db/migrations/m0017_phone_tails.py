"""Migration 17: a phone number is found by its last 4 to 8 digits (issue 19).

The search document holds, after each phone's digits, its last 4, 5, 6, 7 and 8 national
digits as tokens (`ǂ0166`, db/derived.py PHONE_TAILS), which a search by digits also matches
(core/search.py `fts_term`): `0166` and `555 0166` find +1 415-555-0166. The notes in it are
kept apart by ' · ', for the snippets a search shows of them (core/search.py
`note_snippets`).

The triggers that write search documents hold the document's SQL as it was when they were
made: they are made again from today's (every trigger, in its order), and the index is made
again (some 4 s at 100 000 customers)."""

from tui_crm.db.derived import bulk_index_sql, phone_update_trigger_sql, trigger_sql


def up(db) -> None:
    made = {}
    for sql in [*trigger_sql(), phone_update_trigger_sql()]:
        name = sql.split()[2]
        made[name] = sql
    # Every trigger made again, in the order they were made. With the search index's trigger
    # on interaction made after the queue's, a connection whose schema another one changed
    # since (a kept summary's indexes are made again as it is refilled) failed to insert an
    # interaction: "no such table: interaction" (SQLite 3.40 to 3.51 alike).
    triggers = db.execute_sql(
        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' ORDER BY rowid"
    ).fetchall()
    for name, _ in triggers:
        db.execute_sql(f"DROP TRIGGER {name}")
    for name, sql in triggers:
        writes_index = "INSERT INTO customer_fts" in sql
        db.execute_sql(made[name] if writes_index else sql)
    # Made anew rather than emptied: emptying a full-text table row by row leaves its index
    # twice the size until it is merged.
    (made_as,) = db.execute_sql(
        "SELECT sql FROM sqlite_master WHERE name = 'customer_fts'"
    ).fetchone()
    db.execute_sql("DROP TABLE customer_fts")
    db.execute_sql(made_as)
    for statement in bulk_index_sql():
        db.execute_sql(statement)
