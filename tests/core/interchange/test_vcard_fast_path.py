"""The vCard fast path reads every card as vobject does: for each card, the row it gives is
the row vobject's reading gives, or it hands the card to vobject. And the readers that hand
rows to the loader one at a time give the rows the whole-file parsers give."""

from __future__ import annotations

import io
import logging
import re
from datetime import date
from pathlib import Path

import pytest
import vobject
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from vobject.icalendar import stringToTextValues

from tests.core.interchange import test_vcard
from tui_crm.core.interchange import vcard
from tui_crm.core.interchange.contacts_csv import parse_contacts_csv, read_contacts_csv
from tui_crm.core.interchange.files import import_file
from tui_crm.core.interchange.records import FileRejected
from tui_crm.core.interchange.text import _split_lines, decode
from tui_crm.db.models import Customer

pytestmark = pytest.mark.both_engines

DATA = Path(__file__).resolve().parents[2] / "data" / "address_books"


@pytest.fixture(autouse=True)
def _quiet_vobject():
    """vobject logs what it cannot unescape; the comparisons feed it such values on purpose."""
    logging.disable(logging.ERROR)
    yield
    logging.disable(logging.NOTSET)


def _read_without(text: str, *, quick: bool = False, native: bool = False):
    """parse_vcards with the quickest path (`_quick_card`) and, with `native`, the
    property-by-property one (`_native_card`) turned off: every card through vobject."""
    real_quick, real_native = vcard._quick_card, vcard._native_card
    if quick:
        vcard._quick_card = lambda card: None
    if native:
        vcard._native_card = lambda props: None
    try:
        return vcard.parse_vcards(text)
    finally:
        vcard._quick_card, vcard._native_card = real_quick, real_native


def _same_every_way(text: str) -> None:
    """Each card gives the same row however it is read: in one pass, property by property, or
    through vobject alone."""
    quick = vcard.parse_vcards(text)
    for slow in (_read_without(text, quick=True), _read_without(text, quick=True, native=True)):
        assert quick.rows == slow.rows
        assert (quick.layout, quick.ignored) == (slow.layout, slow.ignored)


# --- vobject's unescaping, exactly -------------------------------------------------------------

_TRICKY = st.text(st.sampled_from(["\\", ",", ";", "n", "N", '"', ":", "a", " ", "é", "\t"]))


@settings(max_examples=600, deadline=None)
@given(text=_TRICKY)
def test_text_values_are_vobjects_string_to_text_values(text):
    assert vcard._text_values(text) == stringToTextValues(text)
    assert vcard._text_values(text, ";", ";") == stringToTextValues(
        text, listSeparator=";", charList=";"
    )
    assert vcard._fields(text) == vobject.vcard.splitFields(text)


@pytest.mark.parametrize(
    "text",
    ["", ",", ",,", "a,", "\\", "a\\", "a\\\\", "\\n\\N\\,\\;\\\\\\x", 'say \\"hi\\"', "a,b\\,c,"],
)
def test_text_values_at_the_edges(text):
    assert vcard._text_values(text) == stringToTextValues(text)
    assert vcard._fields(text) == vobject.vcard.splitFields(text)


# --- cards: the same row either way ----------------------------------------------------------

