"""Customers from vCard 2.1, 3.0 and 4.0 files (read through vobject, after mending what
phones write that vobject misreads), and vCard 4.0 out, with our own fields as X-TUICRM-*."""

from __future__ import annotations

import quopri
import re
from collections import Counter
from collections.abc import Iterable
from typing import Any, TextIO

import vobject

from tui_crm.core.interchange.records import CustomerRecord, FileRejected, Parsed, SourceRow
from tui_crm.core.interchange.text import file_date
from tui_crm.errors import CrmError

_BEGIN = re.compile(r"^\s*BEGIN:VCARD\s*$", re.IGNORECASE)
_END = re.compile(r"^\s*END:VCARD\s*$", re.IGNORECASE)
# Our fields that vCard has no property for: (field, property, kind)
OUR_PROPERTIES = (
    ("source", "X-TUICRM-SOURCE", "text"),
    ("acquired_on", "X-TUICRM-ACQUIRED-ON", "date"),
    ("referred_by", "X-TUICRM-REFERRED-BY", "text"),
    ("why_chose_us", "X-TUICRM-WHY-CHOSE-US", "text"),
    ("category", "X-TUICRM-CATEGORY", "text"),
    ("owner", "X-TUICRM-OWNER", "text"),
    ("territory", "X-TUICRM-TERRITORY", "text"),
    ("status", "X-TUICRM-STATUS", "text"),
    ("lost_reason", "X-TUICRM-LOST-REASON", "text"),
    ("lost_on", "X-TUICRM-LOST-ON", "date"),
    ("email_opt_out", "X-TUICRM-EMAIL-OPT-OUT", "flag"),
)
_OURS = {prop.lower(): (name, kind) for name, prop, kind in OUR_PROPERTIES}
# Properties that carry structure or that we read: never reported as "not imported".
_KNOWN = {
    "version", "prodid", "rev", "fn", "n", "org", "title", "nickname", "note", "categories",
    "bday", "gender", "x-gender", "tel", "email", "adr", "uid", "x-ablabel", "x-abshowas",
    "kind", "x-abuid", "label", "begin", "end", "x-tuicrm-version",
    *_OURS,
}  # fmt: skip
_SKIPPED_BINARY = ("photo", "logo", "sound", "key")
_PHONE_TYPES = {
    "cell": "mobile", "mobile": "mobile", "iphone": "mobile", "work": "work", "home": "home",
}  # fmt: skip
_NOT_PHONES = {"fax", "pager"}
_GENDERS = {"f": "f", "female": "f", "m": "m", "male": "m", "o": "x", "other": "x", "x": "x"}


def parse_vcards(text: str) -> Parsed:
    """Customers from vCard text (already decoded by text.decode; line endings are \\n)."""
    cards = list(_split_cards(text))
    rows: list[SourceRow] = []
    ignored: set[str] = set()
    versions: Counter = Counter()
    for line, lines in cards:
        try:
            mended, skipped, version = _mend(lines)
            versions[version] += 1
            ignored |= skipped
            body = "\r\n".join(["BEGIN:VCARD", *mended, "END:VCARD"]) + "\r\n"
            card = vobject.readOne(body, ignoreUnreadable=False)
            values, more = _values(card)
            ignored |= more
            rows.append(SourceRow(line, values))
        except CrmError as err:
            rows.append(SourceRow(line, {}, error=str(err)))
        except Exception as err:  # vobject raises many kinds; one card never sinks the file
            reason = str(err).splitlines()[0] if str(err) else type(err).__name__
            rows.append(SourceRow(line, {}, error=f"unreadable vCard: {reason[:120]}"))
    version = versions.most_common(1)[0][0] if versions else "3.0"
    return Parsed(f"vCard {version}", rows, tuple(sorted(ignored)))


