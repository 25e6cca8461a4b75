"""Reading an import file's text whatever its encoding, its CSV records with their line
numbers, and dates as exporting programs write them."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

from tui_crm.core.interchange.records import FileRejected
from tui_crm.errors import CrmError

_BOMS = (
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe", "utf-16"),  # Outlook's "Unicode" CSV
    (b"\xfe\xff", "utf-16"),
)
# Bytes cp1252 leaves undefined: a file holding them is latin-1 (or not text at all).
_CP1252_HOLES = re.compile(rb"[\x81\x8d\x8f\x90\x9d]")


def read_source(path: str | Path) -> str:
    """The text of an import file, or FileRejected with one line saying why not."""
    file = Path(path)
    try:
        data = file.read_bytes()
    except FileNotFoundError:
        raise FileRejected(f"{file}: no such file") from None
    except IsADirectoryError:
        raise FileRejected(f"{file}: is a folder, not a file") from None
    except OSError as err:
        raise FileRejected(f"{file}: cannot be read ({err.strerror or err})") from None
    return decode(data, str(file))


def decode(data: bytes, name: str = "the file") -> str:
    """Text from bytes: UTF-8 with or without BOM, UTF-16 with BOM, else cp1252/latin-1.

    Line endings become \\n. Empty and binary files are refused."""
    if not data.strip():
        raise FileRejected(f"{name}: the file is empty")
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                text = data.decode(encoding)
            except UnicodeDecodeError:
                raise FileRejected(f"{name}: is not readable text ({encoding} broken)") from None
            break
    else:
        if b"\x00" in data[:65536]:
            raise FileRejected(f"{name}: is a binary file, not text")
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
_NO_YEAR = re.compile(r"^--(\d{2})-?(\d{2})$")
_EMPTY_DATES = {"", "0/0/00", "0/0/0000", "00/00/0000", "0000-00-00", "00.00.0000"}


def file_date(text: str) -> date | None:
    """A date as address books and spreadsheets write it; None for an empty one.

    ISO (1985-04-15, 19850415, with or without a time), US slashes (4/15/1985, Outlook
    English), day-first dots (15.04.1985), and month names (15 Nov 2023, Nov 15, 2023).
    A date without a year (--0415) raises CrmError: there is nothing to store it in."""
    value = " ".join(str(text).split()).strip().rstrip("Z")
    if value.lower() in _EMPTY_DATES:
        return None
    if _NO_YEAR.match(value):
        raise CrmError(f"'{text}' has no year")
    for parse in (_iso, _numeric, _named):
        try:
            found = parse(value)
        except (ValueError, OverflowError):
            found = None
        if found is not None:
            return found
    raise CrmError(f"'{text}' is not a date")


def _iso(value: str) -> date | None:
    if re.fullmatch(r"\d{8}", value):
        return date(int(value[:4]), int(value[4:6]), int(value[6:]))
    if re.match(r"^\d{4}-\d{2}-\d{2}", value):
        head = value[:10]
        rest = value[10:]
        if rest and not re.fullmatch(
            r"[T ]\d{2}:?\d{2}(:?\d{2}(\.\d+)?)?([+-]\d{2}:?\d{2})?", rest
        ):
            return None
        return date.fromisoformat(head)
    if re.fullmatch(r"\d{8}T\d{6}", value):
        return datetime.strptime(value, "%Y%m%dT%H%M%S").date()
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
    words = re.findall(r"[^\W\d_]+\.?|\d+", value.lower())
    numbers = [w for w in words if w.isdigit()]
    names = [w.rstrip(".") for w in words if not w.isdigit()]
    months = [_MONTHS[n] for n in names if n in _MONTHS]
    if len(months) != 1 or len(numbers) != 2:
        return None
    day, year = numbers if len(numbers[1]) == 4 else numbers[::-1]
    if len(year) != 4:
        return None
    return date(int(year), months[0], int(day))


# --- CSV records -------------------------------------------------------------------------


class _Lines:
    """The file's lines for csv.reader, remembering those of the record being read."""

    def __init__(self, text: str) -> None:
        self._lines = iter(io.StringIO(text, newline=""))
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
