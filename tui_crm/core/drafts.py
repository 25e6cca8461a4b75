"""Drafts of notes being typed, kept on disk so a dropped SSH connection loses nothing.

One small JSON file per book and customer under the data folder's `drafts/`, written
atomically and readable by the owner only; removed when the note is saved or discarded.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from tui_crm.paths import BookPlace, data_dir, ensure_private_dir, on_server, shown_url


@dataclass(frozen=True)
class Draft:
    customer_id: int
    customer_name: str
    kind: str
    notes: str
    outcome: str
    follow_up: str
    saved_at: str  # ISO date and time
    # A thanks for a referral names the referred customer; drafts written before these
    # fields existed load with the defaults.
    regarding: int | None = None
    regarding_name: str = ""
    at: str = ""  # when it happened, as typed ("yesterday 15:30"); "" for now

    @property
    def is_empty(self) -> bool:
        return not (self.notes.strip() or self.outcome.strip() or self.follow_up.strip())


def _folder() -> Path:
    return data_dir() / "drafts"


def _prefix(db_path: BookPlace) -> str:
    """The book's mark on its drafts: its file's whole path, or its URL without password."""
    name = shown_url(db_path) if on_server(db_path) else str(Path(db_path).resolve())
    return hashlib.sha1(name.encode()).hexdigest()[:12]


def _file(db_path: BookPlace, customer_id: int) -> Path:
    return _folder() / f"{_prefix(db_path)}-{customer_id}.json"


def save_draft(db_path: BookPlace, draft: Draft) -> None:
    """Keep `draft` (an empty one removes the file instead)."""
    if draft.is_empty:
        discard_draft(db_path, draft.customer_id)
        return
    ensure_private_dir(_folder())
    target = _file(db_path, draft.customer_id)
    partial = target.with_suffix(".partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(asdict(draft), handle, ensure_ascii=False)
    os.replace(partial, target)


def load_drafts(db_path: BookPlace) -> list[Draft]:
    """Drafts left for this book, oldest first; unreadable files are skipped."""
    folder = _folder()
    if not folder.is_dir():
        return []
    found = []
    for path in folder.glob(f"{_prefix(db_path)}-*.json"):
        try:
            found.append(Draft(**json.loads(path.read_text(encoding="utf-8"))))
        except (OSError, ValueError, TypeError):
            continue
    return sorted(found, key=lambda d: d.saved_at)


def discard_draft(db_path: BookPlace, customer_id: int) -> None:
    _file(db_path, customer_id).unlink(missing_ok=True)