def _split_cards(text: str) -> Iterable[tuple[int, list[str]]]:
    """(line of BEGIN:VCARD, the card's physical lines) for each card."""
    start, lines, found = 0, [], 0
    for number, raw in enumerate(text.split("\n"), start=1):
        if _BEGIN.match(raw):
            if start:
                raise FileRejected(
                    f"the vCard begun on line {start} has no END:VCARD before line {number}; "
                    "the file looks damaged"
                )
            start, lines = number, []
        elif _END.match(raw):
            if start:
                found += 1
                yield start, lines
            start = 0
        elif start:
            lines.append(raw)
    if start:
        raise FileRejected(f"ends inside the vCard begun on line {start}; the file looks truncated")
    if not found:
        raise FileRejected("does not look like a vCard file (no BEGIN:VCARD)")


def _split_property(line: str) -> tuple[str, str]:
    """(name;params, value) at the first colon outside double quotes."""
    quoted = False
    for index, char in enumerate(line):
        if char == '"':
            quoted = not quoted
        elif char == ":" and not quoted:
            return line[:index], line[index + 1 :]
    raise CrmError(f"broken line in vCard: '{line[:60]}'")


def _logical_lines(lines: list[str]) -> list[str]:
    """Unfold: a line starting with a space or tab continues the previous one; in a
    QUOTED-PRINTABLE value a line ending with '=' continues on the next (a soft break,
    which may split a multi-byte character: the value is decoded only once joined)."""
    out: list[str] = []
    for raw in lines:
        line = raw.rstrip("\r")
        if out and out[-1].endswith("=") and "QUOTED-PRINTABLE" in out[-1].split(":", 1)[0].upper():
            out[-1] = out[-1][:-1] + line.lstrip(" \t")
        elif out and line[:1] in (" ", "\t"):
            out[-1] += line[1:]
        elif line.strip():
            out.append(line)
    return out


def _params(head: str) -> tuple[str, list[tuple[str, str]]]:
    parts = re.findall(r'(?:[^;"]|"[^"]*")+', head)
    name, params = parts[0], []
    for part in parts[1:]:
        key, sep, value = part.partition("=")
        params.append((key.strip().upper(), value) if sep else ("TYPE", key.strip()))
    return name, params


def _decode_qp(value: str, charset: str) -> str:
    data = quopri.decodestring(value.encode("utf-8"))
    for encoding in (charset or "utf-8", "utf-8", "cp1252"):
        try:
            return data.decode(encoding)
        except (LookupError, UnicodeDecodeError):
            continue
    return data.decode("latin-1")


def _mend(lines: list[str]) -> tuple[list[str], set[str], str]:
    """The card's lines as vobject reads them right: bare 2.1 types become TYPE=,
    QUOTED-PRINTABLE and CHARSET are decoded away, binary properties are dropped."""
    out, skipped, version = [], set(), "3.0"
    logical = _logical_lines(lines)
    old = any(re.fullmatch(r"(?i)version:\s*2\.1\s*", line) for line in logical)
    for line in logical:
        head, value = _split_property(line)
        name, params = _params(head)
        prop = name.rsplit(".", 1)[-1].lower()
        if prop == "version":
            version = value.strip()
            value = "3.0"  # read 2.1 by 3.0 rules once its encodings are undone here
        if prop in _SKIPPED_BINARY:
            skipped.add(prop.upper())
            continue
        kept, charset, qp = [], "", False
        for key, param in params:
            if key == "ENCODING" and param.upper() == "QUOTED-PRINTABLE":
                qp = True
            elif key == "CHARSET":
                charset = param.strip('"')
            elif key == "ENCODING" and param.upper() in ("8BIT", "7BIT"):
                continue
            else:
                kept.append(f"{key}={param}")
        if qp:
            value = _decode_qp(value, charset).replace("\r\n", "\n")
        if old:
            value = _escape_21(prop, value)
        out.append(";".join([name, *kept]) + ":" + value)
    return out, skipped, version


