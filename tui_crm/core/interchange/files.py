"""Whole files in and out: recognise an import file's format, read it, load it; write an
export of the customers a query finds in the format asked for."""

from __future__ import annotations

import csv
import json
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any, TextIO

from peewee import Database

from tui_crm.core.config import settings
from tui_crm.core.interchange.abook import looks_like_abook, parse_abook_csv
from tui_crm.core.interchange.contacts_csv import (
    DELIMITERS,
    names_someone,
    read_contacts_csv,
    write_contacts_csv,
)
from tui_crm.core.interchange.export import Written, customer_records, write_emails, write_labels
from tui_crm.core.interchange.load import load_rows
from tui_crm.core.interchange.purchases import header_columns, load_purchases
from tui_crm.core.interchange.records import FileRejected, RowStream
from tui_crm.core.interchange.report import ImportReport, Progress, no_progress
from tui_crm.core.interchange.text import decode, read_bytes
from tui_crm.core.interchange.vcard import read_vcards, write_vcards
from tui_crm.db.meta import meta_value, set_meta
from tui_crm.errors import CrmError
from tui_crm.whole_files import replacing, write_target

IMPORT_FORMATS = ("auto", "csv", "vcard", "purchases")
EXPORT_FORMATS = ("csv", "vcard", "labels", "emails")
EXPORT_PREFIX = ".tui-crm-export-"  # our temporary files beside an export target
EXPORT_SUFFIX = {"csv": ".csv", "vcard": ".vcf", "labels": ".txt", "emails": ".txt"}


def mapping_pair(text: str) -> tuple[str, str]:
    """`COLUMN=FIELD` (one --map) as its two stripped parts."""
    column, sep, field = text.partition("=")
    if not sep or not column.strip() or not field.strip():
        raise CrmError(f"'{text.strip()}' is not COLUMN=FIELD")
    return column.strip(), field.strip()


_LAST_IMPORT = "last_import"  # the meta key


def remember_import(db: Database, choices: Mapping[str, str]) -> None:
    """Keep what the last import was asked (file, format, column map, as typed) in the book,
    so the Import screen can offer it again: a weekly export comes back under the same name."""
    set_meta(db, _LAST_IMPORT, json.dumps(dict(choices)))


def last_import(db: Database) -> dict[str, str]:
    """What `remember_import` kept ({} when nothing, or something unreadable, is there)."""
    try:
        kept = json.loads(meta_value(db, _LAST_IMPORT) or "{}")
    except ValueError:
        return {}
    if not isinstance(kept, dict):
        return {}
    return {str(key): str(value) for key, value in kept.items()}


_VCARD_START = "BEGIN:VCARD"


def _is_vcard(text: str) -> bool:
    # Only the start is upper-cased: str.upper() of a whole file works in a buffer of twelve
    # bytes a character (200 MB for 17 MB of text). Upper-casing never shortens a character,
    # so the first characters of the upper-cased text come from as many of the text.
    start = 0
    while start < len(text) and text[start].isspace():
        start += 1
    return text[start : start + len(_VCARD_START)].upper().startswith(_VCARD_START)


def _first_line(text: str) -> str:
    """The first line of text (after byte-order marks) that is not blank; "" when none is."""
    start = 0
    while start < len(text) and text[start] == "\ufeff":
        start += 1
    while start <= len(text):
        end = text.find("\n", start)
        end = len(text) if end < 0 else end
        if text[start:end].strip():
            return text[start:end]
        start = end + 1
    return ""


def is_purchases_header(text: str) -> bool:
    """Whether the file's first line reads as a purchases header: a date and an amount
    column, and no column for a person's or company's name."""
    first = _first_line(text)
    try:
        header = next(csv.reader([first], delimiter=max(DELIMITERS, key=first.count)), [])
    except csv.Error:
        return False
    columns = set(header_columns(header).values())
    return {"day", "amount"} <= columns and not names_someone(header)


def detect_format(text: str, path: Path) -> str:
    """csv, vcard or purchases, from what the file holds (the name only breaks no ties)."""
    if _is_vcard(text):
        return "vcard"
    if path.suffix.lower() in (".vcf", ".vcard"):
        raise FileRejected(
            f"{path.name}: is named like a vCard file but does not start with BEGIN:VCARD"
        )
    return "purchases" if is_purchases_header(text) else "csv"


def region_code(text: str) -> str:
    """A country code for phone numbers written without +CC (DE, gb), upper-cased; CrmError
    in one line for anything phonenumbers does not know as a region."""
    import phonenumbers

    code = text.strip().upper()
    if code not in phonenumbers.SUPPORTED_REGIONS:
        shown = " ".join(text.split())[:20]
        raise CrmError(f"'{shown}' is not a country code such as DE, GB or US")
    return code


def import_file(db: Database, path: str | Path, **options: Any) -> ImportReport:
    """Import one file. A file that cannot be read as the format raises FileRejected (one
    line) and changes nothing; bad rows are reported, not raised. `options` are
    `import_data`'s: format, mapping, dry_run, strict, no_header, who, now, progress and
    region (where phone numbers without +CC are read; default: the settings' region)."""
    _check_choices(
        options.get("format", "auto"), options.get("mapping"), options.get("no_header", False)
    )
    file = Path(path)
    # Handed over in a list, the only reference to the bytes: they are let go once decoded.
    return _import_bytes(db, [read_bytes(file)], name=str(file), **options)


STDIN_NAME = "stdin"  # what the report calls a file read from standard input


