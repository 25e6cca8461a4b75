"""Putting parsed customers into the book: match each row by a stable key (uid, email) to
update that customer or add a new one, all in one transaction, and report every row.

Checking comes first and writes nothing: a dry run and `--strict` stop there. The rows are
read one at a time as they are checked (a file's reader counts them first), and each good row
is kept only as what it will write, so a large file is never held twice. A number written +CC
and digits is checked here in a few µs (core/quick_phones.py); one that needs phonenumbers
takes some 25 µs and nothing else to be checked, so once a large file shows many of those,
worker processes check the numbers of the rows read ahead of the one being checked, and
`parse_phone` answers from what they found. Then one transaction writes the updates (through
`update_customer`, so history and versions work as for an edit) and the new customers (raw
inserts with the triggers and plain indexes off, then only the new customers are indexed): a
crash leaves nothing half-imported.

An update is based on the version of the customer it was planned from. A customer someone
changed between the checks and the write is planned again, inside the write transaction,
against what they hold now; a row that would then change again a field they just changed is
not written but reported (rejected, saying who changed what; with `--strict`, nothing is
written). Nobody's change is ever silently overwritten.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from functools import cached_property, lru_cache
from operator import itemgetter
from typing import Any

from peewee import Database

from tui_crm.core.backups import backup_before
from tui_crm.core.bulk import Rebuild, bulk_load
from tui_crm.core.config import settings, user_of
from tui_crm.core.customer_fields import FREE_TEXT
from tui_crm.core.customers import (
    Cleaned,
    CleanPhone,
    changes_since,
    clean_customer,
    labelled_pairs,
    new_uids,
    phone_region,
    stale_error,
    update_customer,
)
from tui_crm.core.duplicates import equivalent_first_names
from tui_crm.core.fields import (
    PhoneAnswers,
    format_phone,
    phone_text,
    remembered_phones,
    split_extension,
)
from tui_crm.core.interchange.export import customer_records
from tui_crm.core.interchange.keys import CustomerKeys
from tui_crm.core.interchange.records import (
    SCALAR_FIELDS,
    CustomerRecord,
    Parsed,
    RowStream,
    SourceRow,
)
from tui_crm.core.interchange.report import (
    DEFAULT_CADENCE_DAYS,
    ImportReport,
    ProbableDuplicate,
    Progress,
    RejectedRow,
    RowWarning,
    UpdatedRow,
    no_progress,
)
from tui_crm.core.interchange.rows import SETTLE_EVERY, settled_objects, stamp
from tui_crm.core.merge import field_label
from tui_crm.core.names import fold_name
from tui_crm.core.plans import Touch, add_category
from tui_crm.core.quick_phones import looks_quick
from tui_crm.core.types import display_name
from tui_crm.core.workers import PieceWorkers, can_start, spare_cores
from tui_crm.db.models import Customer
from tui_crm.db.store import store_of
from tui_crm.errors import ConflictError, CrmError, ValidationError

# Fields an import only adds to (FREE_TEXT it never overwrites): planned again from what a
# customer holds now, nothing of what someone else just wrote there is lost.
_ADDED_TO = frozenset({*FREE_TEXT, "emails", "phones", "tags", "email_opt_out"})

# Checking a phone number that needs phonenumbers is most of the time a row takes (about 25
# µs each). Worker processes take a quarter of a second to start: a file of fewer rows is
# checked here alone, and so is one whose numbers are nearly all written +CC and digits
# (core/quick_phones.py, a few µs each): the workers start with the first piece of rows
# whose first POOL_SAMPLE rows hold POOL_SLOW numbers that need phonenumbers (looking at
# every row until then would cost as much as checking the quick numbers).
POOL_MIN_ROWS = 2_000
POOL_SAMPLE = 100
POOL_SLOW = 20
POOL_CHUNK = 1_000  # rows whose numbers go to a worker at a time
READ_AHEAD = 2  # pieces per worker read (and their numbers sent) ahead of the one checked

# Fields whose values repeat from row to row (first names, cities, a company): a row keeps
# the one string every row with that value shares.
_SHARED = frozenset(
    {
        *("first_name", "last_name", "nickname", "company", "job_title", "gender", "prefix"),
        *("suffix", "postal_code", "city", "region", "country", "source", "owner", "territory"),
        *("status", "lost_reason"),
    }
)


_PHONE = len(CleanPhone._fields)  # a phone's fields in _Plan.phones


def _kept_phone(phone: CleanPhone, share: Callable[[str, str], str]) -> tuple[Any, ...]:
    """A phone's fields as a plan keeps them. A verified number's national digits are left
    out (None) when they are what follows its country code, as nearly always: `_national`
    reads them back, and a plan holds a string less per number for the display text it
    holds since migration 11 (some 12 MB in 100 000 rows)."""
    national = phone.national
    if phone.verified and _national(phone.number, phone.shown) == national:
        national = None
    return (share(phone.label, phone.label), phone.number, national, *phone[3:])


def _national(number: str, shown: str) -> str:
    """A verified number's national digits: its E.164 form after the country code, which its
    shown text ("+CC …") names, without the leading zeros phonenumbers keeps apart."""
    code = shown[1 : shown.find(" ")]
    return number[1 + len(code) :].lstrip("0")


@dataclass(eq=False, slots=True)
class _Plan:
    """One good row: what it will do. What the row gave, cleaned, is kept compactly: its
    fields' names (one tuple for every row of the same shape) and their values."""

    key: int  # -(n + 1) for the n-th good row: stands for its id until it has one
    line: int
    name: str
    fields: tuple[str, ...]  # the cleaned one-value fields the row gives...
    values: tuple[Any, ...]  # ...and their values
    # The cleaned emails and phones, each list flat in one tuple: label, address, label,
    # address... and the fields of one CleanPhone after another (see `email_list`, and
    # `_kept_phone` for a verified number's national digits).
    emails: tuple[str, ...] = ()
    phones: tuple[Any, ...] = ()
    tags: tuple[str, ...] = ()
    warnings: dict[str, str] | None = None  # field -> what was kept as given, unverified
    category: str = ""  # as the file writes it; "" when the row does not say
    referrer_key: str = ""  # the row's referred_by, a uid, id or email
    target: int | None = None  # the customer it updates; None adds one
    referrer: int | None = None  # resolved: a customer id, or the key of a new row
    changes: dict[str, Any] | None = None  # what an update changes; None: nothing
    error: str = ""
    namesakes: Sequence[int] = ()  # book customers who may be them
    version: int | None = None  # of the target, as `changes` was worked out from
    record: CustomerRecord | None = None  # the target as planned again at the write, if it was

    @property
    def ref(self) -> int:
        """The customer id it updates, or its key while it is new."""
        return self.target if self.target is not None else self.key

    def email_list(self) -> list[tuple[str, str]]:
        """The cleaned emails, (label, address) each, as `Cleaned.emails` held them."""
        emails = self.emails
        return list(zip(emails[::2], emails[1::2], strict=True))

    def phone_list(self) -> list[CleanPhone]:
        """The cleaned phones, as `Cleaned.phones` held them."""
        phones = self.phones
        out = []
        for at in range(0, len(phones), _PHONE):
            label, number, national, verified, extension, shown = phones[at : at + _PHONE]
            if national is None:
                national = _national(number, shown)
            out.append(CleanPhone(label, number, national, verified, extension, shown))
        return out

    def phone_rows(self) -> Iterator[tuple[Any, ...]]:
        """phone_list's phones as plain tuples of their fields (what the write inserts)."""
        phones = self.phones
        for at in range(0, len(phones), _PHONE):
            phone = phones[at : at + _PHONE]
            if phone[2] is None:
                label, number, _, verified, extension, shown = phone
                phone = (label, number, _national(number, shown), verified, extension, shown)
            yield phone

    def get(self, name: str, default: Any = None) -> Any:
        """One cleaned field's value, as `Cleaned.scalars.get` would give it."""
        try:
            return self.values[self.fields.index(name)]
        except ValueError:
            return default

    def scalars(self) -> dict[str, Any]:
        """The cleaned one-value fields, as `Cleaned.scalars` held them."""
        return dict(zip(self.fields, self.values, strict=True))

    def replace(self, name: str, value: Any) -> None:
        """Give a field another value (a date the file's end said to read the other way)."""
        values = list(self.values)
        values[self.fields.index(name)] = value
        self.values = tuple(values)


