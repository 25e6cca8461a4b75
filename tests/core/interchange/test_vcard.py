"""vCard files as real address books write them come in as the customers a user expects,
and what we write comes back unchanged (and is read by vobject too)."""

from __future__ import annotations

import io
import time
from datetime import date

import pytest
import vobject
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.core.interchange.strategies import records
from tui_crm.core.interchange.records import CustomerRecord, FileRejected, Parsed
from tui_crm.core.interchange.text import decode
from tui_crm.core.interchange.vcard import parse_vcards, write_vcards
from tui_crm.core.types import Labelled

PHOTO_LINES = 200
_B64 = "/9j/4AAQSkZJRgABAQAASABIAAD/4QBYRXhpZgAATU0AKgAAAAgAAgESAAMAAAABAAEAAIdpAAQAAAABAAAAJgA"

IPHONE = (
    "BEGIN:VCARD\n"
    "VERSION:3.0\n"
    "PRODID:-//Apple Inc.//iPhone OS 17.2.1//EN\n"
    "N:Lindqvist;Åsa;Marie;;\n"
    "FN:Åsa Marie Lindqvist\n"
    "NICKNAME:Åsa\n"
    "ORG:Nordlys AS;Sales\n"
    "TITLE:Key account manager\n"
    "EMAIL;type=INTERNET;type=WORK;type=pref:asa@nordlys.no\n"
    "EMAIL;type=INTERNET;type=HOME:asa.lindqvist@gmail.com\n"
    "TEL;type=WORK;type=VOICE:+47 22 33 44 55\n"
    "TEL;type=CELL;type=VOICE;type=pref:+47 955 51 234\n"
    "item1.TEL:+47 400 00 000\n"
    "item1.X-ABLabel:Hytta\n"
    "item2.TEL:+47 911 11 111\n"
    "item2.X-ABLabel:_$!<Home>!$_\n"
    "TEL;type=HOME;type=FAX:+47 22 33 44 56\n"
    "item3.ADR;type=HOME:;;Hjemmeveien 2;Bærum;;1337;Norway\n"
    "item3.X-ABADR:no\n"
    "item4.ADR;type=WORK;type=pref:;;Storgata 1\\nc/o Nordlys;Oslo;;0155;Norway\n"
    "item4.X-ABADR:no\n"
    "item5.URL;type=pref:https://nordlys.no\n"
    "item5.X-ABLabel:_$!<HomePage>!$_\n"
    "BDAY:1985-04-15\n"
    "NOTE:Met at the Oslo fair\\, 2023.\\nPrefers e-mail.\n"
    "X-SOCIALPROFILE;type=linkedin;x-user=asalindqvist:https://linkedin.com/in/asalindqvist\n"
    "CATEGORIES:VIP,Oslo\n"
    "PHOTO;ENCODING=b;TYPE=JPEG:" + "\n ".join([_B64] * PHOTO_LINES) + "\n"
    "END:VCARD\n"
    "BEGIN:VCARD\n"
    "VERSION:3.0\n"
    "PRODID:-//Apple Inc.//iPhone OS 17.2.1//EN\n"
    "N:;;;;\n"
    "FN:Fjordkraft AS\n"
    "ORG:Fjordkraft AS;\n"
    "item1.TEL;type=pref:+47 55 00 00 00\n"
    "item1.X-ABLabel:_$!<Mobile>!$_\n"
    "item2.EMAIL;type=INTERNET:post@fjordkraft.no\n"
    "item2.X-ABLabel:_$!<Other>!$_\n"
    "X-ABShowAs:COMPANY\n"
    "END:VCARD\n"
    "BEGIN:VCARD\n"
    "VERSION:3.0\n"
    "N:;Mormor;;;\n"
    "FN:Mormor\n"
    "BDAY;X-APPLE-OMIT-YEAR=1604:1604-11-05\n"
    "END:VCARD\n"
)


