"""SQL for the per-customer figures kept up to date as rows are written.

Each figure is one correlated expression over the customer's own rows (cheap through the
indexes on `interaction(customer_id, at)` and `purchase(customer_id, day)`). The same
expressions serve the triggers (one customer) and `refresh_all` (everyone, after a bulk load),
so the two can never disagree.
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

# The search document of one customer: the columns of `customer_fts`.
SEARCH_DOC = """
SELECT c.id,
  trim(c.first_name || ' ' || c.last_name || ' ' || c.nickname),
  trim(c.company || ' ' || c.job_title),
  coalesce((SELECT group_concat(address, ' ') FROM customer_email WHERE customer_id = c.id), '')
    || ' ' ||
  coalesce((SELECT group_concat(replace(number, '+', '') || ' ' || national, ' ')
            FROM customer_phone WHERE customer_id = c.id), ''),
  trim(c.street || ' ' || c.postal_code || ' ' || c.city || ' ' || c.region || ' '
       || c.country),
  coalesce((SELECT group_concat(t.name, ' ') FROM customer_tag ct JOIN tag t ON t.id = ct.tag_id
            WHERE ct.customer_id = c.id), '') || ' ' || c.source,
  c.notes || ' ' || c.why_chose_us || ' ' ||
  coalesce((SELECT group_concat(notes || ' ' || outcome, ' ') FROM interaction
            WHERE customer_id = c.id), '')
FROM customer c"""

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


MARK_VALUES_STALE = "DELETE FROM meta WHERE key = 'values_as_of'"


def trigger_sql() -> list[str]:
    """Every trigger that keeps the derived figures and the search index current."""
    indexed = (
        "first_name, last_name, nickname, company, job_title, street, postal_code, city, "
        "region, country, source, notes, why_chose_us"
    )
    out: list[str] = []

    def trig(name: str, when: str, body: list[str]) -> None:
        out.append(f"CREATE TRIGGER {name} {when} BEGIN {'; '.join(body)}; END")

    trig("customer_ai", "AFTER INSERT ON customer", [*reindex_sql("NEW.id"), MARK_VALUES_STALE])
    trig("customer_au", f"AFTER UPDATE OF {indexed} ON customer", reindex_sql("NEW.id"))
    trig(
        "customer_trash",
        "AFTER UPDATE OF deleted_at ON customer",
        [MARK_VALUES_STALE],
    )
    trig("customer_ad", "AFTER DELETE ON customer", [reindex_sql("OLD.id")[0], MARK_VALUES_STALE])
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
        [purchase_update_sql("NEW.customer_id"), MARK_VALUES_STALE],
    )
    trig(
        "purchase_au",
        "AFTER UPDATE ON purchase",
        [
            purchase_update_sql("OLD.customer_id"),
            purchase_update_sql("NEW.customer_id"),
            MARK_VALUES_STALE,
        ],
    )
    trig(
        "purchase_ad",
        "AFTER DELETE ON purchase",
        [purchase_update_sql("OLD.customer_id"), MARK_VALUES_STALE],
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
        MARK_VALUES_STALE,
        "DELETE FROM purchase_rhythm",  # recomputed when next asked for (core/attention.py)
    ]
