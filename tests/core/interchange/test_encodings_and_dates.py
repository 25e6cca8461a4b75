"""Import files in the encodings phones and address books write (UTF-16 with and without a
byte-order mark among them), and dates in the shapes real exports use."""

from __future__ import annotations

import random
import struct
from datetime import date

import pytest

from tui_crm.core.dates import parse_date
from tui_crm.core.interchange.contacts_csv import parse_contacts_csv
from tui_crm.core.interchange.records import FileRejected
from tui_crm.core.interchange.text import date_part, decode, file_date, read_source
from tui_crm.core.interchange.vcard import parse_vcards
from tui_crm.errors import CrmError

CONTACTS = (
    "First Name,Last Name,E-mail Address,Birthday\r\n"
    "Jörg,Müller,joerg@example.de,4/15/1985\r\n"
    "陈,伟,chen.wei@example.cn,1/8/2018\r\n"
    "Zoë,Ångström,zoe@example.se,\r\n"
    "Ada,Lovelace,ada@example.com,12/10/1815\r\n"
)
NAMES = [("Jörg", "Müller"), ("陈", "伟"), ("Zoë", "Ångström"), ("Ada", "Lovelace")]

ENCODINGS = {
    "utf-16-le without BOM": lambda text: text.encode("utf-16-le"),
    "utf-16-be without BOM": lambda text: text.encode("utf-16-be"),
    "utf-16-le with BOM": lambda text: b"\xff\xfe" + text.encode("utf-16-le"),
    "utf-16-be with BOM": lambda text: b"\xfe\xff" + text.encode("utf-16-be"),
    "utf-16 (Python's, with BOM)": lambda text: text.encode("utf-16"),
    "utf-8 without BOM": lambda text: text.encode("utf-8"),
    "utf-8 with BOM": lambda text: text.encode("utf-8-sig"),
    "utf-32 with BOM": lambda text: text.encode("utf-32"),
}


def _names(text: str) -> list[tuple[str, str]]:
    rows = parse_contacts_csv(text).rows
    return [(row.values["first_name"], row.values["last_name"]) for row in rows]


@pytest.mark.parametrize("encoding", list(ENCODINGS))
def test_every_contact_of_a_unicode_file_arrives_whatever_its_encoding(encoding, tmp_path):
    path = tmp_path / "contacts.csv"
    path.write_bytes(ENCODINGS[encoding](CONTACTS))
    text = read_source(path)
    assert text == CONTACTS.replace("\r\n", "\n")
    assert _names(text) == NAMES
    rows = parse_contacts_csv(text).rows
    assert [row.values.get("birthday") for row in rows] == [
        date(1985, 4, 15),
        date(2018, 1, 8),
        None,
        date(1815, 12, 10),
    ]


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_utf16_without_bom_mostly_chinese_is_still_told(codec):
    # U+4E00 (一) and U+5100 (儀) are 00 4E and 00 51: NULs on the "wrong" side now and then
    names = ["陈一", "李儀", "王芳", "张伟", "刘洋", "杨一", "赵丽", "黄磊", "周一", "吴儀"] * 20
    text = "姓名,电话\n" + "".join(f"{name},+86 10 1234 5678\n" for name in names)
    assert decode(text.encode(codec), "通讯录.csv") == text


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_a_vcard_file_in_utf16_without_bom(codec):
    cards = (
        "BEGIN:VCARD\r\nVERSION:3.0\r\nN:Müller;Jörg;;;\r\nFN:Jörg Müller\r\n"
        "BDAY:20180108\r\nEND:VCARD\r\n"
        "BEGIN:VCARD\r\nVERSION:3.0\r\nN:陈;伟;;;\r\nFN:陈伟\r\nBDAY:--0108\r\nEND:VCARD\r\n"
        "BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Kari Nordmann\r\nN:Nordmann;Kari;;;\r\n"
        "BDAY:2018-01-08T10:00:00Z\r\nEND:VCARD\r\n"
    )
    joerg, chen, kari = parse_vcards(decode(cards.encode(codec), "contacts.vcf")).rows
    assert (joerg.values["last_name"], joerg.values["birthday"]) == ("Müller", date(2018, 1, 8))
    # no year: nothing to store it in, so it is no date; the card's text is kept as written
    # (a notes line, or the raw value the import moves to the notes)
    assert chen.values["first_name"] == "伟"
    assert not isinstance(chen.values.get("birthday"), date)
    assert "--0108" in f"{chen.values.get('notes', '')} {chen.values.get('birthday', '')}"
    assert kari.values["birthday"] == date(2018, 1, 8)


