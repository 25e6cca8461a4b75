"""Finding customers: the search index and the query language's plans on PostgreSQL.

The index is `customer_search.words`, a tsvector of the same words SQLite's FTS5 index holds
(m0017_schema.sql `crm_words`: FTS5's folding and splitting, table for table), so a query
finds the same customers on both engines. A free word is a phrase of its words, the last one
a prefix (`crm_term`); four to eight digits match a phone's tail token too. The name column
weighs A and the notes D, for the questions asked of one column.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from tui_crm.db.store.search import (
    FOUND_FROM,
    FOUND_TO,
    SNIPPET_TOKENS,
    Row,
    Search,
    phone_tail,
    text_words,
)

if TYPE_CHECKING:
    from tui_crm.core.query import Query, Word

NAME, NOTES = "A", "D"  # the weights of the name and notes columns in `words`
ESTIMATED_HITS = 5000  # hits the planner expects, from which its estimate is taken as the count
PROBED_HITS = 10_000  # below this many expected hits, a direct plan looks customers up by key


def _tsquery(words: list[tuple[str, bool]], joiner: str, weights: str = "") -> tuple[str, list]:
    """A tsquery expression of `words` (text, whether a phrase) joined by `joiner` (&& all,
    || any), and its parameters: each word as SQLite's `fts_term` puts it to FTS5."""
    parts: list[str] = []
    params: list = []
    for text, phrase in words:
        term = f"crm_term(?, {'FALSE' if phrase else 'TRUE'}, '{weights}')"
        params.append(text)
        tail = phone_tail(text, phrase)
        if tail:
            term = f"({term} || crm_term(?, FALSE, '{weights}'))"
            params.append(tail)
        parts.append(term)
    return "(" + f" {joiner} ".join(parts) + ")", params


def _pairs(words: list[Word]) -> list[tuple[str, bool]]:
    return [(w.text, w.phrase) for w in words]


