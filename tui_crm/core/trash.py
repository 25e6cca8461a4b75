"""The trash: customers moved there (deleted) or merged away, listed newest first, brought
back whole, or deleted for good."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from peewee import Database

from tui_crm.core.config import user_of
from tui_crm.core.customers import _set_deleted, check_version, customer_row, row_name
from tui_crm.core.display import printable
from tui_crm.core.merge import remerge, unmerge
from tui_crm.core.undo import record_step, refused, step_payload
from tui_crm.db.models import Customer, CustomerChange, Interaction, Purchase, UndoStep
from tui_crm.errors import CrmError


@dataclass(frozen=True)
class TrashedCustomer:
    """One customer in the trash, as the trash list shows it."""

    id: int
    name: str
    company: str
    deleted_at: datetime
    who: str  # who moved them there
    how: str  # "deleted" or "merged into Robert Smith (#12)"
    interactions: int  # what restoring them would bring back
    purchases: int
    version: int  # what `restore_from_trash` and `purge_customer` are based on


def _now() -> datetime:
    return datetime.now().replace(microsecond=0)


def _trashed_by(customer_id: int) -> UndoStep | None:
    """The step in force that put the customer in the trash: a deletion or a merge."""
    return (
        UndoStep.select()
        .where(
            (
                ((UndoStep.kind == "delete") & (UndoStep.customer == customer_id))
                | ((UndoStep.kind == "merge") & (UndoStep.other == customer_id))
            )
            & UndoStep.undone_at.is_null()
        )
        .order_by(UndoStep.id.desc())
        .first()
    )


def _moved_ids(payload: dict[str, Any], what: str) -> list[int]:
    # A merge names each row it moved by its key: its rowid on SQLite (the id of an
    # interaction or a purchase), its primary key's other columns (the id) on PostgreSQL.
    return [
        key["rowid"] if "rowid" in key else key["id"]
        for move in payload["moves"]
        if move["what"] == what
        for key in move["keys"]
    ]


def _coming_back(customer_id: int, step: UndoStep | None) -> tuple[int, int]:
    """How many interactions and purchases restoring the customer would give them."""
    counts = []
    for model, what in ((Interaction, "interactions"), (Purchase, "purchases")):
        own = model.select().where(model.customer == customer_id).count()
        if step is not None and step.kind == "merge":
            ids = _moved_ids(step_payload(step), what)
            own += (
                model.select()
                .where((model.customer == step.customer_id) & model.id.in_(ids))
                .count()
                if ids
                else 0
            )
        counts.append(own)
    return counts[0], counts[1]


def _last_trash_change(customer_id: int) -> CustomerChange | None:
    return (
        CustomerChange.select()
        .where(
            (CustomerChange.customer == customer_id)
            & CustomerChange.field.in_(("trash", "merged_into"))
        )
        .order_by(CustomerChange.id.desc())
        .first()
    )


def trash_list(db: Database, *, limit: int | None = None) -> list[TrashedCustomer]:
    """Everyone in the trash, newest first: deleted and merged-away customers alike."""
    query = (
        Customer.select()
        .where(Customer.deleted_at.is_null(False))
        .order_by(Customer.deleted_at.desc(), Customer.id.desc())
    )
    if limit is not None:
        query = query.limit(max(limit, 0))
    out = []
    with db.atomic("DEFERRED"):
        for row in query:
            step = _trashed_by(row.id)
            change = _last_trash_change(row.id)
            if step is not None:
                who = step.who
                how = "deleted"
                if step.kind == "merge":
                    survivor = Customer.get_or_none(Customer.id == step.customer_id)
                    name = row_name(survivor) if survivor else step_payload(step)["survivor_name"]
                    how = f"merged into {name} (#{step.customer_id})"
            else:  # trashed before the journal existed: the history says how
                who = change.who if change else ""
                how = (
                    f"merged into {change.new}"
                    if change is not None and change.field == "merged_into"
                    else "deleted"
                )
            interactions, purchases = _coming_back(row.id, step)
            out.append(
                TrashedCustomer(
                    row.id,
                    row_name(row),
                    row.company,
                    row.deleted_at,
                    who,
                    how,
                    interactions,
                    purchases,
                    row.version,
                )
            )
    return out


def _counted(moves: list[dict[str, Any]]) -> str:
    counts: dict[str, int] = {}
    for move in moves:
        if move["what"] and move["keys"]:
            counts[move["what"]] = counts.get(move["what"], 0) + len(move["keys"])
    return ", ".join(f"{n} {what}" for what, n in counts.items())


def _history(customer_id: int, *, who: str, now: datetime, field: str, new: str) -> None:
    version = Customer.select(Customer.version).where(Customer.id == customer_id).scalar()
    CustomerChange.create(
        customer=customer_id, at=now, who=who, field=field, old=None, new=new, version=version
    )


def restore_from_trash(
    db: Database,
    customer_id: int,
    *,
    expected_version: int | None = None,
    who: str | None = None,
    now: datetime | None = None,
) -> str:
    """Bring a customer back from the trash; one line saying what came back.

    A merged-away customer comes back whole: what the merge moved to the survivor (its
    interactions, purchases, referrals, thanks, attention marks, dismissed pairs, other
    records) goes back to it with its uid, and the survivor's fields go back to their values
    before the merge unless the survivor changed since (then they stay, and the line says
    so). Rows gone since (deleted, or merged on) stay where they are; the line says so too.

    `expected_version` is the version the trash list showed (ConflictError when it moved on;
    None: as it is now). NotFound for no such customer, CrmError for one not in the trash.
    Written into both histories and undoable (a "restore" step)."""
    now = now or _now()
    who = who if who is not None else user_of(db)
    with db.atomic("IMMEDIATE"):
        row = customer_row(customer_id)
        if expected_version is not None:
            check_version(row, expected_version)
        name = row_name(row)
        if row.deleted_at is None:
            raise CrmError(f"{printable(name, limit=60)} is not in the trash")
        step = _trashed_by(customer_id)
        if step is not None:
            UndoStep.update(undone_at=now).where(UndoStep.id == step.id).execute()
        if step is None or step.kind != "merge":
            version = _set_deleted(db, customer_id, None, who, row.version, now=now)
            record_step(
                kind="restore",
                label=f"restore of {name} from the trash",
                customer_id=customer_id,
                payload={"from": step.id if step else None, "version": version},
                who=who,
                now=now,
            )
            return f"Restored {printable(name, limit=60)} from the trash"
        payload = step_payload(step)
        done, notes = unmerge(db, payload, strict=False, who=who, now=now)
        survivor_id = payload["survivor"]
        survivor = Customer.get(Customer.id == survivor_id)
        survivor_name = row_name(survivor)
        moved = _counted(done["moves"])
        if done["referrals"]:
            moved = ", ".join(p for p in (moved, f"{len(done['referrals'])} referrals") if p)
        _history(
            customer_id,
            who=who,
            now=now,
            field="restored",
            new=f"from the merge into {survivor_name} (#{survivor_id})",
        )
        _history(
            survivor_id,
            who=who,
            now=now,
            field="restored",
            new=f"{name} (#{customer_id}) from the trash"
            + (f": moved back {moved}" if moved else ""),
        )
        record_step(
            kind="restore",
            label=f"restore of {name} from the merge into {survivor_name}",
            customer_id=customer_id,
            other_id=survivor_id,
            payload={"from": step.id, "done": done},
            who=who,
            now=now,
        )
    line = f"Restored {printable(name, limit=60)}"
    if moved:
        line += f": {moved} back from {printable(survivor_name, limit=60)}"
    return line + "".join(f"; {printable(note, limit=200)}" for note in notes)


def undo_restore(db: Database, step: UndoStep, payload: dict[str, Any], who: str, now) -> str:
    """Undo a "restore" step: back to the trash, and a merged-away customer's rows back to
    the survivor, unless something changed since the restore."""
    source = UndoStep.get_or_none(UndoStep.id == payload["from"]) if payload["from"] else None
    if "done" in payload:
        if source is None:  # pragma: no cover - the step goes with a purged survivor
            raise refused("the merge it took back is gone")
        remerge(db, step_payload(source), payload["done"], who=who, now=now)
    else:
        row = Customer.get(Customer.id == step.customer_id)
        check_version(row, payload["version"], "since it was restored", "nothing was undone")
        _set_deleted(db, step.customer_id, now, who, payload["version"], now=now)
    if source is not None:
        UndoStep.update(undone_at=None).where(UndoStep.id == source.id).execute()
    return ""


def purge_customer(
    db: Database, customer_id: int, *, expected_version: int, who: str | None = None
) -> str:
    """Delete a customer in the trash for good, with their history and their steps in the
    undo journal; one line saying so. Confirmation is the caller's job.

    What a merge moved from them stays with the survivor (whose history says they were
    purged). Refused (CrmError) for a customer not in the trash, ConflictError when they
    changed since `expected_version`, NotFound for no such customer."""
    who = who if who is not None else user_of(db)
    now = _now()
    with db.atomic("IMMEDIATE"):
        row = customer_row(customer_id)
        check_version(row, expected_version, then="nothing was deleted; look again")
        name = row_name(row)
        if row.deleted_at is None:
            raise CrmError(
                f"{printable(name, limit=60)} is not in the trash; move them there first"
            )
        step = _trashed_by(customer_id)
        if step is not None and step.kind == "merge":
            _history(
                step.customer_id, who=who, now=now, field="purged", new=f"{name} (#{customer_id})"
            )
        UndoStep.delete().where(
            (UndoStep.customer == customer_id) | (UndoStep.other == customer_id)
        ).execute()
        Customer.delete().where(Customer.id == customer_id).execute()
    return f"Deleted {printable(name, limit=60)} for good"
