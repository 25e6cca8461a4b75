"""SQL for the per-customer figures kept up to date as rows are written.

Each figure on the customer row is one correlated expression over the customer's own rows
(cheap through the indexes on `interaction(customer_id, at)` and `purchase(customer_id, day)`).
The same expressions serve the triggers (one customer) and `refresh_all` (everyone, after a
bulk load), so the two can never disagree.

Migration 10 adds the triggers of `maintained_trigger_sql`, which keep what the queue, the
value summary and the referral tree read as rows are written, so that no read has to
aggregate the big tables (see "Maintained figures" below).
"""

from __future__ import annotations

# `{cid}` is the customer id expression: NEW.customer_id in a trigger, customer.id in a rebuild.
LAST_CONTACT = "(SELECT max(at) FROM interaction WHERE customer_id = {cid})"

# The follow-up asked for by the newest interaction that set one, unless a later interaction
# on or after that date already answered it.
NEXT_FOLLOW_UP = """(
  SELECT CASE WHEN EXISTS (
           SELECT 1 FROM interaction j
           WHERE j.customer_id = i.customer_id AND j.at > i.at AND date(j.at) >= i.follow_up)
         THEN NULL ELSE i.follow_up END
  FROM interaction i
  WHERE i.customer_id = {cid} AND i.follow_up IS NOT NULL AND i.follow_up_done = 0
  ORDER BY i.at DESC, i.id DESC LIMIT 1)"""

LIFETIME_CENTS = "(SELECT coalesce(sum(cents), 0) FROM purchase WHERE customer_id = {cid})"
PURCHASE_COUNT = "(SELECT count(*) FROM purchase WHERE customer_id = {cid})"
LAST_PURCHASE = "(SELECT max(day) FROM purchase WHERE customer_id = {cid})"

# The last 4 to 8 digits of a phone's national number, each as a token of TAIL_MARK and the
# digits ("ǂ0166 ǂ50166 … ǂ55550166"), so that a search by the tail of a number finds it
# (migration 17; core/search.py `fts_term`). A shorter number gives its whole digits for the
# longer ones. The mark is a letter nobody types (a click, U+01C2): a word's prefix never
# matches these tokens ("t" would have matched all of them, 575 000 at 100 000 customers).
TAIL_MARK = "\u01c2"
PHONE_TAILS = (
    "CASE WHEN length(national) >= 4 THEN "
    + " || ".join(f"' {TAIL_MARK}' || substr(national, -{n})" for n in range(4, 9))
    + " ELSE '' END"
)

# The search document of one customer: the columns of `customer_fts`.
SEARCH_DOC = f"""
SELECT c.id,
  trim(c.first_name || ' ' || c.last_name || ' ' || c.nickname),
  trim(c.company || ' ' || c.job_title),
  coalesce((SELECT group_concat(address, ' ') FROM customer_email WHERE customer_id = c.id), '')
    || ' ' ||
  coalesce((SELECT group_concat(replace(number, '+', '') || ' ' || national || {PHONE_TAILS}, ' ')
            FROM customer_phone WHERE customer_id = c.id), ''),
  trim(c.street || ' ' || c.postal_code || ' ' || c.city || ' ' || c.region || ' '
       || c.country),
  coalesce((SELECT group_concat(t.name, ' ') FROM customer_tag ct JOIN tag t ON t.id = ct.tag_id
            WHERE ct.customer_id = c.id), '') || ' ' || c.source,
  c.notes || ' · ' || c.why_chose_us || ' · ' ||
  coalesce((SELECT group_concat(notes || ' ' || outcome, ' · ') FROM interaction
            WHERE customer_id = c.id), '')
FROM customer c"""
# (The notes are kept apart by ' · ', which the index reads as a space: a snippet of them,
# core/search.py `note_snippets`, shows where one note ends.)

FTS_COLUMNS = ("name", "company", "contact", "place", "tags", "notes")


