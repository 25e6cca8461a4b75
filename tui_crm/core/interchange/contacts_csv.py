"""Customers from CSV files of any common layout, and our own CSV layout, which reads back unchanged."""

from __future__ import annotations

import csv
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import date
from operator import itemgetter
from typing import Any, NamedTuple, TextIO

from tui_crm.core.customer_fields import CSV_COLUMNS, HEADER_WORDS
from tui_crm.core.customers import DATE_FIELDS, MULTILINE_FIELDS
from tui_crm.core.display import spreadsheet_cell
from tui_crm.core.fields import clean_name_parts, split_person_name
from tui_crm.core.interchange.records import (
    CustomerRecord,
    FileRejected,
    Parsed,
    RowStream,
    SourceRow,
    address_line,
)
from tui_crm.core.interchange.rows import SETTLE_EVERY, settled_objects
from tui_crm.core.interchange.text import csv_records, date_part, file_date
from tui_crm.errors import CrmError

FIELDS: tuple[str, ...] = CSV_COLUMNS  # our own layout's header
MAP_TARGETS: tuple[str, ...] = (
    *(name for name in FIELDS if name != "id"),
    "name",  # a whole name, "Ada Lovelace" or "Lovelace, Ada", split as a Name column is
    "email",
    "work_email",
    "home_email",
    "phone",
    "mobile",
    "work_phone",
    "home_phone",
    "ignore",
)

DELIMITERS = (",", ";", "\t")
HEADER_SEARCH = 10  # records looked at for the header (LinkedIn writes notes above it)
ADDRESS_PARTS = ("street", "postal_code", "city", "region", "country")
MULTILINE = frozenset(MULTILINE_FIELDS)
NAMED_ROLES = frozenset({"first_name", "last_name", "full_name", "company"})


# --- Header vocabulary --------------------------------------------------------------------


def words(text: str) -> list[str]:
    """Lower-case words of a header or label, accents dropped ("E-Mail-Adresse" -> email adresse)."""
    plain = unicodedata.normalize("NFKD", text.casefold().replace("e-mail", "email"))
    plain = "".join(ch for ch in plain if not unicodedata.combining(ch))
    return re.findall(r"[^\W_]+", plain)


def fold(text: str) -> str:
    """A header cell for matching: case, accents, spaces and punctuation dropped."""
    return "".join(words(text))


def _table(groups: Mapping[str, str]) -> dict[str, str]:
    """{value: "word|other words"} -> {folded word: value}."""
    return {fold(word): value for value, choices in groups.items() for word in choices.split("|")}


def _wordset(choices: str) -> frozenset[str]:
    return frozenset(fold(word) for word in choices.split("|"))


# Whole header cells (folded) -> role: a field name, "email:LABEL", "phone:LABEL",
# "note:Label" (a line in notes), "middle_name", "full_name", or "skip" (mechanical
# columns that repeat what other columns hold, dropped without mention).
SYNONYMS = _table(
    {
        **HEADER_WORDS,  # each field's own words (customer_fields.py)
        "middle_name": "middle name|additional name|weitere vornamen|zweiter vorname|"
        "deuxième prénom",
        "full_name": "name|full name|display name|contact name|contact|nom complet",
        "phone:other": "haupttelefon",
        "note:Department": "department|organization department|abteilung",
        "note:Website": "web page|website|homepage|url|webseite|page web|site web",
        "note:LinkedIn": "linkedin|linkedin url|linkedin profile",
        "note:Referred by": "referred by|empfohlen von|recommandé par",
        "skip": "priority|sensitivity|private|priorität|vertraulichkeit|privat|priorité|"
        "critère de diffusion|privé|e-mail type|e-mail 2 type|e-mail 3 type|"
        "e-mail display name|e-mail 2 display name|e-mail 3 display name|e-mail-typ|"
        "e-mail 2: typ|e-mail 3: typ|e-mail: angezeigter name|e-mail 2: angezeigter name|"
        "e-mail 3: angezeigter name|type de messagerie|type de messagerie 2|"
        "type de messagerie 3|nom complet de l'adresse de messagerie|"
        "nom complet de l'adresse de messagerie 2|nom complet de l'adresse de messagerie 3",
    }
)
# Per layout, header cells that mean something else there.
LAYOUT_SYNONYMS = {
    "tui-crm": {fold(name): ("skip" if name == "id" else name) for name in FIELDS},
    "LinkedIn": {"url": "note:LinkedIn"},
    "Outlook": {"service": "note:Department"},
}
# Any other file: our own field names mean our fields ("Referred By" there is a name: a note).
OWN_NAMES = {fold(name): name for name in FIELDS if name not in ("id", "referred_by")}

