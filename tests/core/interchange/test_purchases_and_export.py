"""Purchases files, mailing labels, email lists, and reading files in their usual encodings."""

from __future__ import annotations

import io
from datetime import date, datetime

import pytest

from tests.versions import current_version
from tui_crm.core.customers import create_customer, get_profile
from tui_crm.core.interchange.export import customer_records, write_emails, write_labels
from tui_crm.core.interchange.purchases import load_purchases
from tui_crm.core.interchange.records import FileRejected
from tui_crm.core.interchange.text import decode, file_date
from tui_crm.core.merge import merge
from tui_crm.errors import CrmError

pytestmark = pytest.mark.both_engines

NOW = datetime(2026, 11, 20, 10, 0)


@pytest.fixture
def rob(db):
    return create_customer(
        db, {"first_name": "Robert", "last_name": "Smith", "emails": ["rob@acme.com"], "uid": "X-7"}
    )


SHOP_EXPORT = (
    "Customer Email;Order Date;Total;Currency;Product;Invoice No\n"
    "rob@acme.com;2026-01-05;1.234,50;EUR;Widget;A1\n"
    "rob@acme.com;2026-03-01;99;EUR;Gadget;\n"
    "nobody@example.com;2026-01-05;5;EUR;Pen;\n"
    "rob@acme.com;soon;5;EUR;Pen;\n"
    "rob@acme.com;2026-01-05;0;EUR;Pen;\n"
    "rob@acme.com;2026-01-05;12;EURO;Pen;\n"
)


def test_purchases_are_added_to_the_customer_named_by_email_and_bad_rows_reported(db, rob):
    report = load_purchases(db, SHOP_EXPORT, source="shop.csv", now=NOW)
    assert (report.added, report.unchanged) == (2, 0)
    assert [(r.line, r.reason) for r in report.rejected] == [
        (4, "no customer with email 'nobody@example.com'"),
        (5, "date: 'soon' is not a date"),
        (6, "amount: the amount cannot be zero"),
        (7, "currency: 'EURO' is not a code such as USD or EUR"),
    ]
    profile = get_profile(db, rob, date(2026, 11, 1))
    assert [(p.day, p.cents, p.currency, p.invoice_ref) for p in profile.purchases] == [
        (date(2026, 3, 1), 9900, "EUR", ""),
        (date(2026, 1, 5), 123450, "EUR", "A1"),
    ]
    assert profile.purchase_count == 2 and profile.value.lifetime == 133350


def test_importing_the_same_purchases_again_adds_nothing_but_a_real_repeat_counts(db, rob):
    text = (
        "customer_id,date,amount\n"
        f"{rob},2026-02-01,10.00\n"
        f"{rob},2026-02-01,10.00\n"  # bought twice that day: two purchases
    )
    assert load_purchases(db, text, source="p.csv").added == 2
    again = load_purchases(db, text, source="p.csv")
    assert (again.added, again.unchanged) == (0, 2)
    more = text + f"{rob},2026-02-01,10.00\n"
    assert load_purchases(db, more, source="p.csv").added == 1


def test_purchases_by_external_id_strict_and_dry_run(db, rob):
    text = "External ID,Date,Amount\nX-7,2026-02-01,10\nX-8,2026-02-02,20\n"
    dry = load_purchases(db, text, source="p.csv", dry_run=True)
    assert (dry.added, len(dry.rejected), dry.written) == (1, 1, False)
    strict = load_purchases(db, text, source="p.csv", strict=True)
    assert strict.refused
    assert get_profile(db, rob, date(2026, 11, 1)).purchase_count == 0
    assert load_purchases(db, text, source="p.csv").added == 1


def test_purchases_of_a_uid_merged_away_go_to_the_survivor(db, rob):
    robert = create_customer(db, {"first_name": "Robert", "last_name": "Smith", "uid": "Y-1"})
    merge(
        db,
        robert,
        rob,
        now=NOW,
        survivor_version=current_version(robert),
        other_version=current_version(rob),
    )  # rob (uid X-7) is merged into robert
    text = "External ID,Date,Amount\nX-7,2026-02-01,10\nY-1,2026-02-02,20\n"
    report = load_purchases(db, text, source="p.csv", now=NOW)
    assert (report.added, report.rejected) == (2, ())
    profile = get_profile(db, robert, date(2026, 11, 1))
    assert sorted(p.cents for p in profile.purchases) == [1000, 2000]
    assert load_purchases(db, text, source="p.csv", now=NOW).unchanged == 2