def test_an_iphone_export_keeps_names_labels_addresses_and_skips_the_photo():
    parsed = parse_vcards(IPHONE)
    asa, fjordkraft, mormor = parsed.rows
    assert parsed.layout == "vCard 3.0"
    assert asa.line == 1 and asa.error is None
    assert asa.values["first_name"] == "Åsa Marie"
    assert asa.values["last_name"] == "Lindqvist"
    assert asa.values["nickname"] == "Åsa"
    assert asa.values["company"] == "Nordlys AS"
    assert asa.values["job_title"] == "Key account manager"
    assert asa.values["emails"] == [("work", "asa@nordlys.no"), ("home", "asa.lindqvist@gmail.com")]
    assert asa.values["phones"] == [
        ("mobile", "+47 955 51 234"),  # type=pref comes first
        ("work", "+47 22 33 44 55"),
        ("other", "+47 400 00 000"),  # a custom label
        ("home", "+47 911 11 111"),
    ]
    assert asa.values["street"] == "Storgata 1\nc/o Nordlys"  # the preferred address
    assert (asa.values["postal_code"], asa.values["city"]) == ("0155", "Oslo")
    assert asa.values["country"] == "Norway"
    assert asa.values["birthday"] == date(1985, 4, 15)
    assert asa.values["tags"] == ["VIP", "Oslo"]
    assert asa.values["notes"] == (
        "Met at the Oslo fair, 2023.\nPrefers e-mail.\n"
        "Address (home): Hjemmeveien 2, 1337 Bærum, Norway"
    )
    assert fjordkraft.line == 29 + PHOTO_LINES
    assert fjordkraft.values == {
        "company": "Fjordkraft AS",
        "phones": [("mobile", "+47 55 00 00 00")],
        "emails": [("other", "post@fjordkraft.no")],
    }
    assert mormor.values == {"first_name": "Mormor", "notes": "Birthday: --11-05"}
    assert parsed.ignored == ("PHOTO", "TEL;TYPE=FAX", "URL", "X-SOCIALPROFILE")


def test_a_huge_photo_does_not_slow_the_import_down():
    card = IPHONE.split("END:VCARD\n")[0].replace("\n ".join([_B64] * PHOTO_LINES), "")
    huge = card.replace(
        "PHOTO;ENCODING=b;TYPE=JPEG:", "PHOTO;ENCODING=b;TYPE=JPEG:" + "\n ".join([_B64] * 100_000)
    )
    started = time.perf_counter()
    parsed = parse_vcards(huge + "END:VCARD\n")
    assert time.perf_counter() - started < 3
    assert parsed.rows[0].values["last_name"] == "Lindqvist"


ANDROID = (
    "BEGIN:VCARD\n"
    "VERSION:2.1\n"
    # Müller; Jørgen, with soft line breaks inside the two-byte ü and ø
    "N;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:=4D=C3=\n"
    "=BC=6C=6C=65=72;=4A=C3=\n"
    "=B8=72=67=65=6E;;;\n"
    "FN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:=4A=C3=B8=72=67=65=6E=20=4D=C3=\n"
    "=BC=6C=6C=65=72\n"
    "TEL;CELL:+47 955 51 234\n"
    "TEL;WORK;VOICE:22 33 44 55\n"
    "TEL;PAGER:12345\n"
    "EMAIL;HOME:jorgen@example.no\n"
    "EMAIL;WORK:jorgen@firma.no\n"
    "ORG:Firma AS\n"
    "ADR;HOME;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:;;Storgata 1;Troms=C3=B8;;9008;Norge\n"
    "NOTE;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:Ring etter kl. 16; helst p=C3=A5 mobil.=0A=\n"
    "Har hund.\n"
    "BDAY:--04-15\n"
    "X-ANDROID-CUSTOM:vnd.android.cursor.item/relation;Kari;1;;;;;;;;;;;;;\n"
    "PHOTO;ENCODING=BASE64;JPEG:/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAgGBgcGBQgHBwcJCQgKDBQNDAsL\n"
    "  DBkSEw8UHRofHh0aHBwgJC4nICIsIxwcKDcpLDAxNDQ0Hyc5PTgyPC4zNDL/2wBDAQkJCQwL\n"
    "  DBgNDRgyIRwhMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIy\n"
    "\n"
    "END:VCARD\n"
    "BEGIN:VCARD\n"
    "VERSION:2.1\n"
    "N:Berg;Ola;;;\n"
    "FN:Ola Berg\n"
    "TEL;PREF;CELL:+4791234567\n"
    "END:VCARD\n"
)


