"""Bringing what readers keep up to date, for everyone: the value summary and the queue's
scores as of a day, the book's purchase gap, the referral figures and the duplicate pairs.

Every session that sees the whole book does it as it reads (the app, each command). A team
whose salespeople are restricted to their own customers (README "Team mode") needs one that
does it for them, since they only read what is kept: `tui-crm keep --watch`, run by a member
of the team's role, keeps the book up to date within a second of each write and at each new
day (`watch`)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date

from peewee import Database, DatabaseError, InterfaceError

from tui_crm.core.attention import keep_scores
from tui_crm.core.book import BookClock, watch_book
from tui_crm.core.config import require_whole_book
from tui_crm.core.duplicates_kept import keep_duplicates
from tui_crm.core.referrals import keep_referral_figures
from tui_crm.core.search import tidy_search_index
from tui_crm.db.store import store_of
from tui_crm.errors import CrmError

# How often `watch` looks for a write, and how long it waits at most between two rounds (a
# new day begins, or the book's clock could not tell).
LOOK_EVERY = 0.25
ROUND_AT_LEAST_EVERY = 60.0
RETRY_AFTER = 5.0


def keep_book(db: Database, as_of: date) -> None:
    """Bring every kept figure of the book up to date as of `as_of` (nothing written when they
    are), then do the search index's pending upkeep. Refused to a role that sees only its own
    customers."""
    require_whole_book(db, "keeping the book's figures")
    with db.atomic("IMMEDIATE"):  # a file's writer from the start: never a read turned write
        keep_scores(db, as_of)  # the value summary and the book's gap first, then the scores
        keep_referral_figures(db)
        keep_duplicates(db)
        # What it kept, every open app reads again (a salesperson's queue that only reads what
        # is kept): its own clock hears it too, and its next round finds nothing to do.
        store_of(db).tell_readers(if_written=True)
    # And the search index's upkeep that many writes leave pending, in short writes of its own.
    tidy_search_index(db)


def watch(
    db: Database,
    stop: threading.Event,
    *,
    today: Callable[[], date] = date.today,
    failed: Callable[[Exception], None] = lambda err: None,
) -> None:
    """Keep the book up to date until `stop` is set: a round at once, then one after each
    write anyone commits (the book's change clock, as the app watches it; a round's own
    writes bring one more, which finds nothing to do), and one at least every minute (a new
    day). A round that fails (the server restarting, say) is said through `failed` and tried
    again a few seconds later."""
    require_whole_book(db, "keeping the book's figures")

    def round_() -> None:
        while not stop.is_set():
            try:
                keep_book(db, today())
                return
            except (CrmError, OSError, DatabaseError, InterfaceError) as err:
                failed(err)
                stop.wait(RETRY_AFTER)

    clock = BookClock(db)
    try:
        round_()
        watch_book(clock.reading, round_, stop, LOOK_EVERY, ROUND_AT_LEAST_EVERY)
    finally:
        clock.close()