_KEEP_SEMICOLONS = {"n", "adr", "org", "gender"}
_KEEP_COMMAS = {"categories", "nickname"}


def _escape_21(prop: str, value: str) -> str:
    """vCard 2.1 escapes nothing: escape its text as 3.0 does, keeping the separators the
    property's structure uses."""
    value = value.replace("\\", "\\\\").replace("\n", "\\n")
    if prop not in _KEEP_COMMAS:
        value = value.replace(",", "\\,")
    if prop not in _KEEP_SEMICOLONS:
        value = value.replace(";", "\\;")
    return value


def _text(value: Any) -> str:
    if isinstance(value, list):
        return " ".join(str(v).strip() for v in value if str(v).strip())
    return str(value or "").strip()


def _types(line: Any) -> list[str]:
    found = []
    for key in ("TYPE",):
        for item in line.params.get(key, []):
            found += [word.strip().strip('"').lower() for word in item.split(",")]
    if any(key == "PREF" for key in line.params):
        found.append("pref")
    return found


def _apple_label(card: Any, group: str | None) -> str:
    if not group:
        return ""
    for line in card.contents.get("x-ablabel", []):
        if line.group == group:
            match = re.match(r"_\$!<(.+)>!\$_", line.value)
            return (match.group(1) if match else line.value).lower()
    return ""


def _ordered(items: list[tuple[bool, int, str, str]]) -> list[tuple[str, str]]:
    return [(label, value) for _, _, label, value in sorted(items, key=lambda i: (not i[0], i[1]))]


def _values(card: Any) -> tuple[dict[str, Any], set[str]]:
    values: dict[str, Any] = {}
    notes: list[str] = []
    ignored: set[str] = set()
    contents = card.contents
    _name(card, values)
    for prop, field_name in (("title", "job_title"), ("nickname", "nickname"), ("uid", "uid")):
        if prop in contents and _text(contents[prop][0].value):
            values[field_name] = _text(contents[prop][0].value)
    if "note" in contents:
        values["notes"] = "\n".join(_text(line.value) for line in contents["note"] if line.value)
    tags: list[str] = []
    for line in contents.get("categories", []):
        words = line.value if isinstance(line.value, list) else str(line.value).split(",")
        tags += [w.strip() for w in words if w.strip() and w.strip() not in tags]
    if tags:
        values["tags"] = tags
    _birthday(contents, values, notes)
    gender_line = (contents.get("gender") or contents.get("x-gender") or [None])[0]
    gender = _text(gender_line.value) if gender_line is not None else ""
    if gender:
        word = gender.split(";")[0].strip().lower()
        values["gender"] = _GENDERS.get(word, "")
    phones, emails = [], []
    for n, line in enumerate(contents.get("tel", [])):
        types = [_apple_label(card, line.group), *_types(line)]
        if set(types) & _NOT_PHONES:
            ignored.add("TEL;TYPE=" + sorted(set(types) & _NOT_PHONES)[0].upper())
            continue
        label = next((_PHONE_TYPES[t] for t in types if t in _PHONE_TYPES), "")
        specific = [t for t in types if t not in ("pref", "")]
        label = label or ("other" if specific else "mobile")
        number = _text(line.value).removeprefix("tel:")
        if number:
            phones.append(("pref" in types, n, label, number))
    for n, line in enumerate(contents.get("email", [])):
        types = [_apple_label(card, line.group), *_types(line)]
        label = "work" if "work" in types else "home" if "home" in types else ""
        known = {"internet", "pref", "x400", "", "work"}
        label = label or ("other" if [t for t in types if t not in known] else "work")
        if _text(line.value):
            emails.append(("pref" in types, n, label, _text(line.value)))
    if phones:
        values["phones"] = _ordered(phones)
    if emails:
        values["emails"] = _ordered(emails)
    _addresses(card, values, notes)
    for prop, (field_name, kind) in _OURS.items():
        if prop in contents:
            raw = _unescape(_text(contents[prop][0].value))
            if kind == "date":
                values[field_name] = file_date(raw)
            elif kind == "flag":
                values[field_name] = raw.lower() in ("yes", "true", "1")
            elif raw:
                values[field_name] = raw
    if notes:
        values["notes"] = "\n".join([values["notes"], *notes] if values.get("notes") else notes)
    for prop, lines in contents.items():
        if prop not in _KNOWN and any(_text(line.value) for line in lines):
            ignored.add(prop.upper())
    return values, ignored