class PostgresSearch(Search):
    NOT_FALSE = "FALSE"
    IN_ORDER_JOIN = "JOIN"
    # Looked up for each customer of the sample: as a join, the planner merges it with the
    # summary read from its first row, past the third of the book before the sample (15 ms).
    SAMPLE_VALUES = (
        "LEFT JOIN LATERAL (SELECT * FROM customer_value WHERE customer_id = c.id OFFSET 0) "
        "AS v ON true"
    )

    def caseless(self, column: str) -> str:
        return f'ascii_lower({column}) COLLATE "C"'

    def caseless_order(self, column: str, descending: bool) -> str:
        # By the first 200 characters, as the index holds them (migration 19): SQLite's order,
        # but for values that share their first 200 characters, which follow the next key.
        return self.order_term(f'crm_prefix(ascii_lower({column})) COLLATE "C"', descending)

    def caseless_in(self, column: str, count: int) -> str:
        # In the C collation, as the caseless indexes are (equality is the same in any).
        marks = ", ".join("ascii_lower(?)" for _ in range(count))
        return f'ascii_lower({column}) COLLATE "C" IN ({marks})'

    def caseless_like(self, column: str) -> str:
        return f"ascii_lower({column}) LIKE ascii_lower(?) ESCAPE '\\'"

    def order_term(self, column: str, descending: bool) -> str:
        return column + (" DESC NULLS LAST" if descending else " NULLS FIRST")

    def indexed_by(self, index: str | None) -> str:
        return ""  # PostgreSQL's planner takes no hints: it walks an index when it pays

    def total(self, expression: str) -> str:
        return f"coalesce(sum({expression}), 0)::float"

    def id_set(self) -> str:
        return "SELECT value::integer FROM json_array_elements_text(?::json)"

    def text_conditions(self, query: Query, mode: str = "direct") -> tuple[list[str], list]:
        sql: list[str] = []
        params: list = []
        positive = text_words(query, negated=False)
        negative = text_words(query, negated=True)
        if positive:
            matches, values = _tsquery(_pairs(positive), "&&")
            if mode in ("seek", "walk"):
                # Each customer the plan reaches is looked up: a customer's document is found
                # by its key and its words matched in some 5 µs, for any word, where gathering
                # the hits first ("walk" on SQLite) reads every hit's document (3 to 7 µs
                # each). OFFSET 0 keeps it so: the planner would start from the hits whenever
                # it expects few (a prefix of digits: 190 expected, 9 000 found).
                sql.append(
                    "EXISTS (SELECT 1 FROM customer_search s WHERE s.customer_id = c.id "
                    f"AND s.words @@ {matches} OFFSET 0)"
                )
            elif self._expected_hits(matches, tuple(values)) < PROBED_HITS:
                # The hits gathered once, then each customer found by its key: the planner,
                # reckoning a key's page as four times a scanned one, reads every customer to
                # join them (1 600 hits: 40 ms, not 15).
                sql.append(
                    "c.id = ANY(ARRAY(SELECT customer_id FROM customer_search "
                    f"WHERE words @@ {matches}))"
                )
            else:
                sql.append(
                    f"c.id IN (SELECT customer_id FROM customer_search WHERE words @@ {matches})"
                )
            params.extend(values)
        if negative:
            matches, values = _tsquery(_pairs(negative), "||")
            sql.append(
                f"c.id NOT IN (SELECT customer_id FROM customer_search WHERE words @@ {matches})"
            )
            params.extend(values)
        return sql, params

    def text_hits(self, query: Query, cap: int) -> int | None:
        positive = text_words(query, negated=False)
        if not positive:
            return None
        matches, params = _tsquery(_pairs(positive), "&&")
        # Counting reads each document found (a one-letter prefix: 80 000 of them, 80 ms); the
        # planner's estimate from the words' statistics tells a common word well enough for
        # the choice of plan, and costs a plan (1 ms). A rarer word is counted, up to where
        # the estimate takes over: an estimate of a few is often far off (a prefix of digits:
        # 190 expected, 9 000 found).
        expected = self._expected_hits(matches, tuple(params))
        if expected >= ESTIMATED_HITS:
            return min(expected, cap)
        counted = self.db.execute_sql(
            "SELECT count(*) FROM (SELECT 1 FROM customer_search "
            f"WHERE words @@ {matches} LIMIT ?) AS found",
            (*params, min(cap, ESTIMATED_HITS)),
        ).fetchone()[0]
        return counted if counted < ESTIMATED_HITS else min(max(counted, expected), cap)

    @functools.lru_cache(maxsize=64)  # noqa: B019 (a store lives as long as its book)
    def _expected_hits(self, matches: str, params: tuple) -> int:
        """How many documents the planner expects `matches` (a tsquery expression) to find,
        from the words' statistics: asked once for the plan's choice (text_hits) and again
        for its text condition."""
        (plan,) = self.db.execute_sql(
            f"EXPLAIN (FORMAT JSON) SELECT 1 FROM customer_search WHERE words @@ {matches}",
            params,
        ).fetchone()[0]
        return int(plan["Plan"]["Plan Rows"])

    def name_candidates(self, tokens: list[str]) -> list[Row]:
        matches, params = _tsquery([(t, True) for t in tokens], "&&", NAME)
        return self.db.execute_sql(
            "SELECT c.id, c.first_name, c.last_name, c.nickname FROM customer c "
            "WHERE c.deleted_at IS NULL AND c.id IN "
            f"(SELECT customer_id FROM customer_search WHERE words @@ {matches})",
            params,
        ).fetchall()

    def note_snippets(self, words: list[Word], ids: list[int]) -> dict[int, str]:
        matches, params = _tsquery(_pairs(words), "||", NOTES)
        found = self.db.execute_sql(
            "SELECT s.customer_id, p.pieces, p.gaps, ARRAY(SELECT crm_words(x.piece) "
            "  FROM unnest(p.pieces) WITH ORDINALITY AS x (piece, n) ORDER BY x.n) "
            "FROM customer_search s CROSS JOIN LATERAL (SELECT "
            "  regexp_split_to_array(s.notes, crm_separators()) AS pieces, "
            "  ARRAY(SELECT m.found[1] FROM regexp_matches(s.notes, "
            "    '(' || crm_separators() || ')', 'g') AS m (found)) AS gaps) AS p "
            f"WHERE s.words @@ {matches} AND s.customer_id IN ({self.ID_LIST}) "
            "ORDER BY s.customer_id",
            (*params, self.ids(ids)),
        ).fetchall()
        if not found:
            return {}
        folded = self.db.execute_sql(
            "SELECT ARRAY(SELECT crm_words(x.word) FROM unnest(?::text[]) WITH ORDINALITY "
            "AS x (word, n) ORDER BY x.n)",
            ([w.text for w in words],),
        ).fetchone()[0]
        phrases = [
            (text.split(" "), not word.phrase) for word, text in zip(words, folded, strict=True)
        ]
        return {
            cid: snippet(pieces, gaps, piece_words, [p for p in phrases if p[0] != [""]])
            for cid, pieces, gaps, piece_words in found
        }