# Words of a header ("Business Phone 2") or of a label cell ("* Mobile") for emails and phones.
KIND_WORDS = _table(
    {
        "email": "email|mail|messagerie|courriel|courrier|epost",
        "phone": "phone|telephone|tel|telefon|tlf|telefonnummer|phonenumber|telefono",
    }
)
LABEL_WORDS = _table(
    {
        "mobile": "mobile|mobil|cell|cellphone|cellular|handy|mobiltelefon|portable|natel|iphone",
        "work": "work|business|office|job|geschäftlich|dienstlich|bureau|professionnel|"
        "professionnelle|travail|company|firma|société|arbeit",
        "home": "home|personal|private|privat|domicile|personnel|personnelle|perso",
        "other": "other|weitere|weiteres|weiterer|autre|alternate|alternative|secondary|custom",
        "fax": "fax|telefax|télécopie|pager|radiomessagerie",
    }
)
FILLER_WORDS = _wordset(
    "address|adresse|number|nummer|nr|no|num|numero|de|du|primary|principal|main|value"
)
PHONE_KINDS = ("mobile", "work", "home")
EMAIL_KINDS = ("work", "home")
KIND_ORDER = {"work": 0, "home": 1, "other": 2}  # which address fills the fields first

GENDERS = _table(
    {
        "f": "f|female|woman|w|weiblich|frau|féminin|femme",
        "m": "m|male|man|männlich|mann|masculin|homme",
        "x": "x|other|diverse|divers|d|nonbinary|non-binary|non binaire",
        "": "unspecified|unknown|keine angabe|nicht angegeben|non spécifié|inconnu|n/a|-",
    }
)
YES_NO = {
    **dict.fromkeys(("yes", "y", "true", "1", "x", "ja", "oui"), True),
    **dict.fromkeys(("no", "n", "false", "0", "nein", "non"), False),
}
SYSTEM_GROUPS = frozenset({"mycontacts", "starred"})  # Google's "* myContacts", "* starred"

# What a layout's header holds: (name, cells it must have, cells of which it has `enough`).
LAYOUTS = (
    ("tui-crm", "uid|first_name|emails|phones|email_opt_out", "", 0),
    ("LinkedIn", "connected on", "first name|last name|url|email address|company|position", 3),
    (
        "Google Contacts (legacy)",
        "",
        "given name|additional name|family name|group membership|e-mail 1 - type|"
        "phone 1 - type|organization 1 - name|organization 1 - title",
        3,
    ),
    (
        "Google Contacts",
        "",
        "organization name|organization title|labels|e-mail 1 - label|e-mail 1 - value|"
        "phone 1 - label|phone 1 - value|address 1 - label|file as|phonetic first name",
        3,
    ),
    (
        "Outlook",
        "",
        "e-mail address|e-mail 2 address|e-mail display name|business street|business city|"
        "business phone|business fax|mobile phone|home phone|home street|job title|categories",
        4,
    ),
    (
        "Outlook",
        "",
        "weitere vornamen|anrede|e-mail-adresse|mobiltelefon|straße geschäftlich|"
        "ort geschäftlich|telefon geschäftlich|telefon privat|kategorien|notizen",
        4,
    ),
    (
        "Outlook",
        "",
        "deuxième prénom|adresse de messagerie|tél. mobile|rue (bureau)|ville (bureau)|"
        "téléphone (bureau)|téléphone (domicile)|catégories|anniversaire|société",
        4,
    ),
)
LAYOUT_SIGNS = [
    (name, _wordset(must) - {""}, _wordset(some) - {""}, enough)
    for name, must, some, enough in LAYOUTS
]
FRENCH_OUTLOOK = fold("rue (bureau)")


class Part(NamedTuple):
    """A header cell that is one part of a group: a Google "E-mail 1 - Value", an address line."""

    group: tuple[str, str]  # ("email"|"phone"|"website", number) or ("address", kind or number)
    part: str  # "label", "value", "street", "city", "formatted", ...
    order: int = 0  # street lines: their order in the address


# Google: "E-mail 1 - Label", "Phone 2 - Value", "Address 1 - Street", "Organization 1 - Title".
GOOGLE_GROUP = re.compile(r"^(e-mail|phone|address|website|organization) (\d+) - (.+)$", re.I)
GOOGLE_PARTS = {
    "label": ("label", 0),
    "type": ("label", 0),
    "value": ("value", 0),
    "street": ("street", 1),
    "extended address": ("street", 2),
    "po box": ("street", 3),
    "city": ("city", 0),
    "region": ("region", 0),
    "postal code": ("postal_code", 0),
    "country": ("country", 0),
    "formatted": ("formatted", 0),
}
GOOGLE_ORGANIZATION = {"name": "company", "title": "job_title", "department": "note:Department"}


# Outlook's address columns: (part, order) -> English, German, French header, with {k} for
# the kind word (Business/geschäftlich/bureau, Home/privat/domicile, Other/-/autre).
OUTLOOK_ADDRESS_CELLS = {
    ("street", 1): ("{k} street", "straße {k}", "rue ({k})"),
    ("street", 2): ("{k} street 2", "straße {k} 2", "rue ({k}) 2"),
    ("street", 3): ("{k} street 3", "straße {k} 3", "rue ({k}) 3"),
    ("street", 4): ("{k} address po box", "postfach {k}", ""),
    ("city", 0): ("{k} city", "ort {k}", "ville ({k})"),
    ("region", 0): ("{k} state", "bundesland/kanton {k}|region {k}", "dép/région ({k})"),
    ("postal_code", 0): ("{k} postal code", "postleitzahl {k}", "code postal ({k})"),
    ("country", 0): ("{k} country|{k} country/region", "land/region {k}", "pays/région ({k})"),
    ("formatted", 0): ("{k} address", "", ""),
}
OUTLOOK_KIND_WORDS = {
    "work": ("business", "geschäftlich", "bureau"),
    "home": ("home", "privat", "domicile"),
    "other": ("other", "", "autre"),  # German names its "other" address irregularly:
}
OUTLOOK_IRREGULAR = {
    "weitere straße": ("other", "street", 1),
    "weitere straße 2": ("other", "street", 2),
    "weitere straße 3": ("other", "street", 3),
    "weiteres postfach": ("other", "street", 4),
    "weiterer ort": ("other", "city", 0),
    "weiteres/r bundesland/kanton": ("other", "region", 0),
    "weitere postleitzahl": ("other", "postal_code", 0),
    "weiteres/e land/region": ("other", "country", 0),
    "weiteres/r land/region": ("other", "country", 0),
    "b.p. professionnelle": ("work", "street", 4),
    "boîte postale du domicile": ("home", "street", 4),
    "autre boîte postale": ("other", "street", 4),
}