class _Book(CustomerKeys):
    """What the checks need to know about the book, read once."""

    def __init__(self, db: Database):
        super().__init__(db)
        self.db = db
        self.uid_owner = {**self.merged, **self.by_uid}  # a merged-away uid names the survivor
        self.parent = {cid: referrer for cid, *_, referrer in self.people if referrer is not None}
        self.fold = _folder()
        self.categories = {name.casefold(): name for _, name in store_of(db).categories()}

    # Only rows that match nobody by uid or email need these: a file imported again, where
    # every row does, never reads them.

    @cached_property
    def names(self) -> _NameIndex:
        names = _NameIndex(self.fold)
        for cid, first, last, company, _ in self.people:
            names.add(first, last, company, cid)
        return names

    @cached_property
    def by_phone(self) -> dict[str, set[int]]:
        owners: dict[str, set[int]] = {}
        # Only verified numbers: one kept as typed is never the same phone as another's.
        for cid, number in store_of(self.db).verified_numbers():
            if cid in self.live:
                owners.setdefault(number, set()).add(cid)
        return owners


@lru_cache(maxsize=65536)
def _equivalents(first: str) -> frozenset[str]:
    folded = fold_name(first)
    return frozenset({folded} | {fold_name(n) for n in equivalent_first_names(first)})


def _folder() -> Callable[[str], str]:
    """`fold_name`, remembering each name it folded: a file and a book repeat names a lot.
    One per import, so nothing is kept from one import to the next."""
    folded: dict[str, str] = {}

    def fold(text: str) -> str:
        try:
            return folded[text]
        except KeyError:
            folded[text] = value = fold_name(text)
            return value

    return fold


class _NameIndex:
    """Who has a name: the same last name with the same or an equivalent first name (Rob /
    Robert, not Bill / Bob), or the same company for a record with no person's name."""

    def __init__(self, fold: Callable[[str], str] = fold_name):
        self.fold = fold
        # Read with .get only, so that looking a name up never adds it.
        self.exact: defaultdict[tuple[str, str], list[Any]] = defaultdict(list)
        self.known_as: defaultdict[tuple[str, str], list[Any]] = defaultdict(list)
        self.company: defaultdict[str, list[Any]] = defaultdict(list)

    def add(self, first: str, last: str, company: str, who: Any) -> None:
        last_key = self.fold(last)
        if first and last_key:
            self.exact[last_key, self.fold(first)].append(who)
            known_as = self.known_as
            for name in _equivalents(first):
                known_as[last_key, name].append(who)
        elif not (first or last) and company:
            self.company[self.fold(company)].append(who)

    def _hits(self, first: str, last: str, company: str) -> Iterator[tuple[Any, str]]:
        """Everyone indexed who may be this person, with why, the same name first (someone
        may come more than once)."""
        last_key = self.fold(last)
        if first and last_key:
            key = (last_key, self.fold(first))
            for hit in self.exact.get(key, ()):
                yield hit, "same name"
            for hit in self.known_as.get(key, ()):
                yield hit, "similar name"
            for name in _equivalents(first):
                for hit in self.exact.get((last_key, name), ()):
                    yield hit, "similar name"
        elif not (first or last) and company:
            for hit in self.company.get(self.fold(company), ()):
                yield hit, "same company name"

    def __bool__(self) -> bool:
        """Whether anyone is indexed (an empty book's index has no one to find)."""
        return bool(self.exact or self.company)

    def find(self, first: str, last: str, company: str) -> tuple[Any, str] | None:
        """The first of `find_all`, without collecting the rest (`_hits`, unrolled: this is
        asked once for every new row of a file)."""
        last_key = self.fold(last)
        if first and last_key:
            key = (last_key, self.fold(first))
            if hits := self.exact.get(key):
                return hits[0], "same name"
            if hits := self.known_as.get(key):
                return hits[0], "similar name"
            for name in _equivalents(first):
                if hits := self.exact.get((last_key, name)):
                    return hits[0], "similar name"
        elif not (first or last) and company and (hits := self.company.get(self.fold(company))):
            return hits[0], "same company name"
        return None

    def find_all(self, first: str, last: str, company: str) -> list[tuple[Any, str]]:
        """Everyone indexed who may be this person, each once, with why; the same name first."""
        found: dict[int, tuple[Any, str]] = {}
        for hit, why in self._hits(first, last, company):
            found.setdefault(id(hit), (hit, why))
        return list(found.values())


