"""Customers from vCard 2.1, 3.0 and 4.0 files (through vobject), and vCard 4.0 out."""

from __future__ import annotations

import itertools
import quopri
import re
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any, TextIO

import vobject

from tui_crm.core.customer_fields import CUSTOMER_FIELDS, VCARD_OWN
from tui_crm.core.fields import phone_text
from tui_crm.core.interchange.contacts_csv import name_fields, without_titles
from tui_crm.core.interchange.records import (
    CustomerRecord,
    FileRejected,
    Parsed,
    RowStream,
    SourceRow,
    address_line,
)
from tui_crm.core.interchange.text import file_date
from tui_crm.core.workers import PieceWorkers, can_start, serve, spare_cores
from tui_crm.errors import CrmError

# Our fields that vCard has no property for: (field, property, kind).
_OUR_PROPERTIES = VCARD_OWN
_OURS = {prop.lower(): (name, kind) for name, prop, kind in _OUR_PROPERTIES}

# Properties we read, or that only carry structure: never reported as not imported. Those
# the fields are carried in (N, ORG, ADR, X-TUICRM-*...), and others we read them from.
_USED = {
    *(f.vcard.lower() for f in CUSTOMER_FIELDS if f.vcard),
    "fn", "prodid", "x-gender", "x-wab-gender", "kind", "x-abshowas", "x-ablabel",
}  # fmt: skip
_STRUCTURAL = {
    "begin", "end", "version", "rev", "x-abuid", "x-abadr", "clientpidmap", "source",
    "name", "profile", "sort-string", "x-imagetype", "x-imagehash", "x-shareduphotodisplaypref",
    "x-ms-ol-default-postal-address", "x-ms-ol-design", "x-tuicrm-version",
}  # fmt: skip
_BINARY = {"photo", "logo", "sound", "key"}
_STRUCTURED = {"n", "adr", "org"}  # ';' separates components
_LISTS = {"categories"}  # ',' separates values
_KEPT_PARAMS = {"TYPE", "PREF", "VALUE", "X-APPLE-OMIT-YEAR"}
_BARE_ENCODINGS = {"QUOTED-PRINTABLE", "BASE64", "B", "8BIT", "7BIT"}

_HEAD = re.compile(r'((?:[^:"]|"[^"]*")*):')
_NAME = re.compile(r"(?:([A-Za-z0-9_-]+)\.)?([A-Za-z0-9_-]+)")
_PARAM = re.compile(r'(?:[^;"]|"[^"]*")+')
_BASE64_LINE = re.compile(r"[A-Za-z0-9+/=\s]+")
_APPLE_LABEL = re.compile(r"_\$!<(.*)>!\$_")

_PHONE_TYPES = {"cell": "mobile", "mobile": "mobile", "iphone": "mobile"}
_PHONE_TYPES |= {"work": "work", "home": "home"}
_NOT_PHONES = ("fax", "pager")
_EMAIL_NO_TYPE = {"internet", "pref", "x400", ""}
_GENDERS = {
    "m": "m", "male": "m", "man": "m", "f": "f", "female": "f", "woman": "f", "w": "f",
    "o": "x", "other": "x", "x": "x", "diverse": "x", "non-binary": "x", "nonbinary": "x",
    "n": "", "u": "", "none": "", "unknown": "",
}  # fmt: skip
_WAB_GENDERS = {"1": "f", "2": "m"}  # Outlook's X-WAB-GENDER
_GOOGLE_SYSTEM_GROUPS = {"mycontacts"}


class _BadCard(Exception):
    """One card cannot be read; its message is the row's error."""


@dataclass
class _RawCard:
    line: int  # of its BEGIN:VCARD
    text: str = ""  # its lines between BEGIN and END, each ending with a line break
    error: str | None = None

    @property
    def lines(self) -> list[tuple[int, str]]:
        """Its lines, each with its number in the file."""
        return list(enumerate(self.text.split("\n")[:-1], start=self.line + 1))


@dataclass(slots=True)
class _Prop:
    number: int
    group: str
    name: str  # lower case
    params: dict[str, list[str]]
    value: str


# --- reading: the file into cards ----------------------------------------------------------


def parse_vcards(text: str) -> Parsed:
    """Customers from vCard 2.1, 3.0 and 4.0 text (already decoded by text.decode; line endings are \\n)."""
    return read_vcards(text).parsed()