ODD_CARDS = {
    "folded lines, tab and space": (
        "BEGIN:VCARD\nVERSION:3.0\nFN:Ada\n  Lovelace\nN:Lovelace;Ada;;;\n"
        "NOTE:first line\\nsecond\n\t line folded with a tab\nEND:VCARD\n"
    ),
    "escaped and unescaped commas and semicolons": (
        "BEGIN:VCARD\nVERSION:3.0\nN:O\\,Brien\\;x;Ann,Marie;;Dr.,Prof.;\n"
        "FN:Ann O'Brien\nORG:Acme\\, Inc.;Sales,EMEA;\nTITLE:Head, Sales; EMEA\n"
        "CATEGORIES:a\\,b,c;d,,e,\nNOTE:a,b;c\\nd\\Ne\\\\f\\xg\nEND:VCARD\n"
    ),
    "params every way": (
        "BEGIN:VCARD\nVERSION:3.0\nFN:P Q\nTEL;TYPE=cell,voice;type=PREF;PREF=2:+47 900 00 000\n"
        'TEL;TYPE="work,voice";VALUE=uri:tel:+4722334455;ext=9\n'
        "EMAIL;TYPE=INTERNET;TYPE=домашний;X-FOO=bar:p@q.no\n"
        'EMAIL;PREF=1;TYPE=home:h@q.no\nADR;TYPE=work;LABEL="x:y":;;Gate 1;Oslo;;0155;NO\n'
        "END:VCARD\n"
    ),
    "apple groups and labels": (
        "BEGIN:VCARD\nVERSION:3.0\nN:;;;;\nFN:Fjord AS\nORG:Fjord AS;\n"
        "item1.EMAIL;type=INTERNET:post@fjord.no\nitem1.X-ABLabel:_$!<Other>!$_\n"
        "ITEM2.TEL:+47 55 00 00 00\nitem2.X-ABLABEL:Hytta\nitem3.ADR:;;Vei 1;Bergen;;5003;\n"
        "item3.X-ABADR:no\nX-ABShowAs:COMPANY\nEND:VCARD\n"
    ),
    "quoted-printable in UTF-8, latin-1 and a broken charset": (
        "BEGIN:VCARD\nVERSION:2.1\nN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:M=C3=BCller;J=C3=\n"
        "=B6rg;;;\nFN;CHARSET=ISO-8859-1;ENCODING=QUOTED-PRINTABLE:J=F6rg M=FCller\n"
        "NOTE;CHARSET=NOT-A-CHARSET;QUOTED-PRINTABLE:Gr=FC=DFe=0D=0Aan alle=3B und=2C so\n"
        "TEL;CELL;PREF:0170 1234567\nEMAIL;INTERNET:j@m.de\nEND:VCARD\n"
    ),
    "vCard 2.1 bare params and separators": (
        "BEGIN:VCARD\nVERSION:2.1\nN:Richter;John,James\nFN:John Richter\nTEL;WORK;VOICE:555-0123\n"
        "TEL;HOME;FAX:555-0124\nADR;HOME:;;Str. 1\\; Hinterhaus;Berlin;;10115;DE\n"
        "ORG:Richter, Sohn & Co.\nNOTE:c:\\temp\\ a;b, c\\\nEND:VCARD\n"
    ),
    "photos in base64, 2.1 and 3.0": (
        "BEGIN:VCARD\nVERSION:2.1\nFN:Pic One\nPHOTO;ENCODING=BASE64;JPEG:/9j/4AAQSkZJRgABAQAAAQ\n"
        " ABAAD/2wBDAAgGBgcGBQgHBwcJCQgKDBQNDAsL\n\nTEL:+47 91 11 11 11\nEND:VCARD\n"
        "BEGIN:VCARD\nVERSION:3.0\nFN:Pic Two\nPHOTO;ENCODING=b;TYPE=JPEG:/9j/4AAQSkZJRg\n"
        " ABAQAASABIAAD\nLOGO;VALUE=uri:http://x.example/l.png\nEND:VCARD\n"
    ),
    "a card without END, then a good one": (
        "BEGIN:VCARD\nVERSION:3.0\nFN:Ann Ahl\nBEGIN:VCARD\nVERSION:3.0\nFN:Bo Ek\nEND:VCARD\n"
    ),
    "vCard 4.0 with our own properties": (
        "BEGIN:VCARD\nVERSION:4.0\nUID:urn:uuid:1\nFN:Kari Berg\nN:Berg;Kari;;;\nKIND:individual\n"
        "GENDER:F;\nBDAY:--0415\nTEL;VALUE=uri;TYPE=cell;PREF=1:tel:+4795551234;ext=12\n"
        "X-TUICRM-STATUS:lost\nX-TUICRM-LOST-REASON:price\\, mostly\nX-TUICRM-EMAIL-OPT-OUT:yes\n"
        "X-TUICRM-ACQUIRED-ON:2020-01-02\nX-TUICRM-REFERRED-BY:urn:uuid:2\nEND:VCARD\n"
    ),
    "birthdays": (
        "BEGIN:VCARD\nVERSION:3.0\nFN:A\nBDAY;X-APPLE-OMIT-YEAR=1604:1604-11-05\nEND:VCARD\n"
        "BEGIN:VCARD\nVERSION:3.0\nFN:B\nBDAY;VALUE=text:circa 1950\nEND:VCARD\n"
        "BEGIN:VCARD\nVERSION:3.0\nFN:C\nBDAY:1988-02-30\nEND:VCARD\n"
    ),
    "names and nothing else": (
        "BEGIN:VCARD\nVERSION:3.0\nFN:Lovelace\\, Ada\nEND:VCARD\n"
        "BEGIN:VCARD\nVERSION:3.0\nFN:Fjord Foods AS\nEND:VCARD\n"
        "BEGIN:VCARD\nVERSION:3.0\nN:;;;;\nFN:\nNICKNAME:Big Tom,Tommy\nEND:VCARD\n"
        "BEGIN:VCARD\nVERSION:3.0\nKIND:org\nFN:Acme\nN:Acme;;;;\nORG:Acme\nEND:VCARD\n"
    ),
    "lines that are no properties": (
        "BEGIN:VCARD\nVERSION:3.0\nFN:Ann\nthis line has no colon\nEND:VCARD\n"
        "BEGIN:VCARD\nVERSION:3.0\nFN:Bo\nBAD NAME:x\nEND:VCARD\n"
        'BEGIN:VCARD\nVERSION:3.0\nFN;X-Q="a:b":Cy\nEMAIL;TYPE="x;y":c@d.no\nEND:VCARD\n'
    ),
}


