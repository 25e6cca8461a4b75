"""Actions on every customer a query finds, at once (issue 19): add and remove tags.

An action is worked out in full before anything is written (`--dry-run` stops there and says
who would change), then written in one transaction after a backup of the book: each changed
customer gets a new version and a line in their history, and the whole action is one step of
the undo journal (ctrl+z in the app, which reverts it as one). The rows are written set by
set (one statement a kind of row, not one a customer): 10 000 customers in well under 2 s.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from peewee import Database

from tui_crm.core.bulk import Rebuild, bulk_load
from tui_crm.core.config import user_of
from tui_crm.core.display import printable
from tui_crm.core.query import parse
from tui_crm.core.rows import display_name
from tui_crm.core.search import search_ids
from tui_crm.core.undo import record_step, refused
from tui_crm.db.models import UndoStep
from tui_crm.db.store import store_of
from tui_crm.errors import CrmError

_PIECE = 500  # ids a statement names at most, well under SQLite's limits


@dataclass(frozen=True)
class TagChange:
    """One customer a tag action changes: their tags before and after (sorted)."""

    id: int
    name: str
    before: tuple[str, ...]
    after: tuple[str, ...]


@dataclass(frozen=True)
class BulkResult:
    """What an action changed (or, dry, would change): the customers it changes, how many the
    query found, and the undo step it wrote (None for a dry run or no change)."""

    changes: list[TagChange]
    found: int
    said: str  # "+vip -old"
    step: int | None = None
    whose: str = "found"  # "marked": the customers were given by id

    def summary(self, *, dry_run: bool = False) -> str:
        verb = "would change" if dry_run else "changed"
        same = self.found - len(self.changes)
        return (
            f"tags {self.said}: {verb} {len(self.changes)} of the {self.found} customers "
            f"{self.whose}" + (f" ({same} had them already)" if same else "")
        )


def tag_word(text: str) -> str:
    """A tag as the book keeps it (as the form and imports do): lower case, its spacing
    tidied; a comma or semicolon cannot be in one."""
    word = " ".join(text.split()).lower()
    if not word:
        raise CrmError("a tag needs a name: +vip, -old")
    if "," in word or ";" in word:
        raise CrmError(f"a tag cannot hold a comma or semicolon: '{text}'")
    return word


def parse_tag_changes(words: list[str]) -> tuple[list[str], list[str]]:
    """`+vip -old` → (["vip"], ["old"]); each word starts with + or -."""
    add: list[str] = []
    remove: list[str] = []
    for word in words:
        if word[:1] not in ("+", "-"):
            raise CrmError(f"'{word}': a tag to add starts with +, one to remove with -")
        (add if word[0] == "+" else remove).append(tag_word(word[1:]))
    if not add and not remove:
        raise CrmError("say which tags to add or remove: +vip -old")
    both = sorted(set(add) & set(remove))
    if both:
        raise CrmError(f"'{both[0]}' is both added and removed")
    return list(dict.fromkeys(add)), list(dict.fromkeys(remove))


Target = str | Sequence[int]  # a query (every customer it finds), or customers marked by id


def target_ids(db: Database, target: Target, as_of: date) -> list[int]:
    """The live customers of `target`, in its order (a customer marked, then moved to the
    trash by someone, is no longer one of them)."""
    if isinstance(target, str):
        return search_ids(db, parse(target), as_of=as_of, limit=None)
    ids = list(dict.fromkeys(target))
    live = {cid for (cid,) in _rows(db, ids, ["id"], live=True)}
    return [cid for cid in ids if cid in live]


def _whose(target: Target) -> str:
    return "found" if isinstance(target, str) else "marked"


def _said(add: list[str], remove: list[str]) -> str:
    return " ".join([*(f"+{t}" for t in add), *(f"-{t}" for t in remove)])


def _pieces(ids: list[int]):
    for start in range(0, len(ids), _PIECE):
        yield ids[start : start + _PIECE]


def _rows(db: Database, ids: list[int], columns: list[str], *, live: bool = False) -> list[tuple]:
    """`columns` of the customers `ids`, read a piece at a time; with `live`, of those not in
    the trash."""
    found: list[tuple] = []
    for piece in _pieces(ids):
        found += store_of(db).customer_columns(piece, columns, live=live)
    return found


def _hold(db: Database, ids: list[int]) -> None:
    """The customers `ids` kept from other writers until the transaction ends: what it read
    of them (their versions, tags, fields) is what it writes over."""
    for piece in _pieces(ids):
        store_of(db).hold_customers(piece)


def _bumped(
    db: Database, ids: list[int], at: str, columns: tuple[tuple[str, Any], ...] = ()
) -> None:
    """`columns` (name, value) set and a new version for each of `ids`."""
    for piece in _pieces(ids):
        store_of(db).bump_customers(piece, at, columns)


def _versions(db: Database, ids: list[int]) -> dict[int, int]:
    return dict(_rows(db, ids, ["id", "version"]))


def _record_history(
    db: Database,
    changed: list[tuple[int, dict[str, tuple[str, str]]]],
    *,
    who: str,
    at: str,
    versions: dict[int, int],
    undone: UndoStep | None = None,
) -> None:
    """A line in each customer's history a field changed (customer id, {field: (old, new)}),
    at their new version; and, for an undo, that it undid the step (the journal writes that
    line of the step's own customer itself)."""
    rows = []
    for cid, fields in changed:
        for field, (old, new) in fields.items():
            rows.append((cid, at, who, field, old or None, new or None))
        if undone is not None and cid != undone.customer_id:
            rows.append((cid, at, who, "undo", None, printable(undone.label, limit=200)))
    store_of(db).record_changes([(*row, versions[row[0]]) for row in rows])


def _tag_fields(change: TagChange) -> dict[str, tuple[str, str]]:
    return {"tags": (", ".join(change.before), ", ".join(change.after))}


def _put_tags(db: Database, ids: list[int], adding: list[tuple], removing: list[tuple]) -> None:
    """Tag rows in and out for the customers `ids`, then their search documents built once.
    Each tag row written with the triggers on rebuilt its customer's whole document (its
    notes and every interaction's): 1.8 s a statement for 10 000 customers."""
    with bulk_load(db, Rebuild(customers=ids, search=True)):
        store_of(db).tag_customers(adding, removing)


def _names_and_tags(db: Database, ids: list[int]) -> dict[int, tuple[str, tuple[str, ...]]]:
    """{id: (name as shown, tags sorted)} of live customers among `ids`."""
    found: list[tuple] = []
    for piece in _pieces(ids):
        found += store_of(db).names_and_tags(piece)
    return {
        cid: (display_name(first, last, company), tuple(tags.split("\n")) if tags else ())
        for cid, first, last, company, tags in found
    }


def _plan(db: Database, ids: list[int], add: list[str], remove: list[str]) -> list[TagChange]:
    held = _names_and_tags(db, ids)
    changes = []
    for cid in ids:
        if cid not in held:
            continue
        name, before = held[cid]
        after = tuple(sorted((set(before) | set(add)) - set(remove)))
        if after != before:
            changes.append(TagChange(cid, name, before, after))
    return changes


def tag_customers(
    db: Database,
    query: Target,
    add: list[str],
    remove: list[str],
    *,
    as_of: date,
    dry_run: bool = False,
    who: str | None = None,
    now: datetime | None = None,
) -> BulkResult:
    """Add `add` and remove `remove` on every customer `query` finds (all of them, not a
    page), or on the customers of a list of ids (marked in the app). A dry run writes nothing
    and says who would change."""
    who = who if who is not None else user_of(db)
    now = now or datetime.now().replace(microsecond=0)
    ids = target_ids(db, query, as_of)
    said = _said(add, remove)
    planned = _plan(db, ids, add, remove)
    if dry_run or not planned:  # nothing to change: no backup either
        return BulkResult(planned, len(ids), said, whose=_whose(query))
    from tui_crm.core.backups import backup_before

    backup_before(db, "before-bulk")
    with db.atomic("IMMEDIATE"):
        # Planned again inside the transaction: what is written is what the book holds now.
        _hold(db, ids)
        changes = _plan(db, ids, add, remove)
        if not changes:
            return BulkResult([], len(ids), said, whose=_whose(query))
        step = _write_tags(db, changes, add, remove, said, who=who, now=now)
    return BulkResult(changes, len(ids), said, step, whose=_whose(query))


def _write_tags(
    db: Database,
    changes: list[TagChange],
    add: list[str],
    remove: list[str],
    said: str,
    *,
    who: str,
    now: datetime,
) -> int:
    at = now.isoformat(sep=" ")
    store_of(db).add_tag_names(add)
    tag_ids = store_of(db).tag_ids([*add, *remove])
    adding = [(change.id, tag_ids[t]) for change in changes for t in add if t not in change.before]
    removing = [(change.id, tag_ids[t]) for change in changes for t in remove if t in change.before]
    ids = [change.id for change in changes]
    _put_tags(db, ids, adding, removing)
    _bumped(db, ids, at)
    versions = _versions(db, ids)
    _record_history(
        db, [(c.id, _tag_fields(c)) for c in changes], who=who, at=at, versions=versions
    )
    count = len(changes)
    return record_step(
        kind="bulk_tags",
        label=f"tags {said} on {count} customer{'s' if count != 1 else ''}",
        customer_id=changes[0].id,
        payload={"customers": [[c.id, versions[c.id], list(c.before)] for c in changes]},
        who=who,
        now=now,
    )


def undo_bulk_tags(
    db: Database, step: UndoStep, payload: dict[str, Any], who: str, now: datetime
) -> str:
    """Put every customer's tags back as they were before the step, as one; refused (nothing
    changed) when any of them changed since, or went to the trash."""
    held = payload["customers"]
    ids = [cid for cid, _, _ in held]
    _check_unmoved(db, step, [(cid, version) for cid, version, _ in held])
    now_tags = _names_and_tags(db, ids)
    changes = [
        TagChange(cid, now_tags[cid][0], now_tags[cid][1], tuple(before)) for cid, _, before in held
    ]
    back = sorted({t for c in changes for t in c.after})
    at = now.isoformat(sep=" ")
    store_of(db).add_tag_names(back)
    tag_ids = store_of(db).tag_ids()
    _put_tags(
        db,
        ids,
        [(c.id, tag_ids[t]) for c in changes for t in c.after if t not in c.before],
        [(c.id, tag_ids[t]) for c in changes for t in c.before if t not in c.after],
    )
    _bumped(db, ids, at)
    versions = _versions(db, ids)
    _record_history(
        db,
        [(c.id, _tag_fields(c)) for c in changes],
        who=who,
        at=at,
        versions=versions,
        undone=step,
    )
    return ""


# -- set fields --------------------------------------------------------------------------

# What `set_fields` sets: status active or lost (lost with what broke the deal, lost_reason;
# the day lost is the day a customer becomes lost; lapsed is worked out, never set).
SETTABLE = ("category", "owner", "status", "lost_reason")
STATUSES = ("active", "lost")


@dataclass(frozen=True)
class FieldChange:
    """One customer a set action changes: each field it changes, (before, after) as shown."""

    id: int
    name: str
    fields: dict[str, tuple[str, str]]


@dataclass(frozen=True)
class SetResult:
    changes: list[FieldChange]
    found: int
    said: str  # 'category="Key account" owner="anna"'
    step: int | None = None
    whose: str = "found"

    def summary(self, *, dry_run: bool = False) -> str:
        verb = "would change" if dry_run else "changed"
        same = self.found - len(self.changes)
        return (
            f"set {self.said}: {verb} {len(self.changes)} of the {self.found} customers "
            f"{self.whose}" + (f" ({same} had it already)" if same else "")
        )


def parse_assignments(words: list[str]) -> dict[str, str]:
    """`category="Key account" owner=anna` (each word one FIELD=VALUE, the shell's quotes
    gone) → {"category": "Key account", "owner": "anna"}; an empty value clears the field."""
    values: dict[str, str] = {}
    for word in words:
        name, equals, value = word.partition("=")
        name = name.strip().lower()
        if not equals:
            raise CrmError(f"'{word}': say FIELD=VALUE, e.g. owner=anna")
        if name not in SETTABLE:
            raise CrmError(
                f"'{name}' cannot be set on many customers at once (only: {', '.join(SETTABLE)})"
            )
        if name in values:
            raise CrmError(f"'{name}' is given twice")
        values[name] = " ".join(value.split())
    if not values:
        raise CrmError('say what to set: category="Key account" owner=anna')
    status = values.get("status")
    if status is not None:
        values["status"] = status = status.lower()
        if status not in STATUSES:
            raise CrmError(
                f"status '{status}' cannot be set: active or lost (lapsed is worked out "
                "from the purchases)"
            )
    if status == "lost" and not values.get("lost_reason"):
        raise CrmError('say what broke the deal: status=lost lost_reason="Moved away"')
    if "lost_reason" in values and status != "lost":
        raise CrmError("lost_reason goes with status=lost")
    return values


def _set_said(values: dict[str, str]) -> str:
    return " ".join(f'{name}="{value}"' for name, value in values.items())


def _category_ids(db: Database) -> dict[str, tuple[int, str]]:
    """{name casefolded: (id, name)} of the book's categories."""
    return {name.casefold(): (cid, name) for cid, name in store_of(db).categories()}


# For `lost_on` in the wanted columns: the day, for a customer who becomes lost; the day they
# were lost, kept, for one who was already.
BECOMES_LOST = object()


def _wanted_columns(db: Database, values: dict[str, str]) -> dict[str, Any]:
    """The columns `values` set, as stored: a category by its id (one the book has)."""
    columns: dict[str, Any] = {}
    if "owner" in values:
        columns["owner"] = values["owner"]
    if "status" in values:
        columns["status"] = values["status"]
        if values["status"] == "lost":
            columns["lost_reason"] = values["lost_reason"]
            columns["lost_on"] = BECOMES_LOST
    if "category" in values:
        if not values["category"]:
            columns["category_id"] = None
        else:
            known = _category_ids(db)
            found = known.get(values["category"].casefold())
            if found is None:
                names = ", ".join(sorted(name for _, name in known.values())) or "none yet"
                raise CrmError(f"no category named '{values['category']}' (the book has: {names})")
            columns["category_id"] = found[0]
    return columns


def _held_columns(db: Database, ids: list[int], columns: list[str]) -> dict[int, tuple]:
    """{id: (name as shown, column values…)} of the live customers among `ids`."""
    return {
        cid: (display_name(first, last, company), *held)
        for cid, first, last, company, *held in _rows(
            db, ids, ["id", "first_name", "last_name", "company", *columns], live=True
        )
    }


def _shown_column(db: Database, column: str, value: Any, names: dict[int, str]) -> str:
    if column == "category_id":
        return names.get(value, "") if value is not None else ""
    return value or ""


def _plan_set(
    db: Database, ids: list[int], columns: dict[str, Any], today: date
) -> tuple[list[FieldChange], dict[int, dict[str, Any]]]:
    """Who changes, and how (shown), and the columns each of them gets."""
    listed = list(columns)
    if "lost_on" in columns:
        listed.append("status AS was")  # whether they become lost
    held = _held_columns(db, ids, listed)
    categories = {cid: name for cid, name in _category_ids(db).values()}
    changes, wanted_by_id = [], {}
    for cid in ids:
        if cid not in held:
            continue
        name, *now = held[cid]
        wanted_here = dict(columns)
        if "lost_on" in columns:
            was = now.pop()
            lost_on = dict(zip(columns, now, strict=True))["lost_on"]
            wanted_here["lost_on"] = lost_on if was == "lost" else today.isoformat()
        fields = {}
        for (column, wanted), current in zip(wanted_here.items(), now, strict=True):
            if (current or None) != (wanted or None):
                field = column.removesuffix("_id")
                fields[field] = (
                    _shown_column(db, column, current, categories),
                    _shown_column(db, column, wanted, categories),
                )
        if fields:
            changes.append(FieldChange(cid, name, fields))
            wanted_by_id[cid] = wanted_here
    return changes, wanted_by_id


def set_fields(
    db: Database,
    query: Target,
    values: dict[str, str],
    *,
    as_of: date,
    dry_run: bool = False,
    who: str | None = None,
    now: datetime | None = None,
) -> SetResult:
    """Set `values` (see SETTABLE) on every customer `query` finds; as `tag_customers`."""
    who = who if who is not None else user_of(db)
    now = now or datetime.now().replace(microsecond=0)
    columns = _wanted_columns(db, values)
    ids = target_ids(db, query, as_of)
    said = _set_said(values)
    planned, _ = _plan_set(db, ids, columns, as_of)
    if dry_run or not planned:
        return SetResult(planned, len(ids), said, whose=_whose(query))
    from tui_crm.core.backups import backup_before

    backup_before(db, "before-bulk")
    with db.atomic("IMMEDIATE"):
        _hold(db, ids)
        columns = _wanted_columns(db, values)  # a category renamed meanwhile
        changes, wanted = _plan_set(db, ids, columns, as_of)
        if not changes:
            return SetResult([], len(ids), said, whose=_whose(query))
        before = _held_columns(db, [c.id for c in changes], list(columns))
        versions = _write_columns(db, wanted, [c.id for c in changes], changes, who, now)
        count = len(changes)
        step = record_step(
            kind="bulk_set",
            label=f"set {said} on {count} customer{'s' if count != 1 else ''}",
            customer_id=changes[0].id,
            payload={
                "columns": list(columns),
                "customers": [[c.id, versions[c.id], list(before[c.id][1:])] for c in changes],
            },
            who=who,
            now=now,
        )
    return SetResult(changes, len(ids), said, step, whose=_whose(query))


def _write_columns(
    db: Database,
    wanted: dict[int, dict[str, Any]],
    ids: list[int],
    changes: list[FieldChange],
    who: str,
    now: datetime,
    *,
    undone: UndoStep | None = None,
) -> dict[int, int]:
    """Each customer's columns as `wanted` says, one statement a distinct set of values, a
    new version and a history line a field changed; their new versions."""
    at = now.isoformat(sep=" ")
    groups: dict[tuple, list[int]] = {}
    for cid in ids:
        groups.setdefault(tuple(wanted[cid].items()), []).append(cid)
    for columns, members in groups.items():
        _bumped(db, members, at, columns)
    versions = _versions(db, ids)
    _record_history(
        db, [(c.id, c.fields) for c in changes], who=who, at=at, versions=versions, undone=undone
    )
    return versions


def undo_bulk_set(
    db: Database, step: UndoStep, payload: dict[str, Any], who: str, now: datetime
) -> str:
    """Put every customer's fields back as they were before the step, as one; refused
    (nothing changed) when any of them changed since, or went to the trash."""
    columns: list[str] = payload["columns"]
    held = payload["customers"]
    ids = [cid for cid, _, _ in held]
    _check_unmoved(db, step, [(cid, version) for cid, version, _ in held])
    current = _held_columns(db, ids, columns)
    categories = {cid: name for cid, name in _category_ids(db).values()}
    wanted = {cid: dict(zip(columns, old, strict=True)) for cid, _, old in held}
    changes = []
    for cid in ids:
        name, *now_values = current[cid]
        fields = {}
        for column, value in zip(columns, now_values, strict=True):
            back = wanted[cid][column]
            if (value or None) != (back or None):
                fields[column.removesuffix("_id")] = (
                    _shown_column(db, column, value, categories),
                    _shown_column(db, column, back, categories),
                )
        changes.append(FieldChange(cid, name, fields))
    _write_columns(db, wanted, ids, changes, who, now, undone=step)
    return ""


def _check_unmoved(
    db: Database, step: UndoStep, held: list[tuple[int, int]], *, trashed_by_it: bool = False
) -> None:
    """Refuse the undo of a bulk step (nothing changed) when any of its customers changed
    since it (a version moved on), or went to the trash; for a step that put them in the
    trash, when any was changed or restored since."""
    _hold(db, [cid for cid, _ in held])
    current = {
        cid: (version, deleted)
        for cid, version, deleted in _rows(
            db, [cid for cid, _ in held], ["id", "version", "deleted_at"]
        )
    }
    moved = [cid for cid, version in held if current.get(cid, (None, None))[0] != version]
    trashed = (
        []
        if trashed_by_it
        else [cid for cid, _ in held if cid in current and current[cid][1] is not None]
    )
    if moved or trashed:
        cid = (moved or trashed)[0]
        others = len(moved or trashed) - 1
        who_said = f"#{cid}" + (f" and {others} more" if others else "")
        why = (
            "in the trash"
            if not moved
            else ("changed or restored since" if trashed_by_it else "changed since")
        )
        raise refused(f"{step.label}: {who_said} {'was' if not others else 'were'} {why}")


def _on_the_live(
    db: Database,
    target: Target,
    as_of: date,
    dry_run: bool,
    act: Callable[[list[tuple[int, str]]], int],
) -> tuple[list[tuple[int, str]], int, int | None]:
    """An action on every customer of `target` out of the trash: who (id, name), how many
    the target named, and the undo step `act` (given who, in the writing transaction, after
    a backup of the book) recorded; with `dry_run`, or none of them live, nothing is done."""
    ids = target_ids(db, target, as_of)

    def live() -> list[tuple[int, str]]:
        held = _held_columns(db, ids, ["id"])
        return [(cid, held[cid][0]) for cid in ids if cid in held]

    customers = live()
    if dry_run or not customers:
        return customers, len(ids), None
    from tui_crm.core.backups import backup_before

    backup_before(db, "before-bulk")
    with db.atomic("IMMEDIATE"):
        _hold(db, ids)
        customers = live()  # those still live, now
        step = act(customers) if customers else None
    return customers, len(ids), step


# -- one interaction for each --------------------------------------------------------------


@dataclass(frozen=True)
class LogResult:
    customers: list[tuple[int, str]]  # (id, name) of each customer it logs for (would log)
    found: int
    said: str  # "thanks: Summer gift sent"
    step: int | None = None

    def summary(self, *, dry_run: bool = False) -> str:
        verb = "would log" if dry_run else "logged"
        return f"{verb} {self.said} for {len(self.customers)} customers"


def _contacts_rebuilt(ids: list[int]) -> Rebuild:
    """What the interaction triggers keep, for the customers `ids` at once: the last contact
    and next follow-up, the search document (it holds the notes), the queue's score marked to
    be worked out again. Written with the triggers on, each interaction rebuilt its customer's
    whole document: 8 s for 10 000."""
    return Rebuild(customers=ids, contact=True, search=True, queue=True)


def log_for_each(
    db: Database,
    query: Target,
    *,
    notes: str,
    kind: str = "call",
    outcome: str = "",
    at: datetime | str | None = None,
    as_of: date,
    dry_run: bool = False,
    who: str | None = None,
    now: datetime | None = None,
) -> LogResult:
    """One interaction (a campaign touch: "Summer gift sent", kind thanks) for every customer
    `query` finds, as `log_interaction` logs one; one undo step takes them all back."""
    from tui_crm.core.customers import clean_interaction

    who = who if who is not None else user_of(db)
    now = now or datetime.now().replace(microsecond=0)
    cleaned = clean_interaction(
        kind=kind, at=at, follow_up=None, notes=notes, outcome=outcome, now=now
    )
    said = f"{cleaned['kind']}: {printable(cleaned['notes'] or cleaned['outcome'], limit=60)}"
    stamp = cleaned["at"].isoformat(sep=" ")

    def log(customers: list[tuple[int, str]]) -> int:
        with bulk_load(db, _contacts_rebuilt([cid for cid, _ in customers])):
            first, last = store_of(db).log_interactions(
                [
                    (
                        cid,
                        cleaned["kind"],
                        stamp,
                        cleaned["notes"],
                        cleaned["outcome"],
                        who,
                        now.isoformat(sep=" "),
                    )
                    for cid, _ in customers
                ]
            )
        count = len(customers)
        return record_step(
            kind="bulk_log",
            label=f"logged {said} for {count} customer{'s' if count != 1 else ''}",
            customer_id=customers[0][0],
            payload={"first": first, "last": last, "count": count},
            who=who,
            now=now,
        )

    customers, found, step = _on_the_live(db, query, as_of, dry_run, log)
    return LogResult(customers, found, said, step)


def undo_bulk_log(
    db: Database, step: UndoStep, payload: dict[str, Any], who: str, now: datetime
) -> str:
    """Remove the interactions the step logged, as one; refused (nothing changed) when any
    was corrected or removed since."""
    first, last, count = payload["first"], payload["last"], payload["count"]
    held, edited = store_of(db).logged_between(first, last)
    if held != count or edited:
        why = "corrected" if edited else "removed"
        raise refused(f"{step.label}: some of those interactions were {why} since")
    ids = store_of(db).customers_logged_between(first, last)
    with bulk_load(db, _contacts_rebuilt(ids)):
        store_of(db).delete_logged_between(first, last)
    return ""


# -- to the trash ----------------------------------------------------------------------------


@dataclass(frozen=True)
class TrashResult:
    customers: list[tuple[int, str]]  # (id, name) of each it moves (would move)
    found: int
    step: int | None = None
    whose: str = "found"

    def summary(self, *, dry_run: bool = False) -> str:
        verb = "would move" if dry_run else "moved"
        return (
            f"{verb} {len(self.customers)} of the {self.found} customers {self.whose} to the trash"
        )


def trash_customers(
    db: Database,
    target: Target,
    *,
    as_of: date,
    dry_run: bool = False,
    who: str | None = None,
    now: datetime | None = None,
) -> TrashResult:
    """Move every customer of `target` to the trash (restorable from it, each whole), in one
    step that ctrl+z (or `tui-crm undo`) takes back as one."""
    who = who if who is not None else user_of(db)
    now = now or datetime.now().replace(microsecond=0)
    at = now.isoformat(sep=" ")

    def trash(customers: list[tuple[int, str]]) -> int:
        moved = [cid for cid, _ in customers]
        _bumped(db, moved, at, (("deleted_at", at),))
        versions = _versions(db, moved)
        _record_history(
            db, [(cid, {"trash": ("", at)}) for cid in moved], who=who, at=at, versions=versions
        )
        count = len(moved)
        return record_step(
            kind="bulk_trash",
            label=f"moved {count} customer{'s' if count != 1 else ''} to the trash",
            customer_id=moved[0],
            payload={"customers": [[cid, versions[cid]] for cid in moved]},
            who=who,
            now=now,
        )

    customers, found, step = _on_the_live(db, target, as_of, dry_run, trash)
    return TrashResult(customers, found, step, whose=_whose(target))


def undo_bulk_trash(
    db: Database, step: UndoStep, payload: dict[str, Any], who: str, now: datetime
) -> str:
    """Bring every customer of the step back from the trash, as one; refused (nothing
    changed) when any of them changed since (restored, purged or edited)."""
    held = [(cid, version) for cid, version in payload["customers"]]
    _check_unmoved(db, step, held, trashed_by_it=True)
    ids = [cid for cid, _ in held]
    at = now.isoformat(sep=" ")
    gone = dict(_rows(db, ids, ["id", "deleted_at"]))  # when each went: the history says it
    _bumped(db, ids, at, (("deleted_at", None),))
    _record_history(
        db,
        [(cid, {"trash": (str(gone.get(cid) or ""), "")}) for cid in ids],
        who=who,
        at=at,
        versions=_versions(db, ids),
        undone=step,
    )
    return ""


# -- snoozed until a day -------------------------------------------------------------------


@dataclass(frozen=True)
class SnoozeResult:
    customers: list[tuple[int, str]]  # (id, name) of each it snoozes (would snooze)
    found: int
    until: date
    step: int | None = None
    whose: str = "found"

    def summary(self, *, dry_run: bool = False) -> str:
        verb = "would snooze" if dry_run else "snoozed"
        return (
            f"{verb} {len(self.customers)} of the {self.found} customers {self.whose} "
            f"until {self.until:%a %-d %b}"
        )


def _marks(db: Database, ids: list[int]) -> list[list]:
    found: list[list] = []
    for piece in _pieces(ids):
        found += [list(row) for row in store_of(db).attention_marks(piece)]
    return sorted(found, key=lambda mark: (mark[0], mark[1]))


def snooze_day(text: str, today: date) -> date:
    """The day a snooze typed as `text` (+2w, mon, 2027-01-04) lasts until: after `today`."""
    from tui_crm.core.dates import parse_when

    until = parse_when(text, today)
    _after(until, today)
    return until


def _after(until: date, today: date) -> None:
    if until <= today:
        raise CrmError(f"snooze until a day after {today:%a %-d %b}")


def snooze_customers(
    db: Database,
    target: Target,
    until: date,
    *,
    as_of: date,
    dry_run: bool = False,
    who: str | None = None,
    now: datetime | None = None,
) -> SnoozeResult:
    """Leave every customer of `target` out of the needs-attention queue until `until` (every
    reason snoozed: they come back on that day, with what is due then), as one step that
    ctrl+z takes back; each customer's history says it."""
    from tui_crm.core.attention import REASONS

    _after(until, as_of)
    who = who if who is not None else user_of(db)
    now = now or datetime.now().replace(microsecond=0)
    at = now.isoformat(sep=" ")

    def snooze(customers: list[tuple[int, str]]) -> int:
        snoozed = [cid for cid, _ in customers]
        before = _marks(db, snoozed)
        store_of(db).snooze_marks(
            [(cid, code, until.isoformat(), who) for cid in snoozed for code in REASONS]
        )
        _record_history(
            db,
            [(cid, {"snoozed": ("", f"until {until.isoformat()}")}) for cid in snoozed],
            who=who,
            at=at,
            versions=_versions(db, snoozed),
        )
        count = len(snoozed)
        return record_step(
            kind="bulk_snooze",
            label=f"snoozed {count} customer{'s' if count != 1 else ''} until {until:%a %-d %b}",
            customer_id=snoozed[0],
            payload={"customers": snoozed, "before": before, "after": _marks(db, snoozed)},
            who=who,
            now=now,
        )

    customers, found, step = _on_the_live(db, target, as_of, dry_run, snooze)
    return SnoozeResult(customers, found, until, step, whose=_whose(target))


def undo_bulk_snooze(
    db: Database, step: UndoStep, payload: dict[str, Any], who: str, now: datetime
) -> str:
    """Every customer's attention marks as they were before the step, as one; refused
    (nothing changed) when someone snoozed or marked any of them done since."""
    ids: list[int] = payload["customers"]
    if _marks(db, ids) != payload["after"]:
        raise refused(f"{step.label}: their snoozes or dones were changed since")
    for piece in _pieces(ids):
        store_of(db).drop_marks_of(piece)
    store_of(db).put_marks([tuple(mark) for mark in payload["before"]])
    at = now.isoformat(sep=" ")
    _record_history(
        db,
        [(cid, {"snoozed": ("", "no longer")}) for cid in ids],
        who=who,
        at=at,
        versions=_versions(db, ids),
        undone=step,
    )
    return ""
