"""Merging two records of one person: the fields that differ, side by side with a suggested
choice each, and the merge itself, which in one transaction applies the chosen values to the
survivor, moves everything that hangs off the other record to it, and puts the other in the
trash, with the merge written into both histories."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from peewee import Database

from tui_crm.core.backups import backup_before
from tui_crm.core.config import user_of
from tui_crm.core.customer_fields import FREE_TEXT, MERGE_ORDER, label
from tui_crm.core.customers import (
    LIST_FIELDS,
    _set_deleted,
    _trash,
    check_no_referral_loop,
    check_version,
    customer_row,
    field_snapshot,
    revert_fields,
    row_name,
    update_customer,
)
from tui_crm.core.fields import phone_text
from tui_crm.core.types import CustomerRef
from tui_crm.core.undo import record_step, refused
from tui_crm.db.models import (
    AttentionMark,
    Category,
    Customer,
    CustomerChange,
    CustomerEmail,
    CustomerPhone,
    CustomerTag,
    DuplicateDismissal,
    Interaction,
    Purchase,
    Tag,
)
from tui_crm.db.store import store_of
from tui_crm.errors import NotFound, ValidationError

# The order the side-by-side chooser shows the fields in; every customer field is here.
MERGE_FIELDS = MERGE_ORDER

# Fields whose two values can be kept together ("both"): lists get the survivor's items and
# then the other's that the survivor lacks; free text gets both texts, survivor's first.
COMBINABLE = (*LIST_FIELDS, *FREE_TEXT)
CHOICES = ("survivor", "other", "both")

# (table, column) of every foreign key to customer that merge() knows how to treat:
# moved to the survivor, copied by choice (emails, phones, tags: the merged-away record keeps
# its own, so restoring it from the trash gives it back whole), kept (each record's history),
# or derived (recomputed by triggers and the value summary). Any other column that points at
# customer (a table added later) is re-pointed to the survivor as it is found.
HANDLED_FOREIGN_KEYS = {
    ("customer", "referred_by_id"): "moved",
    ("interaction", "customer_id"): "moved",
    ("interaction", "regarding_id"): "moved",
    ("purchase", "customer_id"): "moved",
    ("attention_mark", "customer_id"): "moved",
    ("duplicate_dismissal", "customer_a_id"): "moved",
    ("duplicate_dismissal", "customer_b_id"): "moved",
    ("customer_email", "customer_id"): "copied",
    ("customer_phone", "customer_id"): "copied",
    ("customer_tag", "customer_id"): "copied",
    ("customer_change", "customer_id"): "kept",
    ("customer_value", "customer_id"): "derived",
    ("purchase_rhythm", "customer_id"): "derived",
    ("undo_step", "customer_id"): "kept",  # the journal names whom a step was about
    ("undo_step", "other_id"): "kept",
}


@dataclass(frozen=True)
class FieldChoice:
    """One field on which the two records differ."""

    field: str
    label: str
    survivor: str  # the value as shown to people ("" when empty)
    other: str
    suggested: str  # "survivor", "other" or "both"
    choices: tuple[str, ...]  # ("survivor", "other") or ("survivor", "other", "both")


@dataclass(frozen=True)
class MergePreview:
    """What merging `other` into `survivor` would do; versions are for `merge(...)`."""

    survivor: CustomerRef
    other: CustomerRef
    survivor_version: int
    other_version: int
    differences: tuple[FieldChoice, ...]
    moves: tuple[tuple[str, int], ...]  # ("interactions", 12), ... rows that would move


@dataclass(frozen=True)
class MergeResult:
    survivor_id: int
    other_id: int
    version: int  # the survivor's version after the merge
    moved: tuple[tuple[str, int], ...]  # ("interactions", 12), ... rows moved per kind


def field_label(field: str) -> str:
    return label(field)


# Reading both sides ---------------------------------------------------------------------


def _live_row(customer_id: int) -> Customer:
    row = customer_row(customer_id)
    if row.deleted_at is not None:
        raise NotFound(f"{row_name(row)} (#{customer_id}) is in the trash; restore it first")
    return row


def _pair(survivor_id: int, other_id: int) -> tuple[Customer, Customer]:
    if survivor_id == other_id:
        raise ValidationError({"other": "a customer cannot be merged with itself"})
    return _live_row(survivor_id), _live_row(other_id)


def _values(row: Customer) -> dict[str, Any]:
    """Every field of a customer in the form `update_customer` accepts."""
    out: dict[str, Any] = {}
    for field in MERGE_FIELDS:
        if field == "referred_by":
            out[field] = row.referred_by_id
        elif field == "category":
            out[field] = (
                Category.select(Category.name).where(Category.id == row.category_id).scalar()
                if row.category_id
                else ""
            )
        elif field == "emails":
            out[field] = [
                (e.label, e.address)
                for e in CustomerEmail.select()
                .where(CustomerEmail.customer == row.id)
                .order_by(CustomerEmail.position, CustomerEmail.id)
            ]
        elif field == "phones":
            # With the extension, as update_customer reads it back (kept as typed if unverified).
            out[field] = [
                (p.label, phone_text(p.number, p.extension))
                for p in CustomerPhone.select()
                .where(CustomerPhone.customer == row.id)
                .order_by(CustomerPhone.position, CustomerPhone.id)
            ]
        elif field == "tags":
            out[field] = [
                t.name
                for t in Tag.select(Tag.name)
                .join(CustomerTag)
                .where(CustomerTag.customer == row.id)
                .order_by(Tag.name)
            ]
        elif field == "email_opt_out":
            out[field] = bool(row.email_opt_out)
        else:
            out[field] = getattr(row, field)
    return out


def _empty(value: Any) -> bool:
    return value in (None, "", [], False)


def _list_key(field: str, item: Any) -> str:
    if field == "emails":
        return item[1].casefold()
    if field == "phones":
        return item[1]
    return str(item).casefold()


def _same(field: str, a: Any, b: Any) -> bool:
    if field in LIST_FIELDS:
        return sorted(_list_key(field, i) for i in a) == sorted(_list_key(field, i) for i in b)
    if _empty(a) and _empty(b):
        return True
    return a == b


def _both(field: str, a: Any, b: Any) -> Any:
    if field in LIST_FIELDS:
        seen = {_list_key(field, item) for item in a}
        return list(a) + [item for item in b if _list_key(field, item) not in seen]
    if _empty(a) or a == b:
        return b if _empty(a) else a
    if _empty(b):
        return a
    return f"{a}\n\n{b}"


def _suggest(
    field: str, mine: dict[str, Any], theirs: dict[str, Any], survivor_id: int, other_id: int
) -> str:
    """The choice a salesperson would most often make; nothing is lost by default."""
    a, b = mine[field], theirs[field]
    if field in COMBINABLE:
        if _empty(a):
            return "other"
        return "survivor" if _empty(b) else "both"
    if field == "email_opt_out":  # an opt-out on either record must be honoured
        return "other" if b and not a else "survivor"
    if field == "referred_by":
        # A referral between the two would become a self-referral: take the other's referrer.
        if (_empty(a) or a == other_id) and b != survivor_id and not _empty(b):
            return "other"
        return "survivor"
    return "other" if _empty(a) and not _empty(b) else "survivor"


def _phone_texts(*customer_ids: int) -> dict[str, str]:
    """These customers' phones as `_values` gives them (with the extension) -> as shown: the
    text kept with the number (migration 11), with the extension."""
    return {
        phone_text(p.number, p.extension): phone_text(p.shown, p.extension)
        for p in CustomerPhone.select().where(CustomerPhone.customer.in_(customer_ids))
    }


def _shown(field: str, value: Any, names: dict[int, str], phones: dict[str, str]) -> str:
    if value is None:
        return ""
    if field == "emails":
        return ", ".join(f"{address} ({label})" for label, address in value)
    if field == "phones":
        return ", ".join(f"{phones.get(number, number)} ({label})" for label, number in value)
    if field == "tags":
        return ", ".join(value)
    if field == "referred_by":
        return f"{names.get(value, '?')} (#{value})"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, date | datetime):
        return value.isoformat()
    return str(value)


def _names_of(ids: list[int]) -> dict[int, str]:
    wanted = [i for i in ids if i is not None]
    if not wanted:
        return {}
    return {
        r.id: row_name(r)
        for r in Customer.select(
            Customer.id, Customer.first_name, Customer.last_name, Customer.company
        ).where(Customer.id.in_(wanted))
    }


def _differences(
    mine: dict[str, Any], theirs: dict[str, Any], survivor_id: int, other_id: int
) -> list[FieldChoice]:
    names = _names_of([mine["referred_by"], theirs["referred_by"]])
    phones = _phone_texts(survivor_id, other_id)
    out = []
    for field in MERGE_FIELDS:
        a, b = mine[field], theirs[field]
        if _same(field, a, b) or (field == "uid" and not _empty(a)):
            # Both have a uid: the survivor keeps its own, the other keeps its own in the
            # trash, and an import naming it follows the merge to the survivor.
            continue
        out.append(
            FieldChoice(
                field,
                field_label(field),
                _shown(field, a, names, phones),
                _shown(field, b, names, phones),
                _suggest(field, mine, theirs, survivor_id, other_id),
                CHOICES if field in COMBINABLE else CHOICES[:2],
            )
        )
    return out


def _move_counts(survivor_id: int, other_id: int) -> list[tuple[str, int]]:
    counts = [
        (
            "interactions",
            Interaction.select().where(Interaction.customer == other_id).count(),
        ),
        ("purchases", Purchase.select().where(Purchase.customer == other_id).count()),
        (
            "referrals",
            Customer.select()
            .where((Customer.referred_by == other_id) & (Customer.id != survivor_id))
            .count(),
        ),
        (
            "attention marks",
            AttentionMark.select().where(AttentionMark.customer == other_id).count(),
        ),
    ]
    return [(label, n) for label, n in counts if n]


def merge_preview(db: Database, survivor_id: int, other_id: int) -> MergePreview:
    """The fields on which two live customers differ, each with a suggested choice, and what
    merging `other_id` into `survivor_id` would move. Swap the ids to keep the other record."""
    with db.atomic("DEFERRED"):
        survivor, other = _pair(survivor_id, other_id)
        mine, theirs = _values(survivor), _values(other)
        return MergePreview(
            CustomerRef(survivor.id, row_name(survivor)),
            CustomerRef(other.id, row_name(other)),
            survivor.version,
            other.version,
            tuple(_differences(mine, theirs, survivor_id, other_id)),
            tuple(_move_counts(survivor_id, other_id)),
        )


# Merging ---------------------------------------------------------------------------------


def _resolve(
    choices: Mapping[str, Any],
    mine: dict[str, Any],
    theirs: dict[str, Any],
    survivor_id: int,
    other_id: int,
) -> tuple[dict[str, Any], dict[str, Any], set[str]]:
    """The survivor's values after the merge, those of them that change, and the fields taken
    (wholly or partly) from the other record."""
    unknown = sorted(set(choices) - set(MERGE_FIELDS))
    if unknown:
        raise ValidationError({unknown[0]: "is not a customer field"})
    picked: dict[str, str] = {}
    values: dict[str, Any] = {}
    for field in MERGE_FIELDS:
        if field in choices:
            choice = choices[field]
        elif field in ("lost_reason", "lost_on") and picked["status"] != "value":
            # Follow the status: a "lost" status keeps the reason and day that came with it.
            choice = picked["status"]
        else:
            choice = _suggest(field, mine, theirs, survivor_id, other_id)
        if isinstance(choice, str) and choice in CHOICES:
            if choice == "both" and field not in COMBINABLE:
                raise ValidationError({field: "cannot keep both values; choose one"})
            picked[field] = choice
            a, b = mine[field], theirs[field]
            values[field] = (
                a if choice == "survivor" else b if choice == "other" else _both(field, a, b)
            )
        else:  # a value typed by the user, validated below like any edit
            picked[field] = "value"
            values[field] = choice
    ref = values["referred_by"]
    if ref in (survivor_id, other_id) or (
        isinstance(ref, str) and ref.strip() in _ids(survivor_id, other_id)
    ):
        if picked["referred_by"] == "value":
            raise ValidationError(
                {"referred_by": "the merged customer cannot be referred by either of the two"}
            )
        # A referral between the two records is no referral once they are one person.
        values["referred_by"] = None
    from_other = {f for f, c in picked.items() if c in ("other", "both")}
    # Only what changes goes through the edit's validation, as when a person edits: a stored
    # value the survivor keeps is not checked again.
    changes = {
        f: v
        for f, v in values.items()
        if picked[f] == "value" or (v != mine[f] and not (_empty(v) and _empty(mine[f])))
    }
    if "status" in changes:  # "lost" needs its reason beside it
        changes.update({f: values[f] for f in ("lost_reason", "lost_on")})
    return values, changes, from_other


def _ids(*ids: int) -> set[str]:
    return {str(i) for i in ids} | {f"#{i}" for i in ids}


# update_customer checks a referrer it is given; the merge re-points referrals too, so a loop
# can appear without the survivor's own referrer changing.
LOOP_AFTER_MERGE = (
    "that would make a referral loop: the survivor's referrer was referred by one of the two; "
    "choose no referrer or another one"
)


def _history(customer_id: int, now: datetime, who: str, field: str, old, new, version: int):
    CustomerChange.create(
        customer=customer_id, at=now, who=who, field=field, old=old, new=new, version=version
    )


def _repoint_referrals(ids: list[int], src: int, dst: int, now: datetime, who: str) -> list[int]:
    """Customers (of `ids`) referred by `src` are referred by `dst` (each one's version moves
    on and its history says so, so an edit opened before cannot undo it); those re-pointed."""
    referred = list(
        Customer.select(Customer.id, Customer.version).where(
            (Customer.referred_by == src) & Customer.id.in_(ids)
        )
    )
    for row in referred:
        Customer.update(referred_by=dst, version=row.version + 1, updated_at=now).where(
            Customer.id == row.id
        ).execute()
        _history(row.id, now, who, "referred_by", str(src), str(dst), row.version + 1)
    return [row.id for row in referred]


def _move_dismissals(survivor_id: int, other_id: int) -> list[dict[str, Any]]:
    """The other's dismissed pairs name the survivor; each as it was and what became of it."""
    rows = list(
        DuplicateDismissal.select().where(
            (DuplicateDismissal.customer_a == other_id)
            | (DuplicateDismissal.customer_b == other_id)
        )
    )
    out = []
    for row in rows:
        partner = row.customer_b_id if row.customer_a_id == other_id else row.customer_a_id
        DuplicateDismissal.delete().where(
            (DuplicateDismissal.customer_a == row.customer_a_id)
            & (DuplicateDismissal.customer_b == row.customer_b_id)
        ).execute()
        new, inserted = None, False
        if partner != survivor_id:
            new = sorted((partner, survivor_id))
            inserted = (
                not DuplicateDismissal.select()
                .where(
                    (DuplicateDismissal.customer_a == new[0])
                    & (DuplicateDismissal.customer_b == new[1])
                )
                .exists()
            )
            if inserted:
                DuplicateDismissal.insert(
                    customer_a=new[0], customer_b=new[1], dismissed_at=row.dismissed_at, who=row.who
                ).execute()
        out.append(
            {
                "pair": [row.customer_a_id, row.customer_b_id],
                "at": row.dismissed_at.isoformat(sep=" ")
                if isinstance(row.dismissed_at, datetime)
                else str(row.dismissed_at),
                "who": row.who,
                "new": new,
                "inserted": inserted,
            }
        )
    return out