def index_sql(where: str = "") -> str:
    """The statement that adds the search documents of the customers `where` picks (all of
    them without one; `c` is the customer)."""
    insert = f"INSERT INTO customer_fts(rowid, {', '.join(FTS_COLUMNS)}) {SEARCH_DOC}"
    return f"{insert} WHERE {where}" if where else insert


# FTS5 merges its index segments a little on every write ('automerge', 4 by default). While
# one statement adds many documents, that merging is redone as the segments grow: off for the
# statement, back to the default after (about 0.4 s of 2.6 s for 100 000 customers). Past 16
# segments on a level FTS5 still merges ('crisismerge'), so searches stay as fast.
_AUTOMERGE = "INSERT INTO customer_fts(customer_fts, rank) VALUES ('automerge', {})"
FTS5_DEFAULT_AUTOMERGE = 4


def bulk_index_sql(where: str = "") -> list[str]:
    """`index_sql` for many customers at once."""
    return [
        _AUTOMERGE.format(0),
        index_sql(where),
        _AUTOMERGE.format(FTS5_DEFAULT_AUTOMERGE),
    ]


def reindex_sql(cid: str) -> list[str]:
    """Statements that replace one customer's search document."""
    return [f"DELETE FROM customer_fts WHERE rowid = {cid}", index_sql(f"c.id = {cid}")]


def contact_update_sql(cid: str) -> str:
    return (
        f"UPDATE customer SET last_contact_at = {LAST_CONTACT.format(cid=cid)}, "
        f"next_follow_up = {NEXT_FOLLOW_UP.format(cid=cid)} WHERE id = {cid}"
    )


def purchase_figures_sql(cid: str) -> str:
    """The `SET` assignments that recompute a customer's purchase figures."""
    return (
        f"lifetime_cents = {LIFETIME_CENTS.format(cid=cid)}, "
        f"purchase_count = {PURCHASE_COUNT.format(cid=cid)}, "
        f"last_purchase_on = {LAST_PURCHASE.format(cid=cid)}"
    )


def purchase_update_sql(cid: str) -> str:
    return f"UPDATE customer SET {purchase_figures_sql(cid)} WHERE id = {cid}"


# Ranks and tiers wait for the next `ensure_values` (core/value.py): the spends themselves
# are kept by the triggers of migration 10, so only the stamp saying "all current" goes.
VALUES_PENDING = "DELETE FROM meta WHERE key = 'values_as_of'"

# What a writer that had the triggers off (bulk_load: the benchmark's build, imports) runs
# after: every summary the triggers keep is built again from nothing when next read (the value
# summary, the purchase rhythms and the book's gap count, the queue's scores, the referral
# figures). A bulk writer that knows the customers it touched can run `touched_sql` instead.
MARK_VALUES_STALE = (
    "DELETE FROM meta WHERE key IN ('values_as_of', 'values_day', 'purchase_gaps', "
    "'attention_kept', 'referrals_kept', 'duplicates_kept')"
)