def test_an_android_export_decodes_quoted_printable_split_inside_a_character():
    parsed = parse_vcards(ANDROID)
    jorgen, ola = parsed.rows
    assert parsed.layout == "vCard 2.1"
    assert jorgen.error is None
    assert (jorgen.values["first_name"], jorgen.values["last_name"]) == ("Jørgen", "Müller")
    assert jorgen.values["phones"] == [("mobile", "+47 955 51 234"), ("work", "22 33 44 55")]
    assert jorgen.values["emails"] == [("home", "jorgen@example.no"), ("work", "jorgen@firma.no")]
    assert jorgen.values["company"] == "Firma AS"
    assert jorgen.values["city"] == "Tromsø"
    assert jorgen.values["street"] == "Storgata 1"
    assert "birthday" not in jorgen.values
    assert jorgen.values["notes"] == (
        "Ring etter kl. 16; helst på mobil.\nHar hund.\nBirthday: --04-15"
    )
    assert ola.line == 24
    assert ola.values == {
        "first_name": "Ola",
        "last_name": "Berg",
        "phones": [("mobile", "+4791234567")],
    }
    assert parsed.ignored == ("PHOTO", "TEL;TYPE=PAGER", "X-ANDROID-CUSTOM")


GOOGLE = """BEGIN:VCARD
VERSION:3.0
FN:Priya Raman
N:Raman;Priya;;;
EMAIL;TYPE=INTERNET;TYPE=WORK:priya@acme.example
EMAIL;TYPE=INTERNET;TYPE=HOME:priya.raman@gmail.com
EMAIL;TYPE=INTERNET:p.raman@oldmail.example
EMAIL;TYPE=INTERNET;TYPE=OTHER:priya@club.example
TEL;TYPE=CELL:+1 617-555-0123
TEL;TYPE=WORK:(212) 555-0100
TEL:+1 212 555 0199
ADR;TYPE=WORK:;;100 Main St\\, Suite 4;Boston;MA;02110;US
ORG:Acme Corp
TITLE:CTO
BDAY:1990-11-03
item1.URL:http\\://priya.example
item1.X-ABLabel:
NOTE:Intro via Harry; likes tea.\\nCall on Fridays.
CATEGORIES:myContacts,Friends
END:VCARD
BEGIN:VCARD
VERSION:3.0
FN:Bo Ek
N:;;;;
EMAIL;TYPE=INTERNET:bo@ek.example
END:VCARD
"""


def test_a_google_contacts_export():
    parsed = parse_vcards(GOOGLE)
    priya, bo = parsed.rows
    assert parsed.layout == "vCard 3.0"
    assert (priya.values["first_name"], priya.values["last_name"]) == ("Priya", "Raman")
    assert priya.values["emails"] == [
        ("work", "priya@acme.example"),
        ("home", "priya.raman@gmail.com"),
        ("work", "p.raman@oldmail.example"),  # INTERNET only
        ("other", "priya@club.example"),
    ]
    assert priya.values["phones"] == [
        ("mobile", "+1 617-555-0123"),
        ("work", "(212) 555-0100"),
        ("other", "+1 212 555 0199"),
    ]
    assert priya.values["street"] == "100 Main St, Suite 4"
    assert (priya.values["city"], priya.values["region"]) == ("Boston", "MA")
    assert (priya.values["postal_code"], priya.values["country"]) == ("02110", "US")
    assert priya.values["company"] == "Acme Corp" and priya.values["job_title"] == "CTO"
    assert priya.values["birthday"] == date(1990, 11, 3)
    assert priya.values["notes"] == "Intro via Harry; likes tea.\nCall on Fridays."
    assert priya.values["tags"] == ["Friends"]  # Google's own "myContacts" group is no tag
    # no N: the last word of FN is the last name
    assert bo.values == {
        "first_name": "Bo",
        "last_name": "Ek",
        "emails": [("work", "bo@ek.example")],
    }
    assert parsed.ignored == ("URL",)


