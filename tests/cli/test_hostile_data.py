"""A book whose every text field is hostile, through every command and format: nothing from the
data moves a terminal's cursor, retitles it or writes to its clipboard; CSV cells are never
formulas; JSON carries the data exactly; nothing crashes."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from tests.cli.books import Place, on_server, rows
from tui_crm.cli import main
from tui_crm.core.customers import create_customer, log_interaction
from tui_crm.core.display import spreadsheet_cell
from tui_crm.db.database import close_database, open_database

HOSTILE = (
    "[/]",
    "[bold red]x[/]",
    "[@click=app.quit]Q[/]",
    "[link=file:///etc/passwd]x[/]",
    "\x1b]0;pwned\x07",  # retitles the terminal
    "\x1b[2J",  # clears the screen
    "\x1b]52;c;ZWNobyBoaQ==\x07",  # OSC 52: writes to the clipboard
    "nul\x00here",
    "\x9b31m",  # C1 CSI
    "\u202eevil",  # right-to-left override
    '=HYPERLINK("http://x")',
    "+cmd|' /C calc'!A0",
    "@SUM(1)",
    "-2+3",
)
MEGA = "\x1b]0;pwned\x07" + "y" * 1_000_000  # a 1 MB string
# Local parts that are valid in an email address and still hostile in a spreadsheet.
LOCAL_PARTS = ("=1+1", "+cmd", "-2+3", "-x", "'quoted")
# What must never reach a terminal from the data: C0 controls but the newline, DEL, C1, bidi.
FORBIDDEN = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _make_hostile(place: Path | str, home: Path) -> None:
    """Each hostile string in every text field of a customer, and a twin of each (a probable
    duplicate), referring each other in a chain; an overdue follow-up for each; one customer
    holds a 1 MB string."""
    with pytest.MonkeyPatch.context() as env:
        env.setenv("TUI_CRM_HOME", str(home))
        env.setenv("TUI_CRM_REGION", "NO")
        _fill(place)


@pytest.fixture
def book(books, home, book_place, tmp_path, request) -> Place:
    """A copy of the hostile book for one test, where the test's book is (`book_place`): a
    file, or a database on the test cluster. The book is made once, in a file."""
    return books.copy(
        "hostile",
        lambda path: _make_hostile(path, path.parent / "home"),
        tmp_path / "hostile.db",
        request,
        # Made there, not copied: PostgreSQL's text cannot hold the NUL that one string has.
        on_server=lambda url: _make_hostile(url, tmp_path / "setup-home"),
    )


def _fill(place: Path | str) -> None:
    db = open_database(place)
    now = datetime.now().replace(microsecond=0)
    previous = None
    for n, text in enumerate((*HOSTILE, MEGA)):
        if "\x00" in text and on_server(place):
            continue  # text on PostgreSQL cannot hold a NUL
        for twin in (0, 1):
            local = LOCAL_PARTS[n % len(LOCAL_PARTS)]
            lost = n % 3 == 0 and twin
            previous = create_customer(
                db,
                {
                    "first_name": text,
                    "last_name": f"Zed{text}",
                    "company": text,
                    "job_title": text,
                    "notes": f"{text}\n{text}",
                    "tags": [text],
                    "street": text,
                    "postal_code": "0150",
                    "city": text,
                    "why_chose_us": text,
                    "source": text,
                    "status": "lost" if lost else "active",
                    "lost_reason": text if lost else "",
                    "emails": [f"{local}{n}.{twin}@example.com"],
                    "phones": [f"+47 4000 {n:02d}{twin:02d}"],
                    "referred_by": previous,
                },
            )
            log_interaction(
                db,
                previous,
                notes=text,
                outcome=text,
                at=now - timedelta(days=100),
                follow_up=(now - timedelta(days=3)).date(),
            )
    if not on_server(place):
        db.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    close_database()


@pytest.fixture(autouse=True)
def big_csv_fields():
    """The 1 MB value is one CSV cell: more than the csv module reads by default."""
    before = csv.field_size_limit(10_000_000)
    yield
    csv.field_size_limit(before)


def _run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    close_database()
    out, err = capsys.readouterr()
    return code, out, err


_stored = rows


def _safe(text: str) -> None:
    bad = FORBIDDEN.search(text)
    assert bad is None, (
        f"{bad.group()!r} at {bad.start()}: {text[max(0, bad.start() - 40) :][:80]!r}"
    )


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(
    "args",
    [
        ("find", "--limit", "0"),
        ("find", "Zed", "sort:name"),
        ("attention", "--limit", "0"),
        ("duplicates",),
        ("referrals",),
        ("referrals", "3"),
        ("log", "9", "--note", HOSTILE[4], "--outcome", HOSTILE[6]),
    ],
)
def test_tables_and_lines_show_hostile_data_as_visible_text(book, capsys, args):
    code, out, err = _run(capsys, *args, "--db", str(book))
    assert (code, err) == (0, "")
    assert len(out.splitlines()) > 1 or args[0] == "log"
    _safe(out)
    assert "␛]0;pwned␇" in out  # shown, not obeyed


def test_every_error_that_quotes_hostile_data_is_one_visible_line(book, capsys, tmp_path):
    for args in (
        ("log", f"Nobody {HOSTILE[4]}", "--note", "x"),  # no such customer
        ("find", f"bogus:{HOSTILE[6]}"),  # unknown qualifier, quoted
        ("find", f"tier:{HOSTILE[5]}"),
        ("find", "spent12m>=99999999999999999999999"),
        ("find", f"rob{HOSTILE[7]}"),  # a NUL in a query
        ("export", "-o", str(tmp_path / HOSTILE[4])),  # a name for a file: fine, see below
    ):
        code, out, err = _run(capsys, *args, "--db", str(book))
        if args[0] == "export":
            assert code == 0 and "pwned" in err
        else:
            assert code == 1 and out == ""
        assert len(err.splitlines()) == 1, err
        _safe(err)


def test_an_ambiguous_hostile_name_lists_the_twins_visibly(book, capsys):
    code, out, err = _run(
        capsys, "log", f"{HOSTILE[4]} Zed{HOSTILE[4]}", "--note", "x", "--db", str(book)
    )
    assert code == 1 and out == ""
    assert "matches 2 customers" in err
    assert len(err.splitlines()) == 3
    _safe(err)


@pytest.mark.parametrize(
    "command", [("find", "--limit", "0"), ("attention", "--limit", "0"), ("duplicates",)]
)
def test_json_carries_the_data_exactly_and_escapes_every_control(book, capsys, command):
    code, out, err = _run(capsys, *command, "--format", "json", "--db", str(book))
    assert code == 0
    _safe(out)  # not one raw control, DEL, C1 or bidi character
    records = json.loads(out)
    assert records
    if command[0] == "find":
        cities = {city for (city,) in _stored(book, "SELECT city FROM customer")}
        assert {r["city"] for r in records} == cities
        assert MEGA in cities and "\x9b31m" in cities and "\u202eevil" in cities
        names = {
            f"{first} {last}"
            for first, last in _stored(book, "SELECT first_name, last_name FROM customer")
        }
        assert {r["name"] for r in records} == names


@pytest.mark.parametrize(
    "command", [("find", "--limit", "0"), ("attention", "--limit", "0"), ("duplicates",)]
)
def test_csv_has_no_formula_cells_and_the_data_as_stored_in_a_file(book, capsys, command):
    _, out, _ = _run(capsys, *command, "--format", "json", "--db", str(book))
    records = json.loads(out)
    code, out, err = _run(capsys, *command, "--format", "csv", "--db", str(book))
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert rows == [{k: spreadsheet_cell(str(v)) for k, v in r.items()} for r in records]
    cells = [cell for row in rows for cell in row.values()]
    for formula in ('=HYPERLINK("http://x")', "+cmd|' /C calc'!A0", "@SUM(1)", "-2+3"):
        assert "'" + formula in cells or command[0] != "find"
        assert formula not in cells
    assert any(cell.startswith("'=HYPERLINK") for cell in cells)


@pytest.mark.parametrize(
    "command",
    [
        ("find", "--limit", "0", "--format", "csv"),
        ("attention", "--limit", "0", "--format", "csv"),
        ("duplicates", "--format", "csv"),
        ("export",),
        ("export", "--format", "vcard"),
        ("export", "--format", "labels"),
        ("export", "--format", "emails"),
        ("export", "-o", "-"),
    ],
)
def test_csv_and_exports_on_a_terminal_show_the_data_visibly(book, capsys, monkeypatch, command):
    terminal = _Terminal()
    monkeypatch.setattr("sys.stdout", terminal)
    code = main([*command, "--db", str(book)])
    close_database()
    out = terminal.getvalue()
    assert code == 0 and out
    _safe(out)
    assert "␛]0" in out and "pwned␇" in out  # vCard writes the ; as \\;
    _safe(capsys.readouterr().err)
    # A file or a pipe gets the data as stored (formulas guarded in CSV).
    monkeypatch.undo()
    code, out, err = _run(capsys, *command, "--db", str(book))
    assert code == 0 and "\x1b]0" in out and "pwned\x07" in out
    if "csv" in command or command in (("export",), ("export", "-o", "-")):
        cells = [cell for row in csv.reader(io.StringIO(out)) for cell in row]
        assert any(cell.startswith("'=HYPERLINK") for cell in cells)
        assert any(cell.startswith("'-2+3") for cell in cells)
        assert all(spreadsheet_cell(cell) == cell for cell in cells)  # none runs as a formula


def test_import_report_lines_quote_hostile_cells_visibly(book, capsys, tmp_path):
    source = tmp_path / "hostile.csv"
    with source.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["First Name", "Last Name", "E-mail Address", "Notes"])
        for text in HOSTILE:
            if "\x00" in text:
                continue  # a file with NUL is binary: refused in one line, below
            # The email is no address: kept as given in the notes, and said so in the report.
            writer.writerow([text, f"Zed{text}", f"{text}@bad", text])
            writer.writerow([text, f"Zed{text}", "", text])  # a probable duplicate
        for n in range(300):  # plain rows: a file mostly of controls is refused as binary
            writer.writerow([f"Plain{n}", "Person", f"plain{n}@example.com", "x" * 60])
    code, out, err = _run(capsys, "import", str(source), "--db", str(book))
    assert code == 0, err
    assert "kept as given, not verified" in out and "probable duplicates" in out
    assert "␛]0;pwned␇" in out
    _safe(out)
    _safe(err)
    binary = tmp_path / f"{HOSTILE[4]}.csv"
    binary.write_bytes(b"First Name,Last Name\nnul\x00here,Zed\n")
    code, out, err = _run(capsys, "import", str(binary), "--db", str(book))
    assert (code, out) == (1, "") and "binary" in err
    assert len(err.splitlines()) == 1
    _safe(err)


def test_a_referrals_line_of_a_1_mb_name_is_cut_in_the_name_and_keeps_its_id(book, capsys):
    (mega,) = _stored(book, "SELECT id FROM customer WHERE first_name = ? LIMIT 1", (MEGA,))
    code, out, _ = _run(capsys, "referrals", "--db", str(book))
    assert code == 0
    lines = [line for line in out.splitlines() if f" #{mega[0]}  " in line]
    assert len(lines) == 1 and len(lines[0]) < 2_000, [len(line) for line in lines]
    assert "more characters) #" in lines[0]