def trigger_sql() -> list[str]:
    """The triggers of migration 1: the figures on the customer row and the search index.

    Migration 1 runs this, so it may name only the tables migration 1 creates."""
    indexed = (
        "first_name, last_name, nickname, company, job_title, street, postal_code, city, "
        "region, country, source, notes, why_chose_us"
    )
    out: list[str] = []

    def trig(name: str, when: str, body: list[str]) -> None:
        out.append(f"CREATE TRIGGER {name} {when} BEGIN {'; '.join(body)}; END")

    trig("customer_ai", "AFTER INSERT ON customer", [*reindex_sql("NEW.id"), VALUES_PENDING])
    trig("customer_au", f"AFTER UPDATE OF {indexed} ON customer", reindex_sql("NEW.id"))
    trig(
        "customer_trash",
        "AFTER UPDATE OF deleted_at ON customer",
        [VALUES_PENDING],
    )
    trig("customer_ad", "AFTER DELETE ON customer", [reindex_sql("OLD.id")[0], VALUES_PENDING])
    for table in ("customer_email", "customer_phone", "customer_tag"):
        trig(f"{table}_ai", f"AFTER INSERT ON {table}", reindex_sql("NEW.customer_id"))
        trig(f"{table}_ad", f"AFTER DELETE ON {table}", reindex_sql("OLD.customer_id"))
        trig(
            f"{table}_au",
            f"AFTER UPDATE ON {table}",
            [*reindex_sql("OLD.customer_id"), *reindex_sql("NEW.customer_id")],
        )
    trig(
        "interaction_ai",
        "AFTER INSERT ON interaction",
        [contact_update_sql("NEW.customer_id"), *reindex_sql("NEW.customer_id")],
    )
    trig(
        "interaction_au",
        "AFTER UPDATE ON interaction",
        [
            contact_update_sql("OLD.customer_id"),
            contact_update_sql("NEW.customer_id"),
            *reindex_sql("OLD.customer_id"),
            *reindex_sql("NEW.customer_id"),
        ],
    )
    trig(
        "interaction_ad",
        "AFTER DELETE ON interaction",
        [contact_update_sql("OLD.customer_id"), *reindex_sql("OLD.customer_id")],
    )
    trig(
        "purchase_ai",
        "AFTER INSERT ON purchase",
        [purchase_update_sql("NEW.customer_id"), VALUES_PENDING],
    )
    trig(
        "purchase_au",
        "AFTER UPDATE ON purchase",
        [
            purchase_update_sql("OLD.customer_id"),
            purchase_update_sql("NEW.customer_id"),
            VALUES_PENDING,
        ],
    )
    trig(
        "purchase_ad",
        "AFTER DELETE ON purchase",
        [purchase_update_sql("OLD.customer_id"), VALUES_PENDING],
    )
    return out


def refresh_all_sql() -> list[str]:
    """Recompute every derived figure and the whole search index (after a bulk load)."""
    cid = "customer.id"
    return [
        f"UPDATE customer SET last_contact_at = {LAST_CONTACT.format(cid=cid)}, "
        f"next_follow_up = {NEXT_FOLLOW_UP.format(cid=cid)}, "
        f"{purchase_figures_sql(cid)}",
        "DELETE FROM customer_fts",
        *bulk_index_sql(),
        MARK_VALUES_STALE,  # the maintained summaries: built again when next read
    ]


def phone_update_trigger_sql() -> str:
    """Migration 11's trigger for an updated phone: its customer's search document reads the
    phone's customer, number and national digits only, so writing anything else (the kept
    display text, `shown`) rebuilds nothing."""
    body = [*reindex_sql("OLD.customer_id"), *reindex_sql("NEW.customer_id")]
    return (
        "CREATE TRIGGER customer_phone_au AFTER UPDATE OF customer_id, number, national "
        f"ON customer_phone BEGIN {'; '.join(body)}; END"
    )


# Maintained figures (migration 10) -----------------------------------------------------------
#
# What the needs-attention queue, the value summary and the referral tree read, kept as rows
# are written, so that no read aggregates purchases or interactions:
#
# - `purchase_rhythm`: each customer's purchase days (cents > 0): how many, the first and the
#   last, for every customer who bought on a day; and meta `purchase_gaps`, the number of gaps
#   between purchase days over the live customers (what decides when the book's median gap is
#   worked out again, core/attention.py);
# - `customer_value`: each live customer's spends as of the day in meta `values_day`, a
#   purchase's cents added to or taken from the windows it falls in (the windows' first days
#   are meta `values_from_30d` and `values_from_12m`); ranks and tiers follow in
#   `ensure_values` (core/value.py);
# - `attention_score`: a customer whose queue facts change is marked for scoring again
#   (`valid_until = 0`; core/attention.py scores the marked ones when the queue is read);
# - `referral_dirty`: customers whose place in a referral or 12-month value changed, for the
#   referral figures (core/referrals.py).