def _outlook_addresses() -> dict[str, Part]:
    """Outlook's address columns in English, German and French, folded -> Part."""
    table = {
        fold(cell): Part(("address", kind), part, order)
        for cell, (kind, part, order) in OUTLOOK_IRREGULAR.items()
    }
    for (part, order), patterns in OUTLOOK_ADDRESS_CELLS.items():
        for kind, kind_words in OUTLOOK_KIND_WORDS.items():
            for pattern, word in zip(patterns, kind_words, strict=True):
                for cell in pattern.split("|") if pattern and word else ():
                    table[fold(cell.replace("{k}", word))] = Part(("address", kind), part, order)
    return table


OUTLOOK_ADDRESS = _outlook_addresses()


# --- Reading a header ---------------------------------------------------------------------

Role = str | Part | None


def _layout_of(keys: set[str]) -> str:
    for name, must, some, enough in LAYOUT_SIGNS:
        if must <= keys and len(keys & some) >= enough:
            return name
    return "CSV"


def _google_role(cell: str) -> Role | bool:
    """The role of a Google group column, False when the cell is not one."""
    match = GOOGLE_GROUP.match(" ".join(cell.split()))
    if not match:
        return False
    kind, number, part = match.group(1).lower(), match.group(2), match.group(3).lower()
    if kind == "organization":
        return GOOGLE_ORGANIZATION.get(part)
    name, order = GOOGLE_PARTS.get(part, ("", 0))
    if kind == "address" and name and name != "value":
        return Part(("address", number), name, order)
    if name in ("label", "value"):
        return Part((kind.replace("e-mail", "email"), number), name)
    return None


def _contact_role(cell: str) -> Role:
    """Email and phone columns by their words: "Business Phone 2", "E-Mail 2: Adresse"."""
    found = words(cell)
    kinds = {KIND_WORDS[w] for w in found if w in KIND_WORDS}
    labels = [LABEL_WORDS[w] for w in found if w in LABEL_WORDS]
    known = all(
        w in KIND_WORDS or w in LABEL_WORDS or w in FILLER_WORDS or w.isdigit() for w in found
    )
    if not known or "fax" in labels or not (kinds or "mobile" in labels):
        return None
    if "email" in kinds:
        extra = any(w.isdigit() and w != "1" for w in found)  # "E-mail 2 Address"
        label = next((label for label in labels if label in EMAIL_KINDS), None)
        return f"email:{label or ('other' if extra else 'work')}"
    return f"phone:{next((label for label in labels if label in PHONE_KINDS), 'other')}"


def _role(cell: str, layout: str) -> Role:
    """What one header cell holds in a file of `layout`."""
    key = fold(cell)
    special = LAYOUT_SYNONYMS.get(layout, {})
    if key in special:
        return special[key]
    google = _google_role(cell)
    if google is not False:
        return google
    if key in OUTLOOK_ADDRESS:
        return OUTLOOK_ADDRESS[key]
    if key in SYNONYMS:
        return SYNONYMS[key]
    return _contact_role(cell) or OWN_NAMES.get(key)


def _honorifics(keys: list[str], roles: list[Role]) -> None:
    """Outlook's "Title" (French: the first "Titre") is Mr./Dr., the name's prefix, when a job
    title column follows."""
    titles = [i for i, role in enumerate(roles) if role == "job_title"]
    for index in titles[:-1]:
        if keys[index] in ("title", "titre"):
            roles[index] = "prefix"


def _location(keys: list[str], roles: list[Role]) -> None:
    """German Outlook's plain "Ort" is the office location when "Ort geschäftlich" exists."""
    cities = any(isinstance(role, Part) and role.part == "city" for role in roles)
    for index, key in enumerate(keys):
        if cities and key == "ort" and roles[index] == "city":
            roles[index] = None


BIRTH_COLUMNS = {
    "birthyear": "year",
    "birthmonth": "month",
    "birthday": "day",
    "geburtsjahr": "year",
    "geburtsmonat": "month",
    "geburtstag": "day",
}


def _birth_columns(keys: list[str], roles: list[Role]) -> None:
    """Thunderbird's Birth Year, Birth Month and Birth Day: three parts of one birthday (its
    "Birth Day" is a day of the month, not a birthday, when a year or month column is there)."""
    parts = {key: BIRTH_COLUMNS[key] for key in keys if key in BIRTH_COLUMNS}
    if {"year", "month"} & {parts[k] for k in parts} and "day" in parts.values():
        for index, key in enumerate(keys):
            if key in parts:
                roles[index] = f"birth:{parts[key]}"