def _slow_phones_in(values: dict[str, Any], region: str) -> list[tuple[str, str]]:
    """The phone numbers of a row that need phonenumbers (not written +CC and digits), as
    clean_customer will hand them to parse_phone (without their extensions), each with the
    region it will read them in."""
    phones = values.get("phones")
    if not phones:
        return []
    slow = [text for _, text in labelled_pairs(phones, "mobile") if not looks_quick(text)]
    if not slow:
        return []
    where = _phone_region(str(values.get("country") or ""), region)
    return [(split_extension(text)[0], where) for text in slow]


@lru_cache(maxsize=1024)  # a file names few countries
def _phone_region(country: str, region: str) -> str:
    """phone_region of a row whose country is `country`."""
    return phone_region({"country": country}, region)


# A worker imports only what it needs (fields.py: a twentieth of a second).
_WORKER = "from tui_crm.core.fields import serve_phone_answers; serve_phone_answers()"


def _cores() -> int:
    return spare_cores()


class _PhoneWorkers(PieceWorkers):
    """Worker processes that check a file's phone numbers ahead of the rows being checked
    (core/workers.py). They start with piece `first` (see POOL_SLOW); the numbers of a piece
    of POOL_CHUNK rows that need phonenumbers go to a worker, and their answers come back,
    in piece order, into `answers`."""

    def __init__(self, count: int, answers: PhoneAnswers, first: int = 0):
        self.answers = answers
        self.asked: dict[int, list[tuple[str, str]]] = {}  # piece -> its numbers, until answered
        super().__init__(count, _WORKER, first)

    def ask(self, piece: int, numbers: list[tuple[str, str]]) -> None:
        """Have piece number `piece` (pieces are asked in order) checked: its (number,
        region) pairs."""
        self.asked[piece] = numbers
        super().ask(piece, numbers)

    def wait_for(self, row: int) -> None:
        """Until the numbers of the piece holding `row` (and of those before) are answered."""
        while not self.broken and self.next <= row // POOL_CHUNK:
            numbers = self.asked.pop(self.next, [])
            said = self.answer()
            if not isinstance(said, list) or len(said) != len(numbers):
                self.broken = True
                return
            self.answers.update(zip(numbers, said, strict=True))


Pieces = Callable[[Iterable[SourceRow]], Iterator[list[SourceRow]]]


@contextmanager
def _phones_checked_ahead(count: int, region: str) -> Iterator[Pieces]:
    """While the block checks `count` rows (in this thread), parse_phone answers each distinct
    number of a piece once. For a large file on a machine with cores to spare, whose numbers
    need phonenumbers, worker processes work them out ahead: the function this yields reads
    the rows in pieces of POOL_CHUNK, starts the workers at the first piece whose first
    POOL_SAMPLE rows hold POOL_SLOW such numbers, from then on sends each piece's such numbers to a worker as soon as it is
    read, reads on while they work, and hands over each piece once its numbers are answered.
    The answers are parse_phone's own, so the checks and their messages are the same either
    way; a worker that cannot start or dies only leaves the numbers to be worked out here.
    Leaving the block stops the workers."""
    with remembered_phones() as answers:
        started: list[_PhoneWorkers | None] = []  # at most one try
        cores = min(_cores(), 4)
        may_start = count >= POOL_MIN_ROWS and cores >= 2 and can_start()

        def start(first: int) -> _PhoneWorkers | None:
            try:
                started.append(_PhoneWorkers(cores, answers, first))
            except OSError:  # no processes here (a sandbox): all of it here
                started.append(None)
            return started[-1]

        try:
            yield lambda rows: _pieces(rows, region, answers, start if may_start else None)
        finally:
            for workers in started:
                if workers is not None:
                    workers.stop()


def _pieces(
    rows: Iterable[SourceRow],
    region: str,
    answers: PhoneAnswers,
    start: Callable[[int], _PhoneWorkers | None] | None,
) -> Iterator[list[SourceRow]]:
    """`rows` in pieces of POOL_CHUNK, each once its numbers are answered (see
    _phones_checked_ahead; `start` starts the workers, None where they may not be used). Once
    a piece is checked its answers are let go: a number that comes again later is asked
    again, rather than every answer of the file being held."""
    ahead: deque[tuple[int, list[SourceRow]]] = deque()
    workers: _PhoneWorkers | None = None
    limit = 0  # pieces read ahead: none until the workers start
    piece: list[SourceRow] = []
    number = 0

    def ask(piece: list[SourceRow]) -> None:
        nonlocal number, workers, start, limit
        if start is not None:
            sample = piece[:POOL_SAMPLE]
            if sum(len(_slow_phones_in(row.values, region)) for row in sample) >= POOL_SLOW:
                workers, start = start(number), None
                limit = READ_AHEAD * len(workers.procs) if workers is not None else 0
        if workers is not None:
            slow = dict.fromkeys(n for row in piece for n in _slow_phones_in(row.values, region))
            workers.ask(number, list(slow))
        ahead.append((number, piece))
        number += 1

    def answered() -> Iterator[list[SourceRow]]:
        first, rows = ahead.popleft()
        if workers is not None:
            workers.wait_for(first * POOL_CHUNK)
        yield rows
        # Only pieces up to this one have been answered yet, and those before are let go.
        answers.clear()

    for row in rows:
        piece.append(row)
        if len(piece) == POOL_CHUNK:
            ask(piece)
            piece = []
            while len(ahead) > limit:
                yield from answered()
    if piece:
        ask(piece)
    if workers is not None:
        workers.done()
    while ahead:
        yield from answered()