def import_data(
    db: Database,
    data: bytes,
    *,
    name: str = STDIN_NAME,
    format: str = "auto",
    mapping: Mapping[str, str] | None = None,
    dry_run: bool = False,
    strict: bool = False,
    no_header: bool = False,
    who: str | None = None,
    now: datetime | None = None,
    progress: Progress = no_progress,
    region: str | None = None,
) -> ImportReport:
    """Import the bytes of a file (`tui-crm import -` reads them from stdin); `name` stands
    for the file in the report and its errors. See `import_file`."""
    return _import_bytes(
        db,
        [data],
        name=name,
        format=format,
        mapping=mapping,
        dry_run=dry_run,
        strict=strict,
        no_header=no_header,
        who=who,
        now=now,
        progress=progress,
        region=region,
    )


def _import_bytes(
    db: Database,
    held: list[bytes],
    *,
    name: str = STDIN_NAME,
    format: str = "auto",
    mapping: Mapping[str, str] | None = None,
    dry_run: bool = False,
    strict: bool = False,
    no_header: bool = False,
    who: str | None = None,
    now: datetime | None = None,
    progress: Progress = no_progress,
    region: str | None = None,
) -> ImportReport:
    """import_data for the bytes in `held`, taken out of it to be decoded."""
    _check_choices(format, mapping, no_header)
    # No name holds the text here: _import_text lets go of it once the rows are read.
    return _import_text(
        db,
        decode(held.pop(), name),
        Path(name),
        format=format,
        mapping=mapping,
        no_header=no_header,
        options=dict(dry_run=dry_run, strict=strict, now=now, progress=progress),
        who=who,
        region=region,
    )


def _check_choices(format: str, mapping: Mapping[str, str] | None, no_header: bool) -> None:
    if format not in IMPORT_FORMATS:
        raise CrmError(f"unknown format '{format}' (one of {', '.join(IMPORT_FORMATS)})")
    if no_header and format not in ("auto", "csv"):
        raise CrmError("--no-header reads abook's contacts CSV, not a vCard or purchases file")
    if no_header and mapping:
        raise CrmError("--map names a file's header columns; a file read with --no-header has none")


def _import_text(
    db: Database,
    text: str,
    file: Path,
    *,
    format: str,
    mapping: Mapping[str, str] | None,
    no_header: bool,
    options: dict,
    who: str | None,
    region: str | None = None,
) -> ImportReport:
    if no_header:
        kind = "csv"
    else:
        kind = detect_format(text, file) if format == "auto" else format
    options = dict(source=file.name, **options)
    try:
        if kind == "purchases":
            return load_purchases(db, text, mapping=mapping, **options)
        if kind == "vcard":
            if mapping:
                raise CrmError("--map applies to CSV files, not vCards")
            if not _is_vcard(text):
                raise FileRejected("does not start with BEGIN:VCARD: not a vCard file")
            rows = read_vcards(text)
        else:
            if _is_vcard(text):
                raise FileRejected("is a vCard file, not CSV (use --format vcard or auto)")
            rows = _read_csv(text, mapping, no_header)
    except FileRejected as err:
        message = str(err)
        raise FileRejected(
            message if message.startswith(file.name) else f"{file.name}: {message}"
        ) from None
    del text  # the rows' reader holds it until it is done with it
    return load_rows(db, rows, who=who, region=region, **options)


def _read_csv(text: str, mapping: Mapping[str, str] | None, no_header: bool) -> RowStream:
    """A contacts CSV; abook's header-less one when asked (--no-header), or when no header
    is found and the rows have abook's shape."""
    if no_header:
        return RowStream.of(parse_abook_csv(text))
    try:
        return read_contacts_csv(text, mapping)
    except FileRejected:
        if not mapping and looks_like_abook(text):
            return RowStream.of(parse_abook_csv(text))
        raise


def export_customers(
    db: Database,
    query: str | Sequence[int],
    format: str,
    out: TextIO,
    *,
    as_of: date | None = None,
) -> Written:
    """Write the customers `query` finds (everyone for an empty query), in result order; or
    the customers of a list of ids (marked in the app), those not in the trash."""
    from tui_crm.core.bulk_actions import target_ids

    if format not in EXPORT_FORMATS:
        raise CrmError(f"unknown format '{format}' (one of {', '.join(EXPORT_FORMATS)})")
    ids = target_ids(db, query, as_of or date.today())
    records = customer_records(db, ids)
    if format == "csv":
        return Written(write_contacts_csv(records, out))
    if format == "vcard":
        return Written(write_vcards(records, out))
    if format == "labels":
        return write_labels(records, out, settings().region)
    return write_emails(records, out)


def export_to_file(
    db: Database,
    query: str | Sequence[int],
    format: str,
    target: str | Path,
    *,
    as_of: date | None = None,
    hint: str = "give a file name",
) -> Written:
    """Write an export to `target`, all or nothing: it is written to a private temporary file
    beside the target (`.tui-crm-export-….part`, mode 0600) and renamed over it at the end, so a
    failed or killed export leaves no half-written file, and the next export removes what a
    killed one left. A folder, a device or a pipe is refused, never replaced; a symbolic link is
    written through to its target. A CSV file starts with a byte-order mark, so spreadsheet
    programs read its UTF-8 (Müller, not MÃ¼ller)."""
    file = write_target(target, hint=hint)  # `hint`: what to give instead of a folder or device
    encoding = "utf-8-sig" if format == "csv" else "utf-8"
    try:
        with (
            replacing(file, prefix=EXPORT_PREFIX, suffix=".part") as part,
            part.open("w", encoding=encoding, newline="") as out,
        ):
            written = export_customers(db, query, format, out, as_of=as_of)
    except OSError as err:
        raise CrmError(f"{target}: cannot be written ({err.strerror or err})") from None
    return written