def _plain_id(keys: list[str], roles: list[Role]) -> None:
    """A plain "id" column is the record's key when no uid/external id column is there."""
    if "uid" not in roles and "id" in keys and roles[keys.index("id")] is None:
        roles[keys.index("id")] = "uid"


MAP_ROLES = {
    "name": "full_name",
    "email": "email:work",
    "work_email": "email:work",
    "home_email": "email:home",
    "phone": "phone:other",
    "mobile": "phone:mobile",
    "work_phone": "phone:work",
    "home_phone": "phone:home",
    "ignore": "skip",
}


def _check_targets(mapping: Mapping[str, str]) -> None:
    for column, target in mapping.items():
        if target not in MAP_TARGETS:
            raise CrmError(
                f"--map {column}={target}: '{target}' is not a field "
                f"(one of {', '.join(MAP_TARGETS)})"
            )


def _mapped(header: list[str], roles: list[Role], mapping: Mapping[str, str], strict: bool) -> None:
    """--map COLUMN=FIELD overrides the automatic role of that column."""
    names = [cell.strip().casefold() for cell in header]
    for column, target in mapping.items():
        wanted = column.strip().casefold()
        if wanted not in names:
            if strict:
                shown = ", ".join(cell.strip() for cell in header if cell.strip())
                raise CrmError(f"--map: no column '{column}' in the file (columns: {shown})")
            continue
        for index, name in enumerate(names):
            if name == wanted:
                roles[index] = MAP_ROLES.get(target, target)


def _roles(header: list[str], mapping: Mapping[str, str], strict: bool) -> tuple[str, list[Role]]:
    keys = [fold(cell) for cell in header]
    layout = _layout_of(set(keys))
    roles = [_role(cell, layout) for cell in header]
    for fix in (_honorifics, _location, _plain_id, _birth_columns):
        fix(keys, roles)
    _mapped(header, roles, mapping, strict)
    return layout, roles


def _usable(roles: list[Role]) -> bool:
    for role in roles:
        if isinstance(role, Part):
            if role.group[0] == "email":
                return True
        elif role and (role in NAMED_ROLES or role.startswith("email:") or role == "emails"):
            return True
    return False


# --- What a row holds ---------------------------------------------------------------------

NOTE_RANK = {
    "Title": -2,
    "Suffix": -1,
    "Department": 0,
    "Address": 1,
    "Website": 2,
    "LinkedIn": 2,
    "Referred by": 3,
}
BIRTHDAY_RANK = 4
NO_YEAR = re.compile(r"^--\d{2}-?\d{2}$")
SLASHED = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{2}|\d{4})$")
ISO_DAY = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
BLANK_DATE = re.compile(r"^[0\s/.\-]*$")
LIST_SPLIT = re.compile(r"\s*:::\s*|\s*;(?!\s*ext\s*=)\s*", re.IGNORECASE)  # not ;ext=102
TAG_SPLIT = re.compile(r"\s*:::\s*|[;,]")


@dataclass(slots=True)
class _Row:
    """One record as it is read: values plus what still needs ordering and joining."""

    values: dict[str, Any] = field(default_factory=dict)
    notes: list[tuple[int, str]] = field(default_factory=list)  # (rank, line)
    emails: list[tuple[bool, str, str]] = field(default_factory=list)  # (primary, label, value)
    phones: list[tuple[bool, str, str]] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)

    def note(self, label: str, text: str, rank: int | None = None) -> None:
        rank = NOTE_RANK.get(label, 2) if rank is None else rank
        self.notes.append((rank, f"{label}: {text}"))

    def contact(self, kind: str, label: str, value: str, primary: bool = False) -> None:
        entries = self.emails if kind == "email" else self.phones
        entries.append((primary, label, value))


def label_of(text: str, kind: str) -> str | None:
    """work/home/other (emails) or mobile/work/home/other (phones) from a label such as
    "* Mobile" or "Work"; None for a fax or pager number, which is not kept."""
    if not text.strip("* "):
        return "work" if kind == "email" else "other"
    found = {LABEL_WORDS[w] for w in words(text) if w in LABEL_WORDS}
    if "fax" in found:
        return None
    kinds = PHONE_KINDS if kind == "phone" else EMAIL_KINDS
    return next((label for label in kinds if label in found), "other")


def _put_text(row: _Row, name: str, value: str) -> None:
    if name not in row.values:
        row.values[name] = value
    elif name in MULTILINE:
        row.values[name] += "\n" + value


def _put_contact(row: _Row, label: str, value: str, kind: str) -> None:
    if ";" not in value and ":" not in value:  # one value (LIST_SPLIT splits at ; and :::)
        row.contact(kind, label, value)
        return
    for item in LIST_SPLIT.split(value):
        if item:
            row.contact(kind, label, item)


def _put_email(row: _Row, label: str, value: str) -> None:
    _put_contact(row, label, value.replace(",", ";") if "," in value else value, "email")


def _put_phone(row: _Row, label: str, value: str) -> None:
    _put_contact(row, label, value, "phone")