def test_a_file_without_amount_or_customer_columns_is_refused_in_one_line(db, rob):
    with pytest.raises(FileRejected, match="no column for amount"):
        load_purchases(db, "email,date,product\nrob@acme.com,2026-01-01,x\n", source="p.csv")
    with pytest.raises(FileRejected, match="truncated"):
        load_purchases(db, 'email,date,amount\nrob@acme.com,2026-01-01,"12\n', source="p.csv")
    text = "who,when,how much\nrob@acme.com,2026-01-01,12\n"
    mapping = {"who": "email", "when": "day", "how much": "amount"}
    assert load_purchases(db, text, source="p.csv", mapping=mapping).added == 1
    with pytest.raises(CrmError, match="no column 'nope'"):
        load_purchases(db, text, source="p.csv", mapping={"nope": "email"})


def _people(db):
    ids = [
        create_customer(db, values)
        for values in (
            {
                "first_name": "Anna",
                "last_name": "Berg",
                "company": "Fjord AS",
                "street": "Storgata 1\nc/o Hansen",
                "postal_code": "0155",
                "city": "Oslo",
                "country": "Norway",
                "emails": ["anna@fjord.no"],
            },
            {
                "first_name": "Jim",
                "last_name": "O'Neil, Jr",
                "street": "1 Main St",
                "city": "Springfield",
                "region": "IL",
                "postal_code": "62701",
                "country": "USA",
                "emails": ["jim@example.com", "jim2@example.com"],
            },
            {
                "first_name": "Opted",
                "last_name": "Out",
                "emails": ["o@x.com"],
                "email_opt_out": True,
            },
            {"first_name": "No", "last_name": "Mail", "city": "Bergen"},
        )
    ]
    return customer_records(db, ids)


def test_the_email_list_leaves_out_opted_out_customers_and_says_how_many(db):
    out = io.StringIO()
    written = write_emails(_people(db), out)
    assert out.getvalue().splitlines() == [
        "Anna Berg <anna@fjord.no>",
        '"Jim O\'Neil, Jr" <jim@example.com>',
    ]
    assert written.summary("addresses") == (
        "2 addresses; left out 1 opted out of email, 1 without an email"
    )


def test_labels_are_blocks_in_postal_order_in_each_country_s_layout(db):
    out = io.StringIO()
    written = write_labels(_people(db), out, home_country="USA")
    assert out.getvalue() == (
        "Anna Berg\nFjord AS\nStorgata 1\nc/o Hansen\n0155 OSLO\nNORWAY\n"
        "\n"
        "Jim O'Neil, Jr\n1 Main St\nSPRINGFIELD, IL 62701\n"
    )
    assert written.summary("labels") == "2 labels; left out 2 without a postal address"


def test_file_text_in_the_usual_encodings_and_refused_files():
    assert decode("Müller;Straße\n".encode("cp1252")) == "Müller;Straße\n"
    assert decode(b"\xef\xbb\xbfName\r\nZo\xc3\xab\r\n") == "Name\nZoë\n"
    assert decode("Name\nZoë\n".encode("utf-16")) == "Name\nZoë\n"
    for data, reason in (
        (b"", "empty"),
        (b"  \n", "empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "binary"),
    ):
        with pytest.raises(FileRejected, match=reason):
            decode(data, "x.csv")


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("1985-04-15", date(1985, 4, 15)),
        ("19850415", date(1985, 4, 15)),
        ("1985-04-15T00:00:00Z", date(1985, 4, 15)),
        ("4/15/1985", date(1985, 4, 15)),
        ("15.04.1985", date(1985, 4, 15)),
        ("15 Nov 2023", date(2023, 11, 15)),
        ("Nov 15, 2023", date(2023, 11, 15)),
        ("0/0/00", None),
        ("", None),
    ],
)
def test_dates_as_address_books_write_them(text, day):
    assert file_date(text) == day


def test_dates_that_cannot_be_stored_say_why():
    with pytest.raises(CrmError, match="has no year"):
        file_date("--04-15")
    with pytest.raises(CrmError, match="is not a date"):
        file_date("13/13/2020")


def test_email_lines_keep_names_readable_and_quote_only_what_must_be(db):
    from tui_crm.core.interchange.export import mailbox

    assert mailbox("Jürgen Müller", "j@example.de") == "Jürgen Müller <j@example.de>"
    assert mailbox('Ann "Nan" Lee, CFO', "a@x.com") == '"Ann \\"Nan\\" Lee, CFO" <a@x.com>'
    assert mailbox("", "a@x.com") == "a@x.com"


def test_a_summary_of_one_says_one():
    from tui_crm.core.interchange.export import Written

    assert Written(1).summary("customers") == "1 customer"
    assert Written(1, (("opted out of email", 2),)).summary("addresses") == (
        "1 address; left out 2 opted out of email"
    )
    assert Written(3).summary("labels") == "3 labels"