def snippet(
    pieces: list[str],
    gaps: list[str],
    piece_words: list[str],
    phrases: list[tuple[list[str], bool]],
    size: int = SNIPPET_TOKENS,
    ellipsis: str = "…",
) -> str:
    """FTS5's snippet() (SQLite 3.40, fts5_aux.c) of one text: `pieces` are the text between
    its `gaps` (the separators), `piece_words` each piece's word as FTS5 folds it, and
    `phrases` the query's phrases (words, whether the last is a prefix). The window of `size`
    words that holds the most different phrases, preferring one that starts a sentence."""
    text = "".join(p + g for p, g in zip(pieces, [*gaps, ""], strict=True))
    tokens: list[tuple[int, int, str]] = []  # (start, end, word)
    offset = 0
    for piece, gap, word in zip(pieces, [*gaps, ""], piece_words, strict=True):
        if word:
            tokens.append((offset, offset + len(piece), word))
        offset += len(piece) + len(gap)
    count = len(tokens)

    def matches(at: int, phrase: list[str], prefix: bool) -> bool:
        if at + len(phrase) > count:
            return False
        *whole, last = phrase
        found = tokens[at + len(whole)][2]
        return all(tokens[at + k][2] == w for k, w in enumerate(whole)) and (
            found.startswith(last) if prefix else found == last
        )

    # (position, phrase) of every match, in the order of the text.
    hits = [
        (at, n)
        for at in range(count)
        for n, (phrase, prefix) in enumerate(phrases)
        if matches(at, phrase, prefix)
    ]
    sizes = [len(phrase) for phrase, _ in phrases]

    def score(start: int) -> tuple[int, int]:
        seen: set[int] = set()
        points, first, last = 0, -1, 0
        for at, n in hits:
            if start <= at < start + size:
                points += 1 if n in seen else 1000
                seen.add(n)
                first = at if first < 0 else first
                last = at + sizes[n]
        spare = size - (last - first)
        adjusted = first - int(spare / 2)  # C's division, toward zero
        if adjusted + size > count:
            adjusted = count - size
        return points, max(adjusted, 0)

    # Sentences start at the first word and after ". " or ": ".
    firsts = [0] if count else []
    for k in range(1, count):
        before = text[: tokens[k][0]]
        stripped = before.rstrip(" \t\n\r")
        if len(stripped) < len(before) and stripped.endswith((".", ":")):
            firsts.append(k)
    best, best_start = 0, 0
    for at, _ in hits:
        points, adjusted = score(at)
        if points > best:
            best, best_start = points, adjusted
        if firsts and count > size:
            j = 0
            while j < len(firsts) - 1 and not firsts[j + 1] > at:
                j += 1
            if firsts[j] < at:
                points = score(firsts[j])[0] + (120 if firsts[j] == 0 else 100)
                if points > best:
                    best, best_start = points, firsts[j]

    # The matches, overlapping ones as one, as (first word, last word).
    spans: list[list[int]] = []
    for at, n in hits:
        end = at + sizes[n] - 1
        if spans and at <= spans[-1][1]:
            spans[-1][1] = max(spans[-1][1], end)
        else:
            spans.append([at, end])
    range_start, range_end = best_start, best_start + size - 1
    out: list[str] = [ellipsis] if best_start > 0 else []
    span = 0
    while span < len(spans) and spans[span][0] < range_start:
        span += 1
    done = 0  # the text up to here is out
    for k, (start, end, _) in enumerate(tokens):
        if k < range_start or k > range_end:
            continue
        if range_start and k == range_start:
            done = start
        current = spans[span] if span < len(spans) else (-1, -1)
        if k == current[0]:
            out += [text[done:start], FOUND_FROM]
            done = start
        if k == current[1]:
            if current[0] < range_start:
                out.append(FOUND_FROM)
            out += [text[done:end], FOUND_TO]
            done = end
            span += 1
            current = spans[span] if span < len(spans) else (-1, -1)
        if k == range_end:
            out.append(text[done:end])
            done = end
            if current[0] <= k < current[1]:
                out.append(FOUND_TO)
    out.append(text[done:] if range_end >= count - 1 else ellipsis)
    return "".join(out)