def _put_labelled(row: _Row, name: str, value: str) -> None:
    """Our own `work: a@b.com; home: c@d.com` cells (a bare value gets the plain label)."""
    kind = "email" if name == "emails" else "phone"
    for item in LIST_SPLIT.split(value):
        label, colon, rest = item.partition(":")
        if not colon or not label.strip().isalpha():
            label, rest = "", item
        tag = label_of(label, kind)
        if rest.strip() and tag:
            row.contact(kind, tag, rest.strip())


def _put_tags(row: _Row, _: str, value: str) -> None:
    for part in TAG_SPLIT.split(value):
        word = " ".join(part.split())
        if word.startswith("*"):
            word = word.lstrip("* ")
            if fold(word) in SYSTEM_GROUPS:
                continue
        word = word.lower()
        if word and word not in row.tags:
            row.tags.append(word)


def _put_gender(row: _Row, _: str, value: str) -> None:
    code = GENDERS.get(fold(value), value)
    if code:
        row.values.setdefault("gender", code)


def _put_opt_out(row: _Row, _: str, value: str) -> None:
    row.values.setdefault("email_opt_out", YES_NO.get(value.casefold(), value))


def _put_note(row: _Row, label: str, value: str) -> None:
    row.note(label, value)


BIRTH_PARTS = ("year", "month", "day")


def _put_birth_part(row: _Row, part: str, value: str) -> None:
    """Thunderbird writes a birthday in three columns: Birth Year, Birth Month, Birth Day."""
    row.values.setdefault("_birth", {})[part] = value


def _finish_birth_parts(row: _Row) -> None:
    """The three parts as one birthday (2018-01-08), read like any other date; parts that
    make no date (no year, a 13th month) go to the notes as the file gives them."""
    parts = row.values.pop("_birth", None)
    if not parts:
        return
    year, month, day = (parts.get(part, "") for part in BIRTH_PARTS)
    if all(x.isdigit() for x in (year, month, day)) and len(year) == 4:
        row.values.setdefault("birthday", f"{year}-{int(month):02d}-{int(day):02d}")
    else:
        row.note(
            "Birthday", " ".join(f"{part} {parts[part]}" for part in BIRTH_PARTS if part in parts)
        )


Put = Callable[[_Row, str, str], None]
PUTS: dict[str, Put] = {
    "birth": _put_birth_part,
    "email": _put_email,
    "phone": _put_phone,
    "emails": _put_labelled,
    "phones": _put_labelled,
    "tags": _put_tags,
    "gender": _put_gender,
    "email_opt_out": _put_opt_out,
    "note": _put_note,
}


def _pair(row: _Row, cells: list[str], kind: str, parts: dict[str, list[int]]) -> None:
    """A Google "E-mail 1 - Label"/"E-mail 1 - Value" pair; several values are " ::: "-joined."""
    values = [v for v in re.split(r"\s*:::\s*", cells[parts["value"][0]].strip()) if v]
    label_text = cells[parts["label"][0]].strip() if "label" in parts else ""
    labels = [text.strip() for text in label_text.split(":::")]
    for n, value in enumerate(values):
        text = labels[n] if len(labels) == len(values) else labels[0]
        if kind == "website":
            row.note("Website", value)
        elif label := label_of(text, kind):
            row.contact(kind, label, value, primary=n == 0 and text.startswith("*"))


def _lines(cells: list[str], columns: list[int]) -> str:
    """The cells of `columns`, trimmed, the ones with text each on a line."""
    if len(columns) == 1:  # most parts of most addresses: no generator for them
        return cells[columns[0]].strip()
    return "\n".join(text for c in columns if (text := cells[c].strip()))


def _address(cells: list[str], block: tuple[str, str], parts: dict[str, list[int]]):
    """(sort key, kind, {part: text}) of one address block, None when it is empty."""
    found = {}
    for part, columns in parts.items():
        if part != "label" and (text := _lines(cells, columns)):
            found[part] = text
    formatted = found.pop("formatted", "")
    if not found and formatted:
        found["street"] = formatted
    if not found:
        return None
    kind = block[1] if block[1] in KIND_ORDER else "other"
    label = cells[parts["label"][0]].strip("* \n") if "label" in parts else ""
    if label:  # Google's "Address 1 - Label": Home, Work, Other or the user's own word
        kind = label_of(label, "email") or "other"
    number = int(block[1]) if block[1].isdigit() else 0
    return (KIND_ORDER[kind], number), kind, found


def _addresses(row: _Row, cells: list[str], blocks: dict[tuple[str, str], dict]) -> None:
    """The first address (business, else home, else other) fills the fields; others are notes."""
    found = [address for b, p in blocks.items() if (address := _address(cells, b, p))]
    if len(found) > 1:
        found.sort(key=itemgetter(0))
    taken = not row.values.keys().isdisjoint(ADDRESS_PARTS)
    for _, kind, parts in found:
        if not taken:
            row.values.update(parts)
            taken = True
        else:
            row.note(f"Address ({kind})", address_line(parts), NOTE_RANK["Address"])


# --- A compiled header --------------------------------------------------------------------


