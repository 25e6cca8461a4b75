"""Customers and what happens to them: create, update (versioned, with history), trash,
log interactions, add purchases, and read a whole profile."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, NamedTuple

from peewee import Database, fn

from tui_crm.core.config import settings, user_of
from tui_crm.core.countries import country_code
from tui_crm.core.customer_fields import BY_NAME, NAMES, of_kind
from tui_crm.core.customer_fields import label as field_label
from tui_crm.core.dates import parse_date, parse_follow_up, parse_moment
from tui_crm.core.display import printable
from tui_crm.core.fields import (
    format_phone,
    normalize_email,
    parse_money,
    parse_phone_shown,
    phone_digits,
    phone_text,
    split_extension,
)
from tui_crm.core.lapse import lapse_of
from tui_crm.core.plans import plan_for, plan_text
from tui_crm.core.types import (
    ChangeView,
    CustomerProfile,
    CustomerRef,
    InteractionView,
    Labelled,
    PhoneView,
    PurchaseView,
    display_name,
)
from tui_crm.core.undo import record_step
from tui_crm.core.value import customer_value
from tui_crm.db.models import (
    INTERACTION_KINDS,
    STATUSES,
    Category,
    Customer,
    CustomerChange,
    CustomerEmail,
    CustomerPhone,
    CustomerTag,
    Interaction,
    Purchase,
    Tag,
)
from tui_crm.errors import (
    Ambiguous,
    ConflictError,
    CrmError,
    NotFound,
    UnverifiedValues,
    ValidationError,
)

TEXT_FIELDS = of_kind("text", "multiline")
MULTILINE_FIELDS = of_kind("multiline")
DATE_FIELDS = of_kind("date")
LIST_FIELDS = of_kind("list")
OTHER_FIELDS = of_kind("choice", "bool", "reference", "key")
ALL_FIELDS = NAMES
# The fields a profile shows as the customer row holds them.
_PROFILE_AS_STORED = of_kind("text", "multiline", "date", "choice")
_KNOWN = frozenset(ALL_FIELDS)
_ONE_LINE = tuple((name, name not in MULTILINE_FIELDS) for name in TEXT_FIELDS)

# Why status "lapsed" cannot be typed: it is what the purchases say (core/attention.py).
LAPSED_IS_WORKED_OUT = "lapsed is worked out from purchases"

GENDER_WORDS = {
    "": "",
    "f": "f",
    "female": "f",
    "w": "f",
    "woman": "f",
    "m": "m",
    "male": "m",
    "man": "m",
    "x": "x",
    "other": "x",
    "d": "x",
    "diverse": "x",
    "nonbinary": "x",
    "non-binary": "x",
}
EMAIL_LABELS = ("work", "home", "other")
PHONE_LABELS = ("mobile", "work", "home", "other")


def new_uid() -> str:
    """A customer's stable key, the one exports carry (vCard UID, the CSV `uid` column)."""
    return f"urn:uuid:{uuid.uuid4()}"


def new_uids(block: int = 4096) -> Iterator[str]:
    """new_uid after new_uid, for many new customers at once: the random bytes are read
    `block` uids at a time and the version 4 UUID text written from them directly (what
    uuid.uuid4() and str() do for one, in a fifth of the time)."""
    while True:
        data = bytearray(os.urandom(16 * block))
        for at in range(0, len(data), 16):
            data[at + 6] = (data[at + 6] & 0x0F) | 0x40  # version 4
            data[at + 8] = (data[at + 8] & 0x3F) | 0x80  # the RFC 4122 variant
        text = data.hex()
        for at in range(0, len(text), 32):
            h = text[at : at + 32]
            yield f"urn:uuid:{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _now() -> datetime:
    return datetime.now().replace(microsecond=0)


class CleanPhone(NamedTuple):
    """A phone as stored: `number` is E.164 when `verified`, else the text as given (without
    the extension), and `national` its digits then, so that search finds it by them; `shown`
    is `format_phone(number)`, what lists show ("" until worked out: `_write_lists` does)."""

    label: str
    number: str
    national: str
    verified: bool = True
    extension: str = ""
    shown: str = ""


@dataclass(frozen=True)
class Cleaned:
    scalars: dict[str, Any]
    emails: list[tuple[str, str]] | None
    phones: list[CleanPhone] | None
    tags: list[str] | None
    # field -> what was kept as given without being verified (see clean_customer)
    warnings: dict[str, str] = field(default_factory=dict)


def labelled_pairs(items: Any, default_label: str) -> list[tuple[str, str]]:
    """Accept [('work', 'a@b')], ['a@b'], 'a@b, c@d' and return (label, value) pairs."""
    if items is None:
        return []
    if isinstance(items, str):
        items = [part for part in items.replace(";", ",").split(",")]
    pairs = []
    for item in items:
        if isinstance(item, (tuple, list)):
            label, value = str(item[0] or default_label), str(item[1])
        elif isinstance(item, Labelled):
            label, value = item.label or default_label, item.value
        else:
            label, value = default_label, str(item)
        if value.strip():
            pairs.append((label.strip().lower() or default_label, value.strip()))
    return pairs


def _field_said(name: str) -> str:
    return name.replace("_", " ").capitalize()


def phone_region(values: Mapping[str, Any], region: str | None = None) -> str:
    """Where phone numbers written without +CC are read: the customer's own country when it
    names one ("Norway", "DE"), else `region` (an import's --region), else the settings'."""
    country = str(values.get("country") or "").strip()
    return (country_code(country) if country else None) or region or settings().region