def ordinal(column: str) -> str:
    """SQL for the day of a date or datetime column as `date.toordinal()` counts it (times are
    stored without a time zone, so julianday() shifts none of them)."""
    return f"CAST(julianday({column}) - 1721424.5 AS INTEGER)"


def _meta(key: str) -> str:
    return f"(SELECT value FROM meta WHERE key = '{key}')"


def _live(cid: str) -> str:
    return f"EXISTS (SELECT 1 FROM customer WHERE id = {cid} AND deleted_at IS NULL)"


def _gaps(cid: str, sign: str) -> str:
    """Add (or take away) the customer's gaps between purchase days to the book's count, for a
    live customer."""
    return (
        f"UPDATE meta SET value = value {sign} coalesce((SELECT purchases - 1 FROM purchase_rhythm "
        f"WHERE customer_id = {cid} AND purchases > 1), 0) "
        f"WHERE key = 'purchase_gaps' AND {_live(cid)}"
    )


# A customer's purchase days, as day numbers; a day that is not a date counts for nothing.
RHYTHM_OF = f"""SELECT customer_id, count(DISTINCT d), min(d), max(d)
FROM (SELECT customer_id, {ordinal("day")} AS d FROM purchase WHERE cents > 0 {{where}})
WHERE d IS NOT NULL GROUP BY customer_id"""


def rhythm_sql(cid: str) -> list[str]:
    """Statements that work one customer's purchase rhythm out again from their purchases
    (through `purchase(customer_id, day)`), keeping the book's gap count."""
    return [
        _gaps(cid, "-"),
        f"DELETE FROM purchase_rhythm WHERE customer_id = {cid}",
        "INSERT INTO purchase_rhythm (customer_id, purchases, first_day, last_day) "
        + RHYTHM_OF.format(where=f"AND customer_id = {cid}")
        + f" HAVING EXISTS (SELECT 1 FROM customer WHERE id = {cid})",
        _gaps(cid, "+"),
    ]


def _rhythm_insert_sql() -> list[str]:
    """A new purchase: one more purchase day unless they bought (cents > 0) that day already;
    cheaper than `rhythm_sql` for the customers with thousands of purchases."""
    day = ordinal("NEW.day")
    applies = f"NEW.cents > 0 AND {day} IS NOT NULL"
    # Purchases of that day (the range finds them in the index; the day number decides).
    same_day = (
        "SELECT 1 FROM purchase WHERE customer_id = NEW.customer_id AND id != NEW.id "
        "AND cents > 0 AND day >= date(NEW.day) AND day < date(NEW.day, '+1 day') "
        f"AND {ordinal('day')} = {day}"
    )
    return [
        f"UPDATE meta SET value = value + 1 WHERE key = 'purchase_gaps' AND {applies} "
        f"AND NOT EXISTS ({same_day}) AND {_live('NEW.customer_id')} "
        "AND EXISTS (SELECT 1 FROM purchase_rhythm WHERE customer_id = NEW.customer_id)",
        "INSERT INTO purchase_rhythm (customer_id, purchases, first_day, last_day) "
        f"SELECT NEW.customer_id, 1, {day}, {day} "
        f"WHERE {applies} AND EXISTS (SELECT 1 FROM customer WHERE id = NEW.customer_id) "
        "ON CONFLICT (customer_id) DO UPDATE SET "
        f"purchases = purchases + NOT EXISTS ({same_day}), "
        "first_day = min(first_day, excluded.first_day), "
        "last_day = max(last_day, excluded.last_day)",
    ]


