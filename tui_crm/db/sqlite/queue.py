"""The needs-attention queue and the agenda on SQLite."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence

from tui_crm.db import derived
from tui_crm.db.store.queue import Queue, Row, ScoreFunctions

# The day a referral happened, for customer alias `r`.
REFERRAL_DAY = "coalesce(r.acquired_on, date(r.created_at))"

# 1 when the referral of customer `r` by customer `r.referred_by_id` was thanked.
THANKED_SQL = f"""EXISTS (
  SELECT 1 FROM interaction t INDEXED BY interaction_thanks
  WHERE t.customer_id = r.referred_by_id AND t.kind = 'thanks'
    AND (t.regarding_id = r.id OR (t.regarding_id IS NULL AND date(t.at) >= {REFERRAL_DAY})))"""


class SqliteQueue(Queue):
    # `LIMIT -1 OFFSET 0` keeps SQLite from folding a layer into the next one.
    FENCE = "LIMIT -1 OFFSET 0"
    RANK_INDEX = " INDEXED BY attention_score_rank"

    def day(self, column: str) -> str:
        return derived.ordinal(column)

    def later_day(self, column: str, other: str) -> str:
        return derived.ordinal(f"max({column}, coalesce({other}, ''))")

    def flag(self, column: str) -> str:
        return column

    def as_flag(self, condition: str) -> str:
        return condition

    def count_of(self, condition: str) -> str:
        return f"({condition})"

    def real(self, number: str) -> str:
        return number

    def integer(self, value: str) -> str:
        return f"CAST({value} AS INTEGER)"

    def larger(self, *values: str) -> str:
        return f"max({', '.join(values)})"

    def smaller(self, *values: str) -> str:
        return f"min({', '.join(values)})"

    def blank(self, column: str) -> str:
        return f"trim({column}, :ws) = ''"

    def referral_day(self) -> str:
        return REFERRAL_DAY

    def thanked_sql(self) -> str:
        return THANKED_SQL

    def referred_by_index(self) -> str:
        return "INDEXED BY customer_referred_by"

    def chosen_touch(self) -> str:
        return """
SELECT customer_id, touch_id, every_days, touch_heard FROM (
  SELECT *, row_number() OVER (PARTITION BY customer_id
    ORDER BY touch_heard + every_days, every_days, position, touch_id) AS n FROM touch_days)
WHERE n = 1"""

    def register(self, functions: ScoreFunctions) -> None:
        # On every call: each thread has its own connection, and a worker's is closed and
        # opened again between loads.
        conn = self.db.connection()
        conn.create_function(
            "attention_reason_score", 2, functions.reason_score, deterministic=True
        )
        conn.create_function(
            "attention_customer_score",
            -1,
            functions.customer_score,
            deterministic=True,
        )
        conn.create_function("attention_value", 1, functions.value, deterministic=True)

    def refill_scores(self, sql: str, params: dict[str, object]) -> None:
        derived.refill(self.db, "attention_score", [(sql, params)])

    def mark_rows(self, customer_id: int, codes: Sequence[str]) -> list[Row]:
        return self.db.execute_sql(
            """SELECT reason, snoozed_until, done_at, who FROM attention_mark
WHERE customer_id = ? AND reason IN (SELECT value FROM json_each(?)) ORDER BY reason""",
            (customer_id, json.dumps(list(codes))),
        ).fetchall()

    def delete_marks(self, customer_id: int, codes: Sequence[str]) -> None:
        self.db.execute_sql(
            "DELETE FROM attention_mark WHERE customer_id = ? AND reason IN "
            "(SELECT value FROM json_each(?))",
            (customer_id, json.dumps(list(codes))),
        )

    def marks_of(self, ids: Iterable[int]) -> list[Row]:
        return self.db.execute_sql(
            """SELECT customer_id, reason, coalesce(snoozed_until, ''), coalesce(done_at, '')
FROM attention_mark WHERE customer_id IN (SELECT value FROM json_each(?))
ORDER BY customer_id, reason""",
            (self.ids(ids),),
        ).fetchall()

    def marks_of_customer(self, customer_id: int) -> list[Row]:
        return self.db.execute_sql(
            "SELECT reason, coalesce(snoozed_until, ''), coalesce(done_at, ''), who "
            "FROM attention_mark WHERE customer_id = ? ORDER BY reason",
            (customer_id,),
        ).fetchall()