def clean_customer(
    values: Mapping[str, Any],
    *,
    region: str | None = None,
    keep_unverified: bool = False,
    to_notes: bool = False,
) -> Cleaned:
    """Validate and normalise user-supplied fields; raise ValidationError naming each bad one.

    A phone number that has digits but does not validate (a fictional 555 number, an old or
    internal one, one read in the wrong region) cannot be verified, but may well be right:
    without `keep_unverified` (the form, first time) it raises UnverifiedValues carrying the
    warnings, for the user to confirm; with it, it is kept as typed, marked unverified, and
    the warning is in `Cleaned.warnings`.

    With `to_notes` (an import: every contact arrives) what is not a value of its field is
    not refused either: a date that does not parse, an email that does not validate and a
    "phone" without a single digit go to the notes verbatim ("Birthday as given: 1/8/18"),
    each with a warning, and a number with letters is kept unverified. Without it (the form)
    they are errors, as are letters in a phone number."""
    region = phone_region(values, region)
    errors: dict[str, str] = {}
    warnings: dict[str, str] = {}
    kept: list[str] = []  # notes lines: what was kept as given

    def warn(name: str, message: str) -> None:
        warnings[name] = f"{warnings[name]}; {message}" if name in warnings else message

    out: dict[str, Any] = {}
    unknown = values.keys() - _KNOWN
    if unknown:
        errors[sorted(unknown)[0]] = "is not a customer field"
    for name, one_line in _ONE_LINE:
        if name in values:
            text = "" if values[name] is None else str(values[name])
            # Free text keeps its line breaks; one-line fields get their spacing tidied.
            out[name] = " ".join(text.split()) if one_line else text.strip()
    for name in DATE_FIELDS:
        if name in values:
            raw = values[name]
            if raw in (None, ""):
                out[name] = None
            elif isinstance(raw, date):
                out[name] = raw
            else:
                try:
                    out[name] = parse_date(str(raw))
                except CrmError as err:
                    if to_notes:
                        text = " ".join(str(raw).split())
                        kept.append(f"{_field_said(name)} as given: {text}")
                        warn(name, f"'{text}' is not a date; kept in the notes")
                    else:
                        errors[name] = str(err)

    def unknown_word(name: str, raw: Any, message: str) -> None:
        """A word a field does not know: refused in the form; an import keeps it in the
        notes and leaves the field as it was (every contact arrives)."""
        if to_notes:
            text = " ".join(str(raw).split())
            kept.append(f"{_field_said(name)} as given: {text}")
            warn(name, f"{message}; kept in the notes")
        else:
            errors[name] = message

    if "gender" in values:
        word = str(values["gender"] or "").strip().lower()
        if word in GENDER_WORDS:
            out["gender"] = GENDER_WORDS[word]
        else:
            unknown_word(
                "gender", values["gender"], f"'{values['gender']}' is not f, m, x or empty"
            )
    if "status" in values:
        status = str(values["status"] or "active").strip().lower()
        if status in STATUSES:
            out["status"] = status
        elif status == "lapsed":
            # Worked out from the purchases (core/attention.py), never typed. A file that says
            # it means "not lost": the customer arrives, their status as it was (new: active).
            if to_notes:
                warn("status", f"{LAPSED_IS_WORKED_OUT}; not taken from the file")
            else:
                errors["status"] = f"{LAPSED_IS_WORKED_OUT}; mark a customer lost instead"
        else:
            unknown_word(
                "status",
                values["status"],
                f"'{values['status']}' is not one of {', '.join(STATUSES)}",
            )
    if "email_opt_out" in values:
        raw = values["email_opt_out"]
        if isinstance(raw, str):
            word = raw.strip().lower()
            if word in ("", "0", "1", "yes", "no", "true", "false", "y", "n"):
                out["email_opt_out"] = word in ("1", "yes", "true", "y")
            else:
                unknown_word("email_opt_out", raw, f"'{raw}' is not yes or no")
        else:
            out["email_opt_out"] = bool(raw)
    if "referred_by" in values:
        ref = values["referred_by"]
        if ref in (None, ""):
            out["referred_by"] = None
        else:
            try:
                out["referred_by"] = int(ref)
            except (TypeError, ValueError):
                errors["referred_by"] = f"'{ref}' is not a customer id"
    if "category" in values:
        out["category"] = str(values["category"] or "").strip()
    if "uid" in values:
        out["uid"] = str(values["uid"]).strip() or None if values["uid"] is not None else None
    emails = phones = tags = None
    if "emails" in values:
        emails = []
        for label, address in labelled_pairs(values["emails"], "work"):
            try:
                emails.append((label, normalize_email(address)))
            except CrmError as err:
                if to_notes:
                    kept.append(f"Email as given: {address}")
                    warn("emails", f"'{address}' is not a valid email address; kept in the notes")
                else:
                    errors.setdefault("emails", str(err))
    if "phones" in values:
        phones = []
        for label, text in labelled_pairs(values["phones"], "mobile"):
            number, extension = split_extension(text)
            try:
                e164, national, shown = parse_phone_shown(number, region)
                phones.append(CleanPhone(label, e164, national, True, extension, shown))
                continue
            except CrmError:
                pass
            digits = phone_digits(number)
            if not digits:
                if to_notes:
                    kept.append(f"Phone as given: {text}")
                    warn("phones", f"'{text}' has no digits: not a phone; kept in the notes")
                else:
                    errors.setdefault("phones", f"letters in a phone: '{text}' has no digits")
            elif not to_notes and any(ch.isalpha() for ch in number):
                errors.setdefault("phones", f"letters in a phone: '{text}'")
            else:
                phones.append(
                    CleanPhone(label, number, digits, False, extension, format_phone(number))
                )
                warn("phones", f"'{text}' could not be verified; kept as typed")
    if "tags" in values:
        raw_tags = values["tags"] or []
        if isinstance(raw_tags, str):
            raw_tags = [raw_tags]
        tags = []
        # A tag never holds a comma or semicolon: files and the form write lists with them.
        for item in raw_tags:
            for part in str(item).replace(";", ",").split(","):
                word = " ".join(part.split()).lower()
                if word and word not in tags:
                    tags.append(word)
    if out.get("status") == "lost" and not out.get("lost_reason", values.get("lost_reason")):
        errors.setdefault("lost_reason", "say what broke the deal when marking a customer lost")
    if errors:
        raise ValidationError(errors)
    if warnings and not keep_unverified:
        raise UnverifiedValues(warnings)
    if kept:
        notes = out.get("notes", "")
        out["notes"] = "\n".join([notes, *kept] if notes else kept)
    return Cleaned(out, emails, phones, tags, warnings)


