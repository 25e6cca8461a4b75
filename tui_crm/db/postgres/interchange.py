"""Import and export on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from tui_crm.db.store.area import Row
from tui_crm.db.store.interchange import Interchange, _marks, _names

# An import's new rows go in by COPY, one stream a table (an INSERT for each row costs a round
# of the protocol, even pipelined: 2.7 s of a 10 000-row import); the columns as the store's
# INSERTs name them.
EMAIL_COLUMNS = ("customer_id", "label", "address", "position")
PHONE_COLUMNS = (
    "customer_id", "label", "number", "national", "verified", "extension", "shown", "position",
)  # fmt: skip
CREATED_COLUMNS = ("customer_id", "at", "who", "field", "new", "version")
PURCHASE_COLUMNS = (
    "customer_id", "day", "cents", "currency", "description", "category", "invoice_ref",
    "created_at",
)  # fmt: skip


class PostgresInterchange(Interchange):
    def export_tags(self, ids: Sequence[int]) -> list[Row]:
        return self.db.execute_sql(
            "SELECT ct.customer_id, t.name FROM customer_tag ct JOIN tag t ON t.id = ct.tag_id "
            f'WHERE ct.customer_id IN ({_marks(len(ids))}) ORDER BY t.name COLLATE "C"',
            list(ids),
        ).fetchall()

    def first_new_customer_id(self) -> int:
        # The new customers' rows need their ids before they are written (their emails,
        # phones and tags name them): other writers wait to add a customer until this
        # transaction ends (bulk_load then moves the sequence past the ids written), while
        # reads and updates go on.
        self.db.execute_sql("LOCK TABLE customer IN SHARE ROW EXCLUSIVE MODE")
        # (Counted over the whole book for a salesperson who sees only their own customers.)
        return self.db.execute_sql("SELECT crm_last_customer_id()").fetchone()[0] + 1

    def insert_customers(self, columns: Sequence[str], rows: Iterable[Sequence]) -> None:
        self.insert_rows("customer", _names(columns).split(", "), rows)  # type: ignore[attr-defined]

    def insert_emails(self, rows: Iterable[Sequence]) -> None:
        self.insert_rows("customer_email", EMAIL_COLUMNS, rows)  # type: ignore[attr-defined]

    def insert_phones(self, rows: Iterable[Sequence]) -> None:
        self.insert_rows("customer_phone", PHONE_COLUMNS, rows)  # type: ignore[attr-defined]

    def insert_customer_tags(self, rows: Iterable[Sequence]) -> None:
        # Through a table of the connection's own: COPY cannot pass over a tag already held.
        db = self.db
        db.execute_sql(
            "CREATE TEMP TABLE IF NOT EXISTS tags_given (customer_id integer, tag_id integer)"
        )
        db.execute_sql("DELETE FROM pg_temp.tags_given")
        self.insert_rows("pg_temp.tags_given", ("customer_id", "tag_id"), rows)  # type: ignore[attr-defined]
        db.execute_sql(
            "INSERT INTO customer_tag (customer_id, tag_id) "
            "SELECT customer_id, tag_id FROM pg_temp.tags_given ON CONFLICT DO NOTHING"
        )
        db.execute_sql("DELETE FROM pg_temp.tags_given")

    def record_created(self, rows: Iterable[Sequence]) -> None:
        self.insert_rows("customer_change", CREATED_COLUMNS, rows)  # type: ignore[attr-defined]

    def insert_purchases(self, rows: Iterable[Sequence]) -> None:
        self.insert_rows("purchase", PURCHASE_COLUMNS, rows)  # type: ignore[attr-defined]