def test_text_without_nuls_keeps_its_8bit_fallbacks():
    assert decode("Müller;Straße\n".encode("cp1252")) == "Müller;Straße\n"
    assert decode(b"Name\n\x81ber\n") == "Name\n\x81ber\n"  # cp1252's hole: latin-1


def _binaries() -> list[bytes]:
    noise = random.Random(15)
    return [
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(noise.randrange(256) for _ in range(3000)),
        bytes(noise.randrange(256) for _ in range(5000)),
        b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + bytes(range(256)) * 8,  # a zip's start
        b"\x00" * 4096,
        b"".join(struct.pack("<H", n) for n in range(2000)),  # 16-bit little-endian numbers
        b"".join(struct.pack(">H", n) for n in range(2000)),
        b"\x7fELF\x02\x01\x01" + b"\x00" * 9 + b"\x02\x00\x3e\x00" + b"\x01\x00\x00\x00" * 200,
        b"Name,Email\nAda,ada@example.com\n\x00\x00\x00\x00\x00\x00\x00\x00",  # NUL padding
    ]


@pytest.mark.parametrize("data", _binaries(), ids=range(len(_binaries())))
def test_a_binary_file_is_still_refused_in_one_line(data, tmp_path):
    path = tmp_path / "photo.csv"
    path.write_bytes(data)
    with pytest.raises(FileRejected) as refused:
        read_source(path)
    message = str(refused.value)
    assert "\n" not in message
    assert message.startswith(f"{path}: ")
    assert "binary" in message or "not readable text" in message


def test_utf16_cut_in_the_middle_of_a_character_is_refused_in_one_line():
    data = CONTACTS.encode("utf-16-le")[:-1]
    with pytest.raises(FileRejected, match=r"^x\.csv: is not readable text \(utf-16-le broken\)$"):
        decode(data, "x.csv")


JAN_8 = date(2018, 1, 8)


@pytest.mark.parametrize(
    "text",
    [
        "1/8/18, 6:14 PM",  # LinkedIn's Connected On
        "1/8/2018 6:14:00 PM",  # Outlook
        "1/8/2018 6:14 am",
        "1/8/18",
        "08 Jan 2018",
        "8 January 2018",
        "8. Januar 2018",
        "8 janvier 2018",
        "Jan 8, 2018",
        "January 8th, 2018",
        "Monday, January 8, 2018",
        "Jan 8, 2018, 6:14 PM",
        "08-Jan-18",
        "08-Jan-2018",
        "2018-Jan-08",
        "2018-01-08",
        "2018-01-08 10:00",
        "2018-01-08T10:00:00Z",
        "2018-01-08T10:00:00.000Z",
        "2018-01-08T10:00:00+01:00",
        "2018-01-08T23:30:00-08:00",  # the date as written, not moved to UTC
        "2018-01-08 10:00:00 UTC",
        "20180108",  # vCard
        "20180108T101500Z",
        "2018/01/08",
        "08.01.2018",
        "08.01.2018 10:00",
        " 1/8/2018\t6:14 PM ",
    ],
)
def test_dates_in_the_shapes_real_exports_use(text):
    assert file_date(text) == JAN_8


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("15/04/1985 10:00", date(1985, 4, 15)),  # cannot be month first
        ("4/15/1985, 9:00 AM", date(1985, 4, 15)),
        ("1/8/30", date(1930, 1, 8)),  # the pivot: 30-99 are 1900s
        ("1/8/29", date(2029, 1, 8)),
        ("08 Jan 75", date(1975, 1, 8)),
        ("1er mars 2018", date(2018, 3, 1)),
        ("12 May 2018", date(2018, 5, 12)),
    ],
)
def test_slashes_read_month_first_unless_they_cannot_and_two_digit_years_pivot(text, day):
    assert file_date(text) == day


