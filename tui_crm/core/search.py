"""Running a parsed query against the database: full text, qualifiers, sorting.

Free words go to the FTS5 index as quoted prefix terms (user text never becomes SQL or FTS
syntax); qualifiers become parameterised conditions on the customer row, its tags and its
value figures as of `as_of`.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from peewee import Database

from tui_crm.core.config import settings
from tui_crm.core.fields import format_phone
from tui_crm.core.query import Query, SortKey, Word, parse
from tui_crm.core.types import CustomerRow
from tui_crm.core.value import ensure_values

SORT_SQL = {
    "name": ["c.first_name COLLATE NOCASE", "c.last_name COLLATE NOCASE"],
    "last_name": ["c.last_name COLLATE NOCASE", "c.first_name COLLATE NOCASE"],
    "company": ["c.company COLLATE NOCASE"],
    "city": ["c.city COLLATE NOCASE"],
    "created": ["c.created_at"],
    "last_contact": ["c.last_contact_at"],
    "next_follow_up": ["c.next_follow_up IS NULL", "c.next_follow_up"],
    "spent30d": ["coalesce(v.spent_30d, 0)"],
    "spent12m": ["coalesce(v.spent_12m, 0)"],
    "lifetime": ["coalesce(v.lifetime, 0)"],
}
EQUAL_COLUMNS = {
    "city": "c.city",
    "country": "c.country",
    "source": "c.source",
    "owner": "c.owner",
    "territory": "c.territory",
}


def fts_term(word: Word) -> str | None:
    """One word as a safe FTS5 phrase: quoted, quotes doubled, `*` for prefix matching."""
    if not any(ch.isalnum() for ch in word.text):
        return None
    quoted = '"' + word.text.replace('"', '""') + '"'
    return quoted if word.phrase else quoted + "*"


def _text_conditions(query: Query) -> tuple[list[str], list]:
    sql: list[str] = []
    params: list = []
    positive = [t for w in query.words if not w.negated and (t := fts_term(w))]
    negative = [t for w in query.words if w.negated and (t := fts_term(w))]
    if positive:
        sql.append("c.id IN (SELECT rowid FROM customer_fts WHERE customer_fts MATCH ?)")
        params.append(" AND ".join(positive))
    if negative:
        sql.append("c.id NOT IN (SELECT rowid FROM customer_fts WHERE customer_fts MATCH ?)")
        params.append(" OR ".join(negative))
    return sql, params


def _filter_conditions(query: Query, as_of: date) -> tuple[list[str], list]:
    sql: list[str] = []
    params: list = []
    for f in query.filters:
        values = list(f.values)
        marks = ", ".join("?" for _ in values)
        if f.key == "tag":
            cond = (
                "c.id IN (SELECT ct.customer_id FROM customer_tag ct JOIN tag t "
                f"ON t.id = ct.tag_id WHERE t.name IN ({marks}))"
            )
        elif f.key in EQUAL_COLUMNS:
            if f.key == "owner":
                values = [settings().user if v.lower() == "me" else v for v in values]
            cond = f"{EQUAL_COLUMNS[f.key]} COLLATE NOCASE IN ({marks})"
        elif f.key == "company":
            cond = "(" + " OR ".join("c.company LIKE ? ESCAPE '\\'" for _ in values) + ")"
            values = [
                "%" + v.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
                for v in values
            ]
        elif f.key == "category":
            cond = f"c.category_id IN (SELECT id FROM category WHERE name IN ({marks}))"
        elif f.key == "tier":
            values = ["" if v == "none" else v for v in values]
            cond = f"coalesce(v.tier, '') IN ({marks})"
        elif f.key == "gender":
            cond = f"c.gender IN ({marks})"
        elif f.key == "status":
            cond = f"c.status IN ({marks})"
        elif f.key == "due":
            limits = {"overdue": ("<", as_of), "today": ("<=", as_of)}
            limits["week"] = ("<=", as_of + timedelta(days=7))
            cond = "(" + " OR ".join(f"c.next_follow_up {limits[v][0]} ?" for v in values) + ")"
            values = [limits[v][1].isoformat() for v in values]
        else:  # pragma: no cover - the parser only produces known keys
            raise AssertionError(f.key)
        sql.append(f"NOT coalesce({cond}, 0)" if f.negated else cond)
        params.extend(values)
    for m in query.money:
        sql.append(f"coalesce(v.{m.key}, 0) {m.op} ?")
        params.append(m.cents)
    return sql, params


def _order_by(query: Query) -> str:
    keys: list[SortKey] = list(query.sort)
    parts: list[str] = []
    if not keys:
        if query.words or query.money or any(f.key == "tier" for f in query.filters):
            keys = [SortKey("spent12m", True), SortKey("last_name")]
        else:
            keys = [SortKey("last_name")]
    for key in keys:
        for column in SORT_SQL[key.key]:
            nulls_last = column.endswith("IS NULL")
            parts.append(column + (" DESC" if key.descending and not nulls_last else ""))
    parts.append("c.id")
    return ", ".join(parts)


def search_ids(db: Database, query: Query, *, as_of: date, limit: int | None = 50) -> list[int]:
    """Ids of the customers matching `query`, in result order."""
    ensure_values(db, as_of)
    text_sql, text_params = _text_conditions(query)
    filter_sql, filter_params = _filter_conditions(query, as_of)
    where = " AND ".join(["c.deleted_at IS NULL", *text_sql, *filter_sql])
    sql = (
        "SELECT c.id FROM customer c LEFT JOIN customer_value v ON v.customer_id = c.id "
        f"WHERE {where} ORDER BY {_order_by(query)}"
    )
    params = [*text_params, *filter_params]
    if limit is not None:
        sql += " LIMIT ?"
        params.append(limit)
    return [row[0] for row in db.execute_sql(sql, params)]


ROW_SQL = """
SELECT c.id, c.first_name, c.last_name, c.company,
  coalesce((SELECT address FROM customer_email WHERE customer_id = c.id
            ORDER BY position LIMIT 1), ''),
  coalesce((SELECT number FROM customer_phone WHERE customer_id = c.id
            ORDER BY position LIMIT 1), ''),
  c.city, coalesce(v.tier, ''), coalesce(v.spent_12m, 0), coalesce(v.spent_30d, 0),
  coalesce(v.lifetime, 0), c.last_contact_at, c.next_follow_up, c.status
