"""Corrections of what was logged: edit or delete an interaction or a purchase, each based on
the version of the row read, written into the customer's history and the undo journal.

A correction does not move the customer's own version, as logging does not: an edit of the
customer's fields opened meanwhile is not refused for it. The figures (last contact, next
follow-up, lifetime, purchases), the attention queue and the search index follow through
the triggers on interaction and purchase (db/derived.py).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from peewee import Database, Model

from tui_crm.core.config import user_of
from tui_crm.core.customers import (
    _live,
    check_regarding,
    clean_interaction,
    clean_purchase,
    row_name,
)
from tui_crm.core.display import printable
from tui_crm.core.fields import format_money
from tui_crm.core.undo import record_step, refused
from tui_crm.db.models import Customer, CustomerChange, Interaction, Purchase, UndoStep
from tui_crm.db.store import store_of
from tui_crm.errors import ConflictError, NotFound, ValidationError

INTERACTION_FIELDS = ("kind", "at", "notes", "outcome", "follow_up", "regarding")
PURCHASE_FIELDS = ("amount", "day", "description", "category", "invoice_ref", "currency")


def _now() -> datetime:
    return datetime.now().replace(microsecond=0)


def _day(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def follow_up_of(row: Mapping[str, Any]) -> date | datetime | None:
    """An interaction's follow-up as stored: the day, at its time of day when it has one."""
    day = _day(row["follow_up"])
    clock = row.get("follow_up_time") or ""
    if day is None or not clock:
        return day
    return datetime.combine(day, time.fromisoformat(clock))


def _moment(value: Any) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


def describe_interaction(row: Mapping[str, Any]) -> str:
    """One line for history and undo: "call 2 Nov 14:05: Asked for a quote"."""
    at = _moment(row["at"])
    text = " ".join(str(row["notes"] or row["outcome"] or "").split())
    follow = _day(row["follow_up"])
    asked = ""
    if follow is not None:
        clock = f" {row['follow_up_time']}" if row.get("follow_up_time") else ""
        asked = f" (follow-up {follow:%-d %b}{clock}" + (
            ", done)" if row.get("follow_up_done") else ")"
        )
    return (
        f"{row['kind']} {at:%-d %b %H:%M}"
        + (f": {printable(text, limit=60)}" if text else "")
        + asked
    )


def describe_purchase(row: Mapping[str, Any]) -> str:
    """One line for history and undo: "purchase 2 Nov 2026: 1,234.50 USD Widgets"."""
    text = " ".join(str(row["description"] or "").split())
    return (
        f"purchase {_day(row['day']):%-d %b %Y}: {format_money(row['cents'], row['currency'])}"
        + (f" {printable(text, limit=60)}" if text else "")
    )


@dataclass(frozen=True)
class _Kind:
    name: str  # "interaction" or "purchase"
    model: type[Model]
    fields: tuple[str, ...]
    describe: Any


INTERACTION = _Kind("interaction", Interaction, INTERACTION_FIELDS, describe_interaction)
PURCHASE = _Kind("purchase", Purchase, PURCHASE_FIELDS, describe_purchase)
KINDS = {"interaction": INTERACTION, "purchase": PURCHASE}


def _raw(db: Database, kind: _Kind, row_id: int) -> dict[str, Any] | None:
    """The row as stored (the book's own values, JSON-ready), or None."""
    return store_of(db).logged_row(kind.name, row_id)


def _steps_on(db: Database, kind: _Kind, row_id: int, action: str):
    ids = store_of(db).steps_on_row(f"{action}_{kind.name}", row_id)
    return UndoStep.select().where(UndoStep.id.in_(ids)).order_by(UndoStep.id)


def _gone(db: Database, kind: _Kind, row_id: int, then: str) -> Exception:
    """A correction of a row that is not there: who deleted it, when the journal knows."""
    step = _steps_on(db, kind, row_id, "delete").order_by(UndoStep.id.desc()).first()
    if step is None:
        return NotFound(f"no {kind.name} with id {row_id}")
    return ConflictError(
        f"that {kind.name} was deleted by {printable(step.who, limit=40) or 'someone'} "
        f"({printable(step.label, limit=120)}); {then}",
        [],
    )


def _check_row_version(
    db: Database, kind: _Kind, row: dict[str, Any], expected: Any, then: str
) -> None:
    """Refuse a correction based on another version of the row, saying who changed what."""
    if isinstance(expected, bool) or not isinstance(expected, int):
        raise TypeError(f"a correction needs the version it is based on, not {expected!r}")
    if row["version"] == expected:
        return
    said = []
    people: list[str] = []
    for step in _steps_on(db, kind, row["id"], "edit"):
        payload = json.loads(step.payload)
        if payload["version"] > expected:
            people.append(printable(step.who, limit=40) or "someone")
            said.append(payload["said"])
    undone = len(said) == 0  # changed back by an undo (recorded in the history, not here)
    by = " and ".join(dict.fromkeys(people)) if people else "someone else"
    shown = "; ".join(printable(s, limit=120) for s in said[-3:])
    raise ConflictError(
        f"the {kind.describe(row)} was changed by {by} since you opened it"
        + ("" if undone else f" ({shown})")
        + f"; {then}",
        [],
    )