def _put_back_dismissals(entries: list[dict[str, Any]], reverse: bool) -> None:
    """Dismissed pairs back as before the merge (`reverse`), or moved again."""
    for entry in entries:
        old, new = entry["pair"], entry["new"]
        gone, back = (new if entry["inserted"] else None, old) if reverse else (old, new)
        if gone:
            DuplicateDismissal.delete().where(
                (DuplicateDismissal.customer_a == gone[0])
                & (DuplicateDismissal.customer_b == gone[1])
            ).execute()
        if (
            back
            and (reverse or entry["inserted"])
            and Customer.select().where(Customer.id.in_(back)).count() == 2
        ):
            DuplicateDismissal.insert(
                customer_a=back[0],
                customer_b=back[1],
                dismissed_at=entry["at"],
                who=entry["who"],
            ).on_conflict_ignore().execute()


def customer_foreign_keys(db: Database) -> set[tuple[str, str]]:
    """Every (table, column) in the database that references customer."""
    return store_of(db).customer_foreign_keys()


def _move_rows(
    db: Database,
    what: str,
    table: str,
    column: str,
    src: int,
    dst: int,
    also: tuple[str, str, int] | None = None,
) -> dict[str, Any]:
    """Point `column` of the rows of `table` at `src` (and `also`: the store's `rows_of`) to
    `dst`, one by one, a row that would clash with one `dst` has staying; the move as the
    journal keeps it (each row by the columns that find it besides `column`)."""
    store = store_of(db)
    keys = store.row_keys(table, column)
    found = store.rows_of(table, column, keys, src, also=also)
    move = {"what": what, "table": table, "column": column, "from": src, "to": dst, "keys": []}
    for values in found:
        key = dict(zip(keys, values, strict=True))
        if _move_one(db, move, key, src, dst):
            move["keys"].append(key)
    return move


