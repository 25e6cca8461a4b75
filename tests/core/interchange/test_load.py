"""Loading parsed customers: matching by stable key, adding and updating in one transaction,
the report of rejected rows and probable duplicates, dry runs and --strict."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from tests.builders import query_plan, recorded_statements
from tests.versions import current_version
from tui_crm.core.customers import create_customer, get_profile, trash_customer
from tui_crm.core.interchange.load import load_customers
from tui_crm.core.interchange.records import Parsed, SourceRow
from tui_crm.core.merge import merge
from tui_crm.core.search import search

pytestmark = pytest.mark.both_engines

NOW = datetime(2026, 11, 20, 10, 0)
TODAY = NOW.date()


def _load(db, *rows: SourceRow, **options):
    return load_customers(db, Parsed("CSV", list(rows)), source="people.csv", now=NOW, **options)


def _count(db) -> int:
    return db.execute_sql("SELECT count(*) FROM customer WHERE deleted_at IS NULL").fetchone()[0]


def _ids_named(db, first: str) -> list[int]:
    return [r[0] for r in db.execute_sql("SELECT id FROM customer WHERE first_name = ?", (first,))]


ANNA = SourceRow(
    2,
    {
        "first_name": "Anna",
        "last_name": "Berg",
        "company": "Fjord AS",
        "emails": [("work", "anna@fjord.no"), ("home", "anna.berg@gmail.com")],
        "phones": [("mobile", "+47 955 51 234")],
        "tags": ["vip", "golf"],
        "birthday": date(1980, 4, 15),
        "category": "key account",
        "notes": "Met at the Oslo fair",
    },
)


def test_new_rows_are_added_with_every_field_searchable_and_in_the_history(db):
    report = _load(db, ANNA)
    assert (report.added, report.updated, report.unchanged, report.rejected) == (1, 0, 0, ())
    [anna] = _ids_named(db, "Anna")
    profile = get_profile(db, anna, TODAY)
    assert profile.company == "Fjord AS" and profile.birthday == date(1980, 4, 15)
    assert [(e.label, e.value) for e in profile.emails] == [
        ("work", "anna@fjord.no"),
        ("home", "anna.berg@gmail.com"),
    ]
    assert [(p.label, p.value) for p in profile.phones] == [("mobile", "+47 95 55 12 34")]
    assert profile.tags == ("golf", "vip")
    assert profile.category == "key account" and report.new_categories == ("key account",)
    assert [c.field for c in profile.changes] == ["created"]
    # The search index knows the new customer (it was built with the triggers off).
    assert [row.id for row in search(db, "fjord", as_of=TODAY)] == [anna]
    assert [row.id for row in search(db, "golf", as_of=TODAY)] == [anna]


def test_importing_the_same_rows_again_adds_nothing(db):
    keyless = SourceRow(3, {"first_name": "Bo", "last_name": "Lund", "city": "Bergen"})
    phone_only = SourceRow(4, {"first_name": "Cy", "last_name": "Moe", "phones": ["+4791234567"]})
    carded = SourceRow(5, {"first_name": "Di", "uid": "vcard-di-1"})
    first = _load(db, ANNA, keyless, phone_only, carded)
    assert first.added == 4
    again = _load(db, ANNA, keyless, phone_only, carded)
    assert (again.added, again.updated, again.unchanged) == (0, 0, 4)
    assert again.duplicates == ()
    assert _count(db) == 4


def test_a_row_with_a_known_email_updates_that_customer_and_loses_nothing(db):
    anna = create_customer(
        db,
        {
            "first_name": "Anna",
            "last_name": "Berg",
            "emails": ["anna@fjord.no"],
            "notes": "Prefers mornings",
            "email_opt_out": True,
            "tags": ["newsletter"],
        },
    )
    row = SourceRow(
        7,
        {
            "first_name": "Anna",
            "last_name": "Berg",
            "city": "Oslo",
            "emails": [("work", "ANNA@fjord.no"), ("home", "anna@home.no")],
            "notes": "Met at the Oslo fair",
            "email_opt_out": False,
            "tags": ["vip"],
            "company": "",
        },
    )
    report = _load(db, row)
    assert (report.added, report.updated) == (0, 1)
    profile = get_profile(db, anna, TODAY)
    assert profile.city == "Oslo"
    assert [e.value for e in profile.emails] == ["anna@fjord.no", "anna@home.no"]
    assert profile.notes == "Prefers mornings\n\nMet at the Oslo fair"
    assert profile.email_opt_out is True  # a file never undoes an opt-out
    assert profile.tags == ("newsletter", "vip")
    assert profile.version == 2 and {c.field for c in profile.changes} >= {"city", "notes"}


def test_the_report_says_what_each_update_changes_before_and_after_writing(db):
    robert = create_customer(
        db, {"first_name": "Robert", "last_name": "Smith", "emails": ["rob@acme.example"]}
    )
    boss = create_customer(db, {"first_name": "Ada", "last_name": "Boss"})
    row = SourceRow(
        4,
        {
            "first_name": "Rob",
            "last_name": "Smith",
            "emails": ["rob@acme.example", "r@home.example"],
            "phones": ["+4791122333"],
            "birthday": date(1975, 3, 2),
            "notes": "Call in May\nabout the renewal",
            "street": "Storgata 1\nc/o Acme",
            "tags": ["golf"],
            "referred_by": str(boss),
        },
    )
    expected = (
        f"  line 4: Robert Smith #{robert}: First name: Robert → Rob; "
        "Street: — → Storgata 1 c/o Acme; Notes: text added; Birthday: — → 1975-03-02; "
        f"Referred by: Ada Boss #{boss}; Emails: r@home.example added; "
        "Phones: +47 91 12 23 33 added; Tags: golf added"
    )
    dry = _load(db, row, dry_run=True)
    assert dry.lines()[1:] == ["what the updates would change:", expected]
    assert get_profile(db, robert, TODAY).first_name == "Robert"  # a dry run writes nothing
    done = _load(db, row)
    assert done.lines()[1:] == ["updated:", expected]
    assert get_profile(db, robert, TODAY).first_name == "Rob"
    # The same row again changes nothing, and the report lists no update.
    again = _load(db, row)
    assert again.updated == 0 and again.lines()[1:] == []


def test_uid_wins_over_email_and_follows_a_merge_to_the_survivor(db):
    robert = create_customer(db, {"first_name": "Robert", "last_name": "Smith"})
    rob = create_customer(db, {"first_name": "Rob", "last_name": "Smith", "uid": "phone-rob"})
    merge(
        db,
        robert,
        rob,
        now=NOW,
        survivor_version=current_version(robert),
        other_version=current_version(rob),
    )
    report = _load(db, SourceRow(2, {"first_name": "Rob", "uid": "phone-rob", "city": "Leeds"}))
    assert (report.added, report.updated) == (0, 1)
    assert get_profile(db, robert, TODAY).city == "Leeds"


def test_a_row_for_a_customer_in_the_trash_is_rejected_not_resurrected(db):
    gone = create_customer(db, {"first_name": "Gone", "uid": "vcard-gone"})
    trash_customer(db, gone, expected_version=current_version(gone))
    report = _load(db, SourceRow(9, {"first_name": "Gone", "uid": "vcard-gone"}))
    [rejected] = report.rejected
    assert rejected.line == 9 and "in the trash" in rejected.reason
    assert _count(db) == 0


def test_bad_rows_are_reported_with_their_line_and_the_good_ones_go_in(db):
    # Issue 15: a bad email no longer rejects its contact (it is kept in the notes with a
    # warning); a row with nothing that identifies anyone, a card the parser could not read
    # and a person twice in the file still are.
    rows = [
        ANNA,
        SourceRow(3, {"first_name": "Bad", "emails": ["not-an-email"]}),
        SourceRow(4, {"city": "Nowhere"}),
        SourceRow(5, {"first_name": "Parser"}, error="cannot be read as a vCard (x)"),
        SourceRow(6, {"first_name": "Ok", "last_name": "Row"}),
        SourceRow(8, {"first_name": "Twice", "emails": ["anna@fjord.no"]}),
    ]
    report = _load(db, *rows)
    assert report.added == 3
    assert [(r.line, r.reason) for r in report.rejected] == [
        (
            4,
            "nothing identifies a person or a company: no name, company, nickname, email or phone",
        ),
        (5, "cannot be read as a vCard (x)"),
        (8, "same email as line 2 (anna@fjord.no): one person twice in the file"),
    ]
    text = "\n".join(report.lines())
    assert (
        "line 3: Bad (added): emails: 'not-an-email' is not a valid email address; "
        "kept in the notes" in text
    )
    assert sorted(_ids_named(db, "Ok") + _ids_named(db, "Anna")) == [1, 3]


def test_strict_refuses_the_whole_file_when_one_row_is_bad(db):
    # A row with nothing identifying anyone is still bad (an odd phone no longer is).
    report = _load(db, ANNA, SourceRow(3, {"city": "Nowhere"}), strict=True)
    assert report.refused and not report.written
    assert "nothing imported" in report.summary()
    assert _count(db) == 0
    assert _load(db, ANNA, strict=True).added == 1


def test_a_dry_run_reports_the_same_counts_and_writes_nothing(db):
    create_customer(db, {"first_name": "Robert", "last_name": "Smith"})
    rows = [ANNA, SourceRow(3, {"first_name": "Rob", "last_name": "Smith"})]
    before = db.execute_sql("SELECT count(*) FROM customer_change").fetchone()[0]
    dry = _load(db, *rows, dry_run=True)
    assert (dry.added, len(dry.duplicates), dry.written) == (2, 1, False)
    assert "dry run, nothing written" in dry.summary()
    assert _count(db) == 1
    assert db.execute_sql("SELECT count(*) FROM category").fetchone()[0] == 0
    assert db.execute_sql("SELECT count(*) FROM customer_change").fetchone()[0] == before
    real = _load(db, *rows)
    assert (real.added, len(real.duplicates)) == (2, 1)


def test_probable_duplicates_by_name_are_imported_and_listed_never_merged(db):
    robert = create_customer(db, {"first_name": "Robert", "last_name": "Smith"})
    bill = create_customer(db, {"first_name": "Bill", "last_name": "Jones"})
    report = _load(
        db,
        SourceRow(2, {"first_name": "Rob", "last_name": "Smith", "city": "Leeds"}),
        SourceRow(3, {"first_name": "Bob", "last_name": "Jones"}),  # Bill is not Bob
        SourceRow(4, {"first_name": "Liz", "last_name": "Taylor"}),
        SourceRow(5, {"first_name": "Elizabeth", "last_name": "Taylor"}),
    )
    assert report.added == 4
    [rob, liz] = report.duplicates
    assert (rob.line, rob.existing_id, rob.why) == (2, robert, "similar name")
    assert rob.customer_id == _ids_named(db, "Rob")[0]
    assert (liz.line, liz.existing_name) == (5, "Liz Taylor (line 4)")
    assert liz.existing_id == _ids_named(db, "Liz")[0]
    assert bill not in {d.existing_id for d in report.duplicates}


def test_a_namesake_with_the_same_phone_is_matched_only_when_the_row_has_no_key(db):
    robert = create_customer(
        db,
        {"first_name": "Robert", "last_name": "Smith", "emails": "rob@acme.example"}
        | {"phones": "+4795551234"},
    )
    report = _load(
        db,
        # A new email says this may be someone else: listed, never merged into Robert.
        SourceRow(
            2,
            {"first_name": "Robert", "last_name": "Smith", "emails": ["r@home.example"]}
            | {"phones": ["+4795551234"]},
        ),
        # Rob is only a similar name: listed too, however alike the phone.
        SourceRow(3, {"first_name": "Rob", "last_name": "Smith", "phones": ["+4795551234"]}),
    )
    assert (report.added, report.updated) == (2, 0)
    assert [(d.line, d.existing_id) for d in report.duplicates] == [(2, robert), (3, robert)]
    profile = get_profile(db, robert, TODAY)
    assert profile.first_name == "Robert"
    assert [e.value for e in profile.emails] == ["rob@acme.example"]
    # The same name and phone with no key at all is Robert (a keyless file imported again).
    again = _load(
        db,
        SourceRow(
            2,
            {"first_name": "Robert", "last_name": "Smith", "city": "Oslo"}
            | {"phones": ["+4795551234"]},
        ),
    )
    assert (again.added, again.updated, again.duplicates) == (0, 1, ())
    assert get_profile(db, robert, TODAY).city == "Oslo"


def test_referrers_are_found_by_uid_email_or_id_in_the_book_or_the_file(db):
    harry = create_customer(db, {"first_name": "Harry", "emails": ["harry@x.com"]})
    report = _load(
        db,
        SourceRow(2, {"first_name": "Ann", "uid": "u-ann", "referred_by": "harry@x.com"}),
        SourceRow(3, {"first_name": "Ben", "referred_by": "u-ann"}),
        SourceRow(4, {"first_name": "Cat", "referred_by": str(harry)}),
        SourceRow(5, {"first_name": "Dan", "referred_by": "u-nobody"}),
        SourceRow(6, {"first_name": "Eve", "uid": "u-eve", "referred_by": "u-fay"}),
        SourceRow(7, {"first_name": "Fay", "uid": "u-fay", "referred_by": "u-eve"}),
    )
    parents = dict(db.execute_sql("SELECT first_name, referred_by_id FROM customer").fetchall())
    [ann] = _ids_named(db, "Ann")
    assert parents == {"Harry": None, "Ann": harry, "Ben": ann, "Cat": harry}
    assert [(r.line, r.reason) for r in report.rejected] == [
        (5, "referred by: 'u-nobody' is no customer in the book or the file"),
        (6, "referred by: that would make a referral loop"),
        (7, "referred by: that would make a referral loop"),
    ]


def test_a_failure_while_writing_leaves_nothing_half_imported(db, monkeypatch):
    from tui_crm.core.interchange import load

    create_customer(db, {"first_name": "Anna", "emails": ["anna@fjord.no"]})

    def crash(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(load, "update_customer", crash)
    schema = _schema(db)
    rows = [SourceRow(2, {"first_name": "New", "last_name": "Person"}), ANNA]
    with pytest.raises(RuntimeError):  # after the new row went in with its indexes dropped
        _load(db, *rows)
    assert _ids_named(db, "New") == []
    assert db.execute_sql("SELECT count(*) FROM category").fetchone()[0] == 0
    assert _schema(db) == schema  # every trigger and index as it was
    assert [row.first_name for row in search(db, "anna", as_of=TODAY)] == ["Anna"]


def _schema(db) -> list[tuple[str, str, str]]:
    if db.engine == "postgresql":  # the indexes and triggers, as the server would make them
        return list(
            db.execute_sql(
                "SELECT 'index', indexname, indexdef FROM pg_indexes "
                "WHERE schemaname = current_schema() "
                "UNION ALL SELECT 'trigger', tgname, pg_get_triggerdef(oid) FROM pg_trigger "
                "WHERE NOT tgisinternal ORDER BY 1, 2"
            )
        )
    return list(db.execute_sql("SELECT type, name, sql FROM sqlite_master ORDER BY type, name"))


@pytest.mark.sqlite_only  # SQLite's plain indexes dropped and built again
def test_a_large_add_builds_the_plain_indexes_once_and_leaves_them_as_they_were(db, monkeypatch):
    create_customer(
        db, {"first_name": "Old", "emails": ["old@fjord.no"], "phones": ["+4795551234"]}
    )
    schema = _schema(db)
    statements = recorded_statements(db, monkeypatch)
    rows = [
        SourceRow(n + 2, {"first_name": f"P{n}", "last_name": "Berg", "emails": [f"p{n}@x.no"]})
        for n in range(300)
    ]
    assert _load(db, *rows).added == 300
    built = {sql.split()[2] for sql, _ in statements if sql.startswith("CREATE INDEX")}
    assert {"customer_name", "customer_email_address", "customer_change_customer"} <= built
    assert not built & {"customer_phone_number", "customer_tag_tag"}  # no rows for them
    assert _schema(db) == schema
    assert db.execute_sql("PRAGMA integrity_check").fetchone() == ("ok",)
    used = query_plan(
        db, "SELECT customer_id FROM customer_email WHERE address = ? COLLATE NOCASE", ("P7@X.NO",)
    )
    assert "customer_email_address" in used
    assert [row.first_name for row in search(db, "p123", as_of=TODAY)] == ["P123"]


def test_progress_is_reported_while_checking_and_writing(db):
    seen = []
    rows = [SourceRow(n + 2, {"first_name": f"P{n}", "last_name": "Q"}) for n in range(450)]
    _load(db, *rows, progress=lambda stage, done, total: seen.append((stage, done, total)))
    assert ("checking", 200, 450) in seen and ("checking", 450, 450) in seen
    assert seen[-1] == ("writing", 450, 450)