@dataclass
class _Columns:
    """What to do with each column of a header, worked out once for the whole file."""

    layout: str
    header: list[str]
    cells: list[tuple[int, Put, str]] = field(default_factory=list)
    pairs: list[tuple[str, dict[str, list[int]]]] = field(default_factory=list)
    addresses: dict[tuple[str, str], dict[str, list[int]]] = field(default_factory=dict)
    unknown: list[int] = field(default_factory=list)  # columns nothing keeps

    @property
    def ours(self) -> bool:
        return self.layout == "tui-crm"

    @classmethod
    def read(cls, header: list[str], roles: list[Role], layout: str) -> _Columns:
        columns = cls(layout, header)
        groups: dict[tuple[str, str], dict[str, list[tuple[int, int]]]] = {}
        for index, role in enumerate(roles):
            if isinstance(role, Part):
                spots = groups.setdefault(role.group, {}).setdefault(role.part, [])
                spots.append((role.order, index))
            elif role is None:
                columns.unknown.append(index)
            elif role != "skip":
                head, _, tail = role.partition(":")
                columns.cells.append((index, PUTS.get(head, _put_text), tail or head))
        for group, parts in groups.items():
            ordered = {part: [i for _, i in sorted(spots)] for part, spots in parts.items()}
            if group[0] == "address":
                columns.addresses[group] = ordered
            elif "value" in ordered:
                columns.pairs.append((group[0], ordered))
            else:  # a label without its value holds nothing we keep
                columns.unknown += [i for spots in ordered.values() for i in spots]
        return columns

    def row(self, cells: list[str]) -> _Row:
        row = _Row()
        values = row.values
        ours = self.ours
        for index, put, arg in self.cells:
            value = cells[index].strip()
            if value:
                if ours and value[0] == "'":
                    value = value[1:]
                if put is _put_text and arg not in values:  # most cells: no call for them
                    values[arg] = value
                else:
                    put(row, arg, value)
        for kind, parts in self.pairs:
            _pair(row, cells, kind, parts)
        if self.addresses:
            _addresses(row, cells, self.addresses)
        return row


# --- Reading the records ------------------------------------------------------------------


def _peek(text: str, delimiter: str) -> list[tuple[int, list[str]]]:
    """The first records, however the rest of the file turns out."""
    found: list[tuple[int, list[str]]] = []
    try:
        for record in csv_records(text, delimiter):
            found.append(record)
            if len(found) >= HEADER_SEARCH:
                break
    except FileRejected:
        pass
    return found


@dataclass(frozen=True)
class _Header:
    delimiter: str
    line: int  # where the header record starts
    cells: list[str]


def _find_header(text: str, mapping: Mapping[str, str]) -> _Header:
    """The header among the first records, with whichever delimiter makes most sense of it."""
    best: tuple[int, _Header] | None = None
    for delimiter in DELIMITERS:
        for line, cells in _peek(text, delimiter):
            _, roles = _roles(cells, mapping, strict=False)
            if _usable(roles):
                score = sum(role is not None for role in roles)
                if best is None or score > best[0]:
                    best = (score, _Header(delimiter, line, cells))
                break
    if best is None:
        raise _no_header(text, mapping)
    return best[1]


def _no_header(text: str, mapping: Mapping[str, str]) -> CrmError:
    records = [r for d in DELIMITERS for r in _peek(text, d) if any(r[1])]
    first = max(records, key=lambda record: (len(record[1]), -record[0]), default=(0, []))[1]
    if mapping:
        _mapped(first, [None] * len(first), mapping, strict=True)
    # A quoted header cell may span lines; the message stays on one.
    shown = ", ".join(" ".join(cell.split()) for cell in first[:12] if cell.strip()) or "none"
    more = ", …" if len(first) > 12 else ""
    return FileRejected(
        f"no column holds a name, company or email (columns: {shown}{more}); use --map COLUMN=FIELD"
    )


# --- Finishing a row ----------------------------------------------------------------------


COMPANY_ENDINGS = _wordset("inc|ltd|llc|llp|plc|gmbh|ag|kg|as|asa|ab|sa|sarl|bv|nv|co|corp")


# Written so, a company ending is no one's surname (unlike Sá or Asa): upper case (AS, LLC,
# GMBH), one of these whatever the case, or with a full stop (Co.).
_PLAIN_COMPANY_ENDINGS = _wordset("inc|ltd|llc|gmbh|corp|sarl")


def _names_a_company(full: str) -> bool:
    """ "Fjord Foods AS", "Acme, Inc.", "Smith & Co.": a whole name that is a company's."""
    words = full.replace(",", " ").split()
    if len(words) < 2:
        return False
    word = words[-1]
    ending = fold(word)
    return ending in COMPANY_ENDINGS and (
        word.rstrip(".").isupper() or ending in _PLAIN_COMPANY_ENDINGS or word.endswith(".")
    )


def name_fields(full: str) -> tuple[dict[str, str], list[str]]:
    """What a whole name fills: the company for a company's name, else the first and last
    name ("Ada Lovelace", "Lovelace, Ada", "Dr. Maria de la Cruz"; one word is a last name),
    and its prefix and suffix ("Dr.", "Jr."); no notes lines (kept for the callers' shape)."""
    if _names_a_company(full):
        return {"company": full}, []
    name = split_person_name(full)
    fields = {"first_name": name.first} if name.first else {}
    if name.last:
        fields["last_name"] = name.last
    return fields | name.extras(), []