def _changed_meanwhile(db: Database, kind: _Kind, row_id: int, read: int, then: str) -> None:
    """The refusal of a write that found the row no longer at the version `read` a moment
    before: who changed or deleted it."""
    row = _raw(db, kind, row_id)
    if row is None:
        raise _gone(db, kind, row_id, then)
    _check_row_version(db, kind, row, read, then)
    raise ConflictError(f"the {kind.describe(row)} changed while saving; {then}", [])


def _history(customer_id: int, *, who: str, now: datetime, field: str, old, new) -> None:
    version = Customer.select(Customer.version).where(Customer.id == customer_id).scalar()
    CustomerChange.create(
        customer=customer_id, at=now, who=who, field=field, old=old, new=new, version=version
    )


def _label(action: str, kind: _Kind, row: Mapping[str, Any]) -> str:
    name = row_name(Customer.get(Customer.id == row["customer_id"]))
    return f"{action} of {name}'s {kind.describe(row)}"


def _cleaned(kind: _Kind, row: dict[str, Any], values: Mapping[str, Any], now: datetime):
    unknown = sorted(set(values) - set(kind.fields))
    if unknown:
        raise ValidationError({unknown[0]: f"is not a field of a {kind.name}"})

    def value(name: str, stored: Any) -> Any:
        return values.get(name, stored)

    if kind is INTERACTION:
        cleaned = clean_interaction(
            kind=value("kind", row["kind"]),
            at=value("at", _moment(row["at"])),
            follow_up=value("follow_up", follow_up_of(row)),
            notes=value("notes", row["notes"]),
            outcome=value("outcome", row["outcome"]),
            now=now,
        )
        regarding = value("regarding", row["regarding_id"])
        if regarding in ("", None):
            regarding = None
        else:
            try:
                regarding = int(str(regarding).lstrip("#"))
            except ValueError:
                raise ValidationError(
                    {"regarding": f"'{regarding}' is not a customer id"}
                ) from None
        cleaned["regarding_id"] = regarding
        return cleaned
    return clean_purchase(
        amount=value("amount", row["cents"]),
        day=value("day", _day(row["day"])),
        description=value("description", row["description"]),
        category=value("category", row["category"]),
        invoice_ref=value("invoice_ref", row["invoice_ref"]),
        currency=value("currency", row["currency"]),
        now=now,
    )