def _move_one(db: Database, move: dict[str, Any], key: dict[str, Any], src: int, dst: int) -> bool:
    return store_of(db).move_row(move["table"], move["column"], key, src, dst)


def apply_moves(
    db: Database, moves: list[dict[str, Any]], *, reverse: bool
) -> tuple[list[dict[str, Any]], list[tuple[str, int]]]:
    """Do the journal's moves again, or undo them (`reverse`, last first). Rows no longer
    where the move left them stay where they are: the moves as done, and per kind how many
    rows could not be moved."""
    done, missed = [], []
    for move in reversed(moves) if reverse else moves:
        src, dst = (move["to"], move["from"]) if reverse else (move["from"], move["to"])
        moved = [key for key in move["keys"] if _move_one(db, move, key, src, dst)]
        done.append({**move, "keys": moved})
        if len(moved) != len(move["keys"]):
            missed.append((move["what"], len(move["keys"]) - len(moved)))
    return (list(reversed(done)) if reverse else done), missed


def _move_other_tables(db: Database, survivor_id: int, other_id: int) -> list[dict[str, Any]]:
    """Rows of tables added after this module (say, import keys) follow the survivor too; a
    row that would clash with one the survivor has stays with the merged-away record."""
    return [
        _move_rows(db, "other records", table, column, other_id, survivor_id)
        for table, column in sorted(customer_foreign_keys(db) - set(HANDLED_FOREIGN_KEYS))
    ]