def read_vcards(text: str) -> RowStream:
    """parse_vcards's rows one card at a time, for the loader: the cards are counted first
    (FileRejected now when there is none, or the file ends inside one)."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    stream = RowStream(_count_cards(text), ())
    stream.rows = _rows(text, stream)
    return stream


def _rows(text: str, stream: RowStream) -> Iterator[SourceRow]:
    ignored: set[str] = set()
    versions: Counter[str] = Counter()
    for row, version, skipped in _read_cards(_split_cards(text), stream.count):
        yield row
        ignored |= skipped
        if version:
            versions[version] += 1
    layout = versions.most_common(1)[0][0] if versions else "3.0"
    stream.layout = f"vCard {layout}"
    stream.ignored = tuple(sorted(ignored))


# A whole line that begins or ends a card: BEGIN:VCARD, END:VCARD (any case, spaces around).
_MARK = re.compile(r"^[ \t]*(?:(BEGIN)|END)[ \t]*:[ \t]*VCARD[ \t]*$", re.IGNORECASE | re.MULTILINE)


def _marks(text: str) -> Iterator[tuple[bool, int, int, int]]:
    """(begins, line number, where the line starts, where the next line starts) of each
    BEGIN:VCARD and END:VCARD line."""
    line, at = 1, 0
    for match in _MARK.finditer(text):
        line += text.count("\n", at, match.start())
        at = match.start()
        yield bool(match.group(1)), line, at, match.end() + 1


def _count_cards(text: str) -> int:
    """How many cards _split_cards will give; FileRejected when there is no card at all or
    the file ends inside one."""
    count, current = 0, None
    for begins, line, _, _ in _marks(text):
        if begins:
            count += 1
        current = line if begins else None
    if current is not None:
        raise FileRejected(
            f"ends inside the vCard begun on line {current}; the file looks truncated"
        )
    if not count:
        raise FileRejected("does not look like a vCard file (it has no BEGIN:VCARD line)")
    return count


def _split_cards(text: str) -> Iterator[_RawCard]:
    """Each card's physical lines with their numbers, one card at a time (a card with no
    END:VCARD before the next BEGIN:VCARD carries the error). Lines outside cards are
    skipped; _count_cards refuses a file with no card or an unfinished one."""
    current: _RawCard | None = None
    body = 0  # where the current card's lines start
    for begins, line, start, after in _marks(text):
        if current is not None:
            current.text = text[body:start] if start > body else ""
            if begins:
                current.error = f"has no END:VCARD before the next BEGIN:VCARD on line {line}"
            yield current
        current = _RawCard(line) if begins else None
        body = after


# Reading a card is most of the time a vCard import takes (some 55 µs each), and a card needs
# nothing but itself to be read. Worker processes take a quarter of a second to start: a file
# of fewer cards is read here alone.
CARD_POOL_MIN = 2_000
CARD_CHUNK = 500  # cards a worker reads at a time
CARD_READ_AHEAD = 2  # pieces per worker asked ahead of the one handed on
# A worker imports only what it needs: this module.
_CARD_WORKER = "from tui_crm.core.interchange.vcard import serve_cards; serve_cards()"

_Read = tuple[SourceRow, str, set[str]]  # what _read_card gives


def _read_cards(cards: Iterator[_RawCard], count: int) -> Iterator[_Read]:
    """_read_card of each of `count` cards, in order. For a large file on a machine with
    cores to spare, worker processes read pieces of CARD_CHUNK cards ahead of the one handed
    on (the first piece is read here while they start). They run _read_card itself, so the
    rows are the same either way; a worker that cannot start or dies only leaves the rest
    to be read here. The workers stop when the rows do (or are let go)."""
    cores = min(spare_cores(), 4)
    if count < CARD_POOL_MIN or cores < 2 or not can_start():
        yield from map(_read_card, cards)
        return
    pieces = _chunked(cards, CARD_CHUNK)
    first = next(pieces, [])
    try:
        workers = PieceWorkers(cores, _CARD_WORKER, first=1)
    except OSError:  # no processes here (a sandbox): all of it here
        yield from map(_read_card, itertools.chain(first, *pieces))
        return
    ahead: deque[list[_RawCard]] = deque()
    asked = 1  # the next piece's number

    def ask_ahead() -> None:
        nonlocal asked
        while not workers.broken and len(ahead) < CARD_READ_AHEAD * cores:
            piece = next(pieces, None)
            if piece is None:
                workers.done()
                return
            workers.ask(asked, [(card.line, card.text, card.error) for card in piece])
            ahead.append(piece)
            asked += 1

    try:
        ask_ahead()
        yield from map(_read_card, first)
        while True:
            if ahead:
                piece = ahead.popleft()
                read = workers.answer()
                if not isinstance(read, list) or len(read) != len(piece):
                    workers.broken = True
                    read = [_read_card(card) for card in piece]
            else:  # every piece asked was handed on; the rest, if any, are read here
                piece = next(pieces, None)
                if piece is None:
                    return
                read = [_read_card(card) for card in piece]
            ask_ahead()
            yield from read
    finally:
        workers.stop()


def _chunked(items: Iterator[_RawCard], size: int) -> Iterator[list[_RawCard]]:
    while piece := list(itertools.islice(items, size)):
        yield piece


def serve_cards() -> None:
    """A worker process (see _read_cards): pieces of cards (line, text, error) in, the list of
    their _read_card out (core/workers.py)."""
    serve(lambda cards: [_read_card(_RawCard(*card)) for card in cards])


def _read_card(card: _RawCard) -> _Read:
    """The card as a row (or an error row), its vCard version and what it held that we drop."""
    version = ""
    try:
        if card.error:
            raise _BadCard(card.error)
        quick = _quick_card(card)
        if quick is not None:
            native, version, dropped = quick
            values, more = _values(native)
            return SourceRow(card.line, values), version, dropped | more
        props, version = _properties(card)
        props, dropped = _kept(props)
        values, more = _values(_native_card(props) or _vobject_card(props))
        return SourceRow(card.line, values), version, dropped | more
    except _BadCard as err:
        return SourceRow(card.line, {}, error=str(err)), version, set()
    except Exception as err:  # vobject raises many kinds: one card never sinks the file
        reason = _first_line(str(err)) or type(err).__name__
        return (
            SourceRow(card.line, {}, error=f"cannot be read as a vCard ({reason})"),
            version,
            set(),
        )


def _first_line(text: str) -> str:
    lines = text.strip().splitlines()
    return lines[0][:120] if lines else ""


def _short(text: str) -> str:
    text = text.strip()
    return text if len(text) <= 40 else text[:37] + "..."


# --- reading: lines into properties ---------------------------------------------------------


def _logical_lines(lines: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """Unfold: a line starting with a space or tab continues the previous one; in a
    QUOTED-PRINTABLE value a line ending with '=' continues on the next (a soft break, which
    may split a multi-byte character: the value is decoded only once joined); bare base64
    lines continue a binary property (vCard 2.1 photos)."""
    out: list[tuple[int, list[str]]] = []
    quoted = binary = False
    pieces: list[str] | None = None  # the last property's
    for number, raw in lines:
        line = raw.rstrip("\r")
        if pieces is not None:
            if quoted and pieces[-1].endswith("="):
                pieces[-1] = pieces[-1][:-1]
                pieces.append(line)
                continue
            if line[:1] in (" ", "\t"):
                pieces.append(line[1:])
                continue
            if binary and _BASE64_LINE.fullmatch(line):
                pieces.append(line)
                continue
        if not line.strip():
            binary = False
            continue
        pieces = [line]
        out.append((number, pieces))
        head = line.partition(":")[0].upper()
        quoted = "QUOTED-PRINTABLE" in head
        binary = "BASE64" in head or ("ENCODING=B" in head and bool(_ENCODING_B.search(head)))
    return [(number, "".join(pieces)) for number, pieces in out]


_ENCODING_B = re.compile(r"ENCODING=B\b")


def _parse_property(number: int, line: str) -> _Prop:
    """One logical line as group, name, parameters and (still encoded) value."""
    colon = line.find(":")
    if colon < 0:
        raise _BadCard(f"line {number}: '{_short(line)}' is not a vCard property (no ':')")
    if '"' not in line[:colon]:  # no quoted parameter value: the first colon ends the head
        read = _head(line[:colon])
        if type(read) is str:
            raise _BadCard(f"line {number}: '{_short(read)}' is not a vCard property name")
        group, prop, params = read
        return _Prop(number, group, prop, params, line[colon + 1 :])
    else:
        match = _HEAD.match(line)  # the first colon outside quoted parameter values
        if match:
            head, value = match.group(1), line[match.end() :]
        else:
            head, _, value = line.partition(":")
        parts = _PARAM.findall(head) or [""]
    name = _NAME.fullmatch(parts[0].strip())
    if not name:
        raise _BadCard(f"line {number}: '{_short(parts[0])}' is not a vCard property name")
    group, prop = name.groups()
    return _Prop(number, group or "", prop.lower(), _params(parts[1:]), value)


@lru_cache(maxsize=8192)  # a file's cards repeat their heads (EMAIL;TYPE=INTERNET;TYPE=WORK)
def _head(head: str) -> tuple[str, str, dict[str, list[str]]] | str:
    """Group, lower-case name and parameters of a head without quotes; the first part when
    it is no property name. The parameters are shared: nothing changes them."""
    parts = [part for part in head.split(";") if part] or [""]
    name = _NAME.fullmatch(parts[0].strip())
    if not name:
        return parts[0]
    group, prop = name.groups()
    return group or "", prop.lower(), _params(parts[1:])


def _params(parts: list[str]) -> dict[str, list[str]]:
    """Parameters by upper-case name; vCard 2.1 bare ones (CELL, QUOTED-PRINTABLE) become
    TYPE= and ENCODING=; TYPE values are split at commas and lower-cased."""
    params: dict[str, list[str]] = {}
    for part in parts:
        key, sep, value = part.partition("=")
        key = key.strip().upper()
        if not sep:
            key, value = ("ENCODING" if key in _BARE_ENCODINGS else "TYPE"), key
        value = value.strip()
        if key == "TYPE":
            words = [w.strip().strip('"').strip().lower() for w in value.split(",")]
            params.setdefault(key, []).extend(w for w in words if w)
        else:
            params.setdefault(key, []).append(value.strip('"'))
    return params


def _properties(card: _RawCard) -> tuple[list[_Prop], str]:
    """The card's properties with QUOTED-PRINTABLE and vCard 2.1 escaping undone into the
    escaping vCard 3.0 uses, and the card's VERSION."""
    props = [_parse_property(number, line) for number, line in _logical_lines(card.lines)]
    version = next((p.value.strip() for p in props if p.name == "version"), "")
    version = {"2": "2.1", "4": "4.0"}.get(version[:1], "3.0") if version else ""
    for prop in props:
        # A property that is not read is only looked at for whether it holds anything
        # (_kept), which escaping never changes and decoding QUOTED-PRINTABLE may.
        if prop.name not in _USED and not _is_quoted(prop):
            continue
        if prop.name not in _BINARY and not _is_base64(prop):
            prop.value = _as_30_value(prop, old=version == "2.1")
    return props, version


