"""A large vCard file's cards read by worker processes, a piece at a time: the same report and
the same book as reading them here, falling back to this process when the workers cannot
start or die, and stopped with the import."""

from __future__ import annotations

from datetime import datetime

import pytest

from tui_crm.core.interchange import vcard
from tui_crm.core.interchange.files import import_data
from tui_crm.core.interchange.vcard import read_vcards
from tui_crm.core.workers import PieceWorkers
from tui_crm.db.database import close_database, open_database

NOW = datetime(2026, 11, 20, 10, 0)
FIRST = ("Anna", "Robert", "Rob", "Bob", "Kari", "Jürgen")
LAST = ("Berg", "Smith", "Müller", "Olsen")


def _vcards(count: int) -> str:
    """Cards of every kind: good, nameless with a number that is none, a date that is none,
    a property nothing keeps, Android's 2.1 every tenth, one with no END:VCARD."""
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
    """How many cores the reader sees (1: no workers); each start of workers is seen."""
    started = []

    class Counted(PieceWorkers):
        def __init__(self, *args, **kwargs):
            started.append(self)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(vcard, "PieceWorkers", Counted)

    def use(count: int) -> list:
        monkeypatch.setattr(vcard, "spare_cores", lambda: count)
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


def test_workers_give_the_report_and_book_that_reading_here_gives(home, tmp_path, cores):
    data = _vcards(vcard.CARD_POOL_MIN + 1500)
    started = cores(2)
    by_workers = _import(tmp_path, "people.vcf", data)
    [workers] = started
    assert not workers.broken and workers.next > 3  # they answered pieces
    cores(1)
    here = _import(tmp_path, "people.vcf", data)
    assert len(started) == 1
    assert by_workers == here
    report = here[0]
    assert report.rejected and report.warnings and report.duplicates
    assert report.added > 0.8 * (vcard.CARD_POOL_MIN + 1500)
    assert report.layout == "vCard 3.0" and report.ignored


@pytest.mark.parametrize("failure", ["raise SystemExit(3)", "import os; os._exit(0)"])
def test_when_workers_die_the_rest_is_read_here(home, tmp_path, cores, monkeypatch, failure):
    data = _vcards(vcard.CARD_POOL_MIN + 1500)
    cores(1)
    here = _import(tmp_path, "people.vcf", data)
    started = cores(2)
    monkeypatch.setattr(vcard, "_CARD_WORKER", failure)
    assert _import(tmp_path, "people.vcf", data) == here
    [workers] = started
    assert workers.broken and workers.next == 1
    assert all(proc.returncode is not None for proc in workers.procs)


def test_when_workers_cannot_start_everything_is_read_here(home, tmp_path, cores, monkeypatch):
    data = _vcards(vcard.CARD_POOL_MIN + 100)
    cores(1)
    here = _import(tmp_path, "people.vcf", data)
    started = cores(2)

    def refused(*args, **kwargs):
        raise OSError("no processes here")

    monkeypatch.setattr(PieceWorkers, "__init__", refused)
    assert _import(tmp_path, "people.vcf", data) == here
    assert len(started) == 1  # tried once


class Stop(Exception):
    pass


def test_stopping_an_import_stops_its_workers(home, tmp_path, cores):
    started = cores(2)

    def progress(stage: str, done: int, total: int) -> None:
        if done >= 800:
            raise Stop

    db = open_database(tmp_path / "stopped.db")
    try:
        data = _vcards(vcard.CARD_POOL_MIN + 1500).encode()
        with pytest.raises(Stop):
            import_data(db, data, name="people.vcf", now=NOW, progress=progress)
        [workers] = started
        assert all(proc.returncode is not None for proc in workers.procs)
        assert not any(feeder.is_alive() for feeder in workers.feeders)
        assert db.execute_sql("SELECT count(*) FROM customer").fetchone()[0] == 0
    finally:
        close_database()


def test_cards_read_by_workers_are_the_cards_read_one_by_one(cores):
    cards = _vcards(vcard.CARD_POOL_MIN + 700)
    started = cores(2)
    one_by_one = [vcard._read_card(card)[0] for card in vcard._split_cards(cards)]
    assert read_vcards(cards).parsed().rows == one_by_one
    assert len(started) == 1