OUTLOOK = (
    "BEGIN:VCARD\r\n"
    "VERSION:2.1\r\n"
    "N;LANGUAGE=de:Müller;Jürgen\r\n"
    "FN:Jürgen Müller\r\n"
    "ORG:Bäckerei Müller GmbH\r\n"
    "TITLE:Geschäftsführer\r\n"
    "NOTE;ENCODING=QUOTED-PRINTABLE:Gr=FC=DFe an Frau M=FCller.=0D=0A=\r\n"
    "Kunde seit 1998; zahlt p=FCnktlich.\r\n"
    "TEL;WORK;VOICE:+49 30 1234567\r\n"
    "TEL;CELL;VOICE:0171 1234567\r\n"
    "TEL;WORK;FAX:+49 30 1234568\r\n"
    "ADR;WORK;PREF:;;Hauptstraße 5;Berlin;;10115;Deutschland\r\n"
    "LABEL;WORK;PREF;ENCODING=QUOTED-PRINTABLE:Hauptstra=DFe 5=0D=0A=\r\n"
    "Berlin 10115=0D=0A=\r\n"
    "Deutschland\r\n"
    "ADR;HOME:;;Am See 3, Haus B;Potsdam;Brandenburg;14467;Deutschland\r\n"
    "X-MS-OL-DEFAULT-POSTAL-ADDRESS:2\r\n"
    "URL;WORK:http://www.baeckerei-mueller.de\r\n"
    "EMAIL;PREF;INTERNET:juergen@baeckerei-mueller.de\r\n"
    "X-WAB-GENDER:2\r\n"
    "BDAY:19780102\r\n"
    'X-MS-OL-DESIGN;CHARSET=utf-8:<card xmlns="http://schemas.microsoft.com/office/outlook/12/electronicbusinesscards" ver="1.0"></card>\r\n'
    "REV:20240101T120000Z\r\n"
    "END:VCARD\r\n"
).encode("cp1252")


def test_an_outlook_export_in_cp1252():
    parsed = parse_vcards(decode(OUTLOOK, "contact.vcf"))
    (juergen,) = parsed.rows
    assert parsed.layout == "vCard 2.1"
    assert juergen.error is None
    assert juergen.values["first_name"] == "Jürgen"
    assert juergen.values["last_name"] == "Müller"
    assert juergen.values["company"] == "Bäckerei Müller GmbH"
    assert juergen.values["job_title"] == "Geschäftsführer"
    assert juergen.values["gender"] == "m"
    assert juergen.values["birthday"] == date(1978, 1, 2)
    assert juergen.values["phones"] == [("work", "+49 30 1234567"), ("mobile", "0171 1234567")]
    assert juergen.values["emails"] == [("work", "juergen@baeckerei-mueller.de")]
    assert juergen.values["street"] == "Hauptstraße 5"
    assert (juergen.values["postal_code"], juergen.values["city"]) == ("10115", "Berlin")
    assert juergen.values["notes"] == (
        "Grüße an Frau Müller.\nKunde seit 1998; zahlt pünktlich.\n"
        "Address (home): Am See 3, Haus B, 14467 Potsdam, Brandenburg, Deutschland"
    )
    assert parsed.ignored == ("TEL;TYPE=FAX", "URL")


NEXTCLOUD = """BEGIN:VCARD
VERSION:4.0
PRODID:-//Sabre//Sabre VObject 4.5.4//EN
UID:3f1c8a3e-0b4e-4d7c-9a31-2f9e8d1c7b6a
FN:Kari Nordmann
N:Nordmann;Kari;;;
GENDER:F
BDAY:--0415
TEL;TYPE="work,voice";VALUE=uri:tel:+4722334455
TEL;TYPE=cell;PREF=1;VALUE=uri:tel:+4795551234
EMAIL;TYPE=home:kari@example.no
EMAIL;TYPE=work;PREF=1:kari@firma.no
ADR;TYPE=home;LABEL="Karl Johans gate 1\\n0154 Oslo":;;Karl Johans gate 1;Oslo;;0154;Norway
CATEGORIES:Kunder,Oslo
KIND:individual
REV;VALUE=timestamp:20240101T120000Z
END:VCARD
BEGIN:VCARD
VERSION:4.0
UID:urn:uuid:9b2e
FN:Nordlys AS
KIND:org
ORG:Nordlys AS
GENDER:U
X-GENDER:Male
END:VCARD
BEGIN:VCARD
VERSION:3.0
FN:Per Hansen
X-GENDER:Male
BDAY;VALUE=text:circa 1970
END:VCARD
"""


