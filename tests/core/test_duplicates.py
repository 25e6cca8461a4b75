"""Duplicate candidates: of one customer being written, and every pair across the book."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.versions import current_version
from tui_crm.core import duplicates
from tui_crm.core.customers import create_customer, trash_customer
from tui_crm.core.duplicates import (
    dismiss_pair,
    find_duplicate_pairs,
    fold_name,
    probable_duplicates,
    same_first_name,
    soundex,
    undismiss_pair,
)
from tui_crm.errors import NotFound, ValidationError

pytestmark = pytest.mark.both_engines

DISTINCT = [
    ("Ada", "Lovelace"),
    ("Grace", "Hopper"),
    ("Alan", "Turing"),
    ("Edsger", "Dijkstra"),
    ("Barbara", "Liskov"),
    ("Donald", "Knuth"),
    ("Frances", "Allen"),
    ("Niklaus", "Wirth"),
    ("Margaret", "Hamilton"),
    ("Dennis", "Ritchie"),
    ("Radia", "Perlman"),
    ("Tony", "Hoare"),
    ("Leslie", "Lamport"),
    ("Shafi", "Goldwasser"),
    ("Butler", "Lampson"),
    ("Sophie", "Wilson"),
    ("Ken", "Thompson"),
    ("Adele", "Goldberg"),
    ("Robin", "Milner"),
    ("Jean", "Sammet"),
]


def _add(db, first: str = "", last: str = "", **values) -> int:
    return create_customer(db, {"first_name": first, "last_name": last, **values})


def _pairs(db, **kwargs) -> dict[tuple[int, int], tuple[str, ...]]:
    return {p.ids: p.reason_codes for p in find_duplicate_pairs(db, **kwargs)}


def _texts(db) -> dict[tuple[int, int], str]:
    return {p.ids: p.reason_text for p in find_duplicate_pairs(db)}


# Each reason -----------------------------------------------------------------------------


def test_the_same_email_in_any_case_is_a_reason(db):
    a = _add(db, "Ann", "Lee", emails=["Ann.Lee@Example.com"])
    b = _add(db, "Zoe", "Ray", emails=["ann.lee@example.com"])
    pairs = find_duplicate_pairs(db)
    assert [p.ids for p in pairs] == [(a, b)]
    assert pairs[0].reasons[0].code == "email"
    assert pairs[0].reasons[0].text == "same email ann.lee@example.com"


def test_the_same_phone_written_differently_is_a_reason(db):
    a = _add(db, "Ann", "Lee", phones=["+1 212 555 0100"])
    b = _add(db, "Zoe", "Ray", phones=["(212) 555-0100"])
    (pair,) = find_duplicate_pairs(db)
    assert pair.ids == (a, b)
    assert pair.reason_codes == ("phone",)
    assert pair.reason_text == "same phone +1 212-555-0100"


def test_the_same_name_with_case_and_accents_folded(db):
    a = _add(db, "Jürgen", "Müller")
    b = _add(db, "JURGEN", "muller")
    assert _pairs(db) == {(a, b): ("same_name",)}
    assert _texts(db)[(a, b)] == "same name Jürgen Müller"


def test_rob_is_robert(db):
    robert = _add(db, "Robert", "Smith")
    rob = _add(db, "Rob", "Smith")
    assert _pairs(db) == {(robert, rob): ("nickname",)}
    assert _texts(db)[(robert, rob)] == "Rob is a nickname of Robert"


def test_bill_is_not_bob(db):
    _add(db, "Bill", "Jones")
    _add(db, "Bob", "Jones")
    assert _pairs(db) == {}
    assert not same_first_name("Bill", "Bob")


def test_bill_is_william(db):
    william = _add(db, "William", "Jones")
    bill = _add(db, "Bill", "Jones")
    assert _pairs(db) == {(william, bill): ("nickname",)}


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (("Jon", "Smyth"), ("John", "Smith")),
        (("Katherine", "Berg"), ("Catherine", "Berg")),
        (("Eric", "Lund"), ("Erik", "Lund")),
        (("Anna", "Schmitt"), ("Anna", "Schmidt")),
    ],
)
def test_similar_spellings_are_found(db, first, second):
    a, b = _add(db, *first), _add(db, *second)
    (pair,) = find_duplicate_pairs(db)
    assert pair.ids == (a, b)
    assert pair.reason_codes == ("similar_name",)
    assert pair.reason_text.startswith("similar names (") and pair.reason_text.endswith("%)")


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (("John", "Smith"), ("Jane", "Doe")),
        (("Mary", "Smith"), ("Mark", "Smith")),  # one letter apart, but another sound
        (("Jon", "Smith"), ("Jan", "Smith")),
        (("Anna", "Berg"), ("Hanna", "Berg")),
        (("John", "Smith"), ("John", "Schmidt")),  # same sound, spelled too differently
        (("Robert", "Smith"), ("Robert", "Jones")),
        (("", "Smith", "Acme"), ("", "Smith", "Acme")),  # no first names: nothing to go by
    ],
)
def test_unrelated_names_are_not_pairs(db, first, second):
    def add(parts):
        return _add(db, parts[0], parts[1], company=parts[2] if len(parts) > 2 else "")

    add(first), add(second)
    assert _pairs(db) == {}


def test_known_and_different_birthdays_or_genders_tell_alike_names_apart(db):
    _add(db, "Robert", "Smith", birthday="1960-03-02")
    _add(db, "Rob", "Smith", birthday="1975-07-11")
    _add(db, "Maria", "Rossi", gender="f")
    _add(db, "Mario", "Rossi", gender="m")
    assert _pairs(db) == {}


def test_other_evidence_joins_the_reasons_strongest_first(db):
    a = _add(db, "Robert", "Smith", company="Acme", birthday="1960-03-02", emails=["r@a.com"])
    b = _add(db, "Rob", "Smith", company="ACME", birthday="1960-03-02", emails=["R@a.com"])
    (pair,) = find_duplicate_pairs(db)
    assert pair.ids == (a, b)
    assert pair.reason_codes == ("email", "same_birthday", "nickname", "same_company")
    assert pair.score == 98  # 1 - 0.1 x 0.5 x 0.55 x 0.7
    assert pair.a.name == "Robert Smith" and pair.a.company == "Acme"


def test_a_contact_shared_by_many_is_not_a_sign_of_duplicates(db):
    for first, last in DISTINCT[: duplicates.SHARED_CONTACT_LIMIT + 1]:
        _add(db, first, last, emails=["info@acme.com"])
    assert _pairs(db) == {}
    db.execute_sql("DELETE FROM customer_email WHERE customer_id > 2")
    assert len(_pairs(db)) == 1


def test_copies_of_one_contact_from_repeated_imports_are_all_paired(db):
    copies = [_add(db, "Ann", "Lee", emails=["ann@example.com"]) for _ in range(8)]
    others = [_add(db, *name, emails=["ann@example.com"]) for name in DISTINCT[:3]]
    pairs = _pairs(db)
    assert len(pairs) == 28
    assert all(codes[0] == "email" and set(p) <= set(copies) for p, codes in pairs.items())
    assert len(others) == 3


def test_names_without_latin_letters_are_compared_as_written(db):
    a = _add(db, "伟", "王")
    b = _add(db, "伟", "王")
    c = _add(db, "Αλέξανδρος", "Παπαδόπουλος")
    d = _add(db, "ΑΛΕΞΑΝΔΡΟΣ", "Παπαδοπουλος")
    _add(db, "Αλέξανδρα", "Παπαδόπουλος")  # no sound to compare spellings by
    assert _pairs(db) == {(a, b): ("same_name",), (c, d): ("same_name",)}


def test_a_common_name_alone_is_not_listed_but_with_a_shared_company_it_is(db, monkeypatch):
    """In a large book a common name is no evidence; a small book stands in for it here."""
    monkeypatch.setattr(duplicates, "NAME_PRIOR_BOOK", 0)
    james = [_add(db, "James", "Smith") for _ in range(8)]
    for n, (first, _) in enumerate(DISTINCT * 2):  # 40 other names, none alike
        _add(db, first, DISTINCT[(n + n // len(DISTINCT) * 7) % len(DISTINCT)][1])
    assert _pairs(db) == {}
    at_acme = [_add(db, "James", "Smith", company="Acme") for _ in range(2)]
    assert _pairs(db) == {tuple(at_acme): ("same_name", "same_company")}
    # A rare name is listed on its own, in the same book.
    rare = [_add(db, "Theodora", "Quennell"), _add(db, "Theodora", "Quennell")]
    assert _pairs(db)[tuple(rare)] == ("same_name",)
    assert len(james) == 8


# The list as a whole ----------------------------------------------------------------------


def test_each_pair_once_strongest_first_in_a_stable_order(db):
    robert = _add(db, "Robert", "Smith", emails=["rob@example.com"])
    rob = _add(db, "Rob", "Smith", phones=["+12125550100"])
    bobby = _add(db, "Bobby", "Smith", emails=["rob@example.com"], phones=["+12125550100"])
    jon = _add(db, "Jon", "Smyth")
    john = _add(db, "John", "Smith")
    pairs = find_duplicate_pairs(db)
    assert all(p.a.id < p.b.id for p in pairs)
    assert len({p.ids for p in pairs}) == len(pairs)
    assert [p.score for p in pairs] == sorted((p.score for p in pairs), reverse=True)
    assert pairs[0].ids == (robert, bobby)  # email and name
    assert {p.ids for p in pairs} >= {(robert, rob), (rob, bobby), (jon, john)}
    assert find_duplicate_pairs(db) == pairs
    assert find_duplicate_pairs(db, limit=2) == pairs[:2]


def test_the_trash_is_left_out(db):
    a = _add(db, "Ann", "Lee", emails=["ann@example.com"])
    b = _add(db, "Ann", "Lee", emails=["ann@example.com"])
    c = _add(db, "Ann", "Lee", emails=["ann@example.com"])
    trash_customer(db, b, expected_version=current_version(b))
    assert set(_pairs(db)) == {(a, c)}


def test_a_dismissed_pair_is_not_shown_again_until_undismissed(db):
    a = _add(db, "Ann", "Lee", emails=["ann@example.com"])
    b = _add(db, "Ann", "Lee", emails=["ann@example.com"])
    c = _add(db, "Anne", "Lee", emails=["ann@example.com"])
    dismiss_pair(db, b, a, who="ann", a_version=current_version(b), b_version=current_version(a))
    # Again: no error.
    dismiss_pair(db, a, b, a_version=current_version(a), b_version=current_version(b))
    assert set(_pairs(db)) == {(a, c), (b, c)}
    shown = {p.ids: p.dismissed for p in find_duplicate_pairs(db, include_dismissed=True)}
    assert shown == {(a, b): True, (a, c): False, (b, c): False}
    assert undismiss_pair(db, a, b)
    assert not undismiss_pair(db, a, b)
    assert set(_pairs(db)) == {(a, b), (a, c), (b, c)}


def test_dismissing_needs_two_existing_customers(db):
    a = _add(db, "Ann", "Lee")
    with pytest.raises(ValidationError):
        dismiss_pair(db, a, a, a_version=current_version(a), b_version=current_version(a))
    with pytest.raises(NotFound):
        dismiss_pair(
            db, a, a + 100, a_version=current_version(a), b_version=current_version(a + 100)
        )


def test_a_dismissal_disappears_with_either_customer(db):
    a = _add(db, "Ann", "Lee")
    b = _add(db, "Ann", "Lee")
    dismiss_pair(db, a, b, a_version=current_version(a), b_version=current_version(b))
    db.execute_sql("DELETE FROM customer WHERE id = ?", (b,))
    assert db.execute_sql("SELECT count(*) FROM duplicate_dismissal").fetchone()[0] == 0


def test_an_empty_book_has_no_pairs(db):
    assert find_duplicate_pairs(db) == []


# The form's check of one customer still works -------------------------------------------------


def test_probable_duplicates_of_a_new_customer(db):
    robert = _add(db, "Robert", "Smith", emails=["rs@example.com"])
    found = probable_duplicates(db, {"first_name": "Rob", "last_name": "Smith"})
    assert [(c.id, c.reasons) for c in found] == [(robert, ("Robert may be Rob",))]
    found = probable_duplicates(db, {"first_name": "Bob", "last_name": "Jones"})
    assert found == []


# Building blocks ---------------------------------------------------------------------------


def test_folding_and_soundex():
    assert fold_name("Müller") == fold_name("MULLER") == "muller"
    assert fold_name("O'Brien") == "obrien"
    assert fold_name(" Smith-Jones ") == "smith jones"
    assert fold_name("Søren Łukasz") == "soren lukasz"
    assert soundex("smith") == soundex("smyth") == "s530"
    assert soundex("robert") == soundex("rupert") == "r163"
    assert soundex("ashcraft") == "a261"  # h does not separate two equal sounds
    assert soundex("") == soundex("123") == ""


NAMES = st.sampled_from(
    ["Robert", "Rob", "Bob", "Bill", "William", "Katherine", "Catherine", "Jon", "John", "Mary"]
) | st.text(alphabet="abcdeijklmnorstuyzéøß '-", min_size=0, max_size=9)


@given(NAMES, NAMES, NAMES, NAMES)
def test_name_matching_is_symmetric(first_a, last_a, first_b, last_b):
    a = tuple(fold_name(n) for n in (first_a, last_a))
    b = tuple(fold_name(n) for n in (first_b, last_b))
    assert duplicates._name_match(*a, *b) == duplicates._name_match(*b, *a)


@given(NAMES)
def test_folding_is_idempotent(name):
    assert fold_name(fold_name(name)) == fold_name(name)


def test_dates_in_the_birthday_reason_are_iso(db):
    a = _add(db, "Ann", "Lee", birthday=date(1980, 5, 17), emails=["a@x.com"])
    b = _add(db, "Zoe", "Ray", birthday=date(1980, 5, 17), emails=["a@x.com"])
    (pair,) = find_duplicate_pairs(db)
    assert pair.ids == (a, b)
    assert "same birthday 1980-05-17" in pair.reason_text
