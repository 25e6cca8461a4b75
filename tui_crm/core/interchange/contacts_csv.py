"""Customers from CSV files of any layout (ours, Google Contacts, Outlook, LinkedIn, any
spreadsheet with sensible headers) and our own CSV export, which reads back without loss."""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TextIO

from tui_crm.core.interchange.records import CustomerRecord, FileRejected, Parsed, SourceRow
from tui_crm.core.interchange.text import file_date
from tui_crm.errors import CrmError

FIELDS = (
    "id",
    "uid",
    "first_name",
    "last_name",
    "nickname",
    "company",
    "job_title",
    "gender",
    "birthday",
    "street",
    "postal_code",
    "city",
    "region",
    "country",
    "emails",
    "phones",
    "tags",
    "source",
    "acquired_on",
    "referred_by",
    "why_chose_us",
    "category",
    "owner",
    "territory",
    "status",
    "lost_reason",
    "lost_on",
    "email_opt_out",
    "notes",
)
MAP_TARGETS = (
    *(name for name in FIELDS if name != "id"),
    "email",
    "work_email",
    "home_email",
    "phone",
    "mobile",
    "work_phone",
    "home_phone",
    "ignore",
)
DATE_FIELDS = ("birthday", "acquired_on", "lost_on")
ADDRESS_PARTS = ("street", "postal_code", "city", "region", "country")
HEADER_SEARCH = 10  # records looked at for the header (LinkedIn puts notes before it)
_SYSTEM_GROUPS = {"mycontacts", "starred", "friends_and_family_system"}


def fold(text: str) -> str:
    """A header cell for matching: case, accents, spaces and punctuation dropped."""
    text = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in text if ch.isalnum() and not unicodedata.combining(ch))


def _words(table: dict[str, str]) -> dict[str, str]:
    return {fold(word): target for words, target in table.items() for word in words.split("|")}