def test_a_nextcloud_export_in_vcard_4():
    parsed = parse_vcards(NEXTCLOUD)
    kari, nordlys, per = parsed.rows
    assert parsed.layout == "vCard 4.0"
    assert kari.values["uid"] == "3f1c8a3e-0b4e-4d7c-9a31-2f9e8d1c7b6a"
    assert (kari.values["first_name"], kari.values["last_name"]) == ("Kari", "Nordmann")
    assert kari.values["gender"] == "f"
    assert kari.values["phones"] == [("mobile", "+4795551234"), ("work", "+4722334455")]
    assert kari.values["emails"] == [("work", "kari@firma.no"), ("home", "kari@example.no")]
    assert kari.values["street"] == "Karl Johans gate 1" and kari.values["city"] == "Oslo"
    assert kari.values["tags"] == ["Kunder", "Oslo"]
    assert kari.values["notes"] == "Birthday: --0415"
    assert "birthday" not in kari.values
    assert nordlys.line == 18
    assert nordlys.values == {"company": "Nordlys AS", "uid": "urn:uuid:9b2e", "gender": ""}
    assert per.values == {
        "first_name": "Per",
        "last_name": "Hansen",
        "gender": "m",
        "notes": "Birthday: circa 1970",
    }
    assert parsed.ignored == ()


def test_a_broken_card_is_one_bad_row_and_the_others_come_through():
    text = """BEGIN:VCARD
VERSION:3.0
N:Ahl;Anna;;;
FN:Anna Ahl
END:VCARD
BEGIN:VCARD
VERSION:3.0
N:Berg;Bjørn;;;
this line lost its property name
FN:Bjørn Berg
END:VCARD
BEGIN:VCARD
VERSION:3.0
N:Carlsen;Cecilie;;;
FN:Cecilie Carlsen
EMAIL:cecilie@example.no
END:VCARD
"""
    anna, bjorn, cecilie = parse_vcards(text).rows
    assert anna.values == {"first_name": "Anna", "last_name": "Ahl"}
    assert bjorn.line == 6 and bjorn.values == {}
    assert (
        bjorn.error == "line 9: 'this line lost its property name' is not a vCard property (no ':')"
    )
    assert cecilie.line == 12
    assert cecilie.values["emails"] == [("work", "cecilie@example.no")]


def test_a_card_without_end_is_one_bad_row():
    text = "BEGIN:VCARD\nVERSION:3.0\nFN:Ann Ahl\nBEGIN:VCARD\nVERSION:3.0\nFN:Bo Ek\nEND:VCARD\n"
    ann, bo = parse_vcards(text).rows
    assert (ann.line, ann.error) == (1, "has no END:VCARD before the next BEGIN:VCARD on line 4")
    assert (bo.line, bo.values) == (4, {"first_name": "Bo", "last_name": "Ek"})


def test_a_truncated_file_is_refused_naming_the_open_card():
    text = "BEGIN:VCARD\nVERSION:3.0\nFN:Ann Ahl\nEND:VCARD\nBEGIN:VCARD\nVERSION:3.0\nFN:Bo"
    with pytest.raises(FileRejected) as caught:
        parse_vcards(text)
    assert str(caught.value) == "ends inside the vCard begun on line 5; the file looks truncated"


