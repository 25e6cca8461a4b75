"""A large file's phone numbers checked ahead by worker processes: the same report as checking
them here, from any thread, falling back to this process when workers fail, stopped with the
import."""

from __future__ import annotations

import threading
from datetime import date, datetime

import pytest

from tui_crm.core.interchange import load
from tui_crm.core.interchange.load import load_customers
from tui_crm.core.interchange.records import Parsed, SourceRow

pytestmark = pytest.mark.both_engines

NOW = datetime(2026, 11, 20, 10, 0)
FIRST = ("Anna", "Robert", "Rob", "Bob", "Kari", "Jürgen")
LAST = ("Berg", "Smith", "Müller", "Olsen")


def _rows(count: int, *, slow: bool = True) -> list[SourceRow]:
    """Rows of every kind: good, bad phone or email, the same person twice, unreadable, no
    name, referred by another row, namesakes of earlier rows."""
    rows = []
    for n in range(count):
        values: dict = {
            "first_name": FIRST[n % len(FIRST)],
            "last_name": LAST[n % 7 % len(LAST)],
            "company": f"Firm {n % 50}",
            "emails": [("work", f"p{n}@example.com")],
            # Numbers written +CC and digits are checked here (core/quick_phones.py); the
            # workers take those that need phonenumbers, written as in the book's region.
            "phones": [("mobile", f"+47 9{n:07d}"), ("work", f"(212) 555-{n % 10000:04d}")],
            "tags": ["Key", "vip"],
            "birthday": date(1980, 1 + n % 12, 1 + n % 28),
            "category": ("Key account", "key account", "")[n % 3],
        }
        if not slow:
            values["phones"] = [("mobile", f"+47 9{n:07d}"), ("work", "+1 212 555 0100")]
        error = None
        if n % 97 == 5:
            values["phones"] = [("mobile", "12"), ("work", "not a number")]
        elif n % 101 == 3:
            values["phones"] = "+47 22 33 44 55; 555-0199"  # as a user might pass them
        elif n % 89 == 7:
            values["emails"] = [("work", "not an email")]
        elif n % 83 == 9:
            values["emails"] = [("work", f"p{n - 1}@example.com")]  # the row before, again
        elif n % 79 == 11:
            error = "birthday: '31/31/1980' is not a date"
        elif n % 73 == 13:
            values = {"notes": "nobody"}
        elif n % 71 == 15:
            values["referred_by"] = f"p{n - 3}@example.com"
        elif n % 67 == 17:
            values["referred_by"] = "nobody@example.com"
        rows.append(SourceRow(n + 2, values, error))
    return rows


def _load(db, rows, **options):
    return load_customers(db, Parsed("CSV", rows), source="big.csv", now=NOW, **options)


@pytest.fixture
def two_cores(monkeypatch):
    """Workers are used on any machine, and each use is seen."""
    monkeypatch.setattr(load, "_cores", lambda: 2)
    started = []
    original = load._PhoneWorkers.__init__

    def counted(self, *args):
        original(self, *args)
        started.append(self)

    monkeypatch.setattr(load._PhoneWorkers, "__init__", counted)
    return started


def test_workers_give_the_report_that_checking_here_gives(db, two_cores, monkeypatch):
    rows = _rows(load.POOL_MIN_ROWS + 400)
    by_workers = _load(db, rows, dry_run=True)
    [workers] = two_cores
    assert not workers.broken and workers.next == 3  # every piece's numbers were answered
    monkeypatch.setattr(load, "POOL_MIN_ROWS", 10**9)
    here = _load(db, rows, dry_run=True)
    assert len(two_cores) == 1
    assert by_workers == here
    assert here.rejected and here.duplicates and here.new_categories == ("Key account",)
    # Issue 15: a number that does not validate is kept as typed, with a warning.
    assert any(
        w.field == "phones" and "'12' could not be verified; kept as typed" in w.message
        for w in here.warnings
    )
    assert here.added + len(here.rejected) == len(rows)


def test_a_small_file_is_checked_here(db, two_cores):
    _load(db, _rows(load.POOL_MIN_ROWS - 1), dry_run=True)
    assert two_cores == []


def test_an_import_from_a_worker_thread_reports_progress_on_that_thread(db, two_cores):
    rows = _rows(load.POOL_MIN_ROWS)
    seen: set[tuple[str, int]] = set()
    done = {}

    def run():
        done["report"] = _load(db, rows, progress=lambda stage, *_: seen.add((stage, ident())))
        db.close()

    ident = threading.get_ident
    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    assert len(two_cores) == 1
    assert seen == {("checking", thread.ident), ("writing", thread.ident)}
    assert done["report"].added > 0.9 * len(rows)


def test_when_workers_cannot_start_or_die_the_rest_is_checked_here(db, two_cores, monkeypatch):
    rows = _rows(load.POOL_MIN_ROWS + 1500)
    by_workers = _load(db, rows, dry_run=True)
    monkeypatch.setattr(load, "_WORKER", "raise SystemExit(3)")
    assert _load(db, rows, dry_run=True) == by_workers
    answers_once = (
        "import pickle, sys\n"
        "from tui_crm.core.fields import phone_answer\n"
        "asked = pickle.load(sys.stdin.buffer)\n"
        "pickle.dump([phone_answer(n, region) for n, region in asked], sys.stdout.buffer)\n"
    )
    monkeypatch.setattr(load, "_WORKER", answers_once)
    assert _load(db, rows, dry_run=True) == by_workers
    assert [(w.broken, w.next) for w in two_cores] == [(False, 4), (True, 0), (True, 2)]
    assert all(proc.returncode is not None for w in two_cores for proc in w.procs)


class Stop(Exception):
    pass


def test_stopping_while_workers_check_stops_them_and_writes_nothing(db, two_cores):
    def progress(stage: str, done: int, total: int) -> None:
        if done >= 400:
            raise Stop

    with pytest.raises(Stop):
        _load(db, _rows(load.POOL_MIN_ROWS + 400), progress=progress)
    [workers] = two_cores
    assert all(proc.returncode is not None for proc in workers.procs)
    assert not any(feeder.is_alive() for feeder in workers.feeders)
    assert db.execute_sql("SELECT count(*) FROM customer").fetchone()[0] == 0


def test_numbers_checked_by_workers_are_kept_with_their_display_text(db, two_cores):
    """The workers work out each number's text with it (migration 11): what is written is
    `format_phone` of the number, as for a number checked here."""
    from tui_crm.core.fields import format_phone

    _load(db, _rows(load.POOL_MIN_ROWS + 400))
    [workers] = two_cores
    assert not workers.broken
    rows = db.execute_sql("SELECT number, verified, shown FROM customer_phone").fetchall()
    assert {verified for _, verified, _ in rows} == {0, 1}
    assert all(shown == format_phone(number) for number, _, shown in rows)


def test_a_file_of_numbers_written_plus_code_and_digits_starts_no_workers(db, two_cores):
    """Those are checked here in a few µs each: the same report, no processes started."""
    rows = _rows(load.POOL_MIN_ROWS + 400, slow=False)
    here = _load(db, rows, dry_run=True)
    assert two_cores == []
    assert here.added + len(here.rejected) == len(rows) and here.duplicates
