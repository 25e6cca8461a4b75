"""Migration 5: every customer gets a stable uid (urn:uuid:…), the key that exports carry
so a file exported here and imported again (here or in another book) updates, never
duplicates. New customers get theirs when created (core/customers.py)."""

import uuid


def up(db) -> None:
    ids = [row[0] for row in db.execute_sql("SELECT id FROM customer WHERE uid IS NULL")]
    db.connection().executemany(
        "UPDATE customer SET uid = ? WHERE id = ?",
        [(f"urn:uuid:{uuid.uuid4()}", cid) for cid in ids],
    )