def _may_hold_title(text: str) -> bool:
    """Cheap: whether a name column may hold a title or suffix ("Mr. John", "Smith Jr.")."""
    return " " in text or text.endswith(".")


def without_titles(values: dict[str, Any]) -> list[str]:
    """Take a title off the first name ("Mr. John") and a suffix off the last ("Smith Jr."),
    into the prefix and suffix; returns no notes lines (kept for the callers' shape). Most names
    are left alone unasked."""
    first, last = values.get("first_name", ""), values.get("last_name", "")
    if not (_may_hold_title(first) or " " in last):
        return []
    name = clean_name_parts(first, last)
    if name.title or name.suffix:
        values.update(first_name=name.first, last_name=name.last)
        for key in ("first_name", "last_name"):
            if not values[key]:
                del values[key]
        for key, text in name.extras().items():  # a prefix column the file has stands
            values.setdefault(key, text)
    return []


def _finish_names(row: _Row, ours: bool) -> None:
    """The names a row gives. Our own layout writes the prefix and suffix in their columns, so
    its names are read as written ("0 I" is a last name, not "0" with the suffix "I")."""
    values = row.values
    middle = values.pop("middle_name", "")
    full = values.pop("full_name", "")
    notes = [] if ours else without_titles(values)
    if middle and values.get("first_name"):
        values["first_name"] += " " + middle
    named = values.get("first_name") or values.get("last_name")
    if full and not named and full != values.get("company"):
        fields, notes = name_fields(full)
        if "company" not in fields or "company" not in values:  # the file's company stands
            values.update(fields)
        else:
            notes = []
    for line in notes:
        label, _, text = line.partition(": ")
        row.note(label, text)


def _contacts(entries: list[tuple[bool, str, str]], key: Callable[[str], str]):
    """(label, value) pairs, primary first, each value once."""
    seen: set[str] = set()
    out = []
    if any(e[0] for e in entries):
        ordered = [e for e in entries if e[0]] + [e for e in entries if not e[0]]
    else:
        ordered = entries
    for _, label, value in ordered:
        if (folded := key(value)) not in seen:
            seen.add(folded)
            out.append((label, value))
    return out


def _common_date(raw: str, day_first: bool) -> date | None:
    """1985-04-15 and 4/15/1985 without the general parser (None: ask it)."""
    try:
        if match := ISO_DAY.match(raw):
            return date(*map(int, match.groups()))
        if (match := SLASHED.match(raw)) and len(match.group(3)) == 4:
            first, second, year = map(int, match.groups())
            month, day = (second, first) if day_first else (first, second)
            return date(year, *((day, month) if month > 12 >= day else (month, day)))
    except ValueError:
        pass  # 2/30/1985: file_date says what is wrong
    return None


class _Dates:
    """Reads a file's dates. Whether 05/04/1985 is the 5th of April is settled by the file's
    unambiguous dates (15/04/1985), else by its origin (French Outlook, a ;-separated
    European spreadsheet); dates read the other way meanwhile are read again."""

    def __init__(self, day_first: bool) -> None:
        self.day_first = day_first
        self.orders: set[bool] = set()  # what the unambiguous slashed dates say
        self.ambiguous: list[tuple[int, str, str]] = []  # (line, field, text)

    def read(self, values: dict[str, Any], name: str, line: int) -> None:
        """values[name] as a date (dropped when blank); CrmError when unreadable."""
        raw = values[name]
        if BLANK_DATE.match(raw):
            del values[name]  # Outlook's 0/0/00
            return
        values[name] = _common_date(raw, self.day_first) or self._general(raw)
        # A plain slashed date is its own date part; "8/1/2018 6:14 PM" takes part too.
        match = SLASHED.match(raw) if "/" in raw else None
        if match is None and "/" in raw:
            match = SLASHED.match(date_part(raw))
        if match:
            first, second = int(match.group(1)), int(match.group(2))
            if max(first, second) > 12:
                self.orders.add(first > 12)
            else:
                self.ambiguous.append((line, name, raw))

    def _general(self, raw: str) -> date | None:
        plain = self._plain(raw)
        try:
            return file_date(plain)
        except CrmError as err:  # the message quotes what the file says, not our rewrite
            raise CrmError(str(err).replace(f"'{plain}'", f"'{raw}'")) from None

    def _plain(self, raw: str, day_first: bool | None = None) -> str:
        """A date for text.file_date, which reads slashes month first and dots day first."""
        day_first = self.day_first if day_first is None else day_first
        return raw.replace("/", ".") if day_first and SLASHED.match(date_part(raw)) else raw

    def settle(self) -> list[tuple[int, str, Any]]:
        """(line, field, date) for each date read the wrong way round until the file's
        unambiguous dates said which way it writes them."""
        if len(self.orders) == 1 and self.orders != {self.day_first}:
            return [
                (line, name, file_date(self._plain(raw, not self.day_first)))
                for line, name, raw in self.ambiguous
            ]
        return []