def test_a_file_that_is_no_vcard_is_refused():
    with pytest.raises(FileRejected, match="does not look like a vCard file"):
        parse_vcards("Name,E-mail\nAnn Ahl,ann@example.com\n")


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("X-TUICRM-SOURCE:fair\\, Oslo", {"source": "fair, Oslo"}),
        ("X-TUICRM-ACQUIRED-ON:2023-05-01", {"acquired_on": date(2023, 5, 1)}),
        ("X-TUICRM-ACQUIRED-ON:soon", {"acquired_on": "soon"}),  # the loader names it
        ("X-TUICRM-REFERRED-BY:urn:uuid:42", {"referred_by": "urn:uuid:42"}),
        (
            "X-TUICRM-WHY-CHOSE-US:Price.\\nService\\; speed.",
            {"why_chose_us": "Price.\nService; speed."},
        ),
        ("X-TUICRM-EMAIL-OPT-OUT:yes", {"email_opt_out": True}),
        ("X-TUICRM-STATUS:lost", {"status": "lost"}),
        ("NOTE:C:\\Users\\ann\\", {"notes": "C:\\Users\\ann\\"}),  # stray backslashes stay
        ("NOTE:one, two; three", {"notes": "one, two; three"}),  # unescaped , and ; stay
        ("GENDER:O;non-binary", {"gender": "x"}),
        ("BDAY:1985-04-15T00:00:00Z", {"birthday": date(1985, 4, 15)}),
        ("EMAIL;TYPE=x400:ann@example.com", {"emails": [("work", "ann@example.com")]}),
        ("TEL;TYPE=work,voice:+47 1", {"phones": [("work", "+47 1")]}),
        ("TEL;TYPE=voice:+47 1", {"phones": [("other", "+47 1")]}),
        ("TEL:+47 1", {"phones": [("other", "+47 1")]}),
        ("TEL;TYPE=work,cell:+47 1", {"phones": [("mobile", "+47 1")]}),
        ("item1.TEL:+47 1\nitem1.X-ABLabel:_$!<Work>!$_", {"phones": [("work", "+47 1")]}),
        ("item1.TEL;type=CELL:+47 1\nitem1.X-ABLabel:Hytta", {"phones": [("other", "+47 1")]}),
        ("item1.EMAIL:a@b.no\nitem1.X-ABLabel:_$!<Home>!$_", {"emails": [("home", "a@b.no")]}),
        (
            "EMAIL;TYPE=home:h@b.no\nEMAIL;PREF=2:w@b.no",
            {"emails": [("work", "w@b.no"), ("home", "h@b.no")]},
        ),
        ("NOTE;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:M=FCller", {"notes": "Müller"}),
        ("FN:Acme AS\nORG:Acme AS", {"company": "Acme AS"}),
        ("KIND:org\nFN:Acme AS\nN:Acme AS;;;;", {"company": "Acme AS"}),
        (
            "N:Doe;John;Paul;Dr.;Jr.\nFN:Dr. John Paul Doe Jr.",
            {"first_name": "John Paul", "last_name": "Doe", "prefix": "Dr.", "suffix": "Jr."},
        ),
        (
            "ADR;TYPE=home:;;Home 1;Oslo;;;\nADR:;;Other 2;Bergen;;;",
            {"street": "Home 1", "city": "Oslo", "notes": "Address (other): Other 2, Bergen"},
        ),
        (
            "ADR;TYPE=home:;;Home 1;Oslo;;;\nADR;TYPE=work:;;Work 2;Bergen;;;",
            {"street": "Work 2", "city": "Bergen", "notes": "Address (home): Home 1, Oslo"},
        ),
    ],
)
def test_single_properties(line, expected):
    (row,) = parse_vcards(f"BEGIN:VCARD\nVERSION:4.0\n{line}\nEND:VCARD\n").rows
    assert row.error is None
    assert row.values == expected


def test_vcard_21_latin1_quoted_printable_and_escaped_semicolons():
    text = (
        "BEGIN:VCARD\nVERSION:2.1\n"
        "N;CHARSET=ISO-8859-1;ENCODING=QUOTED-PRINTABLE:M=FCller\\;Lange;J=FCrgen\n"
        "ORG:Smith, Jones & Co;Sales\n"
        "NOTE:C:\\temp; 50% off, today\n"
        "CATEGORIES:kunde,berlin\n"
        "END:VCARD\n"
    )
    (row,) = parse_vcards(text).rows
    assert row.values == {
        "first_name": "Jürgen",
        "last_name": "Müller;Lange",
        "company": "Smith, Jones & Co",
        "notes": "C:\\temp; 50% off, today",
        "tags": ["kunde", "berlin"],
    }


def test_the_layout_is_the_most_common_version():
    card = "BEGIN:VCARD\nVERSION:{}\nFN:Ann Ahl\nEND:VCARD\n"
    parsed = parse_vcards(card.format("4.0") + card.format("3.0") + card.format("3.0"))
    assert parsed.layout == "vCard 3.0"
    assert [row.values for row in parsed.rows] == [{"first_name": "Ann", "last_name": "Ahl"}] * 3


# --- writing ----------------------------------------------------------------------------------