def _require_name(row: Customer) -> None:
    if not (row.first_name or row.last_name or row.company):
        raise ValidationError({"last_name": "a customer needs a first name, last name or company"})


def _category_id(name: str) -> int | None:
    if not name:
        return None
    category = Category.get_or_none(fn.casefold(Category.name) == name.casefold())
    if category is None:
        raise ValidationError({"category": f"no category named '{name}'"})
    return category.id


def _category_name(category_id: int | None) -> str | None:
    if category_id is None:
        return None
    return Category.select(Category.name).where(Category.id == category_id).scalar()


def _check_referrer(customer_id: int | None, referrer_id: int | None) -> None:
    if referrer_id is None:
        return
    if referrer_id == customer_id:
        raise ValidationError({"referred_by": "a customer cannot refer themselves"})
    if not Customer.select().where(Customer.id == referrer_id).exists():
        raise ValidationError({"referred_by": f"no customer with id {referrer_id}"})


def _list_text(items: Iterable[str]) -> str:
    return ", ".join(items)


def _current_lists(customer_id: int) -> dict[str, str]:
    return {
        "emails": _list_text(
            e.address
            for e in CustomerEmail.select()
            .where(CustomerEmail.customer == customer_id)
            .order_by(CustomerEmail.position)
        ),
        "phones": _list_text(
            phone_text(p.number, p.extension)
            for p in CustomerPhone.select()
            .where(CustomerPhone.customer == customer_id)
            .order_by(CustomerPhone.position)
        ),
        "tags": _list_text(sorted(_tags_of(customer_id))),
    }


def _tags_of(customer_id: int) -> list[str]:
    # Sorted here, by code point as SQLite sorts text: a PostgreSQL server's collation may
    # sort otherwise.
    return sorted(
        t.name
        for t in Tag.select(Tag.name).join(CustomerTag).where(CustomerTag.customer == customer_id)
    )


def _write_lists(customer_id: int, cleaned: Cleaned) -> None:
    """Replace the lists `cleaned` gives. Only what differs is written: every row written
    rebuilds the customer's search document (triggers), so a tag added to a hundred costs one
    rebuild, not a hundred."""
    emails = CustomerEmail.select().where(CustomerEmail.customer == customer_id)
    if cleaned.emails is not None and cleaned.emails != [
        (e.label, e.address) for e in emails.order_by(CustomerEmail.position)
    ]:
        CustomerEmail.delete().where(CustomerEmail.customer == customer_id).execute()
        for position, (label, address) in enumerate(cleaned.emails):
            CustomerEmail.create(
                customer=customer_id, label=label, address=address, position=position
            )
    phones = CustomerPhone.select().where(CustomerPhone.customer == customer_id)
    wanted = cleaned.phones
    if wanted is not None:  # a snapshot's phones (undo, unmerge) come without their text
        wanted = [p if p.shown else p._replace(shown=format_phone(p.number)) for p in wanted]
    if wanted is not None and wanted != [
        CleanPhone(p.label, p.number, p.national, bool(p.verified), p.extension, p.shown)
        for p in phones.order_by(CustomerPhone.position)
    ]:
        CustomerPhone.delete().where(CustomerPhone.customer == customer_id).execute()
        for position, phone in enumerate(wanted):
            CustomerPhone.create(
                customer=customer_id,
                label=phone.label,
                number=phone.number,
                national=phone.national,
                verified=phone.verified,
                extension=phone.extension,
                shown=phone.shown,
                position=position,
            )
    if cleaned.tags is not None:
        held = set(_tags_of(customer_id))
        gone = held - set(cleaned.tags)
        if gone:
            CustomerTag.delete().where(
                (CustomerTag.customer == customer_id)
                & CustomerTag.tag.in_(Tag.select(Tag.id).where(Tag.name.in_(sorted(gone))))
            ).execute()
        for name in cleaned.tags:
            if name not in held:
                tag, _ = Tag.get_or_create(name=name)
                CustomerTag.insert(customer=customer_id, tag=tag.id).on_conflict_ignore().execute()


def _scalar_columns(cleaned: Cleaned) -> dict[str, Any]:
    columns = dict(cleaned.scalars)
    if "category" in columns:
        columns["category"] = _category_id(columns["category"])
    return columns


def create_customer(
    db: Database,
    values: Mapping[str, Any],
    *,
    who: str | None = None,
    now: datetime | None = None,
    keep_unverified: bool = False,
) -> int:
    """Validate and store a new customer; return its id. A phone number that cannot be
    verified raises UnverifiedValues unless `keep_unverified` (see clean_customer)."""
    cleaned = clean_customer(values, keep_unverified=keep_unverified)
    now = now or _now()
    who = who if who is not None else user_of(db)
    with db.atomic():
        columns = _scalar_columns(cleaned)
        _check_referrer(None, columns.get("referred_by"))
        if columns.get("email_opt_out"):
            columns["email_opt_out_at"] = now
        if columns.get("status") == "lost" and not columns.get("lost_on"):
            columns["lost_on"] = now.date()
        columns["uid"] = columns.get("uid") or new_uid()
        row = Customer(created_at=now, updated_at=now, **columns)
        _require_name(row)
        row.save(force_insert=True)
        _write_lists(row.id, cleaned)
        CustomerChange.create(
            customer=row.id,
            at=now,
            who=who,
            field="created",
            old=None,
            new=row_name(row),
            version=1,
        )
    return row.id


def row_name(row: Customer) -> str:
    return display_name(row.first_name, row.last_name, row.company)


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def check_version(
    row: Customer,
    expected: Any,
    opened: str = "since you opened it",
    then: str = "nothing was saved; look again and redo your change",
) -> None:
    """Every write that replaces something is based on a version of the customer: refuse one
    based on another version than `row`'s (ConflictError, `stale_error`), and a call that
    gives none at all (TypeError)."""
    if isinstance(expected, bool) or not isinstance(expected, int):
        raise TypeError(f"a change needs the version it is based on, not {expected!r}")
    if row.version != expected:
        raise stale_error(row, expected, opened, then)