def load_customers(
    db: Database,
    parsed: Parsed,
    *,
    source: str,
    dry_run: bool = False,
    strict: bool = False,
    who: str | None = None,
    now: datetime | None = None,
    progress: Progress = no_progress,
    region: str | None = None,
) -> ImportReport:
    """Check every row of `parsed`, then (unless a dry run, or `strict` with a bad row) write
    the good ones in one transaction. Returns the report either way. Phone numbers without
    +CC are read in `region` (default: the settings' region)."""
    return load_rows(
        db,
        RowStream.of(parsed),
        source=source,
        dry_run=dry_run,
        strict=strict,
        who=who,
        now=now,
        progress=progress,
        region=region,
    )


def load_rows(
    db: Database,
    stream: RowStream,
    *,
    source: str,
    dry_run: bool = False,
    strict: bool = False,
    who: str | None = None,
    now: datetime | None = None,
    progress: Progress = no_progress,
    region: str | None = None,
) -> ImportReport:
    """load_customers for rows read while they are checked (a file's reader's RowStream)."""
    now = now or datetime.now().replace(microsecond=0)
    who = who if who is not None else user_of(db)
    region = region or settings().region
    with settled_objects() as settle:
        settle()  # the book's keys live until the end, and so do the plans:
        with _phones_checked_ahead(stream.count, region) as pieces:
            book = _Book(db)  # meanwhile the workers start
            settle()
            checker = _Checker(book, stream.count, progress, region, settle)
            try:
                for piece in pieces(stream.rows):
                    for row in piece:
                        checker.check(row)
            finally:  # a reader's workers stop now, not when the stream is collected
                if close := getattr(stream.rows, "close", None):
                    close()
        checker.correct(stream.corrections)
        checker.match_namesakes(db)
        checker.resolve_referrers()
        checker.compute_updates(db)
        if dry_run or checker.refuses(strict):
            return checker.report(source, stream, dry_run=dry_run, strict=strict)
        settle()
        backup_before(db, "before-import")
        new_ids = _write(db, checker, book, strict=strict, who=who, now=now, progress=progress)
        return checker.report(source, stream, dry_run=False, strict=strict, new_ids=new_ids)