def merge(
    db: Database,
    survivor_id: int,
    other_id: int,
    choices: Mapping[str, Any] | None = None,
    *,
    survivor_version: int,
    other_version: int,
    who: str | None = None,
    now: datetime | None = None,
) -> MergeResult:
    """Merge customer `other_id` into `survivor_id`, all or nothing.

    `choices` maps a field (see MERGE_FIELDS) to "survivor", "other", "both" (lists and free
    text only) or a value to use instead, validated as in an edit; a field left out takes the
    suggestion `merge_preview` shows. `survivor_version` / `other_version` are the versions
    the choices were made from (the preview's): a merge prepared before someone else changed
    either record is refused (ConflictError saying who changed what) and nothing changes. Raises NotFound for a missing or trashed customer and
    ValidationError for a bad choice or value.

    Moves to the survivor: interactions (with their follow-ups), purchases, the customers the
    other referred, thanks that named the other, attention marks (where the survivor has none
    for that reason), dismissed duplicate pairs, and rows of any later table that points at
    customer. The merged-away record goes to the trash (restorable, with its own emails,
    phones, tags and history), and both histories record the merge.
    """
    backup_before(db, "before-merge")
    now = now or datetime.now().replace(microsecond=0)
    who = who if who is not None else user_of(db)
    with db.atomic("IMMEDIATE"):
        survivor, other = _pair(survivor_id, other_id)
        for row, version in ((survivor, survivor_version), (other, other_version)):
            check_version(
                row,
                version,
                "since the merge was prepared",
                "nothing was merged; look at both records again",
            )
        mine, theirs = _values(survivor), _values(other)
        values, changes, from_other = _resolve(choices or {}, mine, theirs, survivor_id, other_id)
        survivor_name, other_name = row_name(survivor), row_name(other)

        fields_before = field_snapshot(survivor_id)
        uid_taken = None
        if values["uid"] and values["uid"] == other.uid:  # unique: the survivor takes it over
            uid_taken = other.uid
            Customer.update(uid=None).where(Customer.id == other_id).execute()
            _history(other_id, now, who, "uid", other.uid, None, other.version)
        # The other's thanks for referring the survivor would name the survivor itself once
        # moved: they keep naming the merged-away record, as thanks naming the other that the
        # survivor wrote do (below), so neither counts as thanks for some other referral.
        moves = [
            _move_rows(
                db,
                "",
                "interaction",
                "regarding_id",
                survivor_id,
                other_id,
                ("customer_id", "=", other_id),
            )
        ]
        referred = [
            row.id
            for row in Customer.select(Customer.id).where(
                (Customer.referred_by == other_id) & (Customer.id != survivor_id)
            )
        ]
        referred = _repoint_referrals(referred, other_id, survivor_id, now, who)
        moves += [
            _move_rows(db, "interactions", "interaction", "customer_id", other_id, survivor_id),
            _move_rows(
                db,
                "thanks naming them",
                "interaction",
                "regarding_id",
                other_id,
                survivor_id,
                ("customer_id", "!=", survivor_id),
            ),
            _move_rows(db, "purchases", "purchase", "customer_id", other_id, survivor_id),
            _move_rows(
                db,
                "attention marks",
                "attention_mark",
                "customer_id",
                other_id,
                survivor_id,
                ("reason", "new to", survivor_id),
            ),
        ]
        dismissals = _move_dismissals(survivor_id, other_id)
        moves += _move_other_tables(db, survivor_id, other_id)
        counted: dict[str, int] = {"referrals": len(referred)}
        for move in moves:
            if move["what"]:
                counted[move["what"]] = counted.get(move["what"], 0) + len(move["keys"])
        counted["dismissed pairs"] = len(dismissals)
        order = ("referrals", "interactions", "thanks naming them", "purchases")
        order += ("attention marks", "dismissed pairs", "other records")
        moved = [(label, counted.get(label, 0)) for label in order]

        referrer = values["referred_by"]
        if isinstance(referrer, str) and referrer.strip().lstrip("#").isdigit():
            referrer = int(referrer.strip().lstrip("#"))
        check_no_referral_loop(
            survivor_id, referrer if isinstance(referrer, int) else None, LOOP_AFTER_MERGE
        )
        version = update_customer(
            db,
            survivor_id,
            changes,
            expected_version=survivor.version,
            who=who,
            now=now,
            journal=False,
            keep_unverified=True,  # numbers either of them holds, as they hold them
        )
        if "email_opt_out" in from_other and values["email_opt_out"] and other.email_opt_out_at:
            # The opt-out dates from when the person asked, not from the merge.
            Customer.update(email_opt_out_at=other.email_opt_out_at).where(
                Customer.id == survivor_id
            ).execute()
        moved = [(label, n) for label, n in moved if n]
        summary = ", ".join(f"{n} {label}" for label, n in moved)
        version += 1
        Customer.update(version=version, updated_at=now).where(Customer.id == survivor_id).execute()
        _history(
            survivor_id,
            now,
            who,
            "merged",
            None,
            f"{other_name} (#{other_id})" + (f": moved {summary}" if summary else ""),
            version,
        )
        other_version = _trash(
            db, other_id, expected_version=other.version, who=who, now=now, journal=False
        )
        _history(
            other_id,
            now,
            who,
            "merged_into",
            None,
            f"{survivor_name} (#{survivor_id})",
            other_version,
        )
        record_step(
            kind="merge",
            label=f"merge of {other_name} into {survivor_name}",
            customer_id=survivor_id,
            other_id=other_id,
            payload={
                "survivor": survivor_id,
                "other": other_id,
                "survivor_name": survivor_name,
                "other_name": other_name,
                "fields_before": fields_before,
                "fields_after": field_snapshot(survivor_id),
                "survivor_version": version,
                "other_version": other_version,
                "uid": uid_taken,
                "moves": moves,
                "referrals": referred,
                "dismissals": dismissals,
            },
            who=who,
            now=now,
        )
    return MergeResult(survivor_id, other_id, version, tuple(moved))