def _stored(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return value


def _edit(db, kind: _Kind, row_id, values, expected_version, who, now, *, close=False) -> int:
    now = now or _now()
    who = who if who is not None else user_of(db)
    then = "nothing was saved; look again and redo your change"
    with db.atomic():
        row = _raw(db, kind, row_id)
        if row is None:
            raise _gone(db, kind, row_id, then)
        _check_row_version(db, kind, row, expected_version, then)
        _live(row["customer_id"])
        cleaned = {name: _stored(v) for name, v in _cleaned(kind, row, values, now).items()}
        if kind is INTERACTION and (
            cleaned["regarding_id"] != row["regarding_id"] or cleaned["kind"] != row["kind"]
        ):
            check_regarding(row["customer_id"], cleaned["kind"], cleaned["regarding_id"])
        changed = {name: v for name, v in cleaned.items() if row[name] != v}
        if "follow_up" in changed or "follow_up_time" in changed:
            changed["follow_up_done"] = 0  # a new date is a new promise, not the one closed
        if close and row["follow_up"] is not None and not row["follow_up_done"]:
            changed["follow_up_done"] = 1
        if not changed:
            return row["version"]
        version = row["version"] + 1
        new = {**row, **changed, "version": version}
        updated = (
            kind.model.update(**_columns(kind, changed), version=version)
            .where((kind.model.id == row_id) & (kind.model.version == row["version"]))
            .execute()
        )
        if updated != 1:  # another writer saved first (a PostgreSQL book's transactions)
            _changed_meanwhile(db, kind, row_id, row["version"], then)
        old_said, new_said = kind.describe(row), kind.describe(new)
        _history(row["customer_id"], who=who, now=now, field=kind.name, old=old_said, new=new_said)
        record_step(
            kind=f"edit_{kind.name}",
            label=_label("correction", kind, row),
            customer_id=row["customer_id"],
            payload={"row": row, "version": version, "said": f"{old_said} → {new_said}"},
            who=who,
            now=now,
        )
    return version


def _columns(kind: _Kind, columns: Mapping[str, Any]) -> dict[str, Any]:
    """Column names to the model's field names (regarding_id -> regarding)."""
    fields = {f.column_name: f.name for f in kind.model._meta.sorted_fields}
    return {fields[name]: value for name, value in columns.items()}


def _delete(db, kind: _Kind, row_id, expected_version, who, now) -> None:
    now = now or _now()
    who = who if who is not None else user_of(db)
    then = "nothing was deleted; look again"
    with db.atomic():
        row = _raw(db, kind, row_id)
        if row is None:
            raise _gone(db, kind, row_id, then)
        _check_row_version(db, kind, row, expected_version, then)
        _live(row["customer_id"])
        deleted = (
            kind.model.delete()
            .where((kind.model.id == row_id) & (kind.model.version == row["version"]))
            .execute()
        )
        if deleted != 1:
            _changed_meanwhile(db, kind, row_id, row["version"], then)
        _history(
            row["customer_id"], who=who, now=now, field=kind.name, old=kind.describe(row), new=None
        )
        record_step(
            kind=f"delete_{kind.name}",
            label=_label("deletion", kind, row),
            customer_id=row["customer_id"],
            payload={"row": row},
            who=who,
            now=now,
        )


def edit_interaction(
    db: Database,
    interaction_id: int,
    values: Mapping[str, Any],
    *,
    expected_version: int,
    who: str | None = None,
    now: datetime | None = None,
) -> int:
    """Correct a logged interaction; the row's new version (the same when nothing differs).

    `values` holds any of kind, at, notes, outcome, follow_up and regarding, validated as
    `log_interaction` validates them (one ValidationError naming each bad field). A new
    follow-up date is open again even if the old one was marked done. Refused with a
    ConflictError saying who changed what when the row is no longer at `expected_version`
    (or was deleted), NotFound for no such row or a customer in the trash. Undoable."""
    return _edit(db, INTERACTION, interaction_id, values, expected_version, who, now)


def close_follow_up(
    db: Database,
    interaction_id: int,
    *,
    expected_version: int,
    who: str | None = None,
    now: datetime | None = None,
) -> int:
    """Mark the follow-up an interaction asked for as answered, whatever its day (the agenda's
    log: a call made before the day promised answers it too); its new version. Checked,
    recorded and undone as a correction."""
    return _edit(db, INTERACTION, interaction_id, {}, expected_version, who, now, close=True)


def delete_interaction(
    db: Database,
    interaction_id: int,
    *,
    expected_version: int,
    who: str | None = None,
    now: datetime | None = None,
) -> None:
    """Delete a logged interaction (refusals as `edit_interaction`). Undoable: it comes back
    with its id, follow-up and what it was regarding."""
    _delete(db, INTERACTION, interaction_id, expected_version, who, now)


def edit_purchase(
    db: Database,
    purchase_id: int,
    values: Mapping[str, Any],
    *,
    expected_version: int,
    who: str | None = None,
    now: datetime | None = None,
) -> int:
    """Correct a purchase; its new version. `values` holds any of amount (cents or text),
    day, description, category, invoice_ref and currency, validated as `add_purchase`
    validates them; refusals as `edit_interaction`. Undoable."""
    return _edit(db, PURCHASE, purchase_id, values, expected_version, who, now)


def delete_purchase(
    db: Database,
    purchase_id: int,
    *,
    expected_version: int,
    who: str | None = None,
    now: datetime | None = None,
) -> None:
    """Delete a purchase (refusals as `edit_interaction`). Undoable."""
    _delete(db, PURCHASE, purchase_id, expected_version, who, now)


def undo_correction(db: Database, step: UndoStep, payload: dict, who: str, now: datetime) -> str:
    """Undo an edit (the old values back, at a new version) or a deletion (the row back)."""
    action, _, name = step.kind.partition("_")
    kind = KINDS[name]
    old = payload["row"]
    current = _raw(db, kind, old["id"])
    if action == "edit":
        if current is None:
            raise refused(f"the {kind.describe(old)} was deleted since")
        if current["version"] != payload["version"]:
            raise refused(f"the {kind.describe(current)} was changed since")
        restored = {k: v for k, v in old.items() if k not in ("id", "version", "customer_id")}
        if not store_of(db).put_back_logged(
            kind.name, old["id"], restored, current["version"] + 1, current["version"]
        ):
            raise refused(f"the {kind.describe(current)} was changed since")
        _history(
            current["customer_id"],
            who=who,
            now=now,
            field=kind.name,
            old=kind.describe(current),
            new=kind.describe(old),
        )
        return ""
    row = dict(old)
    note = ""
    if current is not None:  # its id was taken by a row added since: back under a new one
        row.pop("id")
        note = "it came back as a new entry"
    if (
        row.get("regarding_id")
        and not Customer.select().where(Customer.id == row["regarding_id"]).exists()
    ):
        row["regarding_id"] = None
    row["version"] = old["version"] + 1
    store_of(db).insert_logged(kind.name, row)
    _history(
        old["customer_id"], who=who, now=now, field=kind.name, old=None, new=kind.describe(old)
    )
    return note