def _is_quoted(prop: _Prop) -> bool:
    encodings = prop.params.get("ENCODING")
    return encodings is not None and any(v.upper() == "QUOTED-PRINTABLE" for v in encodings)


def _is_base64(prop: _Prop) -> bool:
    encodings = prop.params.get("ENCODING")
    return encodings is not None and any(v.upper() in ("B", "BASE64") for v in encodings)


def _kept(props: list[_Prop]) -> tuple[list[_Prop], set[str]]:
    """The properties we read, and the names of those that held data we do not keep.
    Photos and other base64 data are dropped unread."""
    kept, dropped = [], set()
    has_address = any(prop.name == "adr" for prop in props)
    for prop in props:
        if prop.name in _USED and not _is_base64(prop):
            kept.append(prop)
        elif prop.name in _STRUCTURAL or (prop.name == "label" and has_address):
            continue  # structure, or the printable form of an address read from ADR
        elif prop.value.strip():
            dropped.add(prop.name.upper())
    return kept, dropped


def _as_30_value(prop: _Prop, *, old: bool) -> str:
    value = prop.value
    encodings = [v.upper() for v in prop.params["ENCODING"]] if "ENCODING" in prop.params else ()
    if "QUOTED-PRINTABLE" in encodings:
        charset = (prop.params.get("CHARSET") or [""])[0]
        value = _decode_qp(value, charset).replace("\r\n", "\n").replace("\r", "\n")
    if old:
        return _escape_21(prop.name, value)
    return _escape_loose(prop.name, value.replace("\n", "\\n"))


def _decode_qp(value: str, charset: str) -> str:
    """QUOTED-PRINTABLE bytes in the property's CHARSET (UTF-8 when none), else cp1252."""
    data = quopri.decodestring(value.encode("utf-8"))
    for encoding in dict.fromkeys((charset or "utf-8", "utf-8", "cp1252")):
        try:
            return data.decode(encoding)
        except (LookupError, UnicodeDecodeError):
            continue
    return data.decode("latin-1")


_ESCAPED_30 = re.compile(r"\\[\s\S]?|[,;]")


def _escape_loose(name: str, value: str) -> str:
    """3.0/4.0 text as vobject reads it right: a comma or semicolon some exporters leave
    unescaped in one-valued text stays text, and a lone trailing backslash stays a backslash."""

    def mend(match: re.Match) -> str:
        token = match.group(0)
        if token == "\\":
            return "\\\\"
        if token in ",;" and name not in _STRUCTURED and name not in _LISTS:
            return "\\" + token
        return token

    if "\\" not in value and "," not in value and ";" not in value:
        return value  # nothing to mend
    return _ESCAPED_30.sub(mend, value)


_ESCAPED_21 = re.compile(r"\\;|[\\,;\n]")


