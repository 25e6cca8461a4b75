"""The needs-attention queue and the agenda on PostgreSQL.

The statements call the score functions as SQLite's call back into Python (core/attention.py
`_reason_score`, `_customer_score`, `_value`); here they are the same arithmetic in SQL, in the
book's schema (m0017_schema.sql `attention_value`, `crm_round1`, …), where the planner folds
them into the statements rather than calling out once a row. Python's round(x, 1) rounds the
exact binary value, half to even: `crm_round1` does it exactly."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from tui_crm.db.store.queue import QUEUE_SIZE as COUNTED_QUEUE_SIZE
from tui_crm.db.store.queue import Queue, QueueRules, Row, ScoreFunctions

# The day a referral happened, for customer alias `r`.
REFERRAL_DAY = "coalesce(r.acquired_on, r.created_at::date)"

QUEUE_SIZE = "SELECT sum(change) FROM attention_queue_size"

# From how many customers the scores kept are re-scored with a hash join (store_scores).
HASHED_FROM = 1000

THANKED_SQL = f"""EXISTS (
  SELECT 1 FROM interaction t
  WHERE t.customer_id = r.referred_by_id AND t.kind = 'thanks'
    AND (t.regarding_id = r.id OR (t.regarding_id IS NULL AND t.at::date >= {REFERRAL_DAY})))"""


class PostgresQueue(Queue):
    # OFFSET 0 keeps PostgreSQL from pulling a subquery up into the next one.
    FENCE = "OFFSET 0"
    # By the first 200 characters, as the index holds them (migration 19).
    NAME_ORDER = 'crm_prefix(name_key) COLLATE "C"'

    def day(self, column: str) -> str:
        return f"day_number(({column})::date)"

    def later_day(self, column: str, other: str) -> str:
        # greatest() passes over a NULL, as SQLite's max() over coalesce(…, '') does.
        return f"day_number(greatest({column}, {other})::date)"

    def flag(self, column: str) -> str:
        return f"({column} <> 0)"

    def as_flag(self, condition: str) -> str:
        return f"({condition})::integer"

    def count_of(self, condition: str) -> str:
        return f"({condition})::integer"

    def real(self, number: str) -> str:
        return f"{number}::float8"

    def integer(self, value: str) -> str:
        # A cast to an integer rounds on PostgreSQL; SQLite's CAST cuts toward zero.
        return f"trunc({value})::bigint"

    def larger(self, *values: str) -> str:
        return f"greatest({', '.join(values)})"

    def smaller(self, *values: str) -> str:
        return f"least({', '.join(values)})"

    def blank(self, column: str) -> str:
        return f"btrim({column}, :ws) = ''"

    def _alias(self, name: str) -> str:
        return f" AS {name}"

    def _null_real(self) -> str:
        return "::float8"

    def referral_day(self) -> str:
        return REFERRAL_DAY

    def thanked_sql(self) -> str:
        return THANKED_SQL

    def referred_by_index(self) -> str:
        return ""

    def chosen_touch(self) -> str:
        return """
SELECT customer_id, touch_id, every_days, touch_heard FROM (
  SELECT *, row_number() OVER (PARTITION BY customer_id
    ORDER BY touch_heard + every_days, every_days, position, touch_id) AS n FROM touch_days)
  AS ranked
WHERE n = 1"""

    def register(self, functions: ScoreFunctions) -> None:
        pass  # the schema has them (m0017_schema.sql)

    def score_sql(self, weighted: Sequence[str]) -> str:
        # One reason: its own score; two: the better one's and a quarter of the other's (the
        # higher weight × urgency gives the higher score); more: the function that sorts them.
        count = " + ".join(self.count_of(f"{w} IS NOT NULL") for w in weighted)
        listed = ", ".join(weighted)
        return (
            f"CASE {count} WHEN 1 THEN attention_reason_score(coalesce({listed}), spent) "
            f"WHEN 2 THEN attention_pair_score(greatest({listed}), least({listed}), spent) "
            f"ELSE attention_customer_score(spent, {listed}) END"
        )

    def refill_scores(self, sql: str, params: dict[str, object]) -> None:
        self.db.execute_sql("DELETE FROM attention_score")
        self.db.execute_sql(sql, params)

    def first_ranked(self, limit: int) -> tuple[list[int], int]:
        # The size from the changes kept to it (the schema's attention_queue_size), not a count
        # of the scores: that read the whole table for each page.
        # A salesperson who sees only their own customers counts their own queue.
        size = COUNTED_QUEUE_SIZE if self.db.restricted else QUEUE_SIZE
        shown = [row[0] for row in self.db.execute_sql(f"{self._ranking()} LIMIT ?", (limit,))]
        return shown, int(self.db.execute_sql(size).fetchone()[0])

    def store_scores(
        self,
        rules: QueueRules,
        functions: ScoreFunctions,
        params: dict[str, object],
        ids: Iterable[int],
        kept: bool,
    ) -> None:
        ids = list(ids)
        if not kept or len(ids) < HASHED_FROM:
            super().store_scores(rules, functions, params, ids, kept)
            return
        # The kept facts of many customers (a new day's 20 000 or more past their day) read
        # as one pass over the scores, hashed, not looked up one by one: the planner takes the
        # list's distinct ids for 200 (it knows nothing of an array's values) and chose a
        # nested loop (85 ms -> 45 at 100 000 customers). The statement joins nothing else.
        previous = self.db.execute_sql(
            "SELECT current_setting('enable_nestloop'), set_config('enable_nestloop', 'off', true)"
        ).fetchone()[0]
        super().store_scores(rules, functions, params, ids, kept)
        self.db.execute_sql("SELECT set_config('enable_nestloop', ?, true)", (previous,))

    def mark_rows(self, customer_id: int, codes: Sequence[str]) -> list[Row]:
        return self.db.execute_sql(
            "SELECT reason, snoozed_until, done_at, who FROM attention_mark "
            'WHERE customer_id = ? AND reason = ANY(?) ORDER BY reason COLLATE "C"',
            (customer_id, list(codes)),
        ).fetchall()

    def delete_marks(self, customer_id: int, codes: Sequence[str]) -> None:
        self.db.execute_sql(
            "DELETE FROM attention_mark WHERE customer_id = ? AND reason = ANY(?)",
            (customer_id, list(codes)),
        )

    def marks_of(self, ids: Iterable[int]) -> list[Row]:
        return self.db.execute_sql(
            "SELECT customer_id, reason, coalesce(snoozed_until::text, ''), "
            "coalesce(done_at::text, '') FROM attention_mark "
            f'WHERE customer_id IN ({self.ID_LIST}) ORDER BY customer_id, reason COLLATE "C"',
            (self.ids(ids),),
        ).fetchall()

    def marks_of_customer(self, customer_id: int) -> list[Row]:
        return self.db.execute_sql(
            "SELECT reason, coalesce(snoozed_until::text, ''), coalesce(done_at::text, ''), who "
            'FROM attention_mark WHERE customer_id = ? ORDER BY reason COLLATE "C"',
            (customer_id,),
        ).fetchall()