def test_ambiguous_slashes_with_a_24_hour_clock_are_not_guessed():
    # 1/8/2018 10:00 is written day first as often as not: kept as text, not guessed
    with pytest.raises(CrmError, match="is not a date"):
        file_date("1/8/2018 10:00")
    with pytest.raises(CrmError, match="is not a date"):
        file_date("01/08/2018 18:14:00")
    assert file_date("13/08/2018 18:14") == date(2018, 8, 13)  # no order reads it otherwise
    assert file_date("01/1/2018 10:00") == date(2018, 1, 1)  # both orders read it the same
    assert file_date("08.01.2018 18:14") == JAN_8  # dots: day first, as a day-first file passes


@pytest.mark.parametrize(
    "text",
    [
        "Jan 8, 18",  # a two-digit year only where nothing else can be the year
        "1/8/18, 25:14",  # a time that is not one makes the whole text unreadable
        "1/8/18, 13:14 PM",
        "1/8/18, 6:61 PM",
        "Q3 2018 Jan",  # words that are no part of a date are not skipped
        "1 mar 2018 x",
        "Jan 2018 8",
        "Smarch 8, 2018",
        "13/13/2020",
        "31/02/1980",
        "2018-13-01",
        "2018-01",
        "8/1",
        "soon",
        "--1399",
    ],
)
def test_what_cannot_be_read_for_certain_is_not_a_date(text):
    with pytest.raises(CrmError, match="is not a date"):
        file_date(text)


@pytest.mark.parametrize("text", ["--0108", "--01-08", "---08", "--0229"])
def test_a_birthday_without_a_year_says_so_and_is_never_an_empty_date(text):
    # None would mean "no date" and be dropped; the readers keep the text in the notes
    with pytest.raises(CrmError, match="has no year"):
        file_date(text)


def test_a_file_decides_day_first_for_its_plain_slashed_dates_as_before():
    european = "Name;Birthday;Customer since\nJörg Müller;08/01/2018;15/03/2020\n"
    (row,) = parse_contacts_csv(european).rows
    assert row.values["birthday"] == JAN_8
    us = "Name,Birthday\nAda Lovelace,08/01/2018\n"
    (row,) = parse_contacts_csv(us).rows
    assert row.values["birthday"] == date(2018, 8, 1)


def test_a_day_first_file_reads_its_slashed_dates_with_a_time_day_first():
    european = "Name;Birthday;Customer since\nJörg Müller;08/01/2018;08/01/2018 6:14 PM\n"
    (row,) = parse_contacts_csv(european).rows
    assert row.values["birthday"] == JAN_8
    assert row.values["acquired_on"] == JAN_8


def test_linkedin_connected_on_with_a_time_arrives():
    text = (
        "First Name,Last Name,URL,Email Address,Company,Position,Connected On\n"
        'Jörg,Müller,,,ACME,CTO,"1/8/18, 6:14 PM"\n'
        "陈,伟,,chen@example.cn,,,08 Jan 2018\n"
        "Ada,Lovelace,,,,,12/25/17\n"
    )
    joerg, chen, ada = parse_contacts_csv(text).rows
    assert joerg.values["acquired_on"] == JAN_8 and not joerg.error
    assert chen.values["acquired_on"] == JAN_8
    assert ada.values["acquired_on"] == date(2017, 12, 25)


@pytest.mark.parametrize(
    ("text", "part"),
    [
        ("1/8/18, 6:14 PM", "1/8/18"),
        ("1/8/2018 6:14:00 PM", "1/8/2018"),
        ("2018-01-08T10:00:00+01:00", "2018-01-08"),
        ("08.01.2018 10:00", "08.01.2018"),
        ("08 Jan 2018", "08 Jan 2018"),
        ("1/8/18, 25:14", "1/8/18, 25:14"),
    ],
)
def test_the_date_part_of_a_date_with_a_time(text, part):
    assert date_part(text) == part


def test_parse_date_takes_an_iso_moment_as_its_date_and_nothing_looser():
    for text in ("2018-01-08", "20180108", "2018-01-08 10:00", "2018-01-08T10:00:00Z"):
        assert parse_date(text) == JAN_8
    assert parse_date("2018-01-08T10:00:00+01:00") == JAN_8
    for bad in ("1/8/18, 6:14 PM", "8 January 2018", "2018-01-08T25:00", "2018-01-08 soon"):
        with pytest.raises(CrmError, match="YYYY-MM-DD"):
            parse_date(bad)