def _escape_21(name: str, value: str) -> str:
    """vCard 2.1 escapes only ';' (as '\\;'): write its text with 3.0 escapes, keeping the
    separators the property's structure uses."""

    def mend(match: re.Match) -> str:
        token = match.group(0)
        if token == "\\;":
            return token
        if token == "\\":
            return "\\\\"
        if token == "\n":
            return "\\n"
        if token == ";":
            return ";" if name in _STRUCTURED else "\\;"
        # 2.1 cannot escape a comma: in N it separates given names (N:Richter;John,James).
        return "," if name in _LISTS or name == "n" else "\\,"

    if "\\" not in value and "," not in value and ";" not in value and "\n" not in value:
        return value  # nothing to mend
    return _ESCAPED_21.sub(mend, value)


def _vobject_card(props: list[_Prop]) -> Any:
    """vobject's reading of the mended properties (always as vCard 3.0)."""
    lines = ["BEGIN:VCARD", "VERSION:3.0"]
    lines += [_vobject_line(prop) for prop in props]
    try:
        return vobject.readOne("\r\n".join([*lines, "END:VCARD", ""]))
    except Exception as err:
        reason = _culprit(props) or f"cannot be read as a vCard ({_first_line(str(err))})"
        raise _BadCard(reason) from None


def _vobject_line(prop: _Prop) -> str:
    head = f"{prop.group}.{prop.name}" if prop.group else prop.name
    for key, words in _kept_params(prop).items():
        head += f";{key}={','.join(words)}"
    return f"{head.upper()}:{prop.value}"


_PARAM_JUNK = re.compile(r"[^\w.+/-]")


def _kept_params(prop: _Prop, word: Callable[[str], str] | None = None) -> dict[str, list[str]]:
    """The parameters _vobject_line writes: the kept ones, each value without the characters
    a parameter value cannot hold (then passed through `word`), those left empty dropped."""
    word = word or _param_word
    kept = {}
    for key, values in prop.params.items():
        if key in _KEPT_PARAMS:
            words = [w for v in values if (w := word(v))]
            if words:
                kept[key] = words
    return kept


@lru_cache(maxsize=4096)  # a file repeats its few parameter values
def _param_word(value: str) -> str:
    return _PARAM_JUNK.sub("", value)


@lru_cache(maxsize=4096)
def _param_word_upper(value: str) -> str:
    """A parameter value as vobject reads it back from _vobject_line's upper-cased head."""
    return _param_word(value).upper()


# id(params) -> (params, what vobject reads of them): a property's parameters come from the
# _head cache, shared by every property of the same head; holding them keeps their id theirs.
_NATIVE_PARAMS: dict[int, tuple[dict[str, list[str]], dict[str, list[str]]]] = {}


def _native_params(params: dict[str, list[str]]) -> dict[str, list[str]]:
    """The params of a line as vobject reads _vobject_line's (a fresh dict each time, as
    vobject gives each line its own)."""
    known = _NATIVE_PARAMS.get(id(params))
    if known is None or known[0] is not params:
        if len(_NATIVE_PARAMS) > 8192:
            _NATIVE_PARAMS.clear()
        known = _NATIVE_PARAMS[id(params)] = (
            params,
            _kept_params(_Prop(0, "", "", params, ""), _param_word_upper),
        )
    return {key: list(words) for key, words in known[1].items()}


def _culprit(props: list[_Prop]) -> str | None:
    """The first property vobject cannot read, named by its line."""
    for prop in props:
        try:
            vobject.readOne(f"BEGIN:VCARD\r\nVERSION:3.0\r\n{_vobject_line(prop)}\r\nEND:VCARD\r\n")
        except Exception as err:
            return (
                f"line {prop.number}: {prop.name.upper()} cannot be read ({_first_line(str(err))})"
            )
    return None


# --- reading: the fast path -------------------------------------------------------------------
#
# vobject.readOne spends most of an import's time on each card: it parses the text we hand it
# again, builds objects with dynamic attributes and unescapes one character at a time. What it
# makes of the lines _vobject_card writes is simple and fixed (vobject 0.9.9, vCard 3.0):
#
# - a line is GROUP.NAME;KEY=WORD,WORD:VALUE, all of the head upper-cased; its params are
#   {KEY: [WORD, ...]}, its group the upper-cased group or None;
# - N and ADR become a Name and an Address of their ';'-separated fields, and ORG the list of
#   them, each field a string, or a list where unescaped commas separate values
#   (vobject.vcard.splitFields);
# - CATEGORIES becomes the list of its ','-separated values;
# - any other property (FN, UID, TEL, NOTE, X-...) the first of its ','-separated values
#   (stringToTextValues(value)[0], so an unescaped comma ends the value);
# - values are unescaped as stringToTextValues does (\n, \N, \, \; \\ and \" unescaped;
#   any other backslash kept with its character, a trailing one read as "\eof").
#
# _native_card works that out directly; a card whose lines are not of this shape (a value
# holding a line break, a name vobject would rewrite) is handed to vobject.
# tests/core/interchange/test_vcard_fast_path.py pins the two to the same rows.

_ESCAPABLE = '\\;,Nn"'  # vobject.icalendar.escapableCharList
_SPLITTERS: dict[str, re.Pattern[str]] = {}  # separator -> its pattern, see _text_values


def _text_values(text: str, separator: str = ",", escapable: str = _ESCAPABLE) -> list[str]:
    """vobject.icalendar.stringToTextValues(text, separator, escapable), exactly."""
    if "\\" not in text:
        values = text.split(separator)
        if len(values) > 1 and not values[-1]:
            values.pop()  # a separator at the end starts no value
        return values
    splitter = _SPLITTERS.get(separator)
    if splitter is None:
        splitter = _SPLITTERS[separator] = re.compile(rf"(\\[\s\S]?|{re.escape(separator)})")
    values: list[str] = []
    current: list[str] = []
    for index, piece in enumerate(splitter.split(text)):
        if not index % 2:  # text between the separators and escapes
            if piece:
                current.append(piece)
        elif piece == separator:
            values.append("".join(current))
            current = []
        elif len(piece) == 1:  # a backslash at the very end
            current.append("\\eof")
        elif piece[1] in escapable:
            current.append("\n" if piece[1] in "nN" else piece[1])
        else:
            current.append(piece)
    if current or not values:
        values.append("".join(current))
    return values