class _Checker:
    """Turns rows into plans or rejections, without writing."""

    def __init__(
        self,
        book: _Book,
        total: int,
        progress: Progress,
        region: str,
        settle: Callable[[], None],
    ):
        self.book = book
        self.total = total
        self.progress = progress
        self.region = region  # for phone numbers without +CC
        self.settle = settle  # see rows.settled_objects
        self.done = 0
        self.plans: list[_Plan] = []
        self.rejected: list[RejectedRow] = []
        self.seen_uids: dict[str, int] = {}  # uid in this file -> line
        self.seen_emails: dict[str, int] = {}  # email (casefolded) of a row without uid -> line
        self.new_names = _NameIndex(book.fold)
        # line -> (name, existing id or None, the existing name or the earlier row of this
        # file it may duplicate, why); see ProbableDuplicate
        self.duplicates: dict[int, tuple[str, int | None, str | _Plan, str]] = {}
        self.new_categories: dict[str, str] = {}
        self.records: dict[int, CustomerRecord] = {}  # customers rows matched, as read
        self.versions: dict[int, int] = {}  # their versions, read with them
        self.shapes: dict[tuple[str, ...], tuple[str, ...]] = {}  # see _Plan.fields
        self.shared: dict[Any, Any] = {}  # see _SHARED

    def _tick(self) -> None:
        self.done += 1
        if self.done % 200 == 0 or self.done == self.total:
            self.progress("checking", self.done, self.total)
        if self.done % SETTLE_EVERY == 0:
            self.settle()

    def reject(self, line: int, reason: str, name: str = "") -> None:
        self.rejected.append(RejectedRow(line, reason, name))

    def check(self, row: SourceRow) -> None:
        self._tick()
        values = dict(row.values)
        name = display_name(
            str(values.get("first_name") or "").strip(),
            str(values.get("last_name") or "").strip(),
            str(values.get("company") or "").strip(),
        )
        if row.error:
            self.reject(row.line, row.error, name)
            return
        category = str(values.pop("category", "") or "").strip()
        referrer_key = str(values.pop("referred_by", "") or "").strip()
        try:
            # Whatever cannot be verified is kept as given, with a warning (issue 15).
            cleaned = clean_customer(
                values, region=self.region, keep_unverified=True, to_notes=True
            )
        except ValidationError as err:
            self.reject(row.line, str(err), name)
            return
        scalars = cleaned.scalars
        emails = cleaned.emails or ()
        folded = [_folded(address) for _, address in emails]
        try:
            target = self._target(scalars.get("uid"), emails, folded)
            self._claim_keys(row.line, scalars.get("uid"), folded)
        except CrmError as err:
            self.reject(row.line, str(err), name)
            return
        if target is None and not (
            scalars.get("first_name") or scalars.get("last_name") or scalars.get("company")
        ):
            shown = _shown_as(values, scalars)
            if not shown:
                self.reject(
                    row.line,
                    "nothing identifies a person or a company: no name, company, nickname, "
                    "email or phone",
                )
                return
            scalars["first_name"] = name = shown
            cleaned.warnings["first_name"] = f"no name: shown as {shown}"
        if category and category.casefold() not in self.book.categories:
            self.new_categories.setdefault(category.casefold(), category)
        plan = self._plan(row.line, name, cleaned, category, referrer_key, target)
        self.plans.append(plan)
        if target is None:
            self._note_duplicate(plan, scalars)

    def _plan(
        self,
        line: int,
        name: str,
        cleaned: Cleaned,
        category: str,
        referrer_key: str,
        target: int | None,
    ) -> _Plan:
        """The row as it will be kept until it is written (see _Plan)."""
        share = self.shared.setdefault
        scalars = cleaned.scalars
        fields = tuple(scalars)
        fields = self.shapes.setdefault(fields, fields)
        values = tuple(
            [
                share(value, value) if field in _SHARED and type(value) is str else value
                for field, value in scalars.items()
            ]
        )
        return _Plan(
            -(len(self.plans) + 1),
            line,
            share(name, name),
            fields,
            values,
            # Each row's labels are strings of their own ("work".lower()): shared too.
            tuple([x for label, address in cleaned.emails for x in (share(label, label), address)])
            if cleaned.emails
            else (),
            tuple([x for p in cleaned.phones for x in _kept_phone(p, share)])
            if cleaned.phones
            else (),
            tuple([share(tag, tag) for tag in cleaned.tags]) if cleaned.tags else (),
            cleaned.warnings or None,
            category,
            referrer_key,
            target,
        )

    def correct(self, corrections: Iterable[tuple[int, str, Any]]) -> None:
        """Dates read the other way round once the whole file was known (RowStream)."""
        corrections = list(corrections)
        if not corrections:
            return
        by_line = {plan.line: plan for plan in self.plans}
        for line, name, value in corrections:
            if line in by_line and name in by_line[line].fields:
                by_line[line].replace(name, value)

    def _target(
        self, uid: str | None, emails: Sequence[tuple[str, str]], folded: list[str]
    ) -> int | None:
        """The customer this row is, by uid first, then by email; None for someone new."""
        if uid:
            if uid in self.book.uid_owner:
                return self.book.uid_owner[uid]
            if uid in self.book.trashed_uid:
                cid, name = self.book.trashed_uid[uid]
                raise CrmError(f"is {name} #{cid}, who is in the trash: restore them to update")
        found: dict[int, str] = {}
        by_email = self.book.by_email
        if by_email:
            for (_, address), key in zip(emails, folded, strict=True):
                for cid in by_email.get(key, ()):
                    found.setdefault(cid, address)
        if len(found) > 1:
            (a, a_mail), (b, b_mail) = sorted(found.items())[:2]
            raise CrmError(
                f"its emails belong to two customers, #{a} ({a_mail}) and #{b} ({b_mail}); "
                "merge them first"
            )
        return next(iter(found), None)

    def _claim_keys(self, line: int, uid: str | None, folded: list[str]) -> None:
        """A person may appear once per file: a second row with the same uid (or, without
        uids, the same email) is refused rather than guessed at."""
        if uid:  # the strongest key: records apart in the source stay apart
            kind, keys, seen = "uid", [uid], self.seen_uids
        else:
            kind, keys, seen = "email", folded, self.seen_emails
        for key in keys:
            if key in seen:
                raise CrmError(
                    f"same {kind} as line {seen[key]} ({key}): one person twice in the file"
                )
        for key in keys:
            seen[key] = line

    def _note_duplicate(self, plan: _Plan, scalars: dict[str, Any]) -> None:
        first, last = scalars.get("first_name", ""), scalars.get("last_name", "")
        company = scalars.get("company", "")
        names = self.book.names
        hits = names.find_all(first, last, company) if names else []
        if not (scalars.get("uid") or plan.emails):
            # Keyless: may be someone of the very same name (see match_namesakes). Rob for
            # Robert, or a row whose new email says otherwise, stays a probable duplicate.
            plan.namesakes = [cid for cid, why in hits if why != "similar name"]
        if hits:
            cid, why = hits[0]
            self.duplicates[plan.line] = (plan.name, cid, self.book.live[cid], why)
        else:
            hit = self._same_phone(plan) or self.new_names.find(first, last, company)
            if hit is not None:
                other, why = hit
                if isinstance(other, int):
                    self.duplicates[plan.line] = (plan.name, other, self.book.live[other], why)
                else:  # an earlier new row of this file: its id is known once written
                    self.duplicates[plan.line] = (plan.name, None, other, why)
        self.new_names.add(first, last, company, plan)

    def _same_phone(self, plan: _Plan) -> tuple[int, str] | None:
        by_phone = self.book.by_phone
        if by_phone:
            for phone in plan.phone_list():
                if phone.verified and (owners := by_phone.get(phone.number)):
                    return min(owners), "same phone"
        return None

    def resolve_referrers(self) -> None:
        """Referrers name a customer by uid, id or email, in the book or in this file. A row
        whose referrer cannot be found, or that would close a referral loop, is rejected
        (and so, in turn, any row referred by it)."""
        if not any(plan.referrer_key for plan in self.plans):
            return  # nothing to resolve, and no row can close a loop
        while True:
            keys = self._file_keys()
            bad = [plan for plan in self.plans if not self._resolve(plan, keys)]
            if not bad:
                bad = self._loops()
            if not bad:
                return
            for plan in bad:
                self.reject(plan.line, plan.error, plan.name)
            gone = {plan.line for plan in bad}
            self.plans = [plan for plan in self.plans if plan.line not in gone]
            for line in gone:
                self.duplicates.pop(line, None)

    def _file_keys(self) -> dict[str, int]:
        keys: dict[str, int] = {}
        for plan in self.plans:
            if uid := plan.get("uid"):
                keys.setdefault(uid, plan.ref)
            for address in plan.emails[1::2]:
                keys.setdefault(address.casefold(), plan.ref)
        return keys

    def _resolve(self, plan: _Plan, keys: dict[str, int]) -> bool:
        key = plan.referrer_key
        if not key:
            return True
        found = keys.get(key) or self.book.uid_owner.get(key) or keys.get(key.casefold())
        number = key.removeprefix("#")
        if found is None and number.isdigit() and int(number) in self.book.live:
            found = int(number)
        if found is None:
            owners = self.book.by_email.get(key.casefold(), ())
            found = next(iter(owners)) if len(owners) == 1 else None
        if found is None or found == plan.ref:
            why = (
                "is this customer"
                if found == plan.ref
                else "is no customer in the book or the file"
            )
            plan.error = f"referred by: '{key}' {why}"
            return False
        plan.referrer = found
        return True

    def _loops(self) -> list[_Plan]:
        """Rows whose referrer is, through the book and the file, referred by them."""
        parent = dict(self.book.parent)
        for plan in self.plans:
            if plan.referrer is not None:
                parent[plan.ref] = plan.referrer
        bad = []
        for plan in self.plans:
            seen, step = {plan.ref}, plan.referrer
            while step is not None and step not in seen:
                seen.add(step)
                step = parent.get(step)
            if step == plan.ref:
                plan.error = "referred by: that would make a referral loop"
                bad.append(plan)
        return bad

    def match_namesakes(self, db: Database) -> None:
        """A row with no uid or email may still be someone in the book: a customer of the
        same name with the same phone, or who already holds everything the row says (the same
        file imported again), is that customer rather than a new one."""
        plans = [plan for plan in self.plans if plan.target is None and plan.namesakes]
        current = self.customers(db, [cid for plan in plans for cid in plan.namesakes])
        for plan in plans:
            numbers = {p.number for p in plan.phone_list() if p.verified}
            for cid in plan.namesakes:
                held = {phone.number for phone in current[cid].phones if phone.verified}
                if numbers & held or not _changes(plan, current[cid], self.book):
                    plan.target = cid
                    self.duplicates.pop(plan.line, None)
                    break

    def compute_updates(self, db: Database) -> None:
        """For rows that match a customer: what would change. Text the file gives replaces
        one-line fields; notes and "why they chose us" gain the file's text when it is new;
        emails, phones and tags gain what is missing; an email opt-out is never undone."""
        targets = [plan for plan in self.plans if plan.target is not None]
        changed: set[int] = set()
        # A piece at a time: of the customers read, only those a row changes are kept (the
        # report names them and what changes), so a file imported again holds few of them.
        for start in range(0, len(targets), SETTLE_EVERY):
            some = targets[start : start + SETTLE_EVERY]
            current = self.customers(db, [plan.target for plan in some])
            for plan in some:
                plan.changes = _changes(plan, current[plan.target], self.book)
                plan.version = self.versions[plan.target]
                if plan.changes:
                    changed.add(plan.target)
            for plan in some:
                if plan.target not in changed:
                    self.records.pop(plan.target, None)

    def plan_again(
        self, db: Database, plan: _Plan, strict: bool, versions: dict[int, int] | None = None
    ) -> bool:
        """Inside the write transaction: whether the row is still to be written as planned.
        A customer changed since the plan gets the row's changes worked out again from what
        they hold now (lists and notes gain what is missing, as before); a row that would
        change again a field someone changed since, or whose customer went to the trash, is
        rejected saying who changed what (with `strict`, the whole import is refused).
        `versions` holds the versions of the live targets as the transaction began, read at
        once (see _current_versions); a customer it does not hold is looked at here."""
        if versions is not None and versions.get(plan.target) == plan.version:
            return True
        row = Customer.get_or_none(Customer.id == plan.target)
        if row is None:  # pragma: no cover - customers are never deleted, only trashed
            raise ConflictError(f"line {plan.line}: customer #{plan.target} is gone", [])
        if row.version == plan.version:
            return True
        if row.deleted_at is None:
            (fresh,) = customer_records(db, [plan.target])
            if row.referred_by_id is None:
                self.book.parent.pop(plan.target, None)
            else:
                self.book.parent[plan.target] = row.referred_by_id
            changes = _changes(plan, fresh, self.book)
            since = changes_since(plan.target, plan.version or 0)
            if not any(c.field in changes and c.field not in _ADDED_TO for c in since):
                plan.changes, plan.version, plan.record = changes, row.version, fresh
                return True
        conflict = stale_error(
            row,
            plan.version or 0,
            "since the file was checked",
            "nothing was imported" if strict else "the row was not imported",
        )
        if strict:
            raise ConflictError(f"line {plan.line}: {conflict}", conflict.changes)
        self.reject(plan.line, str(conflict), plan.name)
        self.plans.remove(plan)
        return False

    @cached_property
    def _new_rows(self) -> dict[int, _Plan]:
        """The new rows by key (an update's new referrer may be one)."""
        return {plan.key: plan for plan in self.plans if plan.target is None}

    def _described(self, plan: _Plan, new_rows: dict[int, _Plan]) -> tuple[str, ...]:
        """What an update changes, a short phrase per field (see `_changes`)."""
        current = plan.record or self.records[plan.target]
        said = []
        for name, value in (plan.changes or {}).items():
            label = field_label(name)
            if name in FREE_TEXT:
                said.append(f"{label}: text added")
            elif name in ("emails", "phones", "tags"):
                added = value[len(getattr(current, name)) :]
                shown = [item[1] if isinstance(item, tuple) else item for item in added]
                if name == "phones":
                    shown = [format_phone(number) for number in shown]
                said.append(f"{label}: {', '.join(shown)} added")
            elif name == "email_opt_out":
                said.append(f"{label}: yes")
            elif name == "referred_by":
                referrer = new_rows.get(value)  # a new row of this file, or someone in the book
                who = (
                    f"{referrer.name} (line {referrer.line})"
                    if referrer
                    else f"{self.book.live.get(value, '')} #{value}".strip()
                )
                said.append(f"{label}: {who}")
            else:
                said.append(f"{label}: {_shown(getattr(current, name))} → {_shown(value)}")
        return tuple(said)

    def customers(self, db: Database, ids: list[int]) -> dict[int, CustomerRecord]:
        """The records of `ids`, each read from the book once however often it is asked for."""
        missing = sorted(set(ids) - set(self.records))
        for start in range(0, len(missing), SETTLE_EVERY):
            some = missing[start : start + SETTLE_EVERY]
            with db.atomic("DEFERRED"):  # the versions and the records from one snapshot
                self.versions.update(store_of(db).customer_versions(some))
                self.records.update((r.id, r) for r in customer_records(db, some))
            self.settle()
        return self.records

    def refuses(self, strict: bool) -> bool:
        """Whether `--strict` keeps the file out: some row is bad."""
        return strict and bool(self.rejected)

    def report(
        self,
        source: str,
        stream: RowStream,
        *,
        dry_run: bool,
        strict: bool,
        new_ids: dict[int, int] | None = None,
    ) -> ImportReport:
        """What the import did, or would do; `new_ids` ({plan key: id}) once written."""
        new_ids = new_ids or {}
        line_ids = (
            {
                plan.line: new_ids[plan.key]
                for plan in self.plans
                if plan.line in self.duplicates and plan.key in new_ids
            }
            if new_ids and self.duplicates
            else {}
        )
        adds = sum(1 for plan in self.plans if plan.target is None)
        updates = sum(1 for plan in self.plans if plan.target is not None and plan.changes)
        return ImportReport(
            source=source,
            kind="customers",
            layout=stream.layout,
            rows=stream.count,
            added=adds,
            updated=updates,
            unchanged=len(self.plans) - adds - updates,
            rejected=tuple(sorted(self.rejected, key=lambda r: r.line)),
            warnings=tuple(
                RowWarning(plan.line, plan.name, _outcome(plan), field, message)
                for plan in sorted(self.plans, key=lambda plan: plan.line)
                if plan.warnings
                for field, message in plan.warnings.items()
            ),
            duplicates=tuple(
                _duplicate(line, found, new_ids, line_ids.get(line))
                for line, found in self.duplicates.items()
            ),
            updates=tuple(
                UpdatedRow(
                    plan.line,
                    (plan.record or self.records[plan.target]).name,
                    plan.target,
                    self._described(plan, self._new_rows),
                )
                for plan in sorted(self.plans, key=lambda plan: plan.line)
                if plan.target is not None and plan.changes
            ),
            ignored=stream.ignored,
            new_categories=tuple(self.new_categories.values()),
            dry_run=dry_run,
            refused=self.refuses(strict),
        )