def _finish_dates(row: _Row, dates: _Dates, line: int) -> None:
    """Dates as `date`. One that cannot be read stays the text the file gives: the import
    keeps it in the notes as given, with a warning (customers.clean_customer)."""
    for name in DATE_FIELDS:
        raw = row.values.get(name)
        if raw is None:
            continue
        if name == "birthday" and NO_YEAR.match(raw):
            row.note("Birthday", raw, BIRTHDAY_RANK)
            del row.values[name]
            continue
        with suppress(CrmError):  # one that cannot be read is left as the file writes it
            dates.read(row.values, name, line)


def _finish(row: _Row, line: int, layout: str, dates: _Dates) -> SourceRow:
    values = row.values
    _finish_names(row, layout == "tui-crm")
    if row.emails:
        values["emails"] = _contacts(row.emails, str.casefold)
    if row.phones:
        values["phones"] = _contacts(row.phones, str)
    if row.tags:
        values["tags"] = row.tags
    _finish_birth_parts(row)
    _finish_dates(row, dates, line)
    if layout == "LinkedIn":
        values.setdefault("source", "LinkedIn")
    if row.notes:
        lines = [text for _, text in sorted(row.notes, key=itemgetter(0))]
        values["notes"] = "\n".join([values["notes"], *lines] if "notes" in values else lines)
    return SourceRow(line, values)


def _day_first(header: _Header) -> bool:
    """Whether a file with no unambiguous dates writes 05/04/1985 for the 5th of April."""
    return FRENCH_OUTLOOK in {fold(cell) for cell in header.cells} or header.delimiter == ";"


# --- The public functions -----------------------------------------------------------------


def parse_contacts_csv(text: str, mapping: Mapping[str, str] | None = None) -> Parsed:
    """Customers from a CSV file (text already decoded by text.decode; line endings are \\n)."""
    with settled_objects() as settle:
        return read_contacts_csv(text, mapping, settle=settle, count=False).parsed()


def _no_settle() -> None:
    pass


def read_contacts_csv(
    text: str,
    mapping: Mapping[str, str] | None = None,
    *,
    settle: Callable[[], None] = _no_settle,
    count: bool = True,
) -> RowStream:
    """parse_contacts_csv's rows one at a time, for the loader. With `count`, the file is read
    through once first, to count its rows (and refuse it now if it cannot be read as CSV);
    `settle` is called every SETTLE_EVERY rows (see rows.settled_objects)."""
    mapping = dict(mapping or {})
    _check_targets(mapping)
    text = text.lstrip("\ufeff")
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    header = _find_header(text, mapping)
    layout, roles = _roles(header.cells, mapping, strict=True)
    columns = _Columns.read(header.cells, roles, layout)
    stream = RowStream(_count_rows(text, header) if count else -1, (), layout)
    stream.rows = _read_rows(text, header, columns, stream, settle)
    return stream


def _count_rows(text: str, header: _Header) -> int:
    count = 0
    for line, cells in csv_records(text, header.delimiter):
        if line > header.line and any(cell.strip() for cell in cells):
            count += 1
    return count


def _read_rows(
    text: str,
    header: _Header,
    columns: _Columns,
    stream: RowStream,
    settle: Callable[[], None],
) -> Iterator[SourceRow]:
    """The rows after the header; at the end, which columns nothing keeps yet hold data
    (stream.ignored) and the dates to read the other way round (stream.corrections)."""
    width = len(header.cells)
    unseen = set(columns.unknown)
    dates = _Dates(_day_first(header))
    read = 0
    for line, cells in csv_records(text, header.delimiter):
        if line <= header.line or not any(cell.strip() for cell in cells):
            continue
        if len(cells) < width:
            cells += [""] * (width - len(cells))
        if unseen:
            unseen -= {i for i in unseen if cells[i].strip()}
        yield _finish(columns.row(cells), line, columns.layout, dates)
        read += 1
        if read % SETTLE_EVERY == 0:
            settle()
    stream.corrections = dates.settle()
    held = set(columns.unknown) - unseen
    stream.ignored = tuple(
        sorted({header.cells[i].strip() for i in held if header.cells[i].strip()})
    )


def names_someone(header: list[str]) -> bool:
    """Whether a header has a column for a person's or a company's name."""
    _, roles = _roles(header, {}, strict=False)
    return any(role in NAMED_ROLES for role in roles)


def record_cells(record: CustomerRecord) -> list[str]:
    """One customer as the cells of our own layout, in FIELDS order."""
    cells = []
    for name in FIELDS:
        value = getattr(record, name)
        if name in ("emails", "phones"):
            value = "; ".join(f"{item.label}: {item.value}" for item in value)
        elif name == "tags":
            value = "; ".join(value)
        elif name == "email_opt_out":
            value = "yes" if value else ""
        elif isinstance(value, date):
            value = value.isoformat()
        # A cell a spreadsheet would run gets a leading ', as does one that starts with ' (our
        # import takes exactly one off, so both read back as written).
        cells.append(spreadsheet_cell("" if value is None else str(value), guard_quote=True))
    return cells


def write_contacts_csv(records: Iterable[CustomerRecord], out: TextIO) -> int:
    """Our own layout: one header row (FIELDS), one row per record; return how many rows."""
    writer = csv.writer(out, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(FIELDS)
    count = 0
    for record in records:
        writer.writerow(record_cells(record))
        count += 1
    return count