def _fields(text: str) -> list[str | list[str]]:
    """vobject.vcard.splitFields: ';'-separated fields, each a string or a list of values."""
    fields: list[str | list[str]] = []
    for part in _text_values(text, ";", ";"):
        values = _text_values(part)
        fields.append(values[0] if len(values) == 1 else values)
    return fields


_NAME_PARTS = ("family", "given", "additional", "prefix", "suffix")  # vobject's NAME_ORDER
_ADR_PARTS = ("box", "extended", "street", "city", "region", "code", "country")


class _Line:
    """One property as vobject's ContentLine holds it, for _values; `types` is what _types
    gives for it, when worked out beforehand (the quick path: once per head)."""

    __slots__ = ("value", "params", "group", "types")

    def __init__(
        self,
        value: Any,
        params: dict[str, list[str]],
        group: str | None,
        types: list[str] | None = None,
    ):
        self.value = value
        self.params = params
        self.group = group
        self.types = types


class _Card:
    """A card as vobject's Component holds it, for _values: lines by lower-case name."""

    __slots__ = ("contents",)

    def __init__(self, contents: dict[str, list[_Line]]):
        self.contents = contents


def _value(name: str, raw: str) -> Any:
    """A property's value as vobject reads it from its raw text: N and ADR as vobject's
    objects (more fields than parts are dropped, fewer left empty, as vobject's zip does),
    ORG's parts, CATEGORIES' values, any other its first text value."""
    if name == "n":
        return vobject.vcard.Name(**dict(zip(_NAME_PARTS, _fields(raw), strict=False)))
    if name == "adr":
        return vobject.vcard.Address(**dict(zip(_ADR_PARTS, _fields(raw), strict=False)))
    if name == "org":
        return _fields(raw)
    if name == "categories":
        return _text_values(raw)
    if "\\" not in raw:
        return raw.partition(",")[0]  # what _text_values(raw)[0] gives then
    return _text_values(raw)[0]


def _native_card(props: list[_Prop]) -> _Card | None:
    """What vobject.readOne makes of _vobject_card's text, worked out directly; None when a
    property is not of the shape whose reading this knows (see above)."""
    contents: dict[str, list[_Line]] = {"version": [_Line("3.0", {}, None)]}
    for prop in props:
        raw, name = prop.value, prop.name
        if "\r" in raw or "\n" in raw or "_" in name:
            return None  # vobject would split the line, or rename the property
        params = _native_params(prop.params) if prop.params else {}
        line = _Line(_value(name, raw), params, prop.group.upper() or None)
        if name in contents:
            contents[name].append(line)
        else:
            contents[name] = [line]
    return _Card(contents)


# --- reading: the quickest path ----------------------------------------------------------------
#
# For the cards most files are made of, _properties, _kept and _native_card in one pass: what
# each distinct head means is worked out once (_head_plan), a card without quoted-printable or
# base64 data and without blank or tab-indented lines is unfolded in two replaces, and a value
# without a backslash, comma or semicolon needs no escaping mended. Anything else (a line that
# is no property, a quoted parameter value, a value vobject would split or a name it would
# rewrite) leaves the card to the path above, which also names what is wrong with it.
# tests/core/interchange/test_vcard_fast_path.py pins the two to the same rows.

# Properties whose commas and semicolons _escape_loose leaves as they are (in vCard 2.1,
# _escape_21 those of N alone).
_KEEP_SEPARATORS = _STRUCTURED | _LISTS

# A line that starts with a tab or another space than ' ', or a blank line.
_ODD_START = re.compile(r"\n[^\S ]")

_HeadPlan = tuple[
    str | None, str, dict[str, list[str]], dict[str, list[str]], bool, bool, bool, bool, list[str]
]


@lru_cache(maxsize=8192)
def _head_plan(head: str) -> _HeadPlan | None:
    """(group as vobject gives it, name, parameters, parameters as vobject gives them, read,
    quoted-printable, base64, unfolded apart, types) of a head without quotes; None when it
    is no property name. Unfolded apart says _logical_lines unfolds the lines of such a
    property apart (soft line breaks, bare base64 lines); types are what _types gives for
    the parameters as vobject gives them. The parameter dicts and the types are shared:
    nothing changes them."""
    read = _head(head)
    if type(read) is str:
        return None
    group, name, params = read
    prop = _Prop(0, group, name, params, "")
    native = _kept_params(prop, _param_word_upper) if params else {}
    upper = head.upper()
    return (
        group.upper() or None,
        name,
        params,
        native,
        name in _USED,
        _is_quoted(prop),
        _is_base64(prop),
        "QUOTED-PRINTABLE" in upper or "BASE64" in upper or "ENCODING=B" in upper,
        _types(_Line(None, native, None)),
    )


def _unfolded(text: str) -> list[str] | None:
    """The card's logical lines as _logical_lines gives them (without their numbers) when
    none of its properties is unfolded apart: each line starting with a space continues the
    one before. None when a line starts with other white space or is blank (_logical_lines
    skips a blank line, and a tab too continues a line)."""
    if not text or text[0].isspace() or _ODD_START.search(text):
        return None
    lines = text.replace("\n ", "").split("\n")
    lines.pop()  # after the last line break
    return lines


def _quick_card(card: _RawCard) -> tuple[_Card, str, set[str]] | None:
    """What _properties, _kept and _native_card make of the card, with its version and what
    it held that we drop; None when it is not of the shapes this reads (see above)."""
    if card.error:
        return None
    try:
        return _quick_read(card)
    except Exception:  # whatever it is, the path above says it as it always has
        return None


