"""A large CSV or vCard file read and cleaned by worker processes, piece by piece: the same
report and the same book as reading it here, falling back to this process when the workers
cannot start or die; a file read in pieces reads as it does whole."""

from __future__ import annotations

from datetime import datetime

import pytest

from tui_crm.core.interchange import load, vcard
from tui_crm.core.interchange.contacts_csv import parse_contacts_csv, read_contacts_csv
from tui_crm.core.interchange.files import import_data
from tui_crm.core.interchange.vcard import read_vcards
from tui_crm.db.database import close_database, open_database

NOW = datetime(2026, 11, 20, 10, 0)
FIRST = ("Anna", "Robert", "Rob", "Bob", "Kari", "Jürgen")
LAST = ("Berg", "Smith", "Müller", "Olsen")
HEADER = (
    "First Name,Last Name,Company,E-mail Address,Mobile Phone,Business Phone,Birthday,"
    "Categories,Notes,Pager Code,Referred By"
)


def _csv(count: int) -> str:
    """Rows of every kind: good, unverifiable or bad numbers and emails, dates read one way
    until a late one says the other, no name, a quoted note over two lines, the same person
    twice, a referrer, a column nothing keeps that only late rows fill."""
    lines = [HEADER]
    for n in range(count):
        first, last = FIRST[n % len(FIRST)], LAST[n % 7 % len(LAST)]
        email, mobile, work = f"p{n}@example.com", f"+47 9{n:07d}", f"(212) 555-{n % 10000:04d}"
        birthday, note, pager, referrer = f"{1 + n % 12}/{1 + n % 12}/1980", "", "", ""
        if n % 97 == 5:
            mobile, work = "12", "not a number"
        elif n % 89 == 7:
            email = "not an email"
        elif n % 83 == 9:
            email = f"p{n - 1}@example.com"  # the row before, again
        elif n % 73 == 13:
            first = last = email = mobile = work = ""  # nobody, or only a note
            note = "nobody"
        elif n % 71 == 15:
            referrer = f"p{n - 3}@example.com"
        elif n % 61 == 3:
            note = '"met at the fair\ncall in spring"'
        if n == count - 3:
            birthday = "25/12/1980"  # the file writes its days first after all
        if n > count - 50:
            pager = f"{n}"
        cells = [first, last, f"Firm {n % 50}", email, mobile, work, birthday]
        cells += ["Key;VIP", note, pager, referrer]
        lines.append(",".join(cells))
    return "\n".join(lines) + "\n"