def change_said(change: ChangeView, *, on_form: bool = False) -> str:
    """One change as people read it: "Job title: Owner → Head Chef", the field named by its
    label in the declaration of customer fields (as the form labels it, with `on_form`), a
    choice by the word the form shows; trashing, merging and undoing said in words."""
    old, new = (printable(v, limit=40) or "—" for v in (change.old, change.new))
    if change.field == "trash":
        return "moved to the trash" if change.new else "restored from the trash"
    if change.field in ("merged", "merged_into"):
        return f"{change.field.replace('_', ' ')} {new}"
    if change.field == "undo":
        return f"undid {new}"
    if change.field in ("restored", "purged"):
        return f"{change.field} {new}"
    declared = BY_NAME.get(change.field)
    if declared is None:
        return f"{field_label(change.field)}: {old} → {new}"
    if declared.choices:
        shown = {value: word for word, value in declared.choices}
        old, new = (shown.get(v or "", w) for v, w in ((change.old, old), (change.new, new)))
    elif declared.name == "referred_by":  # the history keeps the referrer's id
        old, new = (f"#{v}" if v else "—" for v in (change.old, change.new))
    said = declared.shown_on_form if on_form else declared.label
    return f"{said}: {old} → {new}"


def changes_said(changes: Iterable[ChangeView], *, on_form: bool = False) -> list[str]:
    """Each change on a line of its own saying who made it: "Job title: Owner → Head Chef
    (changed by kari)"."""
    return [
        f"{change_said(c, on_form=on_form)} (changed by {printable(c.who, limit=40) or 'someone'})"
        for c in changes
    ]


@dataclass(frozen=True)
class Reapplied:
    """A form's edits put back on top of a newer version of the record (`reapply_edits`)."""

    values: dict[str, Any]  # the newer version's values with the user's edits on top
    edits: tuple[str, ...]  # the fields the user changed (to something the newer one lacks)
    over_theirs: tuple[str, ...]  # of those, the ones the other changed too: theirs is replaced


def reapply_edits(
    opened: Mapping[str, Any], mine: Mapping[str, Any], theirs: Mapping[str, Any]
) -> Reapplied:
    """After a refused save: the values someone else saved (`theirs`), with every field the
    user changed since the form was filled (`opened`, to `mine`) set back to the user's value.
    An edit that someone else made as well, to the same value, is nobody's to re-apply."""
    values = dict(theirs)
    edits, over = [], []
    for name, value in mine.items():
        if name not in opened or value == opened[name] or value == theirs.get(name):
            continue
        values[name] = value
        edits.append(name)
        if theirs.get(name) != opened[name]:
            over.append(name)
    return Reapplied(values, tuple(edits), tuple(over))


def stale_error(
    row: Customer,
    since: int,
    opened: str = "since you opened it",
    then: str = "nothing was saved; look again and redo your change",
) -> ConflictError:
    """The refusal of a change based on version `since` of a customer now at a later one:
    one line saying who changed what meanwhile (`changes` holds it all)."""
    changes = changes_since(row.id, since)
    people = list(dict.fromkeys(printable(c.who, limit=40) or "someone" for c in changes))
    by = " and ".join(people) if people else "someone else"
    said = [change_said(c) for c in changes[:3]]
    if len(changes) > 3:
        said.append(f"{len(changes) - 3} more")
    return ConflictError(
        f"{printable(row_name(row), limit=60)} was changed by {by} {opened}"
        + (f" ({'; '.join(said)})" if said else "")
        + f"; {then}",
        changes,
    )


def update_customer(
    db: Database,
    customer_id: int,
    values: Mapping[str, Any],
    *,
    expected_version: int,
    who: str | None = None,
    now: datetime | None = None,
    journal: bool = True,
    keep_unverified: bool = False,
) -> int:
    """Apply changes; return the new version.

    A phone number that cannot be verified raises UnverifiedValues (see clean_customer)
    unless `keep_unverified`, or unless the customer holds it already as it is: saving a
    customer whose unverified number was confirmed before asks nothing again.

    `expected_version` is the version the change is based on (the profile or record the
    caller read): a save based on an older one is refused (ConflictError saying who changed
    what) instead of silently overwriting their work. A change not based on anything read
    reads the version in its own transaction first.

    A change that makes the customer lost writes a "lost" step to the undo journal (unless
    `journal` is false: a merge journals itself as a whole).
    """
    unverified: UnverifiedValues | None = None
    try:
        cleaned = clean_customer(values, keep_unverified=keep_unverified)
    except UnverifiedValues as err:
        unverified = err
        cleaned = clean_customer(values, keep_unverified=True)
    now = now or _now()
    who = who if who is not None else user_of(db)
    with db.atomic("IMMEDIATE"):
        row = customer_row(customer_id)
        check_version(row, expected_version)
        if unverified is not None:
            held = {
                (p.number, p.extension)
                for p in CustomerPhone.select().where(
                    (CustomerPhone.customer == customer_id) & ~CustomerPhone.verified
                )
            }
            if any(
                (p.number, p.extension) not in held for p in cleaned.phones or () if not p.verified
            ):
                raise unverified
        lost_before = (
            field_snapshot(customer_id, ("status", "lost_reason", "lost_on"))
            if row.status != "lost"
            else None
        )
        columns = _scalar_columns(cleaned)
        if "referred_by" in columns:
            _check_referrer(customer_id, columns["referred_by"])
            check_no_referral_loop(customer_id, columns["referred_by"])
        if columns.get("email_opt_out") and not row.email_opt_out:
            columns["email_opt_out_at"] = now
        elif "email_opt_out" in columns and not columns["email_opt_out"]:
            columns["email_opt_out_at"] = None
        if columns.get("status") == "lost" and row.status != "lost" and not columns.get("lost_on"):
            columns["lost_on"] = now.date()
        before_lists = _current_lists(customer_id)
        diffs: list[tuple[str, str | None, str | None]] = []
        for name, value in columns.items():
            old = getattr(row, name + "_id" if name in ("referred_by", "category") else name)
            if old != value and not (old in (None, "") and value in (None, "")):
                if name == "category":  # history shows the names people chose, not row ids
                    diffs.append((name, _category_name(old), _category_name(value)))
                else:
                    diffs.append((name, _text(old), _text(value)))
                setattr(row, name + "_id" if name in ("referred_by", "category") else name, value)
        _require_name(row)
        _write_lists(customer_id, cleaned)
        after_lists = _current_lists(customer_id)
        for name in LIST_FIELDS:
            if before_lists[name] != after_lists[name]:
                diffs.append((name, before_lists[name] or None, after_lists[name] or None))
        if not diffs:
            return row.version
        new_version = row.version + 1
        updated = (
            Customer.update(
                **{
                    (n + "_id" if n in ("referred_by", "category") else n): getattr(
                        row, n + "_id" if n in ("referred_by", "category") else n
                    )
                    for n in columns
                },
                version=new_version,
                updated_at=now,
            )
            .where((Customer.id == customer_id) & (Customer.version == row.version))
            .execute()
        )
        if updated != 1:  # SQLite's IMMEDIATE transaction keeps others out; PostgreSQL's not
            raise ConflictError("the customer changed while saving; try again", [])
        for name, old, new in diffs:
            CustomerChange.create(
                customer=customer_id,
                at=now,
                who=who,
                field=name,
                old=old,
                new=new,
                version=new_version,
            )
        if journal and lost_before is not None and columns.get("status") == "lost":
            record_step(
                kind="lost",
                label=f"marking {row_name(row)} lost",
                customer_id=customer_id,
                payload={"before": lost_before, "version": new_version},
                who=who,
                now=now,
            )
    return new_version


