"""The undo journal: every undoable action writes a step in its own transaction, and
`undo_last` reverts the newest step of one person (of one session) in one transaction.

Undoable: moving a customer to the trash, a merge, marking a customer lost, a snooze, marking
reasons done, each correction of an interaction or purchase, a restore from the trash, and
tags added or removed, or a category or owner set, on every customer a query finds (one
step for all of them).
A step holds what undoing it needs (JSON) and what the action left behind, so an undo whose
ground moved (someone changed the customer, the marks or the row since) is refused with a
ConflictError and changes nothing, instead of overwriting their work.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from peewee import Database

from tui_crm.core.config import user_of
from tui_crm.core.display import printable
from tui_crm.db.models import Customer, CustomerChange, UndoStep
from tui_crm.errors import ConflictError, CrmError

NOTHING_TO_UNDO = "nothing to undo"


def _now() -> datetime:
    return datetime.now().replace(microsecond=0)


def record_step(
    *,
    kind: str,
    label: str,
    customer_id: int,
    payload: dict[str, Any],
    other_id: int | None = None,
    who: str | None = None,
    now: datetime | None = None,
) -> int:
    """Write one step of the journal (call it inside the action's transaction); its id."""
    return UndoStep.create(
        at=now or _now(),
        who=who if who is not None else user_of(UndoStep._meta.database),
        kind=kind,
        label=label,
        customer=customer_id,
        other=other_id,
        payload=json.dumps(payload, default=str, sort_keys=True),
    ).id


def newest_step(db: Database) -> int:
    """The id of the newest step (0 for none): a session passes it to `undo_last` as `after`,
    so it only ever undoes what it did itself."""
    return UndoStep.select(UndoStep.id).order_by(UndoStep.id.desc()).scalar() or 0


def step_payload(step: UndoStep) -> dict[str, Any]:
    return json.loads(step.payload or "{}")


def record_undo(customer_id: int, label: str, *, who: str, now: datetime) -> None:
    """The customer's history says what was undone (at the version the undo left)."""
    version = Customer.select(Customer.version).where(Customer.id == customer_id).scalar()
    CustomerChange.create(
        customer=customer_id,
        at=now,
        who=who,
        field="undo",
        old=None,
        new=label,
        version=version or 0,
    )


def refused(what: str) -> ConflictError:
    return ConflictError(f"{what}; nothing was undone", [])


# kind -> function(db, step, payload, who, now) that reverts the step and may return a note
# to add to the line said ("" for none). Filled by `_handlers` on first use: the modules that
# write the steps import this one.
Undoer = Callable[[Database, UndoStep, dict[str, Any], str, datetime], str]


def _handlers() -> dict[str, Undoer]:
    from tui_crm.core import attention, bulk_actions, corrections, customers, merge, trash

    return {
        "bulk_tags": bulk_actions.undo_bulk_tags,
        "bulk_set": bulk_actions.undo_bulk_set,
        "bulk_log": bulk_actions.undo_bulk_log,
        "bulk_trash": bulk_actions.undo_bulk_trash,
        "bulk_snooze": bulk_actions.undo_bulk_snooze,
        "delete": customers.undo_delete,
        "lost": customers.undo_lost,
        "merge": merge.undo_merge,
        "snooze": attention.undo_marks,
        "done": attention.undo_marks,
        "edit_interaction": corrections.undo_correction,
        "delete_interaction": corrections.undo_correction,
        "edit_purchase": corrections.undo_correction,
        "delete_purchase": corrections.undo_correction,
        "restore": trash.undo_restore,
    }


def undo_last(db: Database, *, who: str, after: int = 0, now: datetime | None = None) -> str:
    """Undo the newest step of `who` newer than step `after` that is not undone yet, in one
    transaction; one line saying what was undone ("Undid: moved Anna Berg to the trash").

    Raises CrmError("nothing to undo") when there is none, and ConflictError (nothing
    changed) when what it would revert changed since the step.
    """
    now = now or _now()
    handlers = _handlers()
    with db.atomic("IMMEDIATE"):
        step = (
            UndoStep.select()
            .where((UndoStep.who == who) & (UndoStep.id > after) & UndoStep.undone_at.is_null())
            .order_by(UndoStep.id.desc())
            .first()
        )
        if step is None:
            raise CrmError(NOTHING_TO_UNDO)
        handler = handlers.get(step.kind)
        if handler is None:  # pragma: no cover - a step from a newer version of the program
            raise CrmError(f"cannot undo a '{step.kind}' step")
        note = handler(db, step, step_payload(step), who, now)
        UndoStep.update(undone_at=now).where(UndoStep.id == step.id).execute()
        for customer_id in {step.customer_id, step.other_id} - {None}:
            if Customer.select().where(Customer.id == customer_id).exists():
                record_undo(customer_id, step.label, who=who, now=now)
    return f"Undid: {printable(step.label, limit=200)}" + (f" ({note})" if note else "")