# Taking a merge back ------------------------------------------------------------------------
#
# The merge's undo step holds its journal: every row it moved (by key, so a row added to the
# survivor since stays), the referrals it re-pointed, the dismissed pairs, the uid the
# survivor took over, and the survivor's fields before and after. One step holds it all rather
# than a table of its own: the journal is written and read whole, only ever to take that one
# merge back (undo, restore from the trash), and it goes with the step when either customer
# is purged, when there is nothing left to give back.


def _missed_said(missed: list[tuple[str, int]], survivor_name: str) -> str:
    return ", ".join(f"{n} {what or 'thanks'}" for what, n in missed) + (
        f" no longer with {survivor_name}"
    )


def unmerge(
    db: Database, payload: dict[str, Any], *, strict: bool, who: str, now: datetime
) -> tuple[dict[str, Any], list[str]]:
    """Give the merged-away customer back whole: what the merge moved goes back to it, its
    referrals and dismissed pairs and uid too, and it leaves the trash. The survivor's fields
    go back to what they were before the merge if it has not changed since.

    `strict` (an undo): anything changed since refuses it all (ConflictError); otherwise (a
    restore from the trash) what cannot go back stays, and the notes say so. Returns what was
    done (for `remerge`) and the notes."""
    survivor_id, other_id = payload["survivor"], payload["other"]
    survivor = Customer.get_or_none(Customer.id == survivor_id)
    other = Customer.get(Customer.id == other_id)
    then = "nothing was undone"
    if strict:
        if survivor is None:  # pragma: no cover - the step goes with a purged survivor
            raise refused(f"{payload['survivor_name']} was deleted for good")
        check_version(survivor, payload["survivor_version"], "since the merge", then)
        check_version(other, payload["other_version"], "since the merge", then)
    if other.deleted_at is None:
        raise refused(f"{row_name(other)} is not in the trash any more")
    notes: list[str] = []
    moves, missed = apply_moves(db, payload["moves"], reverse=True)
    if missed:
        said = _missed_said(missed, payload["survivor_name"])
        if strict:
            raise refused(f"{said} (changed since the merge)")
        notes.append(f"{said} stay where they are")
    referrals = _repoint_referrals(payload["referrals"], survivor_id, other_id, now, who)
    if len(referrals) != len(payload["referrals"]):
        lost = len(payload["referrals"]) - len(referrals)
        if strict:
            raise refused(f"{lost} referrals were given another referrer since the merge")
        notes.append(f"{lost} referrals keep the referrer given since")
    _put_back_dismissals(payload["dismissals"], reverse=True)
    fields_reverted = survivor is not None and survivor.version == payload["survivor_version"]
    if fields_reverted:
        revert_fields(survivor_id, payload["fields_before"], who=who, now=now)
    elif survivor is not None:
        notes.append(
            f"{payload['survivor_name']} was changed since the merge, so its fields stay "
            "as they are"
        )
        if payload["uid"]:
            revert_fields(survivor_id, {"uid": payload["fields_before"]["uid"]}, who=who, now=now)
    if payload["uid"]:
        revert_fields(other_id, {"uid": payload["uid"]}, who=who, now=now)
    other = Customer.get(Customer.id == other_id)
    other_version = _set_deleted(db, other_id, None, who, other.version, now=now)
    done = {
        "moves": moves,
        "referrals": referrals,
        "fields_reverted": fields_reverted,
        "survivor_version": Customer.select(Customer.version)
        .where(Customer.id == survivor_id)
        .scalar(),
        "other_version": other_version,
    }
    return done, notes