def _duplicate(
    line: int,
    found: tuple[str, int | None, str | _Plan, str],
    new_ids: dict[int, int],
    new_id: int | None,
) -> ProbableDuplicate:
    """A row of `_Checker.duplicates` for the report: the customer it may be is someone in
    the book, or an earlier new row of the file (known by its id once written)."""
    name, existing_id, existing, why = found
    if isinstance(existing, str):
        return ProbableDuplicate(line, name, existing_id, existing, why, new_id)
    shown = f"{existing.name} (line {existing.line})"
    return ProbableDuplicate(line, name, new_ids.get(existing.key), shown, why, new_id)


def _folded(address: str) -> str:
    """An email as the file's keys compare it; the address itself when it is already so."""
    folded = address.casefold()
    return address if folded == address else folded


def _outcome(plan: _Plan) -> str:
    if plan.target is None:
        return "added"
    return "updated" if plan.changes else "unchanged"


def _shown_as(values: dict[str, Any], scalars: dict[str, Any]) -> str:
    """What a contact without a name is shown as: its nickname, else the local part of its
    first email as the file writes it (jorg.muller), else its first phone as typed; "" when
    it has none of them (nor a name or company): then nothing identifies it."""
    if scalars.get("nickname"):
        return scalars["nickname"]
    for _, address in labelled_pairs(values.get("emails"), "work"):
        local = " ".join(address.rsplit("@", 1)[0].split())
        if local:
            return local
    for _, number in labelled_pairs(values.get("phones"), "mobile"):
        return " ".join(number.split())
    return ""


