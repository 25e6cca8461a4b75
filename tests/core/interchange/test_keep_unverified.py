"""Every contact arrives (issue 15): files in the shapes real exports have (Google, Outlook,
LinkedIn CSV; vCard 2.1, 3.0, 4.0), several contacts each, each failing in a different
secondary field. Each contact arrives; each value that could not be verified is kept as given
and reported with its line and field; everything kept round-trips through our own CSV and
vCard export into an empty book."""

from __future__ import annotations

import io
from dataclasses import asdict
from datetime import datetime

import pytest

from tui_crm.core.customers import get_profile
from tui_crm.core.interchange.contacts_csv import parse_contacts_csv, write_contacts_csv
from tui_crm.core.interchange.export import customer_records
from tui_crm.core.interchange.load import load_customers
from tui_crm.core.interchange.vcard import parse_vcards, write_vcards
from tui_crm.db.database import close_database, open_database

pytestmark = pytest.mark.both_engines

NOW = datetime(2026, 3, 2, 9, 0)

GOOGLE = (
    "Name,Given Name,Family Name,Nickname,Organization 1 - Name,E-mail 1 - Type,"
    "E-mail 1 - Value,Phone 1 - Type,Phone 1 - Value,Birthday\n"
    "Ann Able,Ann,Able,,,* Work,ann@able.example,Mobile,+1 415-555-0100 ext. 12,1980-04-15\n"
    "Bob Baker,Bob,Baker,,,* Work,bob@baker.example,Mobile,+44 7700 900123,\n"
    "Cy Cole,Cy,Cole,,,* Work,cy@cole.example,Mobile,,sometime in May\n"
    ",,,,,* Work,jorg.muller@example.com,,,\n"
    "Dr. Dana de la Dale Jr.,,,,,,,Work,555-0100 x7,\n"
    "Jörg Müller,Jörg,Müller,,,* Home,jörg@müller.de,,,\n"
    "Eve East,Eve,East,,,* Work,not an email,,,\n"
    "Fay Fox,Fay,Fox,,,,,Mobile,call me,\n"
    ",,,Gus,,,,,,\n"
    ",,,,,,,Mobile,030 1234567,\n"
    ",,,,,,,,,\n"
    ",,,,Acme Inc.,,,,,\n"
)
OUTLOOK = (
    "First Name,Middle Name,Last Name,Company,Job Title,E-mail Address,Mobile Phone,"
    "Business Phone,Birthday,Business City\n"
    "Mr. John,,Smith Jr.,Smith & Co.,Owner,john@smith.example,+1 212 555 0100,"
    "+1 (415) 555-0132;ext=102,,Boston\n"
    "Maria,,van der Berg,,,maria@berg.example,,,0/0/00,Oslo\n"
    "Lee,,Ng,,,lee@ng.example,,,31/31/1980,Austin\n"
    "Old,,Number,,,old@number.example,12345,,,\n"
    ",,,,,,,,,Nowhere\n"
)
LINKEDIN = (
    "Notes:\nWhen exporting your connection data, you may notice...\n\n"
    "First Name,Last Name,URL,Email Address,Company,Position,Connected On\n"
    "Ola,Nordmann,https://www.linkedin.com/in/ola,,Fjord AS,CEO,08 Jan 2018\n"
    "Kari,Hansen,https://www.linkedin.com/in/kari,,,CTO,last spring\n"
    ",,https://www.linkedin.com/in/ghost,,,,\n"
)
VCARD_21 = (
    "BEGIN:VCARD\r\nVERSION:2.1\r\nN:Richter;John,James\r\nFN:John Richter\r\n"
    "TEL;CELL:+1 415 555 0100 x123\r\nEND:VCARD\r\n"
    "BEGIN:VCARD\r\nVERSION:2.1\r\nN:;;;;\r\nEMAIL;INTERNET:lonely@example.com\r\nEND:VCARD\r\n"
    "BEGIN:VCARD\r\nVERSION:2.1\r\nN:Weiss;Greta\r\nTEL;WORK:+49 (0)30 12\r\n"
    "BDAY:19801345\r\nEND:VCARD\r\n"
)
VCARD_30 = (
    "BEGIN:VCARD\nVERSION:3.0\nN:Brown;Carol;;Prof.;PhD\nFN:Prof. Carol Brown PhD\n"
    "EMAIL;TYPE=INTERNET:用户@例子.广告\nTEL;TYPE=WORK:555-1234 ext 12\nEND:VCARD\n"
    "BEGIN:VCARD\nVERSION:3.0\nFN:Ludwig van Beethoven\nTEL;TYPE=HOME:#123\nEND:VCARD\n"
    "BEGIN:VCARD\nVERSION:3.0\nN:;;;;\nNICKNAME:Shorty\nEND:VCARD\n"
    "BEGIN:VCARD\nVERSION:3.0\nN:;;;;\nNOTE:nothing else\nEND:VCARD\n"
)
VCARD_40 = (
    "BEGIN:VCARD\nVERSION:4.0\nFN:Dan Dare\nN:Dare;Dan;;;\n"
    "TEL;VALUE=uri;TYPE=cell:tel:+1-415-555-0100;ext=12\n"
    "EMAIL:dan@@dare\nEND:VCARD\n"
    "BEGIN:VCARD\nVERSION:4.0\nFN:Ina Ito\nN:Ito;Ina;;;\nBDAY:not known\n"
    "TEL;VALUE=text:+81 3-1234-567\nEND:VCARD\n"
)


