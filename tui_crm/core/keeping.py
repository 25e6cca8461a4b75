"""Bringing what readers keep up to date, for everyone: the value summary and the queue's
scores as of a day, the book's purchase gap, the referral figures and the duplicate pairs.

Every session that sees the whole book does it as it reads (the app, each command). A team
whose salespeople are restricted to their own customers (README "Team mode") needs one that
does it for them, since they only read what is kept: `tui-crm keep --watch`, run by a member
of the team's role, keeps the book up to date within a second of each write and at each new
day (`watch`)."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date

from peewee import Database, DatabaseError, InterfaceError

from tui_crm.core.attention import keep_scores
from tui_crm.core.book import BookClock
from tui_crm.core.config import require_whole_book
from tui_crm.core.duplicates_kept import keep_duplicates
from tui_crm.core.referrals import keep_referral_figures
from tui_crm.db.store import store_of
from tui_crm.errors import CrmError

# How often `watch` looks for a write, and how long it waits at most between two rounds (a
# new day begins, or the book's clock could not tell).
LOOK_EVERY = 0.25
ROUND_AT_LEAST_EVERY = 60.0
RETRY_AFTER = 5.0


def keep_book(db: Database, as_of: date) -> None:
    """Bring every kept figure of the book up to date as of `as_of` (nothing written when they
    are). Refused to a role that sees only its own customers."""
    require_whole_book(db, "keeping the book's figures")
    with db.atomic("IMMEDIATE"):  # a file's writer from the start: never a read turned write
        keep_scores(db, as_of)  # the value summary and the book's gap first, then the scores
        keep_referral_figures(db)
        keep_duplicates(db)
        # What it kept, every open app reads again (a salesperson's queue that only reads what
        # is kept): its own clock hears it too, and its next round finds nothing to do.
        store_of(db).tell_readers(if_written=True)


def watch(
    db: Database,
    *,
    today: Callable[[], date] = date.today,
    stop: Callable[[], bool] = lambda: False,
    failed: Callable[[Exception], None] = lambda err: None,
) -> None:
    """Keep the book up to date until `stop()` says so: a round at once, then one after each
    write anyone commits (the book's change clock; a round's own writes bring one more, which
    finds nothing to do), and one at least every minute (a new day). A round that fails (the
    server restarting, say) is said through `failed` and tried again a few seconds later."""
    require_whole_book(db, "keeping the book's figures")
    clock = BookClock(db)
    seen: int | None = None
    last_round = -ROUND_AT_LEAST_EVERY
    try:
        while not stop():
            reading = clock.reading()
            if reading is None or reading != seen or _since(last_round) >= ROUND_AT_LEAST_EVERY:
                seen = reading  # before the round: a write during it brings another
                try:
                    keep_book(db, today())
                except (CrmError, OSError, DatabaseError, InterfaceError) as err:
                    failed(err)
                    seen = None
                    _wait(RETRY_AFTER, stop)
                last_round = time.monotonic()
            time.sleep(LOOK_EVERY)
    finally:
        clock.close()


def _since(moment: float) -> float:
    return time.monotonic() - moment


def _wait(seconds: float, stop: Callable[[], bool]) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end and not stop():
        time.sleep(LOOK_EVERY)