def _quick_read(card: _RawCard) -> tuple[_Card, str, set[str]] | None:
    read = _quick_lines(_unfolded(card.text), apart=False)
    if read is None:  # a property unfolded apart (or lines that are not simply folded)
        read = _quick_lines([line for _, line in _logical_lines(card.lines)], apart=True)
        if read is None:
            return None
    version = ""
    for plan, value in read:
        if plan[1] == "version":
            version = value.strip()
            break
    version = {"2": "2.1", "4": "4.0"}.get(version[:1], "3.0") if version else ""
    old = version == "2.1"
    has_address = any(plan[1] == "adr" for plan, _ in read)
    contents: dict[str, list[_Line]] = {"version": [_Line("3.0", {}, None)]}
    dropped: set[str] = set()
    for (group, name, params, native, used, quoted, base64, _, types), raw in read:
        if (used or quoted) and not base64 and name not in _BINARY:
            if quoted:
                raw = _as_30_value(_Prop(0, "", name, params, raw), old=old)
            elif "\\" not in raw and (name == "n" or (not old and name in _KEEP_SEPARATORS)):
                pass  # the separators of N, ADR, ORG and CATEGORIES stay as they are
            elif "," in raw or ";" in raw or "\\" in raw:
                raw = _escape_21(name, raw) if old else _escape_loose(name, raw)
        if not used or base64:
            if name in _STRUCTURAL or (name == "label" and has_address):
                continue
            if raw.strip():
                dropped.add(name.upper())
            continue
        if "\r" in raw or "\n" in raw or "_" in name:
            return None  # vobject would split the line, or rename the property
        line = _Line(_value(name, raw), native, group, types)
        if name in contents:
            contents[name].append(line)
        else:
            contents[name] = [line]
    return _Card(contents), version, dropped


def _quick_lines(lines: list[str] | None, *, apart: bool) -> list[tuple[_HeadPlan, str]] | None:
    """Each logical line's head plan and value; None when a line is not of the shapes
    _quick_card reads, or (unless `apart`: unfolded by _logical_lines) a property's lines are
    unfolded apart."""
    if lines is None:
        return None
    read = []
    for line in lines:
        colon = line.find(":")
        if colon < 0:
            return None
        head = line[:colon]
        if '"' in head:
            return None
        plan = _head_plan(head)
        if plan is None or (plan[7] and not apart):
            return None
        read.append((plan, line[colon + 1 :]))
    return read


# --- reading: properties into customer fields -----------------------------------------------


def _values(card: Any) -> tuple[dict[str, Any], set[str]]:
    """The customer fields a vobject card holds, and the properties it held that we drop."""
    values: dict[str, Any] = {}
    notes = [_text(line.value) for line in _lines(card, "note")]
    notes += _read_names(card, values)
    _read_texts(card, values)
    _read_tags(card, values)
    notes += _read_birthday(card, values)
    _read_gender(card, values)
    phones, ignored = _read_phones(card)
    if phones:
        values["phones"] = phones
    emails = _read_emails(card)
    if emails:
        values["emails"] = emails
    notes += _read_addresses(card, values)
    _read_ours(card, values)
    notes = [note for note in notes if note]
    if notes:
        values["notes"] = "\n".join(notes)
    return values, ignored


def _lines(card: Any, name: str) -> list[Any]:
    return card.contents.get(name, [])


def _text(value: Any, sep: str = ",") -> str:
    """A value as one string; lists (from unescaped commas) joined back as written."""
    if type(value) is str:
        return value.strip()
    if isinstance(value, list | tuple):
        return sep.join(_text(v, sep) for v in value).strip()
    return str(value or "").strip()


PRODID = "-//tui-crm//tui-crm//EN"  # marks the cards we write: their names are read as written


def _first(card: Any, name: str) -> str:
    for line in card.contents.get(name, ()):
        if text := _text(line.value):
            return text
    return ""


def _read_names(card: Any, values: dict[str, Any]) -> list[str]:
    """N's given (and middle) and family names; else FN split; none for a company card.
    Returns the notes lines of what a name holds that is no first or last name: its title
    and suffix ("Title: Dr.") and given names after the first."""
    full = _first(card, "fn")
    marked = (
        _first(card, "kind").lower() == "org" or _first(card, "x-abshowas").upper() == "COMPANY"
    )
    org = _first_component(card, "org") or (full if marked else "")
    if org:
        values["company"] = org
    given, family, notes, extras = _n_names(card)
    if given or family:
        if marked and " ".join(p for p in (given, family) if p) == org:
            return []  # a company card that repeats the company as its name
        values.update({k: v for k, v in (("first_name", given), ("last_name", family)) if v})
        values.update(extras)
        if _first(card, "prodid") == PRODID:  # ours: the prefix and suffix have their slots
            return notes
        return notes + without_titles(values)
    if full and not marked and full != org:
        fields, notes = name_fields(" ".join(full.split()))  # as a CSV Name column
        if "company" not in fields or not org:  # ORG stands
            values.update(fields)
            return notes
    return []


def _first_component(card: Any, name: str) -> str:
    for line in _lines(card, name):
        value = line.value if isinstance(line.value, list) else [line.value]
        if value and _text(value[0]):
            return _text(value[0])
    return ""


def _n_names(card: Any) -> tuple[str, str, list[str], dict[str, str]]:
    """Given (with the additional names) and family name of N, and notes lines for its
    prefix, suffix and any given names after the first. A comma list of given names
    (vCard 2.1 `N:Richter;John,James`, 3.0 `N:Richter;John,James;;;`) keeps the first as
    the first name; the others go to the notes ("Other given names: James") rather than to
    the nickname: a nickname is what someone is called, and matching and search treat it so
    ("Nickname Last"), while a second given name is seldom what anyone calls them."""
    for line in _lines(card, "n"):
        name = line.value
        if hasattr(name, "family"):
            # A list: the file separated given names with commas (an escaped comma is text).
            names = [_text(p) for p in name.given] if isinstance(name.given, list) else []
            names = [p for p in names if p]
            first = names[0] if len(names) > 1 else _text(name.given, " ")
            given = " ".join(p for p in (first, _text(name.additional, " ")) if p)
            family = _text(name.family, " ")
            if given or family:
                others = ", ".join(p.strip() for p in names[1:])
                notes = [f"Other given names: {others}"] if others else []
                extras = {
                    key: text
                    for key, text in (
                        ("prefix", _text(name.prefix, " ")),
                        ("suffix", _text(name.suffix, " ")),
                    )
                    if text
                }
                return given, family, notes, extras
    return "", "", [], {}