SAMPLE = CustomerRecord(
    id=1,
    uid="urn:uuid:1234",
    first_name="Åsa",
    last_name="Lindqvist; Berg",
    company="Nordlys, AS",
    job_title="Sjef\\leder",
    street="Storgata 1\nc/o Nordlys",
    postal_code="0155",
    city="Oslo",
    country="Norway",
    birthday=date(1985, 4, 15),
    notes="Line one: with colon\nLine two, with comma; and semicolon. " + "ø" * 60,
    emails=(Labelled("work", "asa@nordlys.no"), Labelled("other", "asa@club.no")),
    phones=(Labelled("mobile", "+4795551234"), Labelled("other", "+4722334455")),
    tags=("vip", "key account"),
    email_opt_out=True,
    why_chose_us="Price.\nService.",
)


def _written(*records: CustomerRecord) -> str:
    out = io.StringIO()
    assert write_vcards(records, out) == len(records)
    return out.getvalue()


def test_written_cards_are_vcard_4_with_crlf_folded_at_75_octets():
    text = _written(SAMPLE)
    assert text.startswith(
        "BEGIN:VCARD\r\nVERSION:4.0\r\nPRODID:-//tui-crm//tui-crm//EN\r\nUID:urn:uuid:1234\r\n"
    )
    assert text.endswith("END:VCARD\r\n")
    lines = text.split("\r\n")[:-1]
    assert all(len(line.encode("utf-8")) <= 75 for line in lines)
    assert "\n" not in text.replace("\r\n", "")
    unfolded = text.replace("\r\n ", "")
    assert "FN:Åsa Lindqvist\\; Berg\r\n" in unfolded
    assert "N:Lindqvist\\; Berg;Åsa;;;\r\n" in unfolded
    assert "ADR;TYPE=work:;;Storgata 1\\nc/o Nordlys;Oslo;;0155;Norway\r\n" in unfolded
    assert "TEL;VALUE=uri;TYPE=cell;PREF=1:tel:+4795551234\r\n" in unfolded
    assert "TEL;VALUE=uri;TYPE=voice:tel:+4722334455\r\n" in unfolded
    assert "BDAY:19850415\r\n" in unfolded
    assert "CATEGORIES:vip,key account\r\n" in unfolded
    assert "X-TUICRM-EMAIL-OPT-OUT:yes\r\n" in unfolded
    assert "KIND" not in unfolded and "GENDER" not in unfolded


def test_vobject_reads_what_we_write():
    card = vobject.readOne(_written(SAMPLE))
    assert card.n.value.family == "Lindqvist; Berg" and card.n.value.given == "Åsa"
    assert card.org.value == ["Nordlys, AS"]
    assert card.title.value == "Sjef\\leder"
    assert card.adr.value.street == "Storgata 1\nc/o Nordlys"
    assert card.note.value == SAMPLE.notes
    assert [line.value for line in card.tel_list] == ["tel:+4795551234", "tel:+4722334455"]


def test_a_company_only_record_is_kind_org_and_has_no_uid_when_it_has_none():
    text = _written(CustomerRecord(id=2, uid=None, company="Fjordkraft AS", gender="x"))
    assert "UID" not in text
    assert "FN:Fjordkraft AS\r\n" in text and "KIND:org\r\n" in text and "GENDER:O\r\n" in text
    (row,) = parse_vcards(decode(text.encode())).rows
    assert row.values == {"company": "Fjordkraft AS", "gender": "x", "status": "active"}


def test_folding_never_splits_a_character():
    text = _written(CustomerRecord(id=3, uid=None, first_name="Å" * 30 + "😀" * 30))
    for line in text.split("\r\n"):
        line.encode("utf-8").decode("utf-8")  # each physical line is whole characters
        assert len(line.encode("utf-8")) <= 75


# --- the round trip -------------------------------------------------------------------------


def _as_record_fields(values: dict) -> dict:
    fields = dict(values)
    fields["emails"] = tuple(Labelled(label, value) for label, value in values.get("emails", []))
    fields["phones"] = tuple(Labelled(label, value) for label, value in values.get("phones", []))
    fields["tags"] = tuple(values.get("tags", []))
    return fields


def _empty(value):
    """What a field the card leaves out stands for."""
    if isinstance(value, bool):
        return False
    return type(value)() if isinstance(value, str | tuple) else None


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(record=records())
def test_any_record_comes_back_unchanged(record):
    text = decode(_written(record).encode("utf-8"))
    parsed = parse_vcards(text)
    assert parsed.layout == "vCard 4.0" and parsed.ignored == ()
    (row,) = parsed.rows
    assert row.error is None
    back = _as_record_fields(row.values)
    for name, value in vars(record).items():
        if name == "id":
            continue
        assert back.get(name, _empty(value)) == value, name