LOOP_MESSAGE = "that would make a referral loop (they were referred by this customer)"


def check_no_referral_loop(
    customer_id: int, referrer_id: int | None, message: str = LOOP_MESSAGE
) -> None:
    """Refuse a referrer whose own chain of referrers leads back to this customer."""
    seen = {customer_id}
    current = referrer_id
    while current is not None:
        if current in seen:
            raise ValidationError({"referred_by": message})
        seen.add(current)
        current = Customer.select(Customer.referred_by).where(Customer.id == current).scalar()


def changes_since(customer_id: int, version: int) -> list[ChangeView]:
    query = (
        CustomerChange.select()
        .where((CustomerChange.customer == customer_id) & (CustomerChange.version > version))
        .order_by(CustomerChange.id)
    )
    return [ChangeView(c.at, c.who, c.field, c.old, c.new) for c in query]


def trash_customer(
    db: Database, customer_id: int, *, expected_version: int, who: str | None = None, now=None
) -> int:
    """Move a customer to the trash (restorable); return the new version. Refused
    (ConflictError) when the customer changed since `expected_version`, e.g. was restored by
    someone else meanwhile. Undoable (a "delete" step of the journal, core/undo.py)."""
    return _trash(db, customer_id, expected_version=expected_version, who=who, now=now)


def _trash(db, customer_id, *, expected_version, who, now, journal: bool = True) -> int:
    now = now or _now()
    who = who if who is not None else user_of(db)
    with db.atomic():
        before = Customer.get_or_none(Customer.id == customer_id)
        version = _set_deleted(db, customer_id, now, who, expected_version)
        if journal and before is not None and before.deleted_at is None:
            record_step(
                kind="delete",
                label=f"moved {row_name(before)} to the trash",
                customer_id=customer_id,
                payload={"version": version},
                who=who,
                now=now,
            )
    return version


def undo_delete(db, step, payload, who, now) -> str:
    """Undo a "delete" step: the customer comes back unless changed since (e.g. restored)."""
    row = Customer.get(Customer.id == step.customer_id)
    check_version(row, payload["version"], "since", "nothing was undone")
    _set_deleted(db, step.customer_id, None, who, payload["version"], now=now)
    return ""


def mark_lost(
    db: Database,
    customer_id: int,
    reason: str,
    *,
    expected_version: int,
    who: str | None = None,
    now: datetime | None = None,
) -> int:
    """Mark a customer lost with what broke the deal (today is the day lost); the new
    version. Undoable: any change that makes a customer lost writes a "lost" step."""
    return update_customer(
        db,
        customer_id,
        {"status": "lost", "lost_reason": reason},
        expected_version=expected_version,
        who=who,
        now=now,
    )


def undo_lost(db, step, payload, who, now) -> str:
    """Undo a "lost" step: status, reason and day lost as they were, unless changed since."""
    row = Customer.get(Customer.id == step.customer_id)
    check_version(row, payload["version"], "since", "nothing was undone")
    revert_fields(step.customer_id, payload["before"], who=who, now=now)
    return ""


# What a customer's fields were, as stored (column: kind), for putting them back exactly:
# a merge's survivor, a customer before being marked lost.
_SNAPSHOT_KINDS = {"date": "date", "bool": "bool", "reference": "id"}
_SNAPSHOT_COLUMNS = {
    **{name: "text" for name in TEXT_FIELDS},
    **{
        name + ("_id" if f.kind == "reference" else ""): _SNAPSHOT_KINDS.get(f.kind, "text")
        for name, f in BY_NAME.items()
        if f.kind not in ("text", "multiline", "list")
    },
    "email_opt_out_at": "datetime",
}


def _stored(kind: str, value: Any) -> Any:
    if value is None:
        return None
    if kind == "date":
        return value if isinstance(value, date) else date.fromisoformat(str(value))
    if kind == "datetime":
        return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    if kind == "bool":
        return bool(value)
    return value


