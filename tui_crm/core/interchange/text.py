"""Reading an import file's text whatever its encoding, its CSV records with their line
numbers, and dates as exporting programs write them."""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterator
from datetime import date
from pathlib import Path

from tui_crm.core.interchange.records import FileRejected
from tui_crm.errors import CrmError

_BOMS = (  # the four-byte UTF-32 marks first: FF FE also begins UTF-32 LE's
    (b"\xff\xfe\x00\x00", "utf-32"),
    (b"\x00\x00\xfe\xff", "utf-32"),
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe", "utf-16"),  # Outlook's "Unicode" CSV
    (b"\xfe\xff", "utf-16"),
)
# Bytes cp1252 leaves undefined: a file holding them is latin-1 (or not text at all).
_CP1252_HOLES = re.compile(rb"[\x81\x8d\x8f\x90\x9d]")
_SAMPLE = 4096  # bytes looked at to tell UTF-16 without a BOM from a binary file


def read_source(path: str | Path) -> str:
    """The text of an import file, or FileRejected with one line saying why not."""
    return decode(read_bytes(Path(path)), str(path))


def read_bytes(file: Path) -> bytes:
    """The bytes of an import file, or FileRejected with one line saying why not."""
    try:
        return file.read_bytes()
    except FileNotFoundError:
        raise FileRejected(f"{file}: no such file") from None
    except IsADirectoryError:
        raise FileRejected(f"{file}: is a folder, not a file") from None
    except OSError as err:
        raise FileRejected(f"{file}: cannot be read ({err.strerror or err})") from None