# Header (folded) -> role. A role is a field name, or "email:LABEL", "phone:LABEL",
# "note:Label" (a notes line), "middle_name", "full_name", "skip" (data we do not keep).
SYNONYMS = _words(
    {
        "first name|first|given name|forename|vorname|prénom|prenom|fornavn|förnamn": (
            "first_name"
        ),
        "last name|last|surname|family name|nachname|nom|nom de famille|etternavn|efternamn": (
            "last_name"
        ),
        "middle name|additional name|weitere vornamen|deuxième prénom": "middle_name",
        "name|full name|display name|contact name|contact|e-mail display name": "full_name",
        "nickname|nick name|spitzname|surnom": "nickname",
        "company|company name|organization|organisation|organization name|"
        "organization 1 - name|firma|société|societe|employer|business|account name": "company",
        "job title|jobtitle|position|role|organization title|organization 1 - title|"
        "fonction|berufsbezeichnung|title": "job_title",
        "gender|sex|geschlecht|sexe": "gender",
        "birthday|date of birth|dob|birth date|birthdate|geburtstag|anniversaire|bday": (
            "birthday"
        ),
        "street|address|street address|address line 1|address 1|addr|straße|strasse|rue|"
        "adresse|mailing street": "street",
        "address line 2|address 2|street 2": "street2",
        "zip|zip code|zipcode|postcode|post code|postal code|plz|postleitzahl|code postal|"
        "mailing zip": "postal_code",
        "city|town|ort|ville|stadt|mailing city": "city",
        "state|region|province|county|bundesland|state/province|mailing state": "region",
        "country|land|pays|country/region|land/region|pays/région|mailing country": "country",
        "notes|note|comments|comment|notizen|remarks|bemerkungen": "notes",
        "tags|tag|labels|categories|category list|groups|group membership|kategorien|"
        "catégories": "tags",
        "source|lead source|origin|quelle|herkunft": "source",
        "uid|external id|external_id|contact id|crm id|record id": "uid",
        "acquired on|customer since|connected on|first contact": "acquired_on",
        "why chose us|why they chose us": "why_chose_us",
        "owner|account owner|sales rep|rep": "owner",
        "territory|sales territory": "territory",
        "status": "status",
        "lost reason|deal breaker": "lost_reason",
        "lost on": "lost_on",
        "email opt out|opt out|unsubscribed|do not email|email optout": "email_opt_out",
        "email|e-mail|email address|e-mail address|mail|e-mail 1|email 1|e-mail-adresse|"
        "adresse de messagerie|epost": "email:work",
        "work email|business email|e-mail 2 address|e-mail 2: adresse|"
        "adresse de messagerie 2": "email:work",
        "home email|personal email|private email|e-mail 3 address|e-mail 3: adresse|"
        "adresse de messagerie 3": "email:home",
        "other email|email 2|email 3|e-mail 2|e-mail 3": "email:other",
        "phone|telephone|tel|phone number|telefon|téléphone|telefonnummer": "phone:mobile",
        "mobile|mobile phone|cell|cell phone|cellphone|mobile number|handy|mobiltelefon|"
        "tél. mobile|tel mobile|téléphone mobile|portable|mobil": "phone:mobile",
        "work phone|business phone|business phone 2|office phone|company main phone|"
        "telefon geschäftlich|telefon geschäftlich 2|tél. bureau|téléphone bureau|"
        "téléphone (bureau)|tel bureau|direct phone": "phone:work",
        "home phone|home phone 2|private phone|telefon privat|telefon privat 2|"
        "tél. domicile|téléphone domicile|téléphone (domicile)": "phone:home",
        "other phone|primary phone|weiteres telefon|autre téléphone|"
        "haupttelefon|téléphone principal": "phone:other",
        "business fax|home fax|other fax|fax|fax geschäftlich|fax privat|télécopie bureau|"
        "pager|car phone|radio phone|telex|tty/tdd phone|callback|isdn|assistant's phone": ("skip"),
        "department|organization department|organization 1 - department|abteilung|"
        "service": "note:Department",
        "web page|website|url|webseite|page web|personal web page|website 1 - value": (
            "note:Website"
        ),
        "referred by|empfohlen von": "note:Referred by",
        "suffix|prefix|name prefix|name suffix|anrede|civilité|initials": "skip",
    }
)
OUR_NAMES = {fold(name): name for name in FIELDS}
_GOOGLE_GROUP = re.compile(
    r"^(e-mail|phone|address|website|relation|event|im|custom field|organization) (\d+) - (.+)$",
    re.IGNORECASE,
)
_ADDRESS_PART = {
    **dict.fromkeys(("street", "street 2", "street 3", "extended address", "po box"), "street"),
    **dict.fromkeys(("postal code", "zip"), "postal_code"),
    "city": "city",
    **dict.fromkeys(("region", "state"), "region"),
    **dict.fromkeys(("country", "country/region"), "country"),
    "formatted": "formatted",
}
# Outlook's address columns in English, German and French: (kind word, part word).
_OUTLOOK_ADDRESS = [
    (
        re.compile(
            r"^(business|home|other) (street(?: \d)?|city|state|postal code|"
            r"country/region|country|po box|address po box)$",
            re.I,
        ),
        1,
        2,
    ),
    (
        re.compile(
            r"^(straße|strasse|ort|postleitzahl|bundesland/kanton|region|land/region|"
            r"postfach) (geschäftlich|privat|weitere)( \d)?$",
            re.I,
        ),
        2,
        1,
    ),
    (
        re.compile(
            r"^(rue|ville|code postal|dép/région|pays/région|b\.p\.) "
            r"\((bureau|domicile|autre)\)( \d)?$",
            re.I,
        ),
        2,
        1,
    ),
]
_KIND = {
    "business": "work", "geschäftlich": "work", "bureau": "work",
    "home": "home", "privat": "home", "domicile": "home",
    "other": "other", "weitere": "other", "autre": "other",
}  # fmt: skip
_PART = {
    "street": "street", "straße": "street", "strasse": "street", "rue": "street",
    "po box": "street", "address po box": "street", "postfach": "street", "b.p.": "street",
    "city": "city", "ort": "city", "ville": "city",
    "state": "region", "bundesland/kanton": "region", "region": "region", "dép/région": "region",
    "postal code": "postal_code", "postleitzahl": "postal_code", "code postal": "postal_code",
    "country/region": "country", "country": "country", "land/region": "country",
    "pays/région": "country",
}  # fmt: skip
KIND_ORDER = {"work": 0, "": 1, "home": 2, "other": 3}