def value_delta_sql(row: str, sign: str) -> str:
    """Add (`+`) or take away (`-`) one purchase (`NEW` or `OLD`) in the spend windows of the
    day the value summary is kept for (nothing when there is none: it is built whole then)."""
    day, cents = f"{row}.day", f"{row}.cents"
    upto = f"{day} <= {_meta('values_day')}"

    def window(key: str) -> str:
        return f"CASE WHEN {day} > {_meta(key)} AND {upto} THEN {cents} ELSE 0 END"

    return (
        f"UPDATE customer_value SET spent_30d = spent_30d {sign} {window('values_from_30d')}, "
        f"spent_12m = spent_12m {sign} {window('values_from_12m')}, "
        f"lifetime = lifetime {sign} CASE WHEN {upto} THEN {cents} ELSE 0 END "
        f"WHERE customer_id = {row}.customer_id"
    )


# One customer's spends as of the kept day, from their purchases (a customer back from the
# trash, or `touched_sql`).
VALUE_ROW = f"""SELECT c.id,
  coalesce(sum(CASE WHEN p.day > {_meta("values_from_30d")} THEN p.cents END), 0),
  coalesce(sum(CASE WHEN p.day > {_meta("values_from_12m")} THEN p.cents END), 0),
  coalesce(sum(p.cents), 0), 0, ''
FROM customer c LEFT JOIN purchase p ON p.customer_id = c.id AND p.day <= {_meta("values_day")}
WHERE c.deleted_at IS NULL AND EXISTS (SELECT 1 FROM meta WHERE key = 'values_day') {{where}}
GROUP BY c.id"""

VALUE_COLUMNS = "customer_id, spent_30d, spent_12m, lifetime, value_rank, tier"


# Inside a trigger an upsert, never INSERT OR IGNORE / OR REPLACE: the statement that fired the
# trigger imposes its own conflict policy on those (a foreign key's ON DELETE SET NULL aborts).


def value_row_sql(where: str) -> str:
    """Insert (or replace) the value rows of the live customers `where` picks (`c`), rank and
    tier left for `ensure_values`."""
    return (
        f"INSERT INTO customer_value ({VALUE_COLUMNS}) "
        + VALUE_ROW.format(where=f"AND {where}")
        + " ON CONFLICT (customer_id) DO UPDATE SET spent_30d = excluded.spent_30d, "
        "spent_12m = excluded.spent_12m, lifetime = excluded.lifetime"
    )


def attention_stale_sql(cid: str) -> str:
    """Mark a customer's queue score for working out again (a row even for a customer who had
    none: new, back from the trash, no longer lost)."""
    return (
        f"INSERT INTO attention_score (customer_id) SELECT {cid} WHERE {cid} IS NOT NULL "
        "ON CONFLICT (customer_id) DO UPDATE SET valid_until = 0"
    )


def referral_changed_sql(cid: str) -> str:
    """A customer's place in the referrals may have changed."""
    return (
        f"INSERT INTO referral_dirty (customer_id) SELECT {cid} WHERE {cid} IS NOT NULL "
        "ON CONFLICT (customer_id) DO NOTHING"
    )


def referral_value_sql(cid: str) -> str:
    """A customer's 12-month value may have changed: it matters when they are in a referral."""
    return (
        f"INSERT INTO referral_dirty (customer_id) SELECT {cid} "
        f"WHERE EXISTS (SELECT 1 FROM referral_figure WHERE customer_id = {cid}) "
        "ON CONFLICT (customer_id) DO NOTHING"
    )


# The columns of a customer the queue reads (besides interactions, purchases and marks).
ATTENTION_COLUMNS = (
    "first_name, last_name, company, category_id, status, created_at, source, why_chose_us, "
    "referred_by_id, acquired_on"
)


