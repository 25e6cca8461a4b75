"""Drafts survive a dropped connection: saved, listed per book, removed when done."""

from __future__ import annotations

import stat

from tui_crm.core.drafts import Draft, discard_draft, load_drafts, save_draft


def _draft(customer_id: int = 7, notes: str = "Wants a quote", at: str = "2026-11-22T10:00:00"):
    return Draft(customer_id, "Rob Smith", "call", notes, "", "+2w", at)


def test_a_saved_draft_comes_back_for_the_same_book_only(home, tmp_path):
    book, other = tmp_path / "a.db", tmp_path / "b.db"
    save_draft(book, _draft())
    assert load_drafts(book) == [_draft()]
    assert load_drafts(other) == []


def test_drafts_are_private_files(home, tmp_path):
    save_draft(tmp_path / "a.db", _draft())
    (path,) = (home / "data" / "drafts").glob("*.json")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


def test_a_newer_draft_replaces_the_older_and_discard_removes_it(home, tmp_path):
    book = tmp_path / "a.db"
    save_draft(book, _draft(notes="first"))
    save_draft(book, _draft(notes="first, then more"))
    assert [d.notes for d in load_drafts(book)] == ["first, then more"]
    discard_draft(book, 7)
    assert load_drafts(book) == []


def test_an_emptied_draft_is_removed_and_a_broken_file_is_skipped(home, tmp_path):
    book = tmp_path / "a.db"
    save_draft(book, _draft(customer_id=1, at="2026-11-22T09:00:00"))
    save_draft(book, _draft(customer_id=2))
    save_draft(book, Draft(1, "Rob Smith", "call", "  ", "", "", "2026-11-22T11:00:00"))
    folder = home / "data" / "drafts"
    prefix = next(folder.glob("*.json")).name.split("-")[0]
    (folder / f"{prefix}-3.json").write_text("{not json")  # this book's, but cut short
    assert [d.customer_id for d in load_drafts(book)] == [2]


def test_a_thanks_draft_keeps_the_referral_it_names_and_old_drafts_still_load(home, tmp_path):
    import json

    book = tmp_path / "a.db"
    thanks = Draft(
        7, "Harry Thompson", "thanks", "Flowers", "", "", "2026-11-22T10:00:00", 6, "Rob"
    )
    save_draft(book, thanks)
    assert load_drafts(book) == [thanks]
    (path,) = (home / "data" / "drafts").glob("*.json")
    old = {k: v for k, v in json.loads(path.read_text()).items() if not k.startswith("regarding")}
    path.write_text(json.dumps(old))  # a draft written before drafts named referrals
    (loaded,) = load_drafts(book)
    assert (loaded.notes, loaded.regarding, loaded.regarding_name) == ("Flowers", None, "")


def test_a_draft_keeps_when_it_happened_and_older_drafts_load_as_now(home, tmp_path):
    import json

    book = tmp_path / "a.db"
    backdated = Draft(
        7, "Rob Smith", "call", "Called", "", "", "2026-11-22T10:00:00", at="yesterday 15:30"
    )
    save_draft(book, backdated)
    assert load_drafts(book) == [backdated]
    (path,) = (home / "data" / "drafts").glob("*.json")
    old = {k: v for k, v in json.loads(path.read_text()).items() if k != "at"}
    path.write_text(json.dumps(old))  # a draft written before drafts kept the moment
    (loaded,) = load_drafts(book)
    assert (loaded.notes, loaded.at) == ("Called", "")