FROM customer c LEFT JOIN customer_value v ON v.customer_id = c.id
WHERE c.id IN ({marks})
"""


def rows_for(db: Database, ids: list[int]) -> list[CustomerRow]:
    """Display rows for `ids`, in the same order."""
    if not ids:
        return []
    found: dict[int, CustomerRow] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        sql = ROW_SQL.format(marks=", ".join("?" for _ in chunk))
        for r in db.execute_sql(sql, chunk):
            found[r[0]] = CustomerRow(
                id=r[0],
                first_name=r[1],
                last_name=r[2],
                company=r[3],
                email=r[4],
                phone=format_phone(r[5]) if r[5] else "",
                city=r[6],
                tier=r[7],
                value_12m=r[8],
                spent_30d=r[9],
                lifetime=r[10],
                last_contact=_datetime(r[11]),
                next_follow_up=date.fromisoformat(r[12]) if r[12] else None,
                status=r[13],
            )
    return [found[i] for i in ids if i in found]


def _datetime(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def search(
    db: Database, query: str | Query, *, as_of: date, limit: int | None = 50
) -> list[CustomerRow]:
    """Customers matching `query` (text in the search language, or already parsed)."""
    parsed = parse(query) if isinstance(query, str) else query
    return rows_for(db, search_ids(db, parsed, as_of=as_of, limit=limit))