def maintained_trigger_sql() -> list[str]:
    """The triggers of migration 10 (see "Maintained figures" above)."""
    out: list[str] = []

    def trig(name: str, when: str, body: list[str]) -> None:
        out.append(f"CREATE TRIGGER {name} {when} BEGIN {'; '.join(body)}; END")

    def purchase_changed(cid: str) -> list[str]:
        return [attention_stale_sql(cid), referral_value_sql(cid)]

    trig(
        "purchase_kept_ai",
        "AFTER INSERT ON purchase",
        [
            *_rhythm_insert_sql(),
            value_delta_sql("NEW", "+"),
            *purchase_changed("NEW.customer_id"),
        ],
    )
    # A corrected day or amount (a corrected description changes nothing kept here); the
    # purchase days only when the day moved or the amount became or stopped being a credit.
    trig(
        "purchase_kept_au",
        "AFTER UPDATE OF day, cents ON purchase WHEN OLD.customer_id = NEW.customer_id "
        "AND (OLD.day IS NOT NEW.day OR OLD.cents IS NOT NEW.cents)",
        [
            value_delta_sql("OLD", "-"),
            value_delta_sql("NEW", "+"),
            *purchase_changed("NEW.customer_id"),
        ],
    )
    trig(
        "purchase_kept_days",
        "AFTER UPDATE OF day, cents ON purchase WHEN OLD.customer_id = NEW.customer_id "
        "AND (OLD.day IS NOT NEW.day OR (OLD.cents > 0) != (NEW.cents > 0))",
        rhythm_sql("NEW.customer_id"),
    )
    # Moved to another customer (a merge, its undo).
    trig(
        "purchase_kept_moved",
        "AFTER UPDATE OF customer_id ON purchase WHEN OLD.customer_id != NEW.customer_id",
        [
            value_delta_sql("OLD", "-"),
            value_delta_sql("NEW", "+"),
            *rhythm_sql("OLD.customer_id"),
            *rhythm_sql("NEW.customer_id"),
            *purchase_changed("OLD.customer_id"),
            *purchase_changed("NEW.customer_id"),
        ],
    )
    trig(
        "purchase_kept_ad",
        "AFTER DELETE ON purchase",
        [
            value_delta_sql("OLD", "-"),
            *rhythm_sql("OLD.customer_id"),
            *purchase_changed("OLD.customer_id"),
        ],
    )
    trig(
        "customer_kept_ai",
        "AFTER INSERT ON customer",
        [
            value_row_sql("c.id = NEW.id"),
            attention_stale_sql("NEW.id"),
            attention_stale_sql("NEW.referred_by_id"),
            referral_changed_sql("NEW.id"),
        ],
    )
    # Into or out of the trash: the value row, the book's gaps, the queue of the customer and
    # of whoever referred them, the referrals.
    trig(
        "customer_kept_trash",
        "AFTER UPDATE OF deleted_at ON customer "
        "WHEN (OLD.deleted_at IS NULL) != (NEW.deleted_at IS NULL)",
        [
            "DELETE FROM customer_value WHERE customer_id = NEW.id AND NEW.deleted_at IS NOT NULL",
            value_row_sql("c.id = NEW.id"),
            "UPDATE meta SET value = value + CASE WHEN NEW.deleted_at IS NULL THEN 1 ELSE -1 END "
            "* coalesce((SELECT purchases - 1 FROM purchase_rhythm WHERE customer_id = NEW.id "
            "AND purchases > 1), 0) WHERE key = 'purchase_gaps'",
            attention_stale_sql("NEW.id"),
            attention_stale_sql("NEW.referred_by_id"),
            referral_changed_sql("NEW.id"),
        ],
    )
    trig(
        "customer_kept_au",
        f"AFTER UPDATE OF {ATTENTION_COLUMNS} ON customer",
        [
            attention_stale_sql("NEW.id"),
            attention_stale_sql("OLD.referred_by_id"),
            attention_stale_sql("NEW.referred_by_id"),
        ],
    )
    trig(
        "customer_kept_referral",
        "AFTER UPDATE OF referred_by_id ON customer "
        "WHEN OLD.referred_by_id IS NOT NEW.referred_by_id",
        [referral_changed_sql("NEW.id")],
    )
    # Before: the rhythm row is gone with the customer by the time an AFTER trigger runs.
    trig(
        "customer_kept_bd",
        "BEFORE DELETE ON customer",
        [
            "UPDATE meta SET value = value - coalesce((SELECT purchases - 1 FROM purchase_rhythm "
            "WHERE customer_id = OLD.id AND purchases > 1), 0) "
            "WHERE key = 'purchase_gaps' AND OLD.deleted_at IS NULL"
        ],
    )
    trig(
        "customer_kept_ad",
        "AFTER DELETE ON customer",
        [
            "DELETE FROM attention_score WHERE customer_id = OLD.id",
            attention_stale_sql("OLD.referred_by_id"),
            referral_changed_sql("OLD.id"),
        ],
    )
    for event, rows in (("ai", ("NEW",)), ("au", ("OLD", "NEW")), ("ad", ("OLD",))):
        verb = {"ai": "INSERT", "au": "UPDATE", "ad": "DELETE"}[event]
        trig(
            f"interaction_kept_{event}",
            f"AFTER {verb} ON interaction",
            [attention_stale_sql(f"{row}.customer_id") for row in rows],
        )
        trig(
            f"attention_mark_kept_{event}",
            f"AFTER {verb} ON attention_mark",
            [attention_stale_sql(f"{row}.customer_id") for row in rows],
        )
    # A plan's changes mark the scores it applies to: migration 15's triggers on plan_touch.
    return out