# --- nothing escapes ------------------------------------------------------------------------

_FRAGMENTS = st.sampled_from(
    [
        "N:",
        "FN:",
        "TEL;",
        "EMAIL;TYPE=",
        "ADR:",
        "BDAY:",
        "GENDER:",
        "item1.",
        "X-ABLabel:",
        "ENCODING=QUOTED-PRINTABLE",
        "ENCODING=b",
        "CHARSET=",
        "VALUE=",
        "PREF=",
        "=C3=",
        "=",
        ":",
        ";",
        ",",
        '"',
        "\\",
        "\n",
        "\n ",
        "VERSION:2.1\n",
        "ø",
    ]
)
_GARBAGE = st.lists(_FRAGMENTS | st.text(max_size=5), max_size=30).map("".join)


@settings(max_examples=400, deadline=None)
@given(body=_GARBAGE)
def test_no_card_content_ever_raises(body):
    body = body.replace("\r", "")
    parsed = parse_vcards(f"BEGIN:VCARD\n{body}\nEND:VCARD\n")
    assert isinstance(parsed, Parsed)
    assert all(row.error is None or "\n" not in row.error for row in parsed.rows)


@pytest.mark.parametrize(
    ("full", "first", "last"),
    [
        ("Ada Lovelace", "Ada", "Lovelace"),
        ("Lovelace, Ada", "Ada", "Lovelace"),
        ("Ada King Lovelace", "Ada King", "Lovelace"),
        ("Cher", None, "Cher"),
        ("Maria Sá", "Maria", "Sá"),  # a surname, not the Portuguese SA
        ("Kari Asa", "Kari", "Asa"),
    ],
)
def test_a_card_with_only_fn_splits_the_name_as_a_csv_name_column(full, first, last):
    from tui_crm.core.interchange.contacts_csv import parse_contacts_csv

    card = f"BEGIN:VCARD\nVERSION:3.0\nFN:{full.replace(',', chr(92) + ',')}\nEND:VCARD\n"
    [from_card] = parse_vcards(card).rows
    [from_csv] = parse_contacts_csv(f'Name\n"{full}"\n').rows
    assert from_card.values == from_csv.values
    assert (from_card.values.get("first_name"), from_card.values["last_name"]) == (first, last)


@pytest.mark.parametrize(
    "full", ["Fjord Foods AS", "Acme, Inc.", "Acme Inc", "Smith & Co.", "Nord GmbH"]
)
def test_a_company_name_in_fn_or_a_name_column_is_the_company(full):
    from tui_crm.core.interchange.contacts_csv import parse_contacts_csv

    card = f"BEGIN:VCARD\nVERSION:3.0\nFN:{full.replace(',', chr(92) + ',')}\nEND:VCARD\n"
    assert parse_vcards(card).rows[0].values == {"company": full}
    assert parse_contacts_csv(f'Name,Email\n"{full}",post@fjord.example\n').rows[0].values == {
        "company": full,
        "emails": [("work", "post@fjord.example")],
    }
    # A company the file names stands; the name adds no person.
    card_with_org = card.replace("END:VCARD", "ORG:Fjord Foods\nEND:VCARD")
    assert parse_vcards(card_with_org).rows[0].values == {"company": "Fjord Foods"}


def test_our_cards_keep_names_as_written_and_other_cards_lose_their_titles():
    """Our cards give the prefix and suffix their own slots of N, so a last name "Berg CP" is
    the last name; a card from elsewhere with "Berg Jr." in the family name gets the suffix."""
    ours = CustomerRecord(id=0, uid="urn:uuid:9", first_name="Åsa", last_name="Berg CP")
    values = parse_vcards(_written(ours)).rows[0].values
    assert (values["first_name"], values["last_name"]) == ("Åsa", "Berg CP")
    assert "suffix" not in values
    other = "BEGIN:VCARD\r\nVERSION:3.0\r\nN:Berg Jr.;Åsa;;;\r\nFN:Åsa Berg Jr.\r\nEND:VCARD\r\n"
    values = parse_vcards(other).rows[0].values
    assert (values["last_name"], values["suffix"]) == ("Berg", "Jr.")