def _import(db, text: str, parse=parse_contacts_csv):
    return load_customers(db, parse(text), source="file", now=NOW)


def _warned(report) -> dict[int, dict[str, str]]:
    out: dict[int, dict[str, str]] = {}
    for w in report.warnings:
        out.setdefault(w.line, {})[w.field] = w.message
    return out


def _phones(db, cid: int) -> list[tuple]:
    return [
        (p.value, p.number, p.verified, p.extension)
        for p in get_profile(db, cid, NOW.date()).phones
    ]


def _by_first(db) -> dict[str, int]:
    return {
        (first or last or company): cid
        for cid, first, last, company in db.execute_sql(
            "SELECT id, first_name, last_name, company FROM customer"
        )
    }


def test_a_google_file_where_each_contact_fails_in_another_field(db):
    report = _import(db, GOOGLE)
    assert [(r.line, r.reason) for r in report.rejected] == [
        (
            12,
            "nothing identifies a person or a company: no name, company, nickname, email or phone",
        )
    ] or [(r.line, r.reason) for r in report.rejected] == []  # a blank row may be skipped
    assert report.added == 11
    warned = _warned(report)
    assert 2 not in warned  # a verified number with an extension needs no warning
    assert warned[3] == {"phones": "'+44 7700 900123' could not be verified; kept as typed"}
    assert warned[4] == {"birthday": "'sometime in May' is not a date; kept in the notes"}
    assert warned[5] == {"first_name": "no name: shown as jorg.muller"}
    assert warned[6] == {"phones": "'555-0100 x7' could not be verified; kept as typed"}
    assert 7 not in warned  # jörg@müller.de is a valid address
    assert warned[8] == {"emails": "'not an email' is not a valid email address; kept in the notes"}
    assert warned[9] == {"phones": "'call me' has no digits: not a phone; kept in the notes"}
    assert warned[10] == {"first_name": "no name: shown as Gus"}
    assert warned[11]["first_name"] == "no name: shown as 030 1234567"
    assert 13 not in warned  # a company is a name
    text = "\n".join(report.lines())
    assert "line 3: Bob Baker (added): phones: '+44 7700 900123' could not be verified" in text

    people = _by_first(db)
    assert _phones(db, people["Ann"]) == [("+1 415-555-0100 ext. 12", "+14155550100", True, "12")]
    assert _phones(db, people["Bob"]) == [("+44 7700 900123", "+44 7700 900123", False, "")]
    cy = get_profile(db, people["Cy"], NOW.date())
    assert cy.birthday is None and "Birthday as given: sometime in May" in cy.notes
    dana = get_profile(db, people["Dana"], NOW.date())
    assert (dana.first_name, dana.last_name) == ("Dana", "de la Dale")
    assert (dana.prefix, dana.suffix) == ("Dr.", "Jr.")
    assert _phones(db, people["Dana"]) == [("555-0100 ext. 7", "555-0100", False, "7")]
    jorg = get_profile(db, people["Jörg"], NOW.date())
    assert [e.value for e in jorg.emails] == ["jörg@müller.de"]
    assert "Email as given: not an email" in get_profile(db, people["Eve"], NOW.date()).notes
    fay = get_profile(db, people["Fay"], NOW.date())
    assert fay.phones == () and "Phone as given: call me" in fay.notes
    assert get_profile(db, people["jorg.muller"], NOW.date()).first_name == "jorg.muller"
    gus = get_profile(db, people["Gus"], NOW.date())
    assert (gus.first_name, gus.nickname) == ("Gus", "Gus")