def touched_sql(where: str) -> list[str]:
    """For a writer that had the triggers off and knows whom it touched: bring what the
    triggers of migration 10 keep up to date for the customers `where` picks (`c`: their
    purchases, their referrer, their liveness may have changed; their rows are all in).
    Run after `purchase_figures_sql` for them. A cheaper alternative to MARK_VALUES_STALE."""
    picked = f"SELECT c.id FROM customer c WHERE {where}"
    return [
        # Purchase rhythms, and the book's gap count afresh (one pass over purchase_rhythm).
        f"DELETE FROM purchase_rhythm WHERE customer_id IN ({picked})",
        "INSERT INTO purchase_rhythm (customer_id, purchases, first_day, last_day) "
        + RHYTHM_OF.format(where=f"AND customer_id IN ({picked})"),
        "UPDATE meta SET value = (SELECT coalesce(sum(r.purchases - 1), 0) FROM purchase_rhythm r "
        "JOIN customer c ON c.id = r.customer_id WHERE r.purchases > 1 AND c.deleted_at IS NULL) "
        "WHERE key = 'purchase_gaps'",
        f"DELETE FROM customer_value WHERE customer_id IN ({picked} AND c.deleted_at IS NOT NULL)",
        value_row_sql(where),
        VALUES_PENDING,
        "INSERT INTO attention_score (customer_id) SELECT id FROM (" + picked + " UNION "
        f"SELECT c.referred_by_id FROM customer c WHERE {where} AND c.referred_by_id IS NOT NULL) "
        "WHERE true ON CONFLICT (customer_id) DO UPDATE SET valid_until = 0",
        f"INSERT OR IGNORE INTO referral_dirty (customer_id) {picked}",
        *duplicates_touched_sql(where),
    ]


def plain_indexes(db, table: str) -> list[tuple[str, str]]:
    """(name, sql) of the indexes of `table` that are not behind a UNIQUE or PRIMARY KEY."""
    return [
        (name, sql)
        for name, sql in db.execute_sql(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? "
            "AND sql IS NOT NULL ORDER BY rowid",
            (table,),
        )
    ]


def refill(db, table: str, statements: list[tuple[str, object]]) -> None:
    """Empty `table` and fill it with `statements`, its plain indexes dropped meanwhile and
    built again after (one sorted build each instead of a million scattered inserts). Run in
    a transaction: nothing outside it sees the indexes missing."""
    indexes = plain_indexes(db, table)
    for name, _ in indexes:
        db.execute_sql(f'DROP INDEX "{name}"')
    db.execute_sql(f"DELETE FROM {table}")
    for sql, params in statements:
        db.execute_sql(sql, params)
    for _, sql in indexes:
        db.execute_sql(sql)