def remerge(
    db: Database, payload: dict[str, Any], done: dict[str, Any], *, who: str, now: datetime
) -> None:
    """Take back an `unmerge` (`done` is what it did): the rows, referrals, pairs, uid and
    the survivor's merged fields go to the survivor again and the other back to the trash.
    Refused (ConflictError) when either changed since."""
    survivor_id, other_id = payload["survivor"], payload["other"]
    then = "nothing was undone"
    other = Customer.get(Customer.id == other_id)
    check_version(other, done["other_version"], "since it was restored", then)
    survivor = Customer.get_or_none(Customer.id == survivor_id)
    if survivor is None:  # pragma: no cover - the step goes with a purged survivor
        raise refused(f"{payload['survivor_name']} was deleted for good")
    if done["fields_reverted"]:
        check_version(survivor, done["survivor_version"], "since the restore", then)
    moves, missed = apply_moves(db, done["moves"], reverse=False)
    if missed:
        raise refused(
            ", ".join(f"{n} {what or 'thanks'}" for what, n in missed)
            + f" of {row_name(other)} changed since the restore"
        )
    referrals = _repoint_referrals(done["referrals"], other_id, survivor_id, now, who)
    if len(referrals) != len(done["referrals"]):
        raise refused("referrals were given another referrer since the restore")
    _put_back_dismissals(payload["dismissals"], reverse=False)
    if done["fields_reverted"]:
        revert_fields(survivor_id, payload["fields_after"], who=who, now=now)
    elif payload["uid"]:
        revert_fields(survivor_id, {"uid": payload["fields_after"]["uid"]}, who=who, now=now)
    if payload["uid"]:
        Customer.update(uid=None).where(Customer.id == other_id).execute()
    other = Customer.get(Customer.id == other_id)
    _set_deleted(db, other_id, now, who, other.version, now=now)


def undo_merge(db: Database, step, payload: dict[str, Any], who: str, now: datetime) -> str:
    """Undo a "merge" step (strictly: see `unmerge`)."""
    unmerge(db, payload, strict=True, who=who, now=now)
    return ""