def _shown(value: Any, width: int = 60) -> str:
    """A value on one short line, for the report."""
    if value in (None, ""):
        return "—"
    text = " ".join(str(value.isoformat() if isinstance(value, date) else value).split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _changes(plan: _Plan, current: CustomerRecord, book: _Book) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    for name, value in zip(plan.fields, plan.values, strict=True):
        if name == "uid" or value in (None, ""):
            continue  # a customer keeps the uid exports know it by; blanks erase nothing
        old = getattr(current, name)
        if name in FREE_TEXT:
            if value not in (old or ""):
                changes[name] = f"{old}\n\n{value}" if old else value
        elif name == "email_opt_out":
            if value and not old:
                changes[name] = True
        elif old != value:
            changes[name] = value
    if plan.category and plan.category.casefold() != current.category.casefold():
        changes["category"] = book.categories.get(plan.category.casefold(), plan.category)
    if plan.referrer is not None and plan.referrer != book.parent.get(current.id):
        changes["referred_by"] = plan.referrer
    held = [(item.label, item.value) for item in current.emails]
    have = {value.casefold() for _, value in held}
    extra = [(label, value) for label, value in plan.email_list() if value.casefold() not in have]
    if extra:
        changes["emails"] = held + extra
    # A phone's value (records and changes alike): the number with " ext. N", as files write it.
    held = [(item.label, item.value) for item in current.phones]
    have = {value for _, value in held}
    given = [(p.label, phone_text(p.number, p.extension)) for p in plan.phone_list()]
    extra = [(label, value) for label, value in given if value not in have]
    if extra:
        changes["phones"] = held + extra
    extra_tags = [t for t in plan.tags if t not in current.tags]
    if extra_tags:
        changes["tags"] = [*current.tags, *extra_tags]
    return changes


_WRITTEN: tuple[tuple, tuple, tuple, tuple] = ((), (), (), ())  # a written plan's payload

# Everything a new customer row is given; the figures kept by triggers take their defaults.
# First the columns worked out for each row, then the text as cleaned: a text column (all
# of them default to '') that no new customer gives is left out, for SQLite to fill.
_WORKED_OUT = (
    "id",
    "uid",
    "category_id",
    "status",
    "lost_on",
    "birthday",
    "acquired_on",
    "email_opt_out",
    "email_opt_out_at",
    "version",
    "created_at",
    "updated_at",
)
_AS_GIVEN = tuple(name for name in SCALAR_FIELDS if name not in _WORKED_OUT)
_READ_HERE = ("uid", "email_opt_out", "status", "lost_on", "birthday", "acquired_on")


def _write(
    db: Database,
    checker: _Checker,
    book: _Book,
    *,
    strict: bool,
    who: str,
    now: datetime,
    progress: Progress,
) -> dict[int, int]:
    """Write every plan in one transaction; return {plan key: new customer id} for the adds.

    New customers go in first (so an update can name one as referrer), with the triggers
    off and only them indexed after; updates follow, through `update_customer`."""
    adds = [plan for plan in checker.plans if plan.target is None]
    updates = [plan for plan in checker.plans if plan.target is not None and plan.changes]
    total = len(adds) + len(updates)
    with db.atomic("IMMEDIATE"):
        categories = _ensure_categories(db, checker.new_categories.values(), book)
        first_id = store_of(db).first_new_customer_id()
        ids = {plan.key: first_id + n for n, plan in enumerate(adds)}
        if adds:
            adding = {
                "customer": len(adds),
                "customer_email": sum(len(plan.emails) for plan in adds) // 2,
                "customer_phone": sum(len(plan.phones) for plan in adds) // _PHONE,
                "customer_tag": sum(len(plan.tags) for plan in adds),
                "customer_change": len(adds),
            }
            # Left in reverse order: the indexes are back before the new customers' search
            # documents are built (which reads their emails, phones and tags through them).
            with (
                bulk_load(db, Rebuild(from_id=first_id, search=True, summaries=True)),
                store_of(db).indexes_built_after(adding),
            ):
                _insert_new(db, adds, ids, categories, who=who, now=now)
            for plan in adds:  # written: the report needs only their names and lines
                plan.values, plan.emails, plan.phones, plan.tags = _WRITTEN
        progress("writing", len(adds), total)
        versions = _current_versions(db, [plan.target for plan in updates])
        for done, plan in enumerate(updates, start=len(adds) + 1):
            if checker.plan_again(db, plan, strict, versions) and plan.changes:
                values = dict(plan.changes)
                if values.get("referred_by") in ids:
                    values["referred_by"] = ids[values["referred_by"]]
                # An import is undone by restoring the backup taken before it, not step by
                # step: its changes stay out of ctrl+z's journal.
                update_customer(
                    db,
                    plan.target,
                    values,
                    expected_version=plan.version,
                    who=who,
                    now=now,
                    journal=False,
                    keep_unverified=True,  # as the checks kept them, with their warnings
                )
                versions.pop(plan.target, None)  # a second row for them is looked at again
            if done % 200 == 0:
                progress("writing", done, total)
        progress("writing", total, total)
    return ids


def _current_versions(db: Database, ids: list[int]) -> dict[int, int]:
    """The versions of `ids` as they are now, in one query rather than one a row."""
    versions: dict[int, int] = {}
    for start in range(0, len(ids), SETTLE_EVERY):
        versions.update(store_of(db).customer_versions(ids[start : start + SETTLE_EVERY]))
    return versions


def _ensure_categories(db: Database, names: Iterable[str], book: _Book) -> dict[str, int]:
    for name in names:
        add_category(db, name, touches=(Touch("contact", DEFAULT_CADENCE_DAYS),))
        book.categories[name.casefold()] = name
    return {name.casefold(): cid for cid, name in store_of(db).categories()}


def _insert_new(
    db: Database,
    adds: list[_Plan],
    ids: dict[int, int],
    categories: dict[str, int],
    *,
    who: str,
    now: datetime,
) -> None:
    """The new customers with their emails, phones, tags and "created" history, each table
    in one executemany fed row by row from the plans (no list of 100 000 rows first)."""
    store = store_of(db)
    at = stamp(now)
    given = set().union(*{plan.fields for plan in adds})
    texts = [name for name in _AS_GIVEN if name in given]
    columns = (*_WORKED_OUT, *texts)
    # Per shape of row: where each field read here is in its values, then each text column
    # (a plan's values are followed by None and "": where a field it has not points).
    pick = {
        fields: itemgetter(
            *[fields.index(n) if n in fields else len(fields) for n in _READ_HERE],
            *[fields.index(n) if n in fields else len(fields) + 1 for n in texts],
        )
        for fields in {plan.fields for plan in adds}
    }
    today = now.date()
    uids = new_uids()

    def customers() -> Iterator[tuple[Any, ...]]:
        for plan in adds:
            uid, opted_out, status, lost_on, birthday, acquired_on, *picked = pick[plan.fields](
                (*plan.values, None, "")
            )
            opted_out = bool(opted_out)
            status = status or "active"
            lost_on = lost_on or (today if status == "lost" else None)
            yield (
                ids[plan.key],
                uid or next(uids),
                categories.get(plan.category.casefold()) if plan.category else None,
                status,
                lost_on.isoformat() if lost_on else None,
                birthday.isoformat() if birthday else None,
                acquired_on.isoformat() if acquired_on else None,
                opted_out,
                at if opted_out else None,
                1,
                at,
                at,
                *picked,
            )

    store.insert_customers(columns, customers())
    store.insert_emails(
        (
            (ids[plan.key], *plan.emails[at : at + 2], at // 2)
            for plan in adds
            for at in range(0, len(plan.emails), 2)
        ),
    )
    store.insert_phones(
        (  # a CleanPhone's fields are label, number, national, verified, extension, shown
            (ids[plan.key], *phone, position)
            for plan in adds
            for position, phone in enumerate(plan.phone_rows())
        ),
    )
    tag_names = {tag for plan in adds for tag in plan.tags}
    store.add_tag_names(sorted(tag_names))
    tag_ids = store.tag_ids()
    store.insert_customer_tags(
        ((ids[plan.key], tag_ids[tag]) for plan in adds for tag in plan.tags),
    )
    store.record_created(
        ((ids[plan.key], at, who, "created", plan.name, 1) for plan in adds),
    )
    store.set_referrers(
        [
            (ids.get(plan.referrer, plan.referrer), ids[plan.key])
            for plan in adds
            if plan.referrer is not None
        ],
    )