@dataclass
class _Layout:
    """What each column of a header holds."""

    name: str
    header: list[str]
    roles: dict[int, str] = field(default_factory=dict)  # column -> role
    # Google "E-mail 1 - Label"/"- Value" pairs: (kind, number) -> {"label": col, "value": col}
    groups: dict[tuple[str, str], dict[str, int]] = field(default_factory=dict)
    # Address columns: (kind, number) -> {part: [columns]}
    addresses: dict[tuple[str, str], dict[str, list[int]]] = field(default_factory=dict)

    def usable(self) -> bool:
        held = set(self.roles.values()) | {kind for kind, _ in self.groups}
        wanted = {"first_name", "last_name", "company", "full_name"}
        return bool(held & wanted) or any(r.startswith("email") for r in held) or "e-mail" in held


def _outlook_address(cell: str) -> tuple[str, str, str] | None:
    text = " ".join(cell.split())
    for pattern, kind_at, part_at in _OUTLOOK_ADDRESS:
        match = pattern.match(text)
        if match:
            kind = _KIND.get(match.group(kind_at).lower(), "other")
            number = (
                (match.group(3) or "").strip() if match.lastindex and match.lastindex >= 3 else ""
            )
            part = _PART.get(match.group(part_at).lower().rsplit(" ", 1)[0])
            part = part or _PART.get(re.sub(r" \d$", "", match.group(part_at).lower()))
            return kind, number, part or "street"
    return None


def _layout_name(keys: set[str]) -> str:
    if {"uid", "firstname", "emails", "phones"} <= keys:
        return "tui-crm"
    if "connectedon" in keys and ("position" in keys or "url" in keys):
        return "LinkedIn"
    if "givenname" in keys and ("familyname" in keys or "groupmembership" in keys):
        return "Google Contacts (legacy)"
    if "organizationname" in keys or "email1label" in keys or "phone1label" in keys:
        return "Google Contacts"
    outlook = {"emailaddress", "businessstreet", "mobilephone", "jobtitle", "businessphone"}
    german = {"emailadresse", "vorname", "nachname", "mobiltelefon", "strassegeschaftlich"}
    french = {"adressedemessagerie", "prenom", "telmobile", "ruebureau"}
    if len(keys & outlook) >= 3 or len(keys & german) >= 3 or len(keys & french) >= 3:
        return "Outlook"
    return "CSV"


def _read_layout(header: list[str], mapping: Mapping[str, str] | None) -> _Layout:
    keys = {fold(cell) for cell in header}
    layout = _Layout(_layout_name(keys), header)
    ours = layout.name == "tui-crm"
    for index, cell in enumerate(header):
        key = fold(cell)
        if ours and key in OUR_NAMES:
            name = OUR_NAMES[key]
            layout.roles[index] = "skip-silently" if name == "id" else name
            continue
        group = _GOOGLE_GROUP.match(" ".join(cell.split()))
        if group:
            kind, number, part = group.group(1).lower(), group.group(2), group.group(3).lower()
            if kind == "address":
                part = "label" if part in ("label", "type") else _ADDRESS_PART.get(part, "skip")
                if part != "skip":
                    spot = layout.addresses.setdefault(("address", number), {})
                    spot.setdefault(part, []).append(index)
                    continue
            elif kind in ("e-mail", "phone", "website") and part in ("label", "type", "value"):
                spot = layout.groups.setdefault((kind, number), {})
                spot["label" if part in ("label", "type") else "value"] = index
                continue
            elif kind == "organization" and part in ("name", "title", "department"):
                layout.roles[index] = {"name": "company", "title": "job_title"}.get(
                    part, "note:Department"
                )
                continue
            layout.roles[index] = "skip"
            continue
        address = _outlook_address(cell)
        if address:
            kind, number, part = address
            spot = layout.addresses.setdefault((kind, number), {})
            spot.setdefault(part, []).append(index)
            continue
        role = SYNONYMS.get(key)
        if layout.name == "Outlook" and key in ("title", "titel", "titre"):
            role = "skip"  # an honorific (Mr., Dr.), not the job title
        if role == "email:work" and any(layout.roles.get(i) == "email:work" for i in layout.roles):
            role = "email:other"
        if key in OUR_NAMES and role is None:
            role = OUR_NAMES[key]
        if role:
            layout.roles[index] = role
    if "uid" not in layout.roles.values() and not ours:
        for index, cell in enumerate(header):
            if fold(cell) == "id" and index not in layout.roles:
                layout.roles[index] = "uid"
    _apply_mapping(layout, mapping or {})
    return layout