# Kept duplicate pairs (migration 12) ---------------------------------------------------------
#
# core/duplicates_kept.py keeps the pairs `find_duplicate_pairs` lists. These triggers mark
# what a write changes for them: a customer whose name, company, birthday, gender, address or
# place in the trash changed (`duplicate_dirty`), and an email address (as lower() writes it)
# or phone number that a customer gained or lost (`duplicate_dirty_contact`: who else holds it
# may now pair differently). The next read works out again only what is marked.

DUPLICATE_COLUMNS = "first_name, last_name, company, birthday, gender, street, postal_code"


def duplicate_dirty_sql(cid: str) -> str:
    return (
        f"INSERT INTO duplicate_dirty (customer_id) SELECT {cid} WHERE {cid} IS NOT NULL "
        "ON CONFLICT (customer_id) DO NOTHING"
    )


def duplicate_contact_sql(code: str, key: str) -> str:
    return (
        f"INSERT INTO duplicate_dirty_contact (code, key) SELECT '{code}', {key} "
        f"WHERE {key} IS NOT NULL ON CONFLICT (code, key) DO NOTHING"
    )


# A contact's key as the pairs compare it: an email in any (ASCII) case, a phone as stored.
CONTACT_KEYS = (
    ("email", "customer_email", "lower({row}.address)"),
    ("phone", "customer_phone", "{row}.number"),
)


def duplicates_touched_sql(where: str) -> list[str]:
    """For a writer that had the triggers off: mark the customers `where` picks (`c`) and the
    emails and phones they hold, as the triggers of migration 12 would have. Contact rows the
    writer took away are not seen: such a writer drops `duplicates_kept` instead."""
    out = [
        f"INSERT OR IGNORE INTO duplicate_dirty (customer_id) SELECT c.id FROM customer c "
        f"WHERE {where}"
    ]
    for code, table, key in CONTACT_KEYS:
        out.append(
            f"INSERT OR IGNORE INTO duplicate_dirty_contact (code, key) SELECT DISTINCT "
            f"'{code}', {key.format(row='x')} FROM {table} x JOIN customer c ON c.id = "
            f"x.customer_id WHERE {where}"
        )
    return out


def duplicate_trigger_sql() -> list[str]:
    """The triggers of migration 12 (see "Kept duplicate pairs" above)."""
    out: list[str] = []

    def trig(name: str, when: str, body: list[str]) -> None:
        out.append(f"CREATE TRIGGER {name} {when} BEGIN {'; '.join(body)}; END")

    changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in DUPLICATE_COLUMNS.split(", "))
    trig("customer_dups_ai", "AFTER INSERT ON customer", [duplicate_dirty_sql("NEW.id")])
    trig(
        "customer_dups_au",
        f"AFTER UPDATE OF {DUPLICATE_COLUMNS}, deleted_at ON customer WHEN {changed} "
        "OR (OLD.deleted_at IS NULL) != (NEW.deleted_at IS NULL)",
        [duplicate_dirty_sql("NEW.id")],
    )
    # A customer's emails and phones go with them (ON DELETE CASCADE fires their triggers too).
    trig("customer_dups_ad", "AFTER DELETE ON customer", [duplicate_dirty_sql("OLD.id")])
    for code, table, key in CONTACT_KEYS:
        trig(
            f"{table}_dups_ai",
            f"AFTER INSERT ON {table}",
            [duplicate_contact_sql(code, key.format(row="NEW"))],
        )
        trig(
            f"{table}_dups_ad",
            f"AFTER DELETE ON {table}",
            [duplicate_contact_sql(code, key.format(row="OLD"))],
        )
        trig(
            f"{table}_dups_au",
            f"AFTER UPDATE ON {table}",
            [
                duplicate_contact_sql(code, key.format(row="OLD")),
                duplicate_contact_sql(code, key.format(row="NEW")),
            ],
        )
    return out