def _vcards(count: int) -> str:
    cards = []
    for n in range(count):
        first, last = FIRST[n % len(FIRST)], LAST[n % 7 % len(LAST)]
        body = [f"N:{last};{first};;;", f"FN:{first} {last}", f"EMAIL;TYPE=WORK:p{n}@example.com"]
        body += [f"TEL;TYPE=CELL:+47 9{n:07d}", f"TEL;TYPE=WORK:(212) 555-{n % 10000:04d}"]
        if n % 97 == 5:
            body = ["FN:", "TEL:not a number"]
        elif n % 89 == 7:
            body.append("BDAY:31/31/1980")
        elif n % 61 == 3:
            body.append("X-ODD-THING:kept aside")
        version = "2.1" if n % 10 == 9 else "3.0"
        cards.append("\n".join(["BEGIN:VCARD", f"VERSION:{version}", *body, "END:VCARD"]))
    cards.insert(count // 2, "BEGIN:VCARD\nVERSION:3.0\nFN:No End")  # ends at the next BEGIN
    return "\n".join(cards) + "\n"


def _book(db) -> list[tuple]:
    rows = []
    for table, columns in (
        ("customer", "id, first_name, last_name, company, birthday, notes, referred_by_id"),
        ("customer_email", "customer_id, label, address, position"),
        ("customer_phone", "customer_id, label, number, national, verified, shown, position"),
        ("customer_tag", "customer_id, tag_id"),
        ("customer_change", "customer_id, field, new"),
    ):
        rows += [(table, *row) for row in db.execute_sql(f"SELECT {columns} FROM {table}")]
    return rows


@pytest.fixture
def cores(monkeypatch):
    """How many cores the import sees (1: no workers); each start of workers is seen."""
    started = []
    original = load._RowWorkers.__init__

    def counted(self, *args):
        original(self, *args)
        started.append(self)

    monkeypatch.setattr(load._RowWorkers, "__init__", counted)

    def use(count: int) -> list:
        monkeypatch.setattr(load, "_cores", lambda: count)
        return started

    return use


def _import(tmp_path, name: str, data: str):
    """The report and the book of importing `data` (a file called `name`) into a new book."""
    book = tmp_path / f"{len(list(tmp_path.glob('*.db')))}.db"
    db = open_database(book)
    try:
        report = import_data(db, data.encode(), name=name, who="tester", now=NOW)
        return report, _book(db)
    finally:
        close_database()


@pytest.mark.parametrize(("name", "make"), [("people.csv", _csv), ("people.vcf", _vcards)])
def test_workers_give_the_report_and_book_that_reading_here_gives(
    home, tmp_path, cores, name, make
):
    data = make(load.POOL_MIN_ROWS + 1500)
    started = cores(2)
    by_workers = _import(tmp_path, name, data)
    [workers] = started
    assert not workers.broken and workers.next > 3  # they answered pieces
    cores(1)
    here = _import(tmp_path, name, data)
    assert len(started) == 1
    assert by_workers == here
    report = here[0]
    assert report.rejected and report.warnings and report.duplicates
    assert report.added > 0.8 * (load.POOL_MIN_ROWS + 1500)
    if name.endswith(".csv"):
        assert report.ignored == ("Pager Code",)  # only the last rows fill it
        assert ("customer", 3, "Rob", "Müller", "Firm 2", "1980-03-03", "", None) in here[1]
    else:
        assert report.layout == "vCard 3.0" and report.ignored


@pytest.mark.parametrize("failure", ["raise SystemExit(3)", "import os; os._exit(0)"])
def test_when_workers_die_the_rest_is_read_here(home, tmp_path, cores, monkeypatch, failure):
    data = _csv(load.POOL_MIN_ROWS + 1500)
    cores(1)
    here = _import(tmp_path, "people.csv", data)
    started = cores(2)
    monkeypatch.setattr(load, "_ROW_WORKER", failure)
    assert _import(tmp_path, "people.csv", data) == here
    [workers] = started
    assert workers.broken and workers.next == 1
    assert all(proc.returncode is not None for proc in workers.procs)


def test_when_workers_cannot_start_everything_is_read_here(home, tmp_path, cores, monkeypatch):
    data = _vcards(load.POOL_MIN_ROWS + 100)
    cores(1)
    here = _import(tmp_path, "people.vcf", data)
    cores(2)

    def refused(*args, **kwargs):
        raise OSError("no processes here")

    monkeypatch.setattr(load.PieceWorkers, "__init__", refused)
    assert _import(tmp_path, "people.vcf", data) == here


def test_a_file_read_in_pieces_reads_as_it_does_whole():
    """A counted CSV file is read a piece of records at a time (a quoted cell over two
    lines never split), its dates settled and its ignored columns found over all of them;
    a vCard file a piece of cards at a time."""
    text = _csv(3500)
    stream = read_contacts_csv(text)
    assert stream.count == 3500 and stream.ahead is not None
    assert stream.parsed() == parse_contacts_csv(text)
    assert stream.corrections  # the ambiguous dates before the late day-first one
    cards = _vcards(1200)
    one_by_one = [vcard._read_card(card)[0] for card in vcard._split_cards(cards)]
    assert read_vcards(cards).parsed().rows == one_by_one
