"""The needs-attention queue and the agenda on PostgreSQL.

The statements call the score functions as SQLite's call back into Python (core/attention.py
`_reason_score`, `_customer_score`, `_value`); here they are the same arithmetic in SQL, made
for each session in its temporary schema (`pg_temp`, where they are no part of the book's
schema and need no migration). Python's round(x, 1) rounds the exact binary value, half to
even: `crm_round1` does it exactly (a score is at least 1 and below 2¹¹, so 2⁵² × score is a
whole number), where PostgreSQL's round() would first cut the value to 15 digits and round
half away from zero. log10() is the C library's on both sides."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from tui_crm.db.store.queue import Queue, Row, ScoreFunctions

# The day a referral happened, for customer alias `r`.
REFERRAL_DAY = "coalesce(r.acquired_on, r.created_at::date)"

THANKED_SQL = f"""EXISTS (
  SELECT 1 FROM interaction t
  WHERE t.customer_id = r.referred_by_id AND t.kind = 'thanks'
    AND (t.regarding_id = r.id OR (t.regarding_id IS NULL AND t.at::date >= {REFERRAL_DAY})))"""

FUNCTIONS = """
CREATE OR REPLACE FUNCTION pg_temp.attention_value(spent bigint) RETURNS float8
LANGUAGE sql IMMUTABLE AS $f$ SELECT 1 + log10(1 + greatest(spent, 0)::float8 / 10000) $f$;

CREATE OR REPLACE FUNCTION pg_temp.crm_round1(x float8) RETURNS float8
LANGUAGE plpgsql IMMUTABLE AS $f$
DECLARE
  scaled float8 := abs(x) * 4503599627370496::float8;
  n numeric;
  k numeric;
  rem numeric;
  r float8;
BEGIN
  IF x IS NULL THEN
    RETURN NULL;
  END IF;
  IF scaled <> trunc(scaled) OR scaled >= 9.2e18 THEN
    RETURN round(x::numeric, 1)::float8;
  END IF;
  n := scaled::bigint::numeric * 10;
  k := div(n, 4503599627370496);
  rem := n - k * 4503599627370496;
  IF rem > 2251799813685248 OR (rem = 2251799813685248 AND mod(k, 2) = 1) THEN
    k := k + 1;
  END IF;
  r := k::float8 / 10;
  RETURN CASE WHEN x < 0 THEN -r ELSE r END;
END $f$;

CREATE OR REPLACE FUNCTION pg_temp.attention_reason_score(weighted float8, spent bigint)
RETURNS float8 LANGUAGE sql IMMUTABLE AS
$f$ SELECT pg_temp.crm_round1(weighted * pg_temp.attention_value(spent)) $f$;

CREATE OR REPLACE FUNCTION pg_temp.attention_customer_score(spent bigint, VARIADIC w float8[])
RETURNS float8 LANGUAGE plpgsql IMMUTABLE AS $f$
DECLARE
  v float8 := pg_temp.attention_value(spent);
  scores float8[];
  total float8 := 0;
BEGIN
  SELECT array_agg(s ORDER BY s DESC) INTO scores
  FROM (SELECT pg_temp.crm_round1(x * v) AS s FROM unnest(w) AS x WHERE x IS NOT NULL) AS found;
  IF scores IS NULL THEN
    RETURN NULL;
  END IF;
  -- Python's sum(), from the second best on, in order.
  FOR i IN 2 .. array_length(scores, 1) LOOP
    total := total + scores[i];
  END LOOP;
  RETURN pg_temp.crm_round1(scores[1] + total / 4);
END $f$;
"""


class PostgresQueue(Queue):
    # OFFSET 0 keeps PostgreSQL from pulling a subquery up into the next one.
    FENCE = "OFFSET 0"
    FUNCTIONS = "pg_temp."
    NAME_ORDER = 'name_key COLLATE "C"'

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
        # Made once per session (a rolled back transaction takes them away: looked for each
        # time, which costs one catalogue lookup).
        (found,) = self.db.execute_sql(
            "SELECT to_regprocedure('pg_temp.attention_customer_score(bigint, float8[])') "
            "IS NOT NULL"
        ).fetchone()
        if not found:
            for statement in FUNCTIONS.split("\n\n"):
                self.db.execute_sql(statement)

    def refill_scores(self, sql: str, params: dict[str, object]) -> None:
        self.db.execute_sql("DELETE FROM attention_score")
        self.db.execute_sql(sql, params)

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