def _unescape(text: str) -> str:
    """X- properties come back as written: undo the text escapes of RFC 6350."""
    return re.sub(r"\\([\\,;nN])", lambda m: "\n" if m.group(1) in "nN" else m.group(1), text)


def _name(card: Any, values: dict[str, Any]) -> None:
    contents = card.contents
    org = ""
    if "org" in contents:
        value = contents["org"][0].value
        org = (value[0] if isinstance(value, list) and value else str(value).split(";")[0]).strip()
        if org:
            values["company"] = org
    family = given = ""
    if "n" in contents:
        name = contents["n"][0].value
        if hasattr(name, "family"):
            family, given = _text(name.family), _text(name.given)
            middle = _text(name.additional)
            given = f"{given} {middle}".strip() if middle else given
        else:
            parts = str(name).split(";") + ["", ""]
            family, given = parts[0].strip(), parts[1].strip()
    full = _text(contents["fn"][0].value) if "fn" in contents else ""
    kind = _text(contents["kind"][0].value).lower() if "kind" in contents else ""
    shown = _text(contents["x-abshowas"][0].value).upper() if "x-abshowas" in contents else ""
    company_card = kind == "org" or shown == "COMPANY"
    if family or given:
        if not (company_card and f"{given} {family}".strip() == org):
            values["first_name"], values["last_name"] = given, family
    elif full and full != org and not company_card:
        first, _, last = full.rpartition(" ")
        values["first_name"], values["last_name"] = first, last
    for key in ("first_name", "last_name"):
        if key in values and not values[key]:
            del values[key]


def _birthday(contents: dict, values: dict[str, Any], notes: list[str]) -> None:
    if "bday" not in contents:
        return
    line = contents["bday"][0]
    raw = _text(line.value)
    if not raw:
        return
    textual = any(v.lower() == "text" for v in line.params.get("VALUE", []))
    try:
        day = None if textual else file_date(raw)
    except CrmError:
        day = None
    if day is None:
        notes.append(f"Birthday: {raw}")
    else:
        values["birthday"] = day


def _addresses(card: Any, values: dict[str, Any], notes: list[str]) -> None:
    found = []
    for n, line in enumerate(card.contents.get("adr", [])):
        adr = line.value
        if hasattr(adr, "street"):
            street = "\n".join(
                part
                for part in (
                    _text_lines(adr.box),
                    _text_lines(adr.extended),
                    _text_lines(adr.street),
                )
                if part
            )
            parts = {
                "street": street,
                "city": _text(adr.city),
                "region": _text(adr.region),
                "postal_code": _text(adr.code),
                "country": _text(adr.country),
            }
        else:
            pieces = str(adr).split(";") + [""] * 7
            parts = dict(
                zip(
                    ("_", "__", "street", "city", "region", "postal_code", "country"),
                    pieces[:7],
                    strict=True,
                )
            )
            parts = {k: v.strip() for k, v in parts.items() if not k.startswith("_")}
        parts = {k: v for k, v in parts.items() if v}
        if not parts:
            continue
        types = _types(line)
        label = "work" if "work" in types else "home" if "home" in types else "other"
        rank = 0 if "pref" in types else 1 if label == "work" else 2
        found.append((rank, n, label, parts))
    for index, (_, _, label, parts) in enumerate(sorted(found, key=lambda f: f[:2])):
        if index == 0:
            values.update(parts)
            continue
        place = " ".join(p for p in (parts.get("postal_code"), parts.get("city")) if p)
        street = parts.get("street", "").replace("\n", ", ")
        text = ", ".join(p for p in (street, place, parts.get("region"), parts.get("country")) if p)
        notes.append(f"Address ({label}): {text}")