@pytest.mark.parametrize("name", sorted(ODD_CARDS))
def test_odd_cards_read_the_same_every_way(name):
    _same_every_way(ODD_CARDS[name])


@pytest.mark.parametrize("sample", ["IPHONE", "ANDROID", "GOOGLE", "OUTLOOK", "NEXTCLOUD"])
def test_the_sample_exports_read_the_same_every_way(sample):
    text = getattr(test_vcard, sample)
    _same_every_way(text if isinstance(text, str) else decode(text, "contact.vcf"))


@pytest.mark.parametrize("path", sorted(DATA.glob("*.vcf")), ids=lambda path: path.name)
def test_the_address_book_files_read_the_same_every_way(path):
    from tui_crm.core.interchange.text import read_source

    _same_every_way(read_source(path))


def test_the_benchmarks_cards_read_the_same_every_way(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(Path(__file__).resolve().parents[3] / "benchmarks"))
    from bench_import import write_vcards

    path = tmp_path / "cards.vcf"
    write_vcards(path, 300, 7)  # Google, Apple (a photo now and then) and Android 2.1 cards
    text = path.read_text(encoding="utf-8").replace("\r\n", "\n")
    _same_every_way(text)
    assert len(vcard.parse_vcards(text).rows) == 300


_PROPERTY = st.sampled_from(
    [
        "N:",
        "FN:",
        "ORG:",
        "ADR;TYPE=work:",
        "CATEGORIES:",
        "NOTE:",
        "TITLE:",
        "NICKNAME:",
        "UID:",
        "TEL;TYPE=cell:",
        "EMAIL;TYPE=INTERNET,pref:",
        "item1.EMAIL:",
        "item1.X-ABLabel:",
        "BDAY:",
        "GENDER:",
        "KIND:",
        "X-ABShowAs:",
        "X-TUICRM-SOURCE:",
        "X-TUICRM-EMAIL-OPT-OUT:",
        "NOTE;ENCODING=QUOTED-PRINTABLE;CHARSET=UTF-8:",
        "N;CHARSET=ISO-8859-1;QUOTED-PRINTABLE:",
        "PHOTO;ENCODING=b:",
    ]
)
_VALUE = st.lists(
    st.sampled_from(
        ["\\", ",", ";", ":", "n", "N", '"', "=", "=C3=", "=0A", "ø", " ", "a", "1", "@", "\t"]
    ),
    max_size=20,
).map("".join)
_CARD_BODY = st.lists(st.tuples(_PROPERTY, _VALUE), max_size=10).map(
    lambda lines: "\n".join(prop + value for prop, value in lines)
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(version=st.sampled_from(["2.1", "3.0", "4.0"]), body=_CARD_BODY)
def test_any_card_of_these_properties_reads_the_same_every_way(version, body):
    _same_every_way(f"BEGIN:VCARD\nVERSION:{version}\n{body}\nEND:VCARD\n")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=test_vcard._GARBAGE)
def test_any_garbage_reads_the_same_every_way(body):
    _same_every_way(f"BEGIN:VCARD\n{body.replace(chr(13), '')}\nEND:VCARD\n")


def test_a_property_whose_reading_it_does_not_know_goes_to_vobject():
    prop = vcard._Prop(2, "", "note", {}, "two\nlines")
    assert vcard._native_card([prop]) is None
    (row,) = vcard.parse_vcards("BEGIN:VCARD\nVERSION:3.0\nFN:Ann Ahl\nEND:VCARD\n").rows
    assert row.values == {"first_name": "Ann", "last_name": "Ahl"}


# --- rows one at a time ------------------------------------------------------------------------


_BEGIN = re.compile(r"[ \t]*BEGIN[ \t]*:[ \t]*VCARD[ \t]*", re.IGNORECASE)
_END = re.compile(r"[ \t]*END[ \t]*:[ \t]*VCARD[ \t]*", re.IGNORECASE)