def test_an_outlook_file_with_titles_particles_and_odd_values(db):
    report = _import(db, OUTLOOK)
    assert [r.line for r in report.rejected] == [6]
    assert "nothing identifies" in report.rejected[0].reason
    assert report.added == 4
    people = _by_first(db)
    john = get_profile(db, people["John"], NOW.date())
    assert (john.first_name, john.last_name) == ("John", "Smith")
    assert (john.prefix, john.suffix) == ("Mr.", "Jr.")
    assert _phones(db, john.id)[1] == ("+1 415-555-0132 ext. 102", "+14155550132", True, "102")
    maria = get_profile(db, people["Maria"], NOW.date())
    assert (maria.last_name, maria.birthday) == ("van der Berg", None)
    warned = _warned(report)
    assert warned[4] == {"birthday": "'31/31/1980' is not a date; kept in the notes"}
    assert warned[5] == {"phones": "'12345' could not be verified; kept as typed"}


def test_a_linkedin_file_with_a_date_that_does_not_parse(db):
    report = _import(db, LINKEDIN)
    assert report.added == 2
    assert [r.line for r in report.rejected] == [7]
    [warning] = report.warnings
    assert (warning.line, warning.field) == (6, "acquired_on")
    assert warning.message == "'last spring' is not a date; kept in the notes"
    kari = get_profile(db, _by_first(db)["Kari"], NOW.date())
    assert "Acquired on as given: last spring" in kari.notes


def test_a_gender_status_or_opt_out_word_it_does_not_know_goes_to_the_notes(db):
    text = (
        "First Name,Last Name,Gender,Status,Email Opt Out\n"
        "Ada,Lovelace,countess,retired,maybe\n"
        "Bob,Baker,m,lost?,no\n"
    )
    report = _import(db, text)
    assert report.added == 2 and not report.rejected
    warned = _warned(report)
    assert set(warned[2]) == {"gender", "status", "email_opt_out"}
    assert warned[3] == {"status": "'lost?' is not one of active, lost; kept in the notes"}
    ada = get_profile(db, _by_first(db)["Ada"], NOW.date())
    assert (ada.gender, ada.status, ada.email_opt_out) == ("", "active", False)
    assert "countess" in ada.notes and "retired" in ada.notes and "maybe" in ada.notes


def test_a_lapsed_status_in_a_file_is_not_taken_and_the_contact_arrives(db):
    """Lapsed is worked out from the purchases here, never typed: a file that says it (an
    older export, another CRM) keeps the contact, active, and the report says why; someone
    already in the book keeps the status they have."""
    text = (
        "First Name,Last Name,Email,Status,Lost Reason\n"
        "Ada,Lovelace,ada@example.com,lapsed,\n"
        "Bob,Baker,bob@example.com, Lapsed ,\n"
        "Cy,Young,cy@example.com,lost,Price\n"
    )
    report = _import(db, text)
    assert (report.added, report.rejected) == (3, ())
    said = "lapsed is worked out from purchases; not taken from the file"
    assert _warned(report) == {2: {"status": said}, 3: {"status": said}}
    assert f"  line 2: Ada Lovelace (added): status: {said}" in report.lines()
    ids = _by_first(db)
    statuses = {name: get_profile(db, ids[name], NOW.date()).status for name in ids}
    assert statuses == {"Ada": "active", "Bob": "active", "Cy": "lost"}
    assert "lapsed" not in get_profile(db, ids["Ada"], NOW.date()).notes.lower()

    again = _import(db, "First Name,Last Name,Email,Status\nCy,Young,cy@example.com,lapsed\n")
    assert _warned(again) == {2: {"status": said}}
    assert get_profile(db, ids["Cy"], NOW.date()).status == "lost"

    card = "BEGIN:VCARD\nVERSION:3.0\nFN:Di Dale\nN:Dale;Di;;;\nX-TUICRM-STATUS:lapsed\nEND:VCARD\n"
    carded = _import(db, card, parse_vcards)
    assert carded.added == 1 and [w.field for w in carded.warnings] == ["status"]
    assert get_profile(db, _by_first(db)["Di"], NOW.date()).status == "active"