_MAP_ROLE = {
    "email": "email:work",
    "work_email": "email:work",
    "home_email": "email:home",
    "phone": "phone:mobile",
    "mobile": "phone:mobile",
    "work_phone": "phone:work",
    "home_phone": "phone:home",
    "ignore": "skip-silently",
}


def _apply_mapping(layout: _Layout, mapping: Mapping[str, str]) -> None:
    for column, target in mapping.items():
        where = [
            i
            for i, cell in enumerate(layout.header)
            if cell.strip().casefold() == column.strip().casefold()
        ]
        if not where:
            raise CrmError(
                f"--map: no column '{column}' in the file (columns: {', '.join(layout.header)})"
            )
        if target not in MAP_TARGETS:
            raise CrmError(f"--map: '{target}' is not a field (one of {', '.join(MAP_TARGETS)})")
        for index in where:
            for spot in (*layout.groups.values(), *layout.addresses.values()):
                for part, columns in list(spot.items()):
                    if columns == index or (isinstance(columns, list) and index in columns):
                        del spot[part]
            layout.roles[index] = _MAP_ROLE.get(target, target)


def _records(text: str, delimiter: str) -> Iterable[tuple[int, list[str]]]:
    """(line where the record starts, cells), counting newlines inside quoted cells."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    line = 1
    try:
        for cells in reader:
            yield line, cells
            line = reader.line_num + 1
    except csv.Error:
        raise FileRejected(
            f"ends inside a quoted cell begun on line {line}; the file looks truncated"
        ) from None


def _find_header(text: str, mapping: Mapping[str, str] | None) -> tuple[str, int, _Layout]:
    """The delimiter, the header's record index and its layout."""
    best: tuple[int, str, int, _Layout] | None = None
    first_cells: list[str] = []
    for delimiter in (",", ";", "\t"):
        records = []
        try:  # a truncated file still shows its header; reading it all says it is truncated
            for record in _records(text, delimiter):
                records.append(record)
                if len(records) >= HEADER_SEARCH:
                    break
        except FileRejected:
            pass
        for position, (_, cells) in enumerate(records):
            if len(cells) < 2:
                continue
            first_cells = first_cells or cells
            layout = _read_layout(cells, None)
            if layout.usable():
                score = len(layout.roles) + len(layout.groups) + len(layout.addresses)
                if best is None or score > best[0]:
                    best = (score, delimiter, position, layout)
                break
    if best is None:
        shown = ", ".join(c.strip() for c in first_cells[:8] if c.strip()) or "none"
        raise FileRejected(
            f"no column holds a name, company or email (columns: {shown}); use --map COLUMN=FIELD"
        )
    _, delimiter, position, layout = best
    if mapping:
        layout = _read_layout(layout.header, mapping)
    return delimiter, position, layout


def parse_contacts_csv(text: str, mapping: Mapping[str, str] | None = None) -> Parsed:
    """Customers from a CSV file (text already decoded by text.decode; line endings \\n)."""
    delimiter, position, layout = _find_header(text, mapping)
    rows: list[SourceRow] = []
    used: set[int] = set()
    for index, (line, cells) in enumerate(_records(text, delimiter)):
        if index <= position or not any(cell.strip() for cell in cells):
            continue
        rows.append(_row(layout, line, cells, used))
    kept = {i for i, role in layout.roles.items() if role != "skip"}
    for spot in (*layout.groups.values(), *layout.addresses.values()):
        for columns in spot.values():
            kept.update(columns if isinstance(columns, list) else [columns])
    ignored = sorted({layout.header[i].strip() for i in used - kept if layout.header[i].strip()})
    return Parsed(layout.name, rows, tuple(ignored))