def _cards_line_by_line(text: str) -> list[tuple[int, list, str | None]] | str:
    """How cards were split before they were read one at a time: line by line."""
    cards, current = [], None
    for number, line in enumerate(text.split("\n"), start=1):
        if _BEGIN.fullmatch(line):
            if current is not None:
                current[2] = f"has no END:VCARD before the next BEGIN:VCARD on line {number}"
                cards.append(current)
            current = [number, [], None]
        elif _END.fullmatch(line):
            if current is not None:
                cards.append(current)
            current = None
        elif current is not None:
            current[1].append((number, line))
    if current is not None:
        return f"ends inside the vCard begun on line {current[0]}; the file looks truncated"
    if not cards:
        return "does not look like a vCard file (it has no BEGIN:VCARD line)"
    return [tuple(card) for card in cards]


_SPLIT_LINES = st.lists(
    st.sampled_from(
        [
            "BEGIN:VCARD",
            "END:VCARD",
            " begin : vcard\t",
            "End:VCard ",
            "END:VCARDS",
            "FN:x",
            "",
            " x",
        ]
    ),
    max_size=14,
)


@settings(max_examples=500, deadline=None)
@given(lines=_SPLIT_LINES, end=st.sampled_from(["", "\n", "\n\n"]))
def test_cards_are_split_as_line_by_line(lines, end):
    text = "\n".join(lines) + end
    expected = _cards_line_by_line(text)
    try:
        count = vcard._count_cards(text)
    except FileRejected as err:
        assert str(err) == expected
        return
    cards = [(card.line, card.lines, card.error) for card in vcard._split_cards(text)]
    assert cards == expected
    assert count == len(cards)


@pytest.mark.parametrize("text", ["", "a", "a\n", "a\nb", "\n\n", "a\n\nb\n"])
def test_lines_are_split_in_place_as_io_does(text):
    assert list(_split_lines(text)) == list(io.StringIO(text, newline=""))


def test_a_vcard_file_is_counted_and_refused_before_any_row_is_read():
    stream = vcard.read_vcards(test_vcard.IPHONE)
    assert stream.count == 3
    assert [row.line for row in stream.rows] == [1, 29 + test_vcard.PHOTO_LINES, 41 + 200]
    assert (stream.layout, stream.ignored) == (
        "vCard 3.0",
        ("PHOTO", "TEL;TYPE=FAX", "URL", "X-SOCIALPROFILE"),
    )
    with pytest.raises(FileRejected, match="looks truncated"):
        vcard.read_vcards("BEGIN:VCARD\nFN:Ann\nEND:VCARD\nBEGIN:VCARD\nFN:Bo\n")


DAY_FIRST_AT_THE_END = (
    "First Name,Last Name,E-mail Address,Birthday\n"
    "Ann,Ahl,ann@example.com,05/04/1985\n"
    "Bo,Ek,bo@example.com,1/2/1990\n"
    "Cy,Fa,cy@example.com,25/12/1970\n"  # only here does the file say it writes day first
)


def test_a_csv_read_one_row_at_a_time_settles_its_dates_at_the_end():
    stream = read_contacts_csv(DAY_FIRST_AT_THE_END)
    assert stream.count == 3
    rows = list(stream.rows)
    assert [row.values["birthday"] for row in rows] == [
        date(1985, 5, 4),  # month first, until the last row
        date(1990, 1, 2),
        date(1970, 12, 25),
    ]
    assert stream.corrections == [
        (2, "birthday", date(1985, 4, 5)),
        (3, "birthday", date(1990, 2, 1)),
    ]
    parsed = parse_contacts_csv(DAY_FIRST_AT_THE_END)
    assert [row.values["birthday"] for row in parsed.rows] == [
        date(1985, 4, 5),
        date(1990, 2, 1),
        date(1970, 12, 25),
    ]


def test_an_import_read_one_row_at_a_time_stores_the_settled_dates(db, tmp_path):
    source = tmp_path / "people.csv"
    source.write_text(DAY_FIRST_AT_THE_END, encoding="utf-8")
    report = import_file(db, source)
    assert (report.rows, report.added) == (3, 3)
    assert [str(c.birthday) for c in Customer.select().order_by(Customer.id)] == [
        "1985-04-05",
        "1990-02-01",
        "1970-12-25",
    ]


_NAMES = st.tuples(
    st.sampled_from(["", "Rob", "Robert", "Bob", "Bobby", "Kari", "Jürgen", "Juergen"]),
    st.sampled_from(["", "Smith", "Berg", "Müller"]),
    st.sampled_from(["", "Acme", "ACME "]),
)


@settings(max_examples=300, deadline=None)
@given(added=st.lists(_NAMES, max_size=12), asked=_NAMES)
def test_the_first_namesake_is_the_first_of_all_of_them(added, asked):
    from tui_crm.core.interchange.load import _NameIndex

    index = _NameIndex()
    for number, (first, last, company) in enumerate(added):
        index.add(first, last, company, number)
    assert index.find(*asked) == next(index._hits(*asked), None)