def test_vcards_21_30_40_where_each_contact_fails_in_another_field(db):
    reports = [_import(db, text, parse_vcards) for text in (VCARD_21, VCARD_30, VCARD_40)]
    assert [(r.added, len(r.rejected)) for r in reports] == [(3, 0), (3, 1), (2, 0)]
    assert "nothing identifies" in reports[1].rejected[0].reason
    people = _by_first(db)
    john = get_profile(db, people["John"], NOW.date())
    assert (john.first_name, john.last_name) == ("John", "Richter")
    assert "Other given names: James" in john.notes
    assert _phones(db, john.id) == [("+1 415-555-0100 ext. 123", "+14155550100", True, "123")]
    assert get_profile(db, people["lonely"], NOW.date()).emails[0].value == "lonely@example.com"
    greta = get_profile(db, people["Greta"], NOW.date())
    assert "Birthday as given: 19801345" in greta.notes
    assert [(p.number, p.verified) for p in greta.phones] == [("+49 (0)30 12", False)]
    carol = get_profile(db, people["Carol"], NOW.date())
    assert (carol.first_name, carol.last_name) == ("Carol", "Brown")
    assert (carol.prefix, carol.suffix) == ("Prof.", "PhD")
    assert [e.value for e in carol.emails] == ["用户@例子.广告"]
    assert _phones(db, carol.id) == [("555-1234 ext. 12", "555-1234", False, "12")]
    ludwig = get_profile(db, people["Ludwig"], NOW.date())
    assert ludwig.last_name == "van Beethoven"
    assert _phones(db, ludwig.id) == [("#123", "#123", False, "")]  # digits: kept as typed
    assert get_profile(db, people["Shorty"], NOW.date()).nickname == "Shorty"
    dan = get_profile(db, people["Dan"], NOW.date())
    assert _phones(db, dan.id) == [("+1 415-555-0100 ext. 12", "+14155550100", True, "12")]
    assert "Email as given: dan@@dare" in dan.notes
    ina = get_profile(db, people["Ina"], NOW.date())
    assert "Birthday as given: not known" in ina.notes
    assert [p.verified for p in ina.phones] == [False]
    warned = {(w.line, w.field) for r in reports for w in r.warnings}
    assert {(1, "emails"), (8, "birthday"), (8, "phones")} <= warned


@pytest.mark.parametrize(
    ("write", "parse"), [(write_contacts_csv, parse_contacts_csv), (write_vcards, parse_vcards)]
)
def test_every_kept_value_round_trips_into_an_empty_book(db, tmp_path, write, parse):
    for text in (GOOGLE, OUTLOOK, LINKEDIN):
        _import(db, text)
    for text in (VCARD_21, VCARD_30, VCARD_40):
        _import(db, text, parse_vcards)
    ids = [row[0] for row in db.execute_sql("SELECT id FROM customer ORDER BY id")]
    before = customer_records(db, ids)
    assert any(not p.verified for r in before for p in r.phones)
    assert any(p.extension for r in before for p in r.phones)
    out = io.StringIO()
    write(before, out)
    close_database()
    other = open_database(tmp_path / "empty.db")
    report = load_customers(other, parse(out.getvalue()), source="again", now=NOW)
    assert report.added == len(before) and not report.rejected
    after = customer_records(
        other, [row[0] for row in other.execute_sql("SELECT id FROM customer ORDER BY id")]
    )

    def shape(record):
        values = asdict(record)
        values.pop("id")
        values["phones"] = [
            (p.label, p.value, p.number, p.verified, p.extension) for p in record.phones
        ]
        return values

    assert [shape(r) for r in after] == [shape(r) for r in before]
