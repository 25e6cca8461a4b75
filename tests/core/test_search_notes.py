"""What a search matched in the notes (issue 19): a few words around the words found, for the
customers whose notes hold them, as text that is never markup."""

from __future__ import annotations

import pytest

from tui_crm.core.search import FOUND_FROM, FOUND_TO, note_snippets, search

pytestmark = pytest.mark.both_engines


def test_snippets_are_only_for_customers_whose_notes_hold_the_words(db):
    from tui_crm.core.customers import create_customer, log_interaction

    kari = create_customer(db, {"first_name": "Kari", "last_name": "Voice"})
    lars = create_customer(db, {"first_name": "Lars", "last_name": "Berg"})
    log_interaction(db, lars, notes="Left a voicemail [b]twice[/b] \x1b[31m")
    log_interaction(db, lars, notes="Sent the quote")
    found = note_snippets(db, "voice", [kari, lars])
    assert list(found) == [lars]  # Kari's name matches, not her notes
    assert f"Left a {FOUND_FROM}voicemail{FOUND_TO}" in found[lars]
    assert " · Sent the quote" in found[lars]  # one note from the next
    assert note_snippets(db, "4155", [lars]) == {}  # digits are phone numbers
    assert [
        r.id for r in search(db, "voicemail", as_of=None or __import__("datetime").date.today())
    ] == [lars]