def _read_texts(card: Any, values: dict[str, Any]) -> None:
    for prop, key in (("title", "job_title"), ("uid", "uid")):
        if text := _first(card, prop):
            values[key] = text
    nicknames = [t for line in _lines(card, "nickname") if (t := _text(line.value))]
    if nicknames:
        values["nickname"] = ", ".join(nicknames)


def _read_tags(card: Any, values: dict[str, Any]) -> None:
    tags: list[str] = []
    for line in _lines(card, "categories"):
        words = line.value if isinstance(line.value, list) else str(line.value).split(",")
        for word in (_text(w) for w in words):
            if word and word not in tags and word.lower() not in _GOOGLE_SYSTEM_GROUPS:
                tags.append(word)
    if tags:
        values["tags"] = tags


def _read_birthday(card: Any, values: dict[str, Any]) -> list[str]:
    """BDAY as a date, or a notes line when it has no year or is not a date."""
    lines = _lines(card, "bday")
    raw = _text(lines[0].value) if lines else ""
    if not raw:
        return []
    params = lines[0].params
    omitted = params.get("X-APPLE-OMIT-YEAR", [])
    if omitted and raw.startswith(omitted[0]):  # Apple writes a birthday without year as 1604
        return [f"Birthday: --{raw[len(omitted[0]) :].lstrip('-')}"]
    if any(v.lower() == "text" for v in params.get("VALUE", [])):
        return [f"Birthday: {raw}"]  # written as text on purpose ("circa 1950")
    if raw.startswith("--"):  # vCard 4.0's --0415: no year, nothing to store it in
        return [f"Birthday: {raw}"]
    try:
        day = file_date(raw)
    except CrmError:
        # Not a date: left as the card writes it, for the import to keep in the notes as
        # given with a warning (customers.clean_customer).
        values["birthday"] = raw
        return []
    if day is not None:
        values["birthday"] = day
    return []


def _read_gender(card: Any, values: dict[str, Any]) -> None:
    for name in ("gender", "x-gender"):
        raw = _first(card, name)
        if raw:
            word = raw.split(";")[0].strip().lower()
            values["gender"] = _GENDERS.get(word, "")
            return
    wab = _first(card, "x-wab-gender")
    if wab:
        values["gender"] = _WAB_GENDERS.get(wab, "")


def _types(line: Any) -> list[str]:
    """A property's TYPE values, lower-case."""
    if type(line) is _Line and line.types is not None:
        return line.types
    if "TYPE" not in line.params:
        return []
    found = [
        word.strip().lower() for item in line.params.get("TYPE", []) for word in item.split(",")
    ]
    return [word for word in found if word]


def _apple_label(card: Any, group: str | None) -> str:
    if not group:
        return ""
    for line in _lines(card, "x-ablabel"):
        if (line.group or "").lower() == group.lower():
            text = _text(line.value)
            match = _APPLE_LABEL.fullmatch(text)
            return (match.group(1) if match else text).strip().lower()
    return ""


def _rank(line: Any, types: list[str]) -> int:
    """PREF=1 (or TYPE=pref) first, then by PREF, then the rest (stable: file order)."""
    for value in line.params.get("PREF", []):
        return int(value) if value.isdigit() else 1
    return 1 if "pref" in types else 101


def _read_phones(card: Any) -> tuple[list[tuple[str, str]], set[str]]:
    found, ignored = [], set()
    for line in _lines(card, "tel"):
        number = _TEL_URI.sub("", _text(line.value)).strip()
        types = _types(line)
        label = _phone_label(card, line, types)
        if label in _NOT_PHONES and number:
            ignored.add(f"TEL;TYPE={label.upper()}")
        elif number:
            found.append((_rank(line, types), label, number))
    found.sort(key=lambda item: item[0])
    return [(label, number) for _, label, number in found], ignored


def _phone_label(card: Any, line: Any, types: list[str]) -> str:
    """mobile, work, home or other, or fax/pager (not kept); an Apple label decides alone."""
    label = _apple_label(card, line.group)
    words = [label] if label else types
    for kind in _NOT_PHONES:
        if any(kind in word for word in words):  # also _$!<HomeFAX>!$_
            return kind
    labels = {_PHONE_TYPES[word] for word in words if word in _PHONE_TYPES}
    return next((kind for kind in ("mobile", "work", "home") if kind in labels), "other")


def _place_label(card: Any, line: Any, types: list[str]) -> str | None:
    """work or home as typed or as an Apple label names it (other for custom labels)."""
    label = _apple_label(card, line.group)
    if label:
        return label if label in ("work", "home") else "other"
    return next((kind for kind in ("work", "home") if kind in types), None)


def _read_emails(card: Any) -> list[tuple[str, str]]:
    found = []
    for line in _lines(card, "email"):
        address = _MAILTO.sub("", _text(line.value)).strip()
        types = _types(line)
        if address:
            label = _place_label(card, line, types) or _email_label(types)
            found.append((_rank(line, types), label, address))
    found.sort(key=lambda item: item[0])
    return [(label, address) for _, label, address in found]


def _email_label(types: list[str]) -> str:
    """An EMAIL with no type (or only INTERNET) is work; any other type makes it other."""
    return "work" if set(types) <= _EMAIL_NO_TYPE else "other"


_ADDRESS_PARTS = ("street", "postal_code", "city", "region", "country")


def _read_addresses(card: Any, values: dict[str, Any]) -> list[str]:
    """The first ADR (preferred, else work, else the first) fills the address fields; every
    other one becomes a notes line."""
    found = []
    for index, line in enumerate(_lines(card, "adr")):
        parts = _address(line.value)
        if not parts:
            continue
        types = _types(line)
        label = _place_label(card, line, types) or "other"
        rank = 0 if _rank(line, types) <= 100 else 1 if label == "work" else 2
        found.append((rank, index, label, parts))
    found.sort(key=lambda item: item[:2])
    if found:
        values.update(found[0][3])
    return [f"Address ({label}): {address_line(parts)}" for _, _, label, parts in found[1:]]