def _cell(cells: list[str], index: int) -> str:
    return cells[index].strip() if index < len(cells) else ""


def _split_multi(value: str) -> list[str]:
    return [part.strip() for part in value.split(" ::: ") if part.strip()]


def _label(word: str, kind: str) -> str:
    word = fold(word.lstrip("* "))
    if kind == "phone":
        if word in ("mobile", "cell", "iphone", "mobil", "handy", "cellular"):
            return "mobile"
        if word in ("work", "business", "office", "main", "workmobile"):
            return "work"
        return "home" if word in ("home", "private", "privat") else "other"
    if word in ("work", "business"):
        return "work"
    return "home" if word in ("home", "personal", "private") else "other"


def _labelled_list(value: str, default: str) -> list[tuple[str, str]]:
    """Our own `work: a@b.com; home: c@d.com` cells (a bare value gets `default`)."""
    out = []
    for part in value.split(";"):
        label, sep, item = part.partition(":")
        if sep and label.strip().isalpha() and not item.startswith("//"):
            out.append((label.strip().lower(), item.strip()))
        elif part.strip():
            out.append((default, part.strip()))
    return out


def _tags(value: str) -> list[str]:
    parts = re.split(r" ::: |[;,]", value)
    tags = []
    for part in parts:
        word = part.strip().lstrip("*").strip()
        if word and fold(word) not in _SYSTEM_GROUPS:
            tags.append(word.lower())
    return tags


def _row(layout: _Layout, line: int, cells: list[str], used: set[int]) -> SourceRow:
    values: dict[str, Any] = {}
    notes: list[str] = []
    emails: list[tuple[int, str, str]] = []  # (order, label, address)
    phones: list[tuple[int, str, str]] = []
    middle = full = ""
    for index, role in layout.roles.items():
        value = _cell(cells, index)
        if not value:
            continue
        used.add(index)
        if role in ("skip", "skip-silently"):
            continue
        if role.startswith(("email:", "phone:")):
            kind, label = role.split(":")
            target = emails if kind == "email" else phones
            for item in re.split(r" ::: |;", value) if kind == "email" else _split_multi(value):
                if item.strip():
                    target.append((len(target), label, item.strip()))
        elif role.startswith("note:"):
            notes.append(f"{role[5:]}: {value}")
        elif role == "middle_name":
            middle = value
        elif role == "full_name":
            full = value
        elif role == "street2":
            values["street"] = (values.get("street", "") + "\n" + value).strip()
        elif role in ("emails", "phones"):
            default = "work" if role == "emails" else "mobile"
            target = emails if role == "emails" else phones
            for label, item in _labelled_list(value, default):
                target.append((len(target), label, item))
        elif role == "tags":
            tags = values.get("tags", [])
            tags += [tag for tag in _tags(value) if tag not in tags]
            if tags:
                values["tags"] = tags
        elif role == "street" and "street" in values:
            values["street"] += "\n" + value
        elif role not in values:
            values[role] = value
    for (kind, _), spot in layout.groups.items():
        if "value" not in spot:
            continue
        value = _cell(cells, spot["value"])
        if not value:
            continue
        used.add(spot["value"])
        label_text = _cell(cells, spot["label"]) if "label" in spot else ""
        items = _split_multi(value)
        if kind == "website":
            notes.extend(f"Website: {item}" for item in items)
            continue
        target = emails if kind == "e-mail" else phones
        primary = label_text.startswith("*")
        labels = [part.strip() for part in label_text.split(":::")] or [""]
        for n, item in enumerate(items):
            label = _label(labels[min(n, len(labels) - 1)], "phone" if kind == "phone" else "email")
            target.append((-1 if primary and n == 0 else len(target), label, item))
    _addresses(layout, cells, values, notes, used)
    _names(values, middle, full)
    if emails:
        values["emails"] = [(label, item) for _, label, item in sorted(emails, key=lambda e: e[0])]
    if phones:
        values["phones"] = [(label, item) for _, label, item in sorted(phones, key=lambda p: p[0])]
    error = _dates(values, notes)
    if layout.name == "LinkedIn":
        values.setdefault("source", "LinkedIn")
        notes = [n.replace("Website: ", "LinkedIn: ", 1) for n in notes]
    if values.get("gender", "").casefold() in (
        "unspecified",
        "unknown",
        "nicht angegeben",
        "non spécifié",
    ):
        del values["gender"]
    if notes:
        values["notes"] = "\n".join([values["notes"], *notes] if values.get("notes") else notes)
    return SourceRow(line, values, error)


