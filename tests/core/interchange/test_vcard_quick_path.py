"""The quickest vCard path (`_quick_card`: the properties read, kept and turned into what
vobject makes of them in one pass) gives every card the row the property-by-property path
gives, and that vobject's reading gives, or hands the card to them. (The odd cards, the
sample exports, the address-book files and the benchmark's cards are read every way in
test_vcard_fast_path.py.)"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.core.interchange.test_vcard_fast_path import _CARD_BODY, _same_every_way
from tui_crm.core.interchange import vcard


@pytest.fixture(autouse=True)
def _quiet_vobject():
    """vobject logs what it cannot unescape; the comparisons feed it such values on purpose."""
    logging.disable(logging.ERROR)
    yield
    logging.disable(logging.NOTSET)


def _benchmark_cards(tmp_path: Path, monkeypatch, count: int) -> str:
    monkeypatch.syspath_prepend(str(Path(__file__).resolve().parents[3] / "benchmarks"))
    from bench_import import write_vcards

    path = tmp_path / "cards.vcf"
    write_vcards(path, count, 7)  # Google, Apple (a photo now and then) and Android 2.1 cards
    return path.read_text(encoding="utf-8").replace("\r\n", "\n")


def test_the_common_shapes_take_the_quick_path(tmp_path, monkeypatch):
    """Google's and Apple's 3.0 cards (folded lines, groups, a photo) and Android's 2.1 ones
    (quoted-printable names and notes, soft line breaks) are all read in one pass."""
    text = _benchmark_cards(tmp_path, monkeypatch, 200)
    cards = list(vcard._split_cards(text))
    assert len(cards) == 200
    assert all(vcard._quick_card(card) is not None for card in cards)


@pytest.mark.parametrize(
    ("body", "quick"),
    [
        ("FN:Ann\nthis line has no colon", False),  # the slow path names the line
        ('FN;X-Q="a:b":Cy', False),  # a quoted parameter value
        ("FN:Ann\n\n Ahl", True),  # a blank line before a folded one: unfolded line by line
        ("FN:Ann\n\t Ahl", True),  # folded with a tab: the same
        ("X_Y:z", True),  # a name vobject rewrites, but the property is not read
    ],
)
def test_cards_it_does_not_read_are_left_to_the_other_paths(body, quick):
    text = f"BEGIN:VCARD\nVERSION:3.0\n{body}\nEND:VCARD\n"
    (card,) = vcard._split_cards(text)
    assert (vcard._quick_card(card) is not None) == quick
    _same_every_way(text)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    version=st.sampled_from(["2.1", "3.0", "4.0"]),
    body=_CARD_BODY,
    fold=st.sampled_from(["", "\n ", "\n\t", "\n\n", "\n \n "]),
    at=st.integers(min_value=0, max_value=400),
)
def test_any_card_of_these_properties_reads_the_same_every_way(version, body, fold, at):
    at = min(at, len(body))
    body = body[:at] + fold + body[at:] if body else body
    _same_every_way(f"BEGIN:VCARD\nVERSION:{version}\n{body}\nEND:VCARD\n")