def _address(adr: Any) -> dict[str, str]:
    if not hasattr(adr, "street"):
        return {}
    street = "\n".join(t for t in (_text(adr.box), _text(adr.extended), _text(adr.street)) if t)
    parts = dict(
        zip(
            _ADDRESS_PARTS,
            (street, _text(adr.code), _text(adr.city), _text(adr.region), _text(adr.country)),
            strict=True,
        )
    )
    return {key: value for key, value in parts.items() if value}


_TEL_URI = re.compile(r"^tel:", re.IGNORECASE)
_MAILTO = re.compile(r"^mailto:", re.IGNORECASE)


def _read_ours(card: Any, values: dict[str, Any]) -> None:
    """Our own fields, from X-TUICRM-* properties."""
    if card.contents.keys().isdisjoint(_OURS):
        return  # a card from anywhere else
    for prop, (name, kind) in _OURS.items():
        lines = _lines(card, prop)
        if not lines:
            continue
        raw = str(lines[0].value or "")
        if kind == "flag":
            values[name] = raw.strip().lower() in ("yes", "true", "1", "y")
        elif kind == "date":
            values[name] = _our_date(raw.strip())
        elif raw.strip():
            values[name] = raw.strip()


def _our_date(raw: str) -> date | str | None:
    try:
        return file_date(raw)
    except CrmError:
        return raw  # the import keeps it in the notes as given, with a warning


# --- writing --------------------------------------------------------------------------------


def write_vcards(records: Iterable[CustomerRecord], out: TextIO) -> int:
    """Write vCard 4.0 for each record (CRLF line endings, lines folded at 75 octets); return how many."""
    count = 0
    for record in records:
        out.write("".join(_fold_line(line) for line in _card_lines(record)))
        count += 1
    return count


def _escape(text: str) -> str:
    """A text value (or one component of N, ADR, ORG) as RFC 6350 writes it."""
    return text.replace("\\", "\\\\").replace(",", "\\,").replace(";", "\\;").replace("\n", "\\n")


def _fold_line(line: str) -> str:
    """The line, CRLF-terminated, folded at 75 octets without splitting a UTF-8 character."""
    out, current, size = [], [], 0
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > 75:
            out.append("".join(current))
            current, size = [" "], 1
        current.append(char)
        size += width
    out.append("".join(current))
    return "\r\n".join(out) + "\r\n"


_TEL_TYPE = {"mobile": "cell", "work": "work", "home": "home", "other": "voice"}
_GENDER_OUT = {"f": "F", "m": "M", "x": "O"}


def _card_lines(record: CustomerRecord) -> list[str]:
    """The properties of one vCard 4.0 for `record`, unfolded."""
    return [
        "BEGIN:VCARD",
        "VERSION:4.0",
        f"PRODID:{PRODID}",
        *_identity_lines(record),
        *_address_lines(record),
        *_contact_lines(record),
        *_other_lines(record),
        *_our_lines(record),
        "END:VCARD",
    ]


def _identity_lines(record: CustomerRecord) -> list[str]:
    name = f"{record.first_name} {record.last_name}".strip()
    lines = [f"UID:{_escape(record.uid)}"] if record.uid else []
    lines.append(f"FN:{_escape(name or record.company)}")
    lines.append(
        f"N:{_escape(record.last_name)};{_escape(record.first_name)};;"
        f"{_escape(record.prefix)};{_escape(record.suffix)}"
    )
    if not name and record.company:
        lines.append("KIND:org")
    for prop, value in (
        ("NICKNAME", record.nickname),
        ("ORG", record.company),
        ("TITLE", record.job_title),
    ):
        if value:
            lines.append(f"{prop}:{_escape(value)}")
    if record.gender in _GENDER_OUT:
        lines.append(f"GENDER:{_GENDER_OUT[record.gender]}")
    if record.birthday:
        lines.append(f"BDAY:{_basic_date(record.birthday)}")
    return lines


def _basic_date(day: date) -> str:
    return f"{day.year:04d}{day.month:02d}{day.day:02d}"


def _address_lines(record: CustomerRecord) -> list[str]:
    parts = (record.street, record.city, record.region, record.postal_code, record.country)
    if not any(parts):
        return []
    return ["ADR;TYPE=work:;;" + ";".join(_escape(part) for part in parts)]


def _contact_lines(record: CustomerRecord) -> list[str]:
    lines = []
    for index, phone in enumerate(record.phones):
        pref = ";PREF=1" if index == 0 else ""
        kind = _TEL_TYPE.get(phone.label, "voice")
        number = getattr(phone, "number", phone.value)
        extension = getattr(phone, "extension", "")
        if getattr(phone, "verified", True):
            ext = f";ext={extension}" if extension else ""
            lines.append(f"TEL;VALUE=uri;TYPE={kind}{pref}:tel:{number}{ext}")
        else:  # kept as typed: not a tel: URI, the text as given (with " ext. N")
            text = _escape(phone_text(number, extension))
            lines.append(f"TEL;VALUE=text;TYPE={kind}{pref}:{text}")
    for index, email in enumerate(record.emails):
        # "other" is written as a TYPE too: an EMAIL without one reads back as work.
        kind = f";TYPE={email.label}" if email.label in ("work", "home", "other") else ""
        pref = ";PREF=1" if index == 0 else ""
        lines.append(f"EMAIL{kind}{pref}:{_escape(email.value)}")
    return lines


def _other_lines(record: CustomerRecord) -> list[str]:
    lines = [f"NOTE:{_escape(record.notes)}"] if record.notes else []
    if record.tags:
        lines.append("CATEGORIES:" + ",".join(_escape(tag) for tag in record.tags))
    return lines


def _our_lines(record: CustomerRecord) -> list[str]:
    lines = []
    for name, prop, kind in _OUR_PROPERTIES:
        value = getattr(record, name)
        if kind == "flag" and value:
            lines.append(f"{prop}:yes")
        elif kind == "date" and value:
            lines.append(f"{prop}:{value.isoformat()}")
        elif kind == "text" and value:
            lines.append(f"{prop}:{_escape(str(value))}")
    return lines