def _names(values: dict[str, Any], middle: str, full: str) -> None:
    """A middle name joins the first name; a lone full name is split (last word = last name)."""
    if middle and values.get("first_name"):
        values["first_name"] = f"{values['first_name']} {middle}"
    named = values.get("first_name") or values.get("last_name")
    if full and not named and full != values.get("company"):
        first, _, last = full.rpartition(" ")
        values.update({"first_name": first, "last_name": last} if first else {"last_name": last})


def _addresses(
    layout: _Layout, cells: list[str], values: dict[str, Any], notes: list[str], used: set[int]
) -> None:
    filled = []
    for (kind, number), spot in layout.addresses.items():
        parts: dict[str, str] = {}
        for part, columns in spot.items():
            if part == "label":
                continue
            texts = [_cell(cells, c) for c in columns]
            used.update(c for c in columns if _cell(cells, c))
            joined = "\n".join(t for t in texts if t)
            if joined:
                parts[part] = joined
        if not parts:
            continue
        label = kind
        if "label" in spot:
            label = _label(_cell(cells, spot["label"][0]), "email")
            label = {"other": ""}.get(label, label) if kind == "address" else label
        if set(parts) == {"formatted"}:
            parts = {"street": parts["formatted"]}
        parts.pop("formatted", None)
        filled.append((KIND_ORDER.get(label, 3), int(number or 0), label, parts))
    if any(values.get(part) for part in ADDRESS_PARTS):
        first_taken = True
    else:
        first_taken = False
    for n, (_, _, label, parts) in enumerate(sorted(filled, key=lambda f: f[:2])):
        if n == 0 and not first_taken:
            values.update(parts)
            continue
        place = " ".join(p for p in (parts.get("postal_code"), parts.get("city")) if p)
        text = ", ".join(
            p
            for p in (
                parts.get("street", "").replace("\n", ", "),
                place,
                parts.get("region"),
                parts.get("country"),
            )
            if p
        )
        notes.append(f"Address ({label or 'other'}): {text}")


def _dates(values: dict[str, Any], notes: list[str]) -> str | None:
    for name in DATE_FIELDS:
        if name not in values:
            continue
        raw = values[name]
        try:
            day = file_date(raw)
        except CrmError as err:
            if name == "birthday" and "has no year" in str(err):
                notes.append(f"Birthday: {raw}")
                del values[name]
                continue
            return f"{name.replace('_', ' ')}: {err}"
        if day is None:
            del values[name]
        else:
            values[name] = day
    return None


def is_purchases_header(text: str) -> bool:
    """Whether the file's first line looks like a purchases file (date, amount, customer key,
    and no person's name): used to pick the format automatically."""
    from tui_crm.core.interchange.purchases import looks_like_purchases

    first = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first.count)
    header = next(csv.reader([first], delimiter=delimiter), [])
    return looks_like_purchases(header)


def _list_cell(items) -> str:
    return "; ".join(f"{item.label}: {item.value}" for item in items)


def record_row(record: CustomerRecord) -> list[str]:
    """One customer as the cells of our own layout (FIELDS order)."""
    cells = []
    for name in FIELDS:
        value = getattr(record, name)
        if name in ("emails", "phones"):
            cells.append(_list_cell(value))
        elif name == "tags":
            cells.append("; ".join(value))
        elif name == "email_opt_out":
            cells.append("yes" if value else "")
        elif value is None:
            cells.append("")
        elif hasattr(value, "isoformat"):
            cells.append(value.isoformat())
        else:
            cells.append(str(value))
    return cells


def write_contacts_csv(records: Iterable[CustomerRecord], out: TextIO) -> int:
    """Our own layout: one header row (FIELDS), one row per record; return how many rows."""
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(FIELDS)
    count = 0
    for record in records:
        writer.writerow(record_row(record))
        count += 1
    return count
