"""Every contact arrives: exports shaped as ten address books and phones write them (Android,
BlackBerry, Lotus Notes, Outlook 2003/2007, Gmail, iPhone, KDE, Roundcube, Thunderbird,
LinkedIn), each contact odd in some secondary field, imported into an empty book.

The files are in tests/data/address_books/; each contact there has a reason to be refused by a
strict importer (a fictional or national number, an extension, an odd date, an
internationalised address, no name at all) and nothing that makes it unusable."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from tui_crm.core.interchange.files import import_file
from tui_crm.core.types import display_name
from tui_crm.db.database import close_database, open_database
from tui_crm.db.models import Customer, CustomerEmail, CustomerPhone

BOOKS = Path(__file__).parents[2] / "data" / "address_books"

# file -> the names the contacts must be found under (a display name from what they have when
# they have no name: nickname, email, phone)
CONTACTS = {
    "android.vcf": 6,
    "iphone.vcf": 4,
    "kde.vcf": 2,
    "roundcube.vcf": 3,
    "outlook2003.csv": 5,
    "outlook2007-utf16.csv": 3,
    "gmail.csv": 4,
    "thunderbird.csv": 4,
    "linkedin.csv": 3,
    "blackberry.csv": 3,
    "lotus-notes.vcf": 2,
}


@pytest.fixture
def imported(home, tmp_path):
    """Import one file into a new book; the book stays open for the test."""

    def run(name: str):
        db = open_database(tmp_path / f"{name}.db")
        return import_file(db, BOOKS / name)

    yield run
    close_database()


@pytest.mark.parametrize("name", sorted(CONTACTS))
def test_every_contact_of_each_address_book_arrives(imported, name):
    report = imported(name)
    customers = list(Customer.select())
    assert len(customers) == CONTACTS[name], "\n".join(report.lines())
    for row in customers:  # each has a name to be listed and found by
        assert display_name(row.first_name, row.last_name, row.company).strip()


def _by_name(first: str) -> Customer:
    return Customer.get(Customer.first_name == first)


def _phones(customer: Customer) -> list[CustomerPhone]:
    return list(CustomerPhone.select().where(CustomerPhone.customer == customer))


def test_odd_phones_are_kept_as_typed_and_extensions_kept(imported):
    imported("outlook2003.csv")
    robert = _phones(_by_name("Robert"))
    assert any(p.extension == "204" for p in robert)
    # National numbers are read in the contact's own country when it has one: Helga's German
    # mobile is a verified German number although the importing book's region is the US.
    helga = {p.national: p for p in _phones(_by_name("Helga"))}
    assert len(helga) == 2
    mobile = helga["1711234567"]
    assert (mobile.number, mobile.verified) == ("+491711234567", True)
    anna = _phones(_by_name("Anna"))  # Norway, "22 33 44 55": a valid Oslo number
    assert [(p.number, p.verified) for p in anna] == [("+4722334455", True)]


def test_a_fictional_number_is_kept_unverified_and_found_by_its_digits(imported):
    imported("blackberry.csv")
    (sarah,) = _phones(_by_name("Sarah"))
    assert (sarah.number, sarah.verified, sarah.national) == ("555-0000", False, "5550000")


def test_a_date_that_does_not_parse_goes_to_the_notes(imported):
    imported("outlook2003.csv")
    peter = _by_name("Peter")
    assert peter.birthday is None
    assert "not known" in peter.notes


def test_linkedin_dates_with_a_time_are_read(imported):
    imported("linkedin.csv")
    assert _by_name("Priya").acquired_on == date(2018, 1, 8)
    assert _by_name("Tom").acquired_on == date(2017, 12, 24)


def test_internationalised_addresses_are_kept(imported):
    imported("android.vcf")
    addresses = {e.address for e in CustomerEmail.select()}
    assert "jörg@müller.de" in addresses


def test_titles_and_suffixes_are_never_first_or_last_names(imported):
    imported("outlook2003.csv")
    robert = _by_name("Robert")
    assert (robert.first_name, robert.last_name) == ("Robert", "Smith")
    helga = _by_name("Helga")
    assert (helga.first_name, helga.last_name) == ("Helga", "Schmidt")


def test_thunderbirds_birthday_in_three_columns_is_one_date(imported):
    imported("thunderbird.csv")
    assert _by_name("Ingrid").birthday == date(1975, 4, 1)
    ahmed = _by_name("Ahmed")  # month 13, day 40: kept as the file gives it
    assert ahmed.birthday is None and "1985-13-40" in ahmed.notes


def test_extensions_in_the_words_other_countries_use_are_kept(imported):
    imported("kde.vcf")
    (amelie,) = _phones(_by_name("Amélie"))
    assert amelie.extension == "42"
    assert _by_name("Pieter").birthday == date(1970, 1, 1)  # 1970-1-1


def test_a_vcard_21_comma_list_keeps_the_first_given_name(imported):
    imported("android.vcf")
    john = _by_name("John")
    assert (john.first_name, john.last_name) == ("John", "Richter")
    assert "James" in john.notes