def decode(data: bytes, name: str = "the file") -> str:
    """Text from bytes: UTF-8 with or without BOM, UTF-16 (LE or BE) with or without BOM,
    UTF-32 with BOM, else cp1252/latin-1.

    UTF-16 without a BOM is told by its NUL bytes: the characters of the ASCII range (the
    header, commas, line ends, emails, digits) are NUL in their high byte, so in the first
    few KB the NULs fall on odd offsets (little-endian) or even ones (big-endian) and almost
    never on the other. A file whose NULs do not fall so is binary. A UTF-16 file holding
    no ASCII character at all cannot be told and is read as the 8-bit encodings are.

    Line endings become \\n. Empty and binary files are refused with one line."""
    if not data.strip():
        raise FileRejected(f"{name}: the file is empty")
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            text = _decoded(data, encoding, name)
            break
    else:
        if b"\x00" in data[:65536]:
            encoding = _utf16_order(data)
            if encoding is None:
                raise FileRejected(f"{name}: is a binary file, not text")
            text = _decoded(data, encoding, name)
            if _unlikely_characters(text):
                raise FileRejected(f"{name}: is a binary file, not text")
        else:
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError:
                text = data.decode("latin-1" if _CP1252_HOLES.search(data) else "cp1252")
    if not text.strip():
        raise FileRejected(f"{name}: the file is empty")
    controls = sum(1 for ch in text[:65536] if ord(ch) < 32 and ch not in "\t\r\n\f")
    if controls > max(8, len(text[:65536]) // 200):
        raise FileRejected(f"{name}: is a binary file, not text")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _decoded(data: bytes, encoding: str, name: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        raise FileRejected(f"{name}: is not readable text ({encoding} broken)") from None


def _utf16_order(data: bytes) -> str | None:
    """The codec, utf-16-le or utf-16-be, when the NULs of the file's start fall as in
    UTF-16 text without a BOM, else None. CJK text puts a NUL on the other side now and
    then (U+4E00 is 00 4E), hence the tolerance."""
    sample = data[: min(len(data), _SAMPLE) // 2 * 2]
    pairs = len(sample) // 2
    if not pairs:
        return None
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    # A stray NUL in 8-bit text is binary, not UTF-16: in UTF-16 text the separators, line
    # ends, digits and emails put a NUL in a good share of the characters.
    enough = max(2, pairs // 5)
    if odd >= enough and even * 16 <= odd:
        return "utf-16-le"
    if even >= enough and odd * 16 <= even:
        return "utf-16-be"
    return None


def _unlikely_characters(text: str) -> bool:
    """Whether text guessed to be UTF-16 is rather binary: it holds many characters that no
    text holds (unassigned, private use, controls)."""
    sample = text[: _SAMPLE // 2]
    odd = sum(
        1
        for ch in sample
        if ch not in "\t\r\n\f" and unicodedata.category(ch) in ("Cc", "Cn", "Co", "Cs")
    )
    return odd > max(2, len(sample) // 100)


_MONTHS = {
    name: index
    for index, names in enumerate(
        (
            ("jan", "january", "januar", "janvier"),
            ("feb", "february", "februar", "fevrier", "février", "fév", "fev"),
            ("mar", "march", "märz", "maerz", "mars", "mär"),
            ("apr", "april", "avril", "avr"),
            ("may", "mai"),
            ("jun", "june", "juni", "juin"),
            ("jul", "july", "juli", "juillet", "juil"),
            ("aug", "august", "août", "aout"),
            ("sep", "sept", "september", "septembre"),
            ("oct", "october", "okt", "oktober", "octobre"),
            ("nov", "november", "novembre"),
            ("dec", "december", "dez", "dezember", "décembre", "decembre", "déc"),
        ),
        start=1,
    )
    for name in names
}
_WEEKDAYS = frozenset(
    (
        *("mon", "tue", "tues", "wed", "thu", "thur", "thurs", "fri", "sat", "sun"),
        *("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"),
        *("montag", "dienstag", "mittwoch", "donnerstag", "freitag", "samstag", "sonntag"),
        *("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"),
    )
)
_NO_YEAR = re.compile(r"^--(\d{2})-?(\d{2})$|^---(\d{2})$")
_EMPTY_DATES = {"", "0/0/00", "0/0/0000", "00/00/0000", "0000-00-00", "00.00.0000"}
# A time of day after a date: ", 6:14 PM", " 6:14:00 PM", " 10:00", "T10:00:00+01:00",
# " at 18:14 UTC". Only what has a colon: "8 Jan 2018" has no time to strip.
_TIME = re.compile(
    r"(?:\s*,\s*|\s+|T)(?:at\s+|um\s+|à\s+)?"
    r"(?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2})(?:[.,]\d{1,9})?)?"
    r"(?:\s*(?P<half>[ap])\.?\s?m\.?)?"
    r"(?:\s*(?:z|(?:utc|gmt)(?:\s*[+-]\d{1,2}(?::?\d{2})?)?|[+-]\d{2}(?::?\d{2})?))?$",
    re.IGNORECASE,
)
_ORDINAL = r"(?:st|nd|rd|th|er|\.)?"
_SEP = r"[\s\-/.]*"
_DAY_MONTH_YEAR = re.compile(
    rf"^(?P<day>\d{{1,2}}){_ORDINAL}(?:\s*of)?{_SEP}(?P<month>[^\W\d_]+)\.?,?{_SEP}"
    r"(?P<year>\d{4}|\d{2})$"
)
_MONTH_DAY_YEAR = re.compile(
    rf"^(?P<month>[^\W\d_]+)\.?{_SEP}(?P<day>\d{{1,2}}){_ORDINAL},?{_SEP}(?P<year>\d{{4}})$"
)
_YEAR_MONTH_DAY = re.compile(
    rf"^(?P<year>\d{{4}}){_SEP}(?P<month>[^\W\d_]+)\.?{_SEP}(?P<day>\d{{1,2}})$"
)


def file_date(text: str) -> date | None:
    """A date as address books, phones and spreadsheets write it; None for an empty one.

    - ISO: 2018-01-08, 20180108 (vCard), with a time and a zone or not (2018-01-08 10:00,
      2018-01-08T10:00:00Z, 2018-01-08T10:00:00+01:00, 20180108T101500Z); the date is the
      one written, not moved to UTC. Year first with slashes or dots: 2018/01/08.
    - Numbers: slashes read month first (1/8/2018, 4/15/1985: Outlook English, US
      spreadsheets, LinkedIn), except when the first cannot be a month (15/04/1985); dots
      read day first (15.04.1985). A caller that knows a file writes 05/04/1985 for the 5th
      of April passes its slashes as dots (contacts_csv does, per file).
    - Month names, English, German and French, full or short, after an optional weekday:
      08 Jan 2018, 8 January 2018, 8. Januar 2018, Jan 8, 2018, Monday, January 8, 2018,
      2018-Jan-08, 08-Jan-18.
    - Any of these followed by a time of day: 1/8/18, 6:14 PM (LinkedIn's Connected On),
      1/8/2018 6:14:00 PM (Outlook), 08.01.2018 10:00. A time that is not one (25:00,
      13:00 PM) makes the whole text not a date. Slashes whose order the date alone does
      not tell (1/8/2018, not 15/04/1985) are read month first with a 12-hour clock only
      (the US way, LinkedIn's and Outlook English's); with a 24-hour clock (1/8/2018 10:00,
      mostly written day first) they are not a date unless the caller passes them as dots.

    A two-digit year is 2000-2029 for 00-29 and 1900-1999 for 30-99 (the pivot; birthdays
    are mostly in the past), and only in 1/8/18, 08.01.18 and 08-Jan-18; never Jan 8, 18.

    Raises CrmError for what it cannot read, so that callers keep the text as written. A
    date without a year (vCard's --0108 or --01-08, ---08) raises CrmError "has no year"
    rather than returning None: there is nothing to store it in, and None means an empty
    date, which callers drop; the vCard and CSV readers keep it as a "Birthday: --0108"
    line of the notes."""
    value = " ".join(str(text).split())
    if value.lower() in _EMPTY_DATES:
        return None
    if match := _NO_YEAR.match(value):
        month, day = (int(match[1]), int(match[2])) if match[1] else (1, int(match[3]))
        try:
            date(2000, month, day)  # a leap year: --0229 is a birthday
        except ValueError:
            raise CrmError(f"'{text}' is not a date") from None
        raise CrmError(f"'{text}' has no year")
    plain, clock = _split_time(value)
    if clock and not clock["half"] and _ambiguous_slashes(plain):
        raise CrmError(f"'{text}' is not a date")
    for candidate in (plain, value) if plain != value else (value,):
        for parse in (_iso, _numeric, _named):
            try:
                found = parse(candidate)
            except (ValueError, OverflowError):
                found = None
            if found is not None:
                return found
    raise CrmError(f"'{text}' is not a date")


def date_part(text: str) -> str:
    """text without the time of day that follows its date ("1/8/18, 6:14 PM" -> "1/8/18",
    "2018-01-08T10:00:00Z" -> "2018-01-08"); text as given when it has none, or when what
    follows is not a time of day (25:00, 13:14 PM).

    For callers that look at the date alone, e.g. to settle per file whether slashes are
    read day first."""
    return _split_time(text)[0]


def _split_time(text: str) -> tuple[str, re.Match[str] | None]:
    """(the date, the time of day after it), or (text, None) when it has none."""
    value = text.strip()
    match = _TIME.search(value)
    if not match or not _is_time(match):
        return value, None
    return value[: match.start()], match


def _ambiguous_slashes(value: str) -> bool:
    """Whether a slashed date reads differently day first and month first (1/8/2018)."""
    match = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{2}|\d{4})", value)
    if not match:
        return False
    first, second = int(match[1]), int(match[2])
    return first != second and max(first, second) <= 12


def _is_time(match: re.Match[str]) -> bool:
    hour, minute = int(match["hour"]), int(match["minute"])
    second = int(match["second"] or 0)
    hours = range(1, 13) if match["half"] else range(24)
    return hour in hours and minute < 60 and second < 60


def _iso(value: str) -> date | None:
    if match := re.fullmatch(
        r"(\d{4})(\d{2})(\d{2})(?:T\d{2}(?:\d{2}(?:\d{2})?)?(?:Z|[+-]\d{2}(?:\d{2})?)?)?", value
    ):
        return date(*map(int, match.groups()))
    if re.match(r"^\d{4}-\d{2}-\d{2}", value):
        head = value[:10]
        rest = value[10:]
        if rest and not re.fullmatch(
            r"[T ]\d{2}:?\d{2}(:?\d{2}([.,]\d+)?)?(Z|[+-]\d{2}(:?\d{2})?)?", rest
        ):
            return None
        return date.fromisoformat(head)
    if match := re.fullmatch(r"(\d{4})([/.-])(\d{1,2})\2(\d{1,2})", value):  # 1970-1-1 too
        return date(int(match[1]), int(match[3]), int(match[4]))
    return None


def _full_year(year: str) -> int:
    number = int(year)
    if len(year) == 2:  # 00-29 -> 2000s, else 1900s: birthdays are mostly in the past
        number += 2000 if number < 30 else 1900
    return number


def _numeric(value: str) -> date | None:
    match = re.fullmatch(r"(\d{1,2})([/.])(\d{1,2})\2(\d{2}|\d{4})", value)
    if not match:
        return None
    first, sep, second, year = match.groups()
    if sep == "/":  # month first, as Outlook (English) and US spreadsheets write it
        month, day = int(first), int(second)
        if month > 12 >= day:  # 15/04/1985 cannot be month-first
            month, day = day, month
    else:
        day, month = int(first), int(second)
    return date(_full_year(year), month, day)


def _named(value: str) -> date | None:
    value = value.lower()
    words = value.split(None, 1)
    if len(words) == 2 and words[0].rstrip(".,") in _WEEKDAYS:  # Monday, January 8, 2018
        value = words[1]
    for shape in (_DAY_MONTH_YEAR, _MONTH_DAY_YEAR, _YEAR_MONTH_DAY):
        if (match := shape.match(value)) and match["month"] in _MONTHS:
            return date(_full_year(match["year"]), _MONTHS[match["month"]], int(match["day"]))
    return None


# --- CSV records -------------------------------------------------------------------------


def _split_lines(text: str) -> Iterator[str]:
    """The lines of text whose line ends are all \\n, each with its \\n, read in place: an
    io.StringIO of the text would first copy it at four bytes a character."""
    start, end = 0, len(text)
    find = text.find
    while start < end:
        stop = find("\n", start) + 1 or end
        yield text[start:stop]
        start = stop


class _Lines:
    """The file's lines for csv.reader, remembering those of the record being read."""

    def __init__(self, text: str) -> None:
        # Line ends as decode() leaves them (\n) are split in place; any \r (a caller's own
        # text) the way csv expects, by io.StringIO.
        self._lines = iter(io.StringIO(text, newline="")) if "\r" in text else _split_lines(text)
        self.count = 0
        self.current: list[str] = []

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        line = next(self._lines)
        self.count += 1
        self.current.append(line)
        return line


def _ends_in_quotes(lines: list[str], delimiter: str) -> bool:
    try:
        for _ in csv.reader(lines, delimiter=delimiter, strict=True):
            pass
    except csv.Error as err:
        return "end of data" in str(err)
    return False


def _unreadable(err: csv.Error, line: int) -> FileRejected:
    if "field limit" in str(err):
        return FileRejected(
            f"a quoted cell begun on line {line} never ends (it runs past "
            f"{csv.field_size_limit():,} characters); a quote is missing or the file is truncated"
        )
    return FileRejected(f"line {line}: cannot be read as CSV ({err})")


def csv_records(text: str, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """(line where the record starts, cells), counting the newlines inside quoted cells.

    Lenient about stray quotes, as spreadsheets are; a file that ends inside a quoted
    cell is refused as truncated."""
    lines = _Lines(text)
    reader = csv.reader(lines, delimiter=delimiter)
    start = 1
    last: list[str] = []
    try:
        for cells in reader:
            yield start, cells
            start = lines.count + 1
            last, lines.current = lines.current, []
    except csv.Error as err:
        raise _unreadable(err, start) from None
    if last and _ends_in_quotes(last, delimiter):
        begun = start - len(last)
        raise FileRejected(
            f"the file ends inside a quoted cell begun on line {begun}; the file looks truncated"
        )