def field_snapshot(customer_id: int, columns: Iterable[str] | None = None) -> dict[str, Any]:
    """A customer's fields as stored, JSON-ready (`revert_fields` puts them back): every
    field and the emails, phones and tags, or only `columns`."""
    row = Customer.get(Customer.id == customer_id)
    wanted = list(columns) if columns is not None else [*_SNAPSHOT_COLUMNS, *LIST_FIELDS]
    out: dict[str, Any] = {}
    for name in wanted:
        if name == "emails":
            out[name] = [
                [e.label, e.address]
                for e in CustomerEmail.select()
                .where(CustomerEmail.customer == customer_id)
                .order_by(CustomerEmail.position, CustomerEmail.id)
            ]
        elif name == "phones":
            out[name] = [
                [p.label, p.number, p.national, bool(p.verified), p.extension]
                for p in CustomerPhone.select()
                .where(CustomerPhone.customer == customer_id)
                .order_by(CustomerPhone.position, CustomerPhone.id)
            ]
        elif name == "tags":
            out[name] = _tags_of(customer_id)
        else:
            value = getattr(row, name)
            if isinstance(value, date | datetime):
                value = value.isoformat()
            out[name] = bool(value) if _SNAPSHOT_COLUMNS[name] == "bool" else value
    return out


def revert_fields(customer_id: int, snapshot: Mapping[str, Any], *, who: str, now: datetime) -> int:
    """Put back the fields of a `field_snapshot` as they were, written straight (they were
    valid when taken; an undo is not an edit to validate again), each difference in the
    history; the new version (the same when nothing differed)."""
    row = Customer.get(Customer.id == customer_id)
    before_lists = _current_lists(customer_id)
    columns: dict[str, Any] = {}
    diffs: list[tuple[str, str | None, str | None]] = []
    for name, kind in _SNAPSHOT_COLUMNS.items():
        if name not in snapshot:
            continue
        old, new = getattr(row, name), _stored(kind, snapshot[name])
        if name == "status" and new == "lapsed":  # taken before migration 9: never typed now
            new = "active"
        if kind == "bool":
            old = bool(old)
        if old == new:
            continue
        columns[name] = new
        if name == "category_id":
            diffs.append(("category", _category_name(old), _category_name(new)))
        elif name != "email_opt_out_at":
            diffs.append((name.removesuffix("_id"), _text(old), _text(new)))
    if "uid" in columns and columns["uid"] is not None:
        # Unique: a customer holding it since (a merge's survivor took it over) lets go.
        Customer.update(uid=None).where(
            (Customer.uid == columns["uid"]) & (Customer.id != customer_id)
        ).execute()
    lists = {name: snapshot[name] for name in LIST_FIELDS if name in snapshot}
    _write_lists(
        customer_id,
        Cleaned(
            {},
            [tuple(e) for e in lists["emails"]] if "emails" in lists else None,
            # Snapshots older than migration 7 hold [label, number, national]: verified.
            [CleanPhone(*p) for p in lists["phones"]] if "phones" in lists else None,
            list(lists["tags"]) if "tags" in lists else None,
        ),
    )
    after_lists = _current_lists(customer_id)
    for name in LIST_FIELDS:
        if before_lists[name] != after_lists[name]:
            diffs.append((name, before_lists[name] or None, after_lists[name] or None))
    if not diffs and not columns:
        return row.version
    version = row.version + 1
    _versioned_update(row, version=version, updated_at=now, **columns)
    for name, old, new in diffs:
        CustomerChange.create(
            customer=customer_id, at=now, who=who, field=name, old=old, new=new, version=version
        )
    return version


def _versioned_update(row: Customer, **columns: Any) -> None:
    """The customer's columns written if they are still at the version `row` was read at; a
    ConflictError if another writer saved first (on PostgreSQL, whose transactions do not
    keep other writers out while one reads and writes)."""
    updated = (
        Customer.update(**columns)
        .where((Customer.id == row.id) & (Customer.version == row.version))
        .execute()
    )
    if updated != 1:
        raise ConflictError("the customer changed while saving; try again", [])


def restore_customer(
    db: Database, customer_id: int, *, expected_version: int, who: str | None = None, now=None
) -> int:
    """Bring a customer back from the trash; return the new version (see `trash_customer`)."""
    return _set_deleted(db, customer_id, None, who, expected_version, now=now)


def _set_deleted(db, customer_id, deleted_at, who, expected_version, now=None) -> int:
    now = now or deleted_at or _now()
    with db.atomic():
        row = customer_row(customer_id)
        check_version(row, expected_version)
        if (row.deleted_at is None) == (deleted_at is None):
            return row.version  # already where it was asked to be
        _versioned_update(row, deleted_at=deleted_at, version=row.version + 1, updated_at=now)
        CustomerChange.create(
            customer=customer_id,
            at=now,
            who=who if who is not None else user_of(db),
            field="trash",
            old=_text(row.deleted_at),
            new=_text(deleted_at),
            version=row.version + 1,
        )
    return row.version + 1


def customer_row(customer_id: int, *, live: bool = False) -> Customer:
    """The customer's row (only one not in the trash, with `live`); NotFound when none."""
    where = Customer.id == customer_id
    row = Customer.get_or_none(where & Customer.deleted_at.is_null() if live else where)
    if row is None:
        raise NotFound(f"no customer with id {customer_id}")
    return row


def _live(customer_id: int) -> Customer:
    return customer_row(customer_id, live=True)


# How far ahead of this computer's clock a logged time may be: a call logged as 14:05 from a
# phone's clock that runs a minute or two ahead of the laptop's, not tomorrow's meeting.
CLOCK_SKEW = timedelta(minutes=5)


def log_interaction(
    db: Database,
    customer_id: int,
    *,
    notes: str = "",
    kind: str = "call",
    at: datetime | str | None = None,
    follow_up: date | datetime | str | None = None,
    outcome: str = "",
    regarding: int | None = None,
    who: str | None = None,
    now: datetime | None = None,
) -> int:
    """Record a call, email, meeting, message, thanks or note; return its id.

    `follow_up` takes a date, a datetime (a follow-up at a time of day) or what people type
    (+3d, +2w, tomorrow 14:00, mon, 2026-12-01), resolved against the day of the interaction.

    An interaction is added, it replaces nothing (last contact and the next follow-up are
    worked out from all of them), so it needs no version: the customer (and a thanked
    referral) is checked in the transaction that adds it.
    """
    now = now or _now()
    cleaned = clean_interaction(
        kind=kind, at=at, follow_up=follow_up, notes=notes, outcome=outcome, now=now
    )
    with db.atomic():
        _live(customer_id)
        check_regarding(customer_id, cleaned["kind"], regarding)
        row = Interaction.create(
            customer=customer_id,
            **cleaned,
            regarding=regarding,
            logged_by=who if who is not None else user_of(db),
            created_at=now,
        )
    return row.id


