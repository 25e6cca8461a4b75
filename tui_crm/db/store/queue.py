"""The needs-attention queue and the agenda (core/attention.py, agenda.py).

The queue's rules run in SQL, one statement over the customers (or some of them); the domain
(core/attention.py) says what the rules are (`QueueRules`: the weights, the quiet days, what
answers a touch, the lapse rule) and does the arithmetic a customer's score ends with (its
value, and Python's rounding), which each engine calls as functions: SQLite calls back into
Python, PostgreSQL has the same arithmetic written in SQL (tui_crm/db/postgres/queue.py).
The statement is written here once; each engine supplies its spelling of the parts it reads
differently (a day number, a flag, the larger of two values, a fence against folding).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from typing import NamedTuple

from tui_crm.db.store.area import Area, Row
from tui_crm.db.store.values import LapseRule


class QueueRules(NamedTuple):
    """What the domain's rules are, as the queue's SQL is written with them."""

    weights: tuple[tuple[str, float], ...]  # each reason's weight, in RULE order
    rule_order: tuple[str, ...]  # the order a customer's reasons are checked in
    quiet_days: tuple[tuple[str, int], ...]  # ("gold", 30), ("silver", 60)
    answered_by: tuple[tuple[str, tuple[str, ...] | None], ...]  # core/plans.py ANSWERED_BY
    lapse: LapseRule


# The Python the statements call (SQLite) or mirror (PostgreSQL): a reason's score from its
# weight × urgency and the spend, the customer's from all of theirs, the value factor.
class ScoreFunctions(NamedTuple):
    reason_score: Callable[[float, int], float]
    customer_score: Callable[..., float]
    value: Callable[[int], float]


# The columns of the facts a score is worked out from, as `attention_score` keeps them.
FACT_COLUMNS = (
    "nfu, heard, cadence, quiet_limit, again_days, lapse_since, lapse_wait, oldest, newest, "
    "marked, created_day, blank, value_factor, touch_id, touch_heard"
)

# A day after every day: "never" for `valid_until`.
NEVER = 100_000_000


def score_columns(rule_order: Sequence[str]) -> str:
    """The columns of `attention_score`, in the order the "store" shape gives them."""
    return (
        "customer_id, name_key, spent, "
        + ", ".join(f"w_{code}" for code in rule_order)
        + f", score, computed_on, valid_until, {FACT_COLUMNS}"
    )


class _Rule(NamedTuple):
    applies: str  # SQL over the `facts` columns
    urgency: str
    since: str  # when the reason's clock started: a snooze or "done" is measured against it
    restart: str | None  # after "done", due again once this many days have passed (else never)


# How late each growing reason is and over what scale its urgency grows (see `_overdue_sql`).
GROWTH = {
    "follow_up_overdue": (":today - due", "7"),
    "cadence": (":today - touch_heard - cadence", "cadence"),
    "gold_quiet": (":today - heard - quiet_limit", "quiet_limit"),
    "lapsed": (":today - lapse_since - lapse_wait", "lapse_wait"),
    # Urgency from the oldest unthanked referral.
    "thank_referrer": (":today - oldest", "30"),
}

# What the rules read on :today: a follow-up that has come (`due`), a customer added in the
# last 30 days (`created`) and whether their profile lacks something then (`incomplete`).
DAY_FACTS = """SELECT *, CASE WHEN nfu <= :today THEN nfu END AS due,
  CASE WHEN created_day >= :today - 30 THEN created_day END AS created,
  CASE WHEN created_day >= :today - 30 THEN blank END AS incomplete