def _text_lines(value: Any) -> str:
    if isinstance(value, list):
        return "\n".join(str(v).strip() for v in value if str(v).strip())
    return str(value or "").strip()


# --- writing -------------------------------------------------------------------------------


def escape(text: str) -> str:
    """A text value as RFC 6350 writes it."""
    return text.replace("\\", "\\\\").replace(",", "\\,").replace(";", "\\;").replace("\n", "\\n")


def fold_line(line: str) -> str:
    """CRLF-terminated, folded at 75 octets without splitting a UTF-8 character."""
    out, current, size, limit = [], [], 0, 75
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > limit:
            out.append("".join(current))
            current, size, limit = [" "], 1, 75
        current.append(char)
        size += width
    out.append("".join(current))
    return "\r\n".join(out) + "\r\n"


_TEL_TYPE = {"mobile": "cell", "work": "work", "home": "home", "other": "voice"}


def card_lines(record: CustomerRecord) -> list[str]:
    """The properties of one vCard 4.0 for `record` (unfolded)."""
    name = f"{record.first_name} {record.last_name}".strip()
    lines = ["BEGIN:VCARD", "VERSION:4.0"]
    if record.uid:
        lines.append(f"UID:{escape(record.uid)}")
    lines.append(f"FN:{escape(name or record.company)}")
    if not name and record.company:
        lines.append("KIND:org")
    lines.append(f"N:{escape(record.last_name)};{escape(record.first_name)};;;")
    for prop, value in (
        ("NICKNAME", record.nickname),
        ("ORG", record.company),
        ("TITLE", record.job_title),
    ):
        if value:
            lines.append(f"{prop}:{escape(value)}")
    if record.gender:
        lines.append(f"GENDER:{ {'f': 'F', 'm': 'M', 'x': 'O'}[record.gender] }")
    if record.birthday:
        lines.append(f"BDAY:{record.birthday.strftime('%Y%m%d')}")
    if any((record.street, record.city, record.region, record.postal_code, record.country)):
        parts = (
            "",
            "",
            record.street,
            record.city,
            record.region,
            record.postal_code,
            record.country,
        )
        lines.append("ADR;TYPE=work:" + ";".join(escape(p) for p in parts))
    for n, phone in enumerate(record.phones):
        pref = ";PREF=1" if n == 0 else ""
        lines.append(
            f"TEL;VALUE=uri;TYPE={_TEL_TYPE.get(phone.label, 'voice')}{pref}:tel:{phone.value}"
        )
    for n, email in enumerate(record.emails):
        kind = f";TYPE={email.label}" if email.label else ""
        pref = ";PREF=1" if n == 0 else ""
        lines.append(f"EMAIL{kind}{pref}:{escape(email.value)}")
    if record.notes:
        lines.append(f"NOTE:{escape(record.notes)}")
    if record.tags:
        lines.append("CATEGORIES:" + ",".join(escape(tag) for tag in record.tags))
    for field_name, prop, kind in OUR_PROPERTIES:
        value = getattr(record, field_name)
        if kind == "flag":
            if value:
                lines.append(f"{prop}:yes")
        elif kind == "date":
            if value:
                lines.append(f"{prop}:{value.isoformat()}")
        elif value:
            lines.append(f"{prop}:{escape(str(value))}")
    lines.append("END:VCARD")
    return lines


def write_vcards(records: Iterable[CustomerRecord], out: TextIO) -> int:
    """Write vCard 4.0 for each record (CRLF line endings, folded at 75 octets)."""
    count = 0
    for record in records:
        out.write("".join(fold_line(line) for line in card_lines(record)))
        count += 1
    return count