def clean_interaction(
    *,
    kind: str | None,
    at: datetime | str | None,
    follow_up: date | datetime | str | None,
    notes: str | None,
    outcome: str | None,
    now: datetime,
) -> dict[str, Any]:
    """Validate an interaction as logged or corrected: its columns (kind, at, notes, outcome,
    follow_up, follow_up_time), or one ValidationError naming each bad field."""
    errors: dict[str, str] = {}
    kind = (kind or "call").strip().lower()
    if kind not in INTERACTION_KINDS:
        errors["kind"] = f"'{kind}' is not one of {', '.join(INTERACTION_KINDS)}"
    when = now
    if isinstance(at, datetime):
        when = at.replace(microsecond=0, tzinfo=None)
    elif at:
        try:
            when = parse_moment(at, now)  # "yesterday 15:30" as well as a date and time
        except CrmError as err:
            errors["at"] = str(err)
    due, clock = None, ""
    if isinstance(follow_up, datetime):
        due, clock = follow_up.date(), f"{follow_up:%H:%M}"
    elif isinstance(follow_up, date):
        due = follow_up
    elif follow_up and str(follow_up).strip():
        try:
            due, clock = parse_follow_up(str(follow_up), when.date())
        except CrmError as err:
            errors["follow_up"] = str(err)
    if when > now + CLOCK_SKEW:  # it would count as the newest contact and close follow-ups
        errors["at"] = f"{when:%Y-%m-%d %H:%M} is in the future; log what has happened"
    if due is not None and due < when.date():
        errors["follow_up"] = f"follow-up {due} is before the interaction itself"
    notes, outcome = (notes or "").strip(), (outcome or "").strip()
    if not notes and kind != "thanks" and not outcome:
        errors["notes"] = "write a note (what was said)"
    if errors:
        raise ValidationError(errors)
    return {
        "kind": kind,
        "at": when,
        "notes": notes,
        "outcome": outcome,
        "follow_up": due,
        "follow_up_time": clock,
    }


def check_regarding(customer_id: int, kind: str, regarding: int | None) -> None:
    """The customer an interaction is about must be live, and a thanks must name one of
    the customer's referrals (checked in the writing transaction)."""
    if regarding is not None:
        named = _live(regarding)
        if kind == "thanks" and named.referred_by_id != customer_id:
            # The thanks names a referral read earlier: refused if it is not one (now).
            raise _not_referred_by(customer_id, named)


def _not_referred_by(referrer_id: int, row: Customer) -> ConflictError:
    """Thanks for a referral that is not (or no longer) one, saying who changed it."""

    def named(text: str | None) -> str:
        other = Customer.get_or_none(Customer.id == int(text)) if text and text.isdigit() else None
        return printable(row_name(other), limit=40) if other else "—"

    referrer = Customer.get_or_none(Customer.id == referrer_id)
    last = (
        CustomerChange.select()
        .where((CustomerChange.customer == row.id) & (CustomerChange.field == "referred_by"))
        .order_by(CustomerChange.id.desc())
        .first()
    )
    changed = (
        f" (changed by {printable(last.who, limit=40) or 'someone'}: "
        f"{named(last.old)} → {named(last.new)})"
        if last
        else ""
    )
    return ConflictError(
        f"{printable(row_name(row), limit=60)} is not referred by "
        f"{printable(row_name(referrer), limit=60)}{changed}; nothing was logged",
        [],
    )


def add_purchase(
    db: Database,
    customer_id: int,
    *,
    amount: int | str,
    day: date | str | None = None,
    description: str = "",
    category: str = "",
    invoice_ref: str = "",
    currency: str | None = None,
    now: datetime | None = None,
) -> int:
    """Record a purchase; `amount` is cents (int) or text such as '1,234.50'. Like an
    interaction it is added and replaces nothing: no version needed."""
    now = now or _now()
    cleaned = clean_purchase(
        amount=amount,
        day=day,
        description=description,
        category=category,
        invoice_ref=invoice_ref,
        currency=currency,
        now=now,
    )
    with db.atomic():
        _live(customer_id)
        row = Purchase.create(customer=customer_id, **cleaned, created_at=now)
    return row.id


def clean_purchase(
    *,
    amount: int | str,
    day: date | str | None,
    description: str | None,
    category: str | None,
    invoice_ref: str | None,
    currency: str | None,
    now: datetime,
) -> dict[str, Any]:
    """Validate a purchase as added or corrected: its columns (day, cents, currency,
    description, category, invoice_ref), or one ValidationError naming each bad field."""
    errors: dict[str, str] = {}
    cents = 0
    if isinstance(amount, int) and not isinstance(amount, bool):
        cents = amount
    else:
        try:
            cents = parse_money(str(amount))
        except CrmError as err:
            errors["amount"] = str(err)
    if not errors and cents == 0:
        errors["amount"] = "the amount cannot be zero"
    when = now.date()
    if isinstance(day, date):
        when = day
    elif day:
        try:
            when = parse_date(str(day))
        except CrmError as err:
            errors["day"] = str(err)
    code = (currency or settings().currency).strip().upper()
    if len(code) != 3 or not code.isalpha():
        errors["currency"] = f"'{currency}' is not a currency code such as USD or EUR"
    if errors:
        raise ValidationError(errors)
    return {
        "day": when,
        "cents": cents,
        "currency": code,
        "description": (description or "").strip(),
        "category": (category or "").strip(),
        "invoice_ref": (invoice_ref or "").strip(),
    }