FROM facts_kept"""

# `display_name` for the tie-break. Names are stored stripped (see `customers`), so trimming the
# joining space is all its strip() does.
NAME_SQL = "coalesce(nullif(trim(first_name || ' ' || last_name), ''), company)"

# Only what the texts of shown items need.
DETAILS = """, c.last_contact_at, r.purchases AS bought_days, r.first_day, r.last_day, c.source,
  c.why_chose_us"""

# Kept scores that do not hold on :today: marked by a write (`valid_until = 0`: their facts
# too), past their day, or for a later day.
MARKED_SCORES = "SELECT customer_id FROM attention_score WHERE valid_until = 0"
STALE_SCORES = (
    "SELECT customer_id FROM attention_score WHERE valid_until > 0 AND valid_until <= :today"
)
LATER_SCORES = (
    "SELECT customer_id FROM attention_score WHERE computed_on > :today AND valid_until > 0"
)
QUEUE_SIZE = "SELECT count(*) FROM attention_score WHERE score IS NOT NULL"


class Queue(Area):
    # -- what each engine spells its own way --------------------------------------------------

    # Keeps the engine from folding a layer of the statement into the next one, which would
    # repeat its expressions there: a date parse, or a call into Python, several times.
    FENCE = ""
    # How the statements name the score functions (`ScoreFunctions`).
    FUNCTIONS = ""
    # The order of `name_key` as SQLite's BINARY collation has it.
    NAME_ORDER = "name_key"
    # The kept ranking's index, as the engine is told to read it.
    RANK_INDEX = ""

    def day(self, column: str) -> str:
        """The day of a date or datetime column as date.toordinal() counts it."""
        raise NotImplementedError

    def later_day(self, column: str, other: str) -> str:
        """`day` of the later of a datetime column and another one (NULL: the first)."""
        raise NotImplementedError

    def flag(self, column: str) -> str:
        """A 0/1 (or true/false) column as a condition."""
        raise NotImplementedError

    def as_flag(self, condition: str) -> str:
        """A condition as the 0/1 a kept flag column holds."""
        raise NotImplementedError

    def count_of(self, condition: str) -> str:
        """A condition as 1 or 0, to add up."""
        raise NotImplementedError

    def real(self, number: str) -> str:
        """A literal number as a float (IEEE arithmetic with it, as Python's)."""
        raise NotImplementedError

    def integer(self, value: str) -> str:
        """A number cut to an integer toward zero."""
        raise NotImplementedError

    def larger(self, *values: str) -> str:
        raise NotImplementedError

    def smaller(self, *values: str) -> str:
        raise NotImplementedError

    def blank(self, column: str) -> str:
        """The column holds only what str.strip() removes (:ws)."""
        raise NotImplementedError

    def id_list(self, name: str) -> str:
        """`ID_LIST` reading the named parameter `name`."""
        return self.ID_LIST.replace("?", f":{name}")

    def referral_day(self) -> str:
        """The day a referral happened, for customer alias `r` (a date)."""
        raise NotImplementedError

    def thanked_sql(self) -> str:
        """True when the referral of customer `r` by `r.referred_by_id` was thanked."""
        raise NotImplementedError

    def referred_by_index(self) -> str:
        """How the engine is told to read the referrals from their index."""
        raise NotImplementedError

    def chosen_touch(self) -> str:
        """Per customer, the touch that falls due first (then the more frequent, then the
        plan's order): the one the "cadence" reason is about."""
        raise NotImplementedError

    def register(self, functions: ScoreFunctions) -> None:
        """Make the score functions callable by the statements on this connection."""
        raise NotImplementedError

    def refill_scores(self, sql: str, params: dict[str, object]) -> None:
        """`attention_score` emptied and filled with `sql` (everyone's scores)."""
        raise NotImplementedError

    def mark_rows(self, customer_id: int, codes: Sequence[str]) -> list[Row]:
        """(reason, snoozed until, done at, who) of the customer's marks for these reasons,
        exactly as stored, by reason."""
        raise NotImplementedError

    def delete_marks(self, customer_id: int, codes: Sequence[str]) -> None:
        raise NotImplementedError

    def marks_of(self, ids: Iterable[int]) -> list[Row]:
        """(customer id, reason, snoozed until or '', done at or '') of these customers' marks,
        by customer and reason."""
        raise NotImplementedError

    def marks_of_customer(self, customer_id: int) -> list[Row]:
        """(reason, snoozed until or '', done at or '', who) of one customer's marks."""
        raise NotImplementedError

    # -- the rules in SQL ---------------------------------------------------------------------

    def _overdue_sql(self, late: str, scale: str | int) -> str:
        """1 at the due point, growing linearly to 4 at three scales late (a REAL, as in
        Python)."""
        growth = f"{self.larger(late, '0')} * {self.real('1.0')} / {self.larger(str(scale), '1')}"
        return f"1 + {self.smaller(growth, '3')}"

    def _rules(self) -> dict[str, _Rule]:
        growth = {code: self._overdue_sql(*GROWTH[code]) for code in GROWTH}
        return {
            "follow_up_overdue": _Rule("due < :today", growth["follow_up_overdue"], "due", None),
            "follow_up_due": _Rule("due = :today", self.real("1.0"), "due", None),
            "cadence": _Rule(
                ":today - touch_heard > cadence", growth["cadence"], "touch_heard", "cadence"
            ),
            "gold_quiet": _Rule(
                ":today - heard > quiet_limit", growth["gold_quiet"], "heard", "quiet_limit"
            ),
            "lapsed": _Rule(
                ":today - lapse_since > lapse_wait", growth["lapsed"], "lapse_since", "again_days"
            ),
            # The clock (for "done") from the newest unthanked referral, so a referral made
            # after the reminder was marked done brings it back.
            "thank_referrer": _Rule("oldest IS NOT NULL", growth["thank_referrer"], "newest", None),
            "incomplete_profile": _Rule(
                f"created IS NOT NULL AND {self.flag('incomplete')}",
                self.real("1.0"),
                "created",
                None,
            ),
        }

    def _unthanked(self) -> str:
        """Per referrer, the first and last day of the live referrals they were not thanked
        for. The referrer's own liveness (not trashed, not lost) is checked where this is
        joined. `> 0` lets SQLite read the referral index from its first referral instead of
        through 85 000 NULLs."""
        return f"""
SELECT referred_by_id AS customer_id, min(day) AS oldest, max(day) AS newest
FROM (SELECT r.referred_by_id, {self.day(self.referral_day())} AS day
      FROM customer r {self.referred_by_index()}
      WHERE r.referred_by_id > 0 AND r.deleted_at IS NULL AND r.referred_by_id != r.id
        AND NOT {self.thanked_sql()} {{only}}){self._alias("referrals")}
GROUP BY referred_by_id"""

    def _alias(self, name: str) -> str:
        """A subquery in FROM named (PostgreSQL needs it; SQLite's text stays as it was)."""
        return ""

    def _answer_sql(self, kinds: tuple[str, ...] | None, customer: str = "c") -> str:
        """When a customer's touch answered by `kinds` (None: any) was last answered."""
        if kinds is None:
            return f"{customer}.last_contact_at"
        listed = ", ".join(f"'{k}'" for k in kinds)
        return (
            f"(SELECT max(at) FROM interaction WHERE customer_id = {customer}.id "
            f"AND kind IN ({listed}))"
        )

    def _touch_days(self, rules: QueueRules) -> str:
        """Each plan touch of each live customer who is not lost (everyone's, and their
        category's or those without a category), with the day it was last answered (or they
        were added): a `contact` touch by any interaction, the others by their kinds."""
        answered = (
            "CASE t.kind "
            + " ".join(
                f"WHEN '{kind}' THEN {self._answer_sql(kinds)}" for kind, kinds in rules.answered_by
            )
            + " END"
        )
        return f"""SELECT c.id AS customer_id, t.id AS touch_id, t.every_days, t.position,
  {self.later_day("c.created_at", answered)} AS touch_heard
FROM customer c JOIN plan_touch t ON t.scope = 'everyone' OR t.category_id = c.category_id
  OR (t.scope = 'none' AND c.category_id IS NULL)
WHERE c.deleted_at IS NULL AND c.status != 'lost' {{only}}"""

    def _book_facts(self, rules: QueueRules) -> str:
        """Each live customer who is not lost, with what the rules read that does not depend
        on the day, as day numbers. `blank`: no source or no "why they chose us"."""
        quiet = dict(rules.quiet_days)
        asked = f"{self.day('c.last_contact_at')} >= r.last_day + r.limit_days"
        name = (
            NAME_SQL.replace("first_name", "c.first_name")
            .replace("last_name", "c.last_name")
            .replace("company", "c.company")
        )
        marked = self.as_flag("c.id IN (SELECT customer_id FROM attention_mark)")
        blank = self.as_flag(f"{self.blank('c.source')} OR {self.blank('c.why_chose_us')}")
        return f"""
SELECT c.id, c.first_name, c.last_name, c.company, {name} AS name_key,
  coalesce(v.tier, '') AS tier, coalesce(v.spent_12m, 0) AS spent,
  {self.day("c.next_follow_up")} AS nfu,
  {self.later_day("c.created_at", "c.last_contact_at")} AS heard,
  ch.every_days AS cadence, ch.touch_id, ch.touch_heard,
  CASE v.tier WHEN 'gold' THEN {quiet["gold"]} WHEN 'silver' THEN {quiet["silver"]}
  END AS quiet_limit,
  r.again_days,
  -- Asked them since they lapsed: due again one cycle of theirs after that contact.
  CASE WHEN {asked} THEN {self.day("c.last_contact_at")} ELSE r.last_day END AS lapse_since,
  CASE WHEN {asked} THEN r.again_days ELSE r.limit_days END AS lapse_wait,
  u.oldest, u.newest, {marked} AS marked,
  {self.day("c.created_at")} AS created_day,
  {blank} AS blank
  {{details}}
FROM customer c
LEFT JOIN chosen ch ON ch.customer_id = c.id
LEFT JOIN customer_value v ON v.customer_id = c.id
LEFT JOIN rhythms r ON r.customer_id = c.id
LEFT JOIN unthanked u ON u.customer_id = c.id
WHERE c.deleted_at IS NULL AND c.status != 'lost' {{only}}"""

    def _hidden_sql(self, code: str, rule: _Rule) -> str:
        """A mark hides a reason: snoozed until a later day, or marked done since this
        occurrence began and not due again (its clock restarted when it was marked)."""
        done = self.day("m.done_at")
        again = "FALSE" if rule.restart is None else f":today - {done} > {rule.restart}"
        return (
            f"EXISTS (SELECT 1 FROM attention_mark m WHERE m.customer_id = facts.id "
            f"AND m.reason = '{code}' AND (:today < {self.day('m.snoozed_until')} "
            f"OR ({done} >= {rule.since} AND NOT ({again}))))"
        )

    def _starts_sql(self, start: str) -> str:
        """The day after `start`, when a rule that applies once :today is past it starts."""
        return (
            f"CASE WHEN ({start}) IS NOT NULL AND :today <= ({start}) THEN ({start}) + 1 "
            f"ELSE {NEVER} END"
        )

    def _valid_until(self, rules: QueueRules) -> str:
        """The first day after :today on which a customer's reasons or scores may differ while
        nothing about them is written. Early rather than late: a day too early only works the
        score out once more. Days on which something starts or ends: a follow-up falls due and
        is overdue the day after, a rule starts to apply, a new customer's grace ends, a
        snooze ends, a "done" comes due again; and while a reason's urgency grows, the day
        its score may reach the next tenth (`_growth_sql`). Their 12-month value, plan and the
        book's usual gap change by writes, which mark the score (`valid_until = 0`)."""
        return self.larger(
            ":today + 1",
            self.smaller(
                f"""
  CASE WHEN nfu IS NULL THEN {NEVER} WHEN :today < nfu THEN nfu
       WHEN :today = nfu THEN :today + 1 ELSE {NEVER} END""",
                f"\n  {self._starts_sql('touch_heard + cadence')}",
                f"\n  {self._starts_sql('heard + quiet_limit')}",
                f"""
  CASE WHEN lapse_wait IS NOT NULL AND lapse_since IS NOT NULL
        AND :today - lapse_since <= lapse_wait
       THEN lapse_since + {self.integer("lapse_wait")} + 1 ELSE {NEVER} END""",
                f"\n  {self._starts_sql('oldest')}",
                f"""
  CASE WHEN created_day IS NOT NULL AND :today <= created_day + 30 THEN created_day + 31
       ELSE {NEVER} END""",
                f"\n  coalesce(marks_until, {NEVER})",
                f"\n  {self._growth_sql(rules)}",
            ),
        )

    def _growth_sql(self, rules: QueueRules) -> str:
        """Per reason whose urgency still grows (it applies, is not hidden, and is less than
        three scales late): the first day its score may show another tenth. Its score is
        weight × urgency × value, rounded to a tenth: with t = ten times the unrounded score,
        it shows the same tenth while t stays within the same half-open tenth, and t grows by
        10 × weight × value / scale a day. Kept 0.1 of t away from the tenth's edges (floating
        point errors are some 1e-12), and a score that sits on an edge today is worked out
        again tomorrow."""
        weights = dict(rules.weights)
        out = []
        for code, (late, scale) in GROWTH.items():
            t = f"(w_{code} * value_factor * 10)"
            tenth = self.integer(f"{t} + {self.real('0.5')}")
            per_day = (
                f"({self.real(repr(weights[code]))} * value_factor * 10 / "
                f"{self.larger(scale, '1')})"
            )
            scales = self.larger(scale, "1")
            days = self.integer(f"({tenth} + {self.real('0.4')} - {t}) / {per_day}")
            out.append(
                f"CASE WHEN w_{code} IS NULL OR NOT (({late}) >= 0 AND ({late}) < 3 * {scales})"
                f" THEN {NEVER} WHEN {t} - ({tenth} - {self.real('0.5')}) < {self.real('0.1')} "
                f"THEN :today + 1 ELSE :today + 1 + {self.larger('0', days)} END"
            )
        return ",\n  ".join(out)

    def _marks_until(self) -> str:
        """The next day one of the customer's marks may stop or start hiding a reason (see
        `_hidden_sql`): a snooze's end, a "done" whose clock comes round again."""
        again = self.integer(
            "CASE m.reason WHEN 'cadence' THEN facts.cadence\n"
            "      WHEN 'gold_quiet' THEN facts.quiet_limit WHEN 'lapsed' THEN facts.again_days END"
        )
        return f"""CASE WHEN {self.flag("marked")} THEN (SELECT min(day) FROM (
    SELECT {self.day("m.snoozed_until")} AS day FROM attention_mark m
    WHERE m.customer_id = facts.id
    UNION ALL
    SELECT {self.day("m.done_at")} + {again}
      + 1 FROM attention_mark m WHERE m.customer_id = facts.id){self._alias("days")}
  WHERE day > :today) END"""

    def _kept_facts(self) -> str:
        return f"""SELECT customer_id AS id, name_key, spent, {FACT_COLUMNS} FROM attention_score
WHERE customer_id IN ({self.id_list("only")})"""

    def _stored(self) -> str:
        """What only a kept score needs: the customer's value factor, for the day it may
        change."""
        return f", {self.FUNCTIONS}attention_value(coalesce(v.spent_12m, 0)) AS value_factor"

    @functools.lru_cache(maxsize=128)  # noqa: B019 (a store lives as long as its book)
    def queue_sql(
        self,
        rules: QueueRules,
        wanted: frozenset[str],
        shape: str,
        only: bool,
        kept: bool = False,
    ) -> str:
        """The queue as one statement. `shape`: "ids" (who, in no order), "ranking" (id and
        score, in queue order), "items" (everything an item shows, in queue order) or "store"
        (every live customer who is not lost, as `attention_score` keeps them: their weighted
        reasons and score on :today, until when they hold, and the facts they come from).
        `only`: just the customers in the list `:only`; `kept`: with the facts kept in
        `attention_score` (for scores no write has marked) instead of the book's."""
        weights = dict(rules.weights)
        # Each reason's weight × urgency, NULL when it does not apply (or is not wanted, or a
        # mark hides it). The domain multiplies by the customer's value and rounds.
        weighted = ",\n  ".join(
            f"CASE WHEN {rule.applies} AND NOT ({self.flag('marked')} AND "
            f"{self._hidden_sql(code, rule)}) "
            f"THEN {self.real(repr(weights[code]))} * ({rule.urgency}) END AS w_{code}"
            if code in wanted
            else f"NULL{self._null_real()} AS w_{code}"
            for code, rule in self._rules().items()
        )
        found = [f"w_{code}" for code in rules.rule_order]
        passed = "id, name_key, spent"
        if shape == "items":
            passed += (
                ", first_name, last_name, company, tier, last_contact_at, due, heard, cadence, "
                "touch_id, touch_heard, bought_days, first_day, last_day, lapse_since, newest, "
                "created, source, why_chose_us"
            )
        elif shape == "store":
            passed += f", due, {FACT_COLUMNS}, {self._marks_until()} AS marks_until"
        if kept:
            facts = self._kept_facts()
        else:
            only_referrers = f"AND r.referred_by_id IN ({self.id_list('only')})"
            only_customers = f"AND c.id IN ({self.id_list('only')})"
            details = {"items": DETAILS, "store": self._stored()}.get(shape, "")
            facts = self._book_facts(rules).format(
                details=details, only=only_customers if only else ""
            )
            facts = (
                f"unthanked AS ({self._unthanked().format(only=only_referrers if only else '')}),"
                f"\nrhythms AS ({self.rhythms_sql(rules.lapse)}),\n"  # type: ignore[attr-defined]
                f"touch_days AS ({self._touch_days(rules).format(only=only_customers if only else '')}),\n"
                f"chosen AS ({self.chosen_touch()}),\n{facts}"
            )
            facts = facts.replace("\nSELECT c.id", "\nfacts_kept AS (SELECT c.id", 1)
        sql = f"""WITH {facts if not kept else f"facts_kept AS ({facts}"} {self.FENCE}),
facts AS ({DAY_FACTS} {self.FENCE}),
reasons AS (SELECT {passed},
  {weighted}
FROM facts {self.FENCE})
"""
        any_reason = f"coalesce({', '.join(found)}, NULL) IS NOT NULL"
        if shape == "ids":
            return f"{sql}SELECT id FROM reasons WHERE {any_reason}"
        score = self.score_sql(found)
        if shape == "store":
            until = self._valid_until(rules)
            return (
                f"{sql}SELECT id, name_key, spent, {', '.join(found)}, "
                f"CASE WHEN {any_reason} THEN {score} END, :today, {until}, {FACT_COLUMNS} "
                "FROM reasons WHERE true"
            )
        columns = f"id, {score} AS score"
        if shape == "items":
            phone = (
                "(SELECT shown FROM customer_phone WHERE customer_id = reasons.id "
                "ORDER BY position LIMIT 1)"
            )
            columns += (
                f", first_name, last_name, company, {phone}, tier, spent, last_contact_at, due, "
                "heard, cadence, touch_id, touch_heard, bought_days, first_day, last_day, "
                "lapse_since, newest, created, source, "
                f"why_chose_us, {', '.join(found)}"
            )
        return (
            f"{sql}SELECT {columns} FROM reasons WHERE {any_reason}\n"
            f"ORDER BY score DESC, {self.NAME_ORDER}, id"
        )

    def _null_real(self) -> str:
        """What a NULL weight is typed as, where the engine needs to be told."""
        return ""

    def score_sql(self, weighted: Sequence[str]) -> str:
        """A customer's score from their weighted reasons (NULL where one does not apply) and
        `spent`. One reason: its own score is the customer's (what the customer's score
        function gives too), with a cheaper call for three customers in four."""
        count = " + ".join(self.count_of(f"{w} IS NOT NULL") for w in weighted)
        return (
            f"CASE WHEN {count} = 1 THEN {self.FUNCTIONS}attention_reason_score("
            f"coalesce({', '.join(weighted)}), spent) ELSE "
            f"{self.FUNCTIONS}attention_customer_score(spent, {', '.join(weighted)}) END"
        )

    def _any_sql(self, rules: QueueRules, wanted: frozenset[str]) -> str:
        return " OR ".join(f"w_{code} IS NOT NULL" for code in rules.rule_order if code in wanted)

    def _ranking(self) -> str:
        """The kept scores, in queue order (through the index `attention_score_rank`)."""
        return (
            f"SELECT customer_id, score FROM attention_score{self.RANK_INDEX}\n"
            f"WHERE score IS NOT NULL ORDER BY score DESC, {self.NAME_ORDER}, customer_id"
        )

    def _ranking_sql(self, rules: QueueRules, wanted: frozenset[str]) -> str:
        """Everyone in the queue (of these reasons) with their score, in queue order, from
        the kept scores; for some reasons only, each customer's score from those reasons."""
        if wanted == frozenset(rules.rule_order):
            return self._ranking()
        weighted = [f"w_{code}" if code in wanted else "NULL" for code in rules.rule_order]
        return (
            f"SELECT customer_id, {self.score_sql(weighted)} AS score FROM attention_score "
            f"WHERE {self._any_sql(rules, wanted)} "
            f"ORDER BY score DESC, {self.NAME_ORDER}, customer_id"
        )

    def _store_sql(self, rules: QueueRules, query: str) -> str:
        columns = score_columns(rules.rule_order)
        return (
            f"INSERT INTO attention_score ({columns}) {query} ON CONFLICT (customer_id) DO "
            "UPDATE SET " + ", ".join(f"{c} = excluded.{c}" for c in columns.split(", ")[1:])
        )

    # -- what the domain asks -----------------------------------------------------------------

    def queue_rows(
        self,
        rules: QueueRules,
        functions: ScoreFunctions,
        wanted: frozenset[str],
        shape: str,
        params: dict[str, object],
        only: Iterable[int] | None = None,
    ) -> list[Row]:
        """The rows of the queue's statement (see `queue_sql`) for the parameters the domain
        gives (:today, :book_gap, :ws), of the customers `only` when given."""
        self.register(functions)
        if only is not None:
            params = {**params, "only": self.ids(only)}
        sql = self.queue_sql(rules, wanted, shape, only is not None)
        return self.db.execute_sql(sql, params).fetchall()

    def ranking(
        self, rules: QueueRules, functions: ScoreFunctions, wanted: frozenset[str]
    ) -> list[Row]:
        """(customer id, score) of everyone in the queue (of these reasons), in queue order,
        from the kept scores."""
        self.register(functions)
        return self.db.execute_sql(self._ranking_sql(rules, wanted)).fetchall()

    def first_ranked(self, limit: int) -> tuple[list[int], int]:
        """The first `limit` customers of the whole queue and its size, from the kept scores."""
        shown = [row[0] for row in self.db.execute_sql(f"{self._ranking()} LIMIT ?", (limit,))]
        return shown, self.db.execute_sql(QUEUE_SIZE).fetchone()[0]

    def with_reasons(self, rules: QueueRules, wanted: frozenset[str]) -> list[int]:
        """Who has any of these reasons, from the kept scores."""
        return [
            row[0]
            for row in self.db.execute_sql(
                f"SELECT customer_id FROM attention_score WHERE {self._any_sql(rules, wanted)}"
            )
        ]

    def score_rows(self, rules: QueueRules) -> list[Row]:
        """Every kept score, as `score_columns` lists its columns."""
        return self.db.execute_sql(
            f"SELECT {score_columns(rules.rule_order)} FROM attention_score"
        ).fetchall()

    def store_all_scores(
        self, rules: QueueRules, functions: ScoreFunctions, params: dict[str, object]
    ) -> None:
        """Everyone's scores worked out and kept (after a bulk write)."""
        self.register(functions)
        all_reasons = frozenset(rules.rule_order)
        query = self.queue_sql(rules, all_reasons, "store", False)
        self.refill_scores(self._store_sql(rules, query), params)

    def unkept_scores(self, today: int, later: bool) -> tuple[list[int], list[int]]:
        """The customers whose kept scores a write marked, and those whose scores are past
        their day (or, with `later`, for a later day)."""
        marked = [row[0] for row in self.db.execute_sql(MARKED_SCORES)]
        stale = [row[0] for row in self.db.execute_sql(STALE_SCORES, {"today": today})]
        if later:
            stale += [row[0] for row in self.db.execute_sql(LATER_SCORES, {"today": today})]
        return marked, stale

    def store_scores(
        self,
        rules: QueueRules,
        functions: ScoreFunctions,
        params: dict[str, object],
        ids: Iterable[int],
        kept: bool,
    ) -> None:
        """These customers' scores worked out again and kept: from the book's facts, or (with
        `kept`) from the facts kept with their scores."""
        self.register(functions)
        all_reasons = frozenset(rules.rule_order)
        query = self.queue_sql(rules, all_reasons, "store", True, kept)
        self.db.execute_sql(self._store_sql(rules, query), {**params, "only": self.ids(ids)})

    def drop_marked_scores(self) -> None:
        """Whoever is still marked is in the trash, lost or gone."""
        self.db.execute_sql("DELETE FROM attention_score WHERE valid_until = 0")

    def unthanked_names(self, referrers: Iterable[int]) -> list[Row]:
        """(referrer, name, company) of the live referrals not thanked for, oldest id first."""
        return self.db.execute_sql(
            f"""
SELECT r.referred_by_id, trim(r.first_name || ' ' || r.last_name), r.company
FROM customer r
WHERE r.referred_by_id IN ({self.ID_LIST}) AND r.deleted_at IS NULL
  AND r.referred_by_id != r.id AND NOT {self.thanked_sql()}
ORDER BY r.referred_by_id, r.id""",
            (self.ids(referrers),),
        ).fetchall()

    def touch_list(self) -> list[Row]:
        """(id, scope, kind, every days) of every plan touch."""
        return self.db.execute_sql("SELECT id, scope, kind, every_days FROM plan_touch").fetchall()

    # -- marks: snooze and "done" -------------------------------------------------------------

    def due_follow_ups(self, customer_id: int, day: str) -> list[int]:
        """The customer's open follow-ups due by `day`."""
        return [
            row[0]
            for row in self.db.execute_sql(
                "SELECT id FROM interaction WHERE customer_id = ? AND follow_up IS NOT NULL "
                "AND follow_up <= ? AND follow_up_done = FALSE",
                (customer_id, day),
            )
        ]

    def set_follow_ups_done(self, ids: Iterable[int], done: bool) -> None:
        self.db.execute_sql(
            f"UPDATE interaction SET follow_up_done = {'TRUE' if done else 'FALSE'} "
            f"WHERE id IN ({self.ID_LIST})",
            (self.ids(ids),),
        )

    def closed_follow_ups(self, customer_id: int, ids: Iterable[int]) -> int:
        """How many of these follow-ups of the customer are still closed."""
        return self.db.execute_sql(
            "SELECT count(*) FROM interaction WHERE follow_up_done = TRUE AND customer_id = ? "
            f"AND id IN ({self.ID_LIST})",
            (customer_id, self.ids(ids)),
        ).fetchone()[0]

    def put_marks(self, rows: Sequence[Sequence]) -> None:
        """Marks as they were: (customer id, reason, snoozed until, done at, who) rows."""
        self.executemany(  # type: ignore[attr-defined]
            "INSERT INTO attention_mark (customer_id, reason, snoozed_until, done_at, who) "
            "VALUES (?, ?, ?, ?, ?)",
            rows,
        )

    def live_customer(self, customer_id: int) -> bool:
        return (
            self.db.execute_sql(
                "SELECT 1 FROM customer WHERE id = ? AND deleted_at IS NULL", (customer_id,)
            ).fetchone()
            is not None
        )

    def mark(self, customer_id: int, code: str, who: str, column: str, value: str) -> None:
        """The customer's mark for a reason, made if need be, with `column` (snoozed_until or
        done_at) set to `value`."""
        if column not in ("snoozed_until", "done_at"):
            raise ValueError(column)
        self.db.execute_sql(
            "INSERT INTO attention_mark (customer_id, reason, who) VALUES (?, ?, ?) "
            "ON CONFLICT (customer_id, reason) DO UPDATE SET who = excluded.who",
            (customer_id, code, who),
        )
        self.db.execute_sql(
            f"UPDATE attention_mark SET {column} = ? WHERE customer_id = ? AND reason = ?",
            (value, customer_id, code),
        )

    def interaction_counts(self, ids: Iterable[int]) -> list[Row]:
        """(customer id, interactions, newest interaction id) of these customers."""
        return self.db.execute_sql(
            "SELECT customer_id, count(*), max(id) FROM interaction\n"
            f"WHERE customer_id IN ({self.ID_LIST}) GROUP BY customer_id",
            (self.ids(ids),),
        ).fetchall()

    def interactions_since(self, customer_id: int, newest: int) -> list[Row]:
        """(kind, follow-up, logged by) of the customer's interactions after id `newest`."""
        return self.db.execute_sql(
            "SELECT kind, follow_up, logged_by FROM interaction WHERE customer_id = ? "
            "AND id > ? ORDER BY id",
            (customer_id, newest),
        ).fetchall()

    def customer_names(self, customer_id: int) -> Row | None:
        """(first name, last name, company) of a customer, if there is one."""
        return self.db.execute_sql(
            "SELECT first_name, last_name, company FROM customer WHERE id = ?", (customer_id,)
        ).fetchone()

    # -- the agenda (core/agenda.py) ----------------------------------------------------------

    def follow_ups_until(self, last: str) -> list[Row]:
        """(customer id, next follow-up, note, interaction id, version, time) of each live
        customer whose next follow-up is by `last`, with the open interaction that asked for
        it (the newest)."""
        return self.db.execute_sql(
            "SELECT c.id, c.next_follow_up, i.notes, i.id, i.version, i.follow_up_time "
            "FROM customer c LEFT JOIN interaction i ON i.id = ("
            "  SELECT j.id FROM interaction j WHERE j.customer_id = c.id "
            "  AND j.follow_up = c.next_follow_up AND j.follow_up_done = FALSE "
            "  ORDER BY j.at DESC, j.id DESC LIMIT 1) "
            "WHERE c.deleted_at IS NULL AND c.next_follow_up IS NOT NULL "
            "AND c.next_follow_up <= ?",
            (last,),
        ).fetchall()

    def touches_falling_due(self, today: int, last: int) -> tuple[int, list[Row]]:
        """How many customers' first touches fell due before day `today` with no mark; and
        (customer id, due day, kind, every days, snoozed until day, done day) of those due
        from `today` to `last` (day numbers) or with marks, as the kept scores have them."""
        days = {"today": today, "last": last}
        marked = self.flag("s.marked")
        (overdue,) = self.db.execute_sql(
            f"""
SELECT count(*) FROM attention_score s
WHERE s.touch_id IS NOT NULL AND NOT {marked} AND s.touch_heard + s.cadence + 1 < :today""",
            days,
        ).fetchone()
        rows = self.db.execute_sql(
            f"""
SELECT s.customer_id, s.touch_heard + s.cadence + 1, t.kind, t.every_days,
  CASE WHEN {marked} THEN (SELECT {self.day("m.snoozed_until")} FROM attention_mark m
    WHERE m.customer_id = s.customer_id AND m.reason = 'cadence') END,
  CASE WHEN {marked} THEN (SELECT {self.day("m.done_at")} FROM attention_mark m
    WHERE m.customer_id = s.customer_id AND m.reason = 'cadence') END
FROM attention_score s JOIN plan_touch t ON t.id = s.touch_id
WHERE s.touch_id IS NOT NULL AND s.touch_heard + s.cadence + 1 <= :last
  AND ({marked} OR s.touch_heard + s.cadence + 1 >= :today)""",
            days,
        ).fetchall()
        return overdue, rows