def resolve_customer(db: Database, ref: str) -> int:
    """A customer id from an id or a name that matches exactly one customer.

    Names match "First Last", "Last, First", "Nickname Last", or a company, case-insensitively.
    """
    text = " ".join(ref.split())
    if not text:
        raise NotFound("no customer given")
    live = Customer.deleted_at.is_null()
    if text.lstrip("#").isdigit():
        row = Customer.get_or_none((Customer.id == int(text.lstrip("#"))) & live)
        if row is None:
            raise NotFound(f"no customer with id {text.lstrip('#')}")
        return row.id
    lowered = text.casefold()
    full = fn.casefold(fn.trim(Customer.first_name.concat(" ").concat(Customer.last_name)))
    nick = fn.casefold(fn.trim(Customer.nickname.concat(" ").concat(Customer.last_name)))
    reverse = fn.casefold(Customer.last_name.concat(", ").concat(Customer.first_name))
    candidates = list(
        Customer.select(
            Customer.id, Customer.first_name, Customer.last_name, Customer.company, Customer.city
        )
        .where(
            live
            & (
                (full == lowered)
                | (reverse == lowered)
                | ((Customer.nickname != "") & (nick == lowered))
            )
        )
        .order_by(Customer.id)
        .limit(21)
    )
    if not candidates:
        candidates = list(
            Customer.select(
                Customer.id,
                Customer.first_name,
                Customer.last_name,
                Customer.company,
                Customer.city,
            )
            .where(live & (fn.casefold(Customer.company) == lowered))
            .order_by(Customer.id)
            .limit(21)
        )
    if not candidates:
        raise NotFound(f"no customer named '{text}' (try `tui-crm find {text}`)")
    if len(candidates) > 1:
        raise Ambiguous(
            f"'{text}' matches {len(candidates)}{'+' if len(candidates) > 20 else ''} customers; "
            "give the id",
            [
                CustomerRef(c.id, " · ".join(p for p in (row_name(c), c.company, c.city) if p))
                for c in candidates[:20]
            ],
        )
    return candidates[0].id


def get_profile(
    db: Database, customer_id: int, as_of: date, *, history: int = 200
) -> CustomerProfile:
    """Everything shown on a profile, as plain data."""
    row = customer_row(customer_id)
    category = Category.get_or_none(Category.id == row.category_id) if row.category_id else None
    referrer = None
    if row.referred_by_id:
        ref = Customer.get_or_none(Customer.id == row.referred_by_id)
        if ref is not None:
            referrer = CustomerRef(ref.id, row_name(ref))
    referred = Customer.select(
        Customer.id, Customer.first_name, Customer.last_name, Customer.company
    ).where((Customer.referred_by == customer_id) & Customer.deleted_at.is_null())
    # By name as SQLite sorts text (by code point, whatever the server's collation), in the
    # order of their ids where the names are the same.
    referrals = tuple(
        CustomerRef(r.id, row_name(r))
        for r in sorted(referred.order_by(Customer.id), key=lambda r: (r.last_name, r.first_name))
    )
    names = {}
    interactions = list(
        Interaction.select()
        .where(Interaction.customer == customer_id)
        .order_by(Interaction.at.desc(), Interaction.id.desc())
        .limit(history)
    )
    regarding_ids = {i.regarding_id for i in interactions if i.regarding_id}
    if regarding_ids:
        for r in Customer.select().where(Customer.id.in_(regarding_ids)):
            names[r.id] = row_name(r)
    return CustomerProfile(
        id=row.id,
        version=row.version,
        **{name: getattr(row, name) for name in _PROFILE_AS_STORED},
        category=category.name if category else "",
        plan=plan_text(plan_for(db, category.id if category else None)),
        email_opt_out=bool(row.email_opt_out),
        email_opt_out_at=row.email_opt_out_at,
        created_at=row.created_at,
        updated_at=row.updated_at,
        deleted_at=row.deleted_at,
        last_contact=row.last_contact_at,
        next_follow_up=row.next_follow_up,
        purchase_count=row.purchase_count,
        last_purchase_on=row.last_purchase_on,
        lapse=lapse_of(db, customer_id, as_of) or "",
        emails=tuple(
            Labelled(e.label, e.address)
            for e in CustomerEmail.select()
            .where(CustomerEmail.customer == customer_id)
            .order_by(CustomerEmail.position)
        ),
        phones=tuple(
            PhoneView(
                p.label,
                phone_text(p.shown if p.verified else p.number, p.extension),
                p.number,
                bool(p.verified),
                p.extension,
            )
            for p in CustomerPhone.select()
            .where(CustomerPhone.customer == customer_id)
            .order_by(CustomerPhone.position)
        ),
        tags=tuple(_tags_of(customer_id)),
        referred_by=referrer,
        referrals=referrals,
        value=customer_value(db, customer_id, as_of),
        interactions=tuple(
            InteractionView(
                i.id,
                i.kind,
                i.at,
                i.notes,
                i.outcome,
                i.follow_up,
                i.logged_by,
                CustomerRef(i.regarding_id, names.get(i.regarding_id, "?"))
                if i.regarding_id
                else None,
                i.version,
                i.follow_up_time,
            )
            for i in interactions
        ),
        purchases=tuple(
            PurchaseView(
                p.id,
                p.day,
                p.cents,
                p.currency,
                p.description,
                p.category,
                p.invoice_ref,
                p.version,
            )
            for p in Purchase.select()
            .where(Purchase.customer == customer_id)
            .order_by(Purchase.day.desc(), Purchase.id.desc())
            .limit(history)
        ),
        changes=tuple(
            ChangeView(c.at, c.who, c.field, c.old, c.new)
            for c in CustomerChange.select()
            .where(CustomerChange.customer == customer_id)
            .order_by(CustomerChange.at.desc(), CustomerChange.id.desc())
            .limit(history)
        ),
    )


def category_names(db: Database) -> list[str]:
    # Sorted here, by code point as SQLite sorts text: a server's collation may differ.
    return sorted(c.name for c in Category.select(Category.name))


def known_sources(db: Database) -> list[str]:
    """Acquisition sources in use by live customers: the list grows as people type new ones."""
    query = (
        Customer.select(Customer.source)
        .where(Customer.deleted_at.is_null(), Customer.source != "")
        .distinct()
    )
    return sorted(row.source for row in query)  # by code point, as SQLite sorts text
