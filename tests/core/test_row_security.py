"""Keeping a salesperson to their own customers (issue 20, team mode: row-level security).

The book belongs to the team's role: its members (mona, the manager) see every customer. A
role given rights on the tables without being a member (ole and per, in `reps`) sees only the
customers it owns and their rows; what it writes still keeps every figure of the whole book
right (the schema's functions write them as the tables' owner), and what readers keep (a new
day's values and queue, the referral and duplicate figures) it leaves to the team's sessions
rather than work them out from its own customers."""

from __future__ import annotations

import threading
import time
from datetime import date, datetime, timedelta

import psycopg
import pytest

from tests.teams import restricted_team
from tui_crm.core.attention import attention_page
from tui_crm.core.backups import backup_before, backup_now
from tui_crm.core.check import check_book, repair_book
from tui_crm.core.config import user_of
from tui_crm.core.customers import (
    add_purchase,
    create_customer,
    customer_row,
    get_profile,
    log_interaction,
    update_customer,
)
from tui_crm.core.duplicates_kept import kept_pairs
from tui_crm.core.interchange.files import import_data
from tui_crm.core.keeping import keep_book
from tui_crm.core.query import parse
from tui_crm.core.referrals import referral_forest
from tui_crm.core.search import search
from tui_crm.db.database import close_database, open_database
from tui_crm.db.meta import meta_value
from tui_crm.db.store import store_of
from tui_crm.errors import CrmError, NotFound

pytestmark = pytest.mark.postgres

TODAY = date(2026, 12, 6)


@pytest.fixture
def team(pg_cluster, home):
    """The team's book (tests/teams.py): mona sees every customer, ole and per their own."""
    with restricted_team(pg_cluster) as made:
        yield made
        close_database()


def _book(team) -> dict[str, int]:
    """Mona's book: customers owned by ole, by per and by no one, with calls, purchases (per's
    customers spend the most), a referral across owners and a likely duplicate pair of each
    salesperson's."""
    names = team["names"]
    db = open_database(team["urls"]["mona"])
    made = {}
    for key, first, last, owner, spent in [
        ("olga", "Olga", "Berg", "ole", 500),
        ("otto", "Otto", "Lund", "ole", 0),
        ("oda", "Oda", "Lund", "ole", 0),
        ("pia", "Pia", "Holm", "per", 9000),
        ("paul", "Paul", "Vik", "per", 7000),
        ("peter", "Peter", "Vik", "per", 0),
        ("nora", "Nora", "Dahl", None, 300),
    ]:
        owner_name = names[owner] if owner else ""
        made[key] = create_customer(
            db,
            {
                "first_name": first,
                "last_name": last,
                "owner": owner_name,
                "emails": [f"{first.lower()}@example.com"],
            },
        )
        if spent:
            add_purchase(db, made[key], amount=spent, day=TODAY - timedelta(days=40))
        log_interaction(
            db, made[key], kind="call", notes=f"{first} called", at=datetime(2026, 9, 1, 10)
        )
    # Olga came through Pia (per's customer); Oda and Otto Lund share a surname and an email.
    _update(db, made["olga"], {"referred_by": made["pia"]})
    _update(db, made["oda"], {"emails": ["otto@example.com"]})
    _update(db, made["peter"], {"emails": ["paul@example.com"]})
    attention_page(db, TODAY, limit=50)  # the kept figures brought to today by the team
    kept_pairs(db)
    referral_forest(db, TODAY)
    close_database()
    return made


def _update(db, customer_id: int, values: dict) -> None:
    update_customer(db, customer_id, values, expected_version=customer_row(customer_id).version)


def _kept_by_the_team_then_reopened(team, person: str):
    """The team's keeper (mona's session) goes round once; then `person`'s book again."""
    close_database()
    keep_book(open_database(team["urls"]["mona"]), TODAY)
    close_database()
    return open_database(team["urls"][person])


def _ids(rows) -> set[int]:
    return {row.id for row in rows}


def test_a_salesperson_restricted_to_their_own_sees_only_their_customers(team):
    made = _book(team)
    ole = open_database(team["urls"]["ole"])
    mine = {made["olga"], made["otto"], made["oda"]}
    assert _ids(search(ole, parse(""), as_of=TODAY)) == mine
    assert _ids(search(ole, parse("holm"), as_of=TODAY)) == set()
    assert _ids(search(ole, parse("owner:me"), as_of=TODAY)) == mine
    with pytest.raises(NotFound):
        get_profile(ole, made["pia"], TODAY)
    # The profile holds only their own customer's rows; the rank is over the whole book
    # (Pia and Paul spent more than Olga): what the team's own session says.
    profile = get_profile(ole, made["olga"], TODAY)
    assert [i.notes for i in profile.interactions] == ["Olga called"]
    ole_rank = (profile.value.rank, profile.value.tier)
    page = attention_page(ole, TODAY, limit=50)
    assert {item.customer_id for item in page.items} <= mine
    assert page.total == len(page.items)
    pairs = kept_pairs(ole)
    assert {frozenset((p.a.id, p.b.id)) for p in pairs} == {frozenset((made["otto"], made["oda"]))}
    forest = referral_forest(ole, TODAY)
    assert {node.customer_id for node in _nodes(forest)} <= mine
    close_database()

    mona = open_database(team["urls"]["mona"])
    assert len(_ids(search(mona, parse(""), as_of=TODAY))) == 7
    profile = get_profile(mona, made["olga"], TODAY)
    assert (profile.value.rank, profile.value.tier) == ole_rank
    assert profile.value.rank == 3
    pairs = kept_pairs(mona)
    assert frozenset((made["paul"], made["peter"])) in {frozenset((p.a.id, p.b.id)) for p in pairs}


def _nodes(forest):
    """Every place in the tree, from the roots down."""
    found, todo = [], list(forest.roots())
    while todo:
        node = todo.pop()
        found.append(node)
        todo.extend(forest.children(node.customer_id))
    return found


def test_what_a_salesperson_writes_keeps_the_whole_books_figures(team):
    made = _book(team)
    names = team["names"]
    ole = open_database(team["urls"]["ole"])
    new = create_customer(ole, {"first_name": "Oscar", "last_name": "Strand"})
    log_interaction(ole, made["olga"], kind="call", notes="ole called olga")
    add_purchase(ole, made["olga"], amount=20000, day=TODAY - timedelta(days=2))
    _update(ole, made["otto"], {"referred_by": made["olga"]})
    assert _ids(search(ole, parse("strand"), as_of=TODAY)) == {new}
    assert _ids(search(ole, parse("owner:me"), as_of=TODAY)) == {
        made["olga"],
        made["otto"],
        made["oda"],
        new,
    }
    close_database()

    # The team's session finds every figure right: the customer rows', the search documents',
    # the value summary's once brought to today, the queue's, the referral figures (Pia, per's
    # customer, is above Olga, whose spend moved), the duplicates'.
    mona = open_database(team["urls"]["mona"])
    assert check_book(mona).problems == ()
    profile = get_profile(mona, made["olga"], TODAY)
    assert profile.value.tier == "gold" and profile.value.rank == 1
    assert profile.interactions[0].logged_by == names["ole"]
    assert customer_row(new).owner == names["ole"]
    forest = referral_forest(mona, TODAY)
    pia = next(node for node in forest.roots() if node.customer_id == made["pia"])
    assert pia.below_12m_cents == 500 + 20000


def test_a_salesperson_can_neither_reach_nor_give_away_anothers_customer(team):
    made = _book(team)
    names = team["names"]
    ole = open_database(team["urls"]["ole"])
    for write in (
        lambda: log_interaction(ole, made["pia"], kind="call", notes="not mine"),
        lambda: add_purchase(ole, made["pia"], amount=10),
        lambda: _update(ole, made["pia"], {"first_name": "Mine"}),
    ):
        with pytest.raises(NotFound):
            write()
    for give in (
        lambda: create_customer(ole, {"first_name": "Gift", "owner": names["per"]}),
        lambda: _update(ole, made["olga"], {"owner": names["per"]}),
    ):
        with pytest.raises(CrmError, match="only your own customers") as refused:
            give()
        assert "\n" not in str(refused.value)
    close_database()
    mona = open_database(team["urls"]["mona"])
    assert customer_row(made["olga"]).owner == names["ole"]
    assert _ids(search(mona, parse("gift"), as_of=TODAY)) == set()
    assert [i.notes for i in get_profile(mona, made["pia"], TODAY).interactions] == ["Pia called"]


def test_what_needs_the_whole_book_is_refused_to_a_salesperson_in_one_line(team):
    _book(team)
    ole = open_database(team["urls"]["ole"])
    for refused in (lambda: check_book(ole), lambda: repair_book(ole)):
        with pytest.raises(CrmError, match="needs the whole book") as said:
            refused()
        assert user_of(ole) in str(said.value)
    # an import's or a merge's safety backup is the team's to take
    assert backup_before(ole, "before-import") is None
    with pytest.raises(CrmError, match="a backup needs the whole book") as said:
        backup_now(team["urls"]["ole"])
    assert "\n" not in str(said.value)


def test_a_new_day_is_brought_on_by_the_team_not_by_a_restricted_salesperson(team):
    made = _book(team)
    later = TODAY + timedelta(days=400)
    ole = open_database(team["urls"]["ole"])
    seen_by_ole = attention_page(ole, later, limit=50)
    profile = get_profile(ole, made["olga"], later)
    # Nothing of the book's kept figures was worked out from ole's three customers alone.
    assert meta_value(ole, "values_as_of") == TODAY.isoformat()
    assert {i.customer_id for i in seen_by_ole.items} <= {made["olga"], made["otto"], made["oda"]}
    close_database()

    mona = open_database(team["urls"]["mona"])
    everyone = attention_page(mona, later, limit=50)
    assert meta_value(mona, "values_as_of") == later.isoformat()
    assert check_book(mona).problems == ()
    close_database()
    # What ole reads once the team's session brought the day on is the team's queue, of
    # ole's customers.
    ole = open_database(team["urls"]["ole"])
    mine = {made["olga"], made["otto"], made["oda"]}
    again = attention_page(ole, later, limit=50)
    theirs = [(i.customer_id, i.score) for i in everyone.items if i.customer_id in mine]
    assert [(i.customer_id, i.score) for i in again.items] == theirs
    assert get_profile(ole, made["olga"], later).value.spent_12m == 0  # 440 days after her purchase
    assert profile.value.spent_12m == 500  # before: as the team had kept it


def test_check_finds_a_policy_gone_and_repair_puts_it_back_as_it_was(team):
    made = _book(team)
    with psycopg.connect(team["admin"], autocommit=True) as conn:
        conn.execute("DROP POLICY customer_own ON customer")
        conn.execute("DROP FUNCTION crm_rank_of(integer, bigint)")
        conn.execute("DROP VIEW customer_search_made")
    ole = open_database(team["urls"]["ole"])
    assert len(_ids(search(ole, parse(""), as_of=TODAY))) == 0  # no policy: no row at all
    close_database()
    mona = open_database(team["urls"]["mona"])
    said = {problem.text for problem in check_book(mona).problems}
    assert said == {
        "function crm_rank_of is missing",
        "policy customer_own is missing",
        "view customer_search_made is missing",
    }
    repair_book(mona)
    assert check_book(mona).problems == ()
    definer = dict(
        mona.execute_sql(
            "SELECT proname, prosecdef FROM pg_proc WHERE proname IN "
            "('crm_rank_of', 'customer_owner_default', 'crm_index')"
        ).fetchall()
    )
    assert definer == {"crm_rank_of": True, "crm_index": True, "customer_owner_default": False}
    options = mona.execute_sql(
        "SELECT reloptions FROM pg_class WHERE relname = 'customer_search_made'"
    ).fetchone()[0]
    assert options == ["security_invoker=true"]
    close_database()
    ole = open_database(team["urls"]["ole"])
    assert _ids(search(ole, parse(""), as_of=TODAY)) == {made["olga"], made["otto"], made["oda"]}
    assert get_profile(ole, made["olga"], TODAY).value.rank == 3


def test_the_teams_keeper_brings_a_salespersons_queue_up_to_date(team):
    made = _book(team)
    ole = open_database(team["urls"]["ole"])
    log_interaction(
        ole,
        made["olga"],
        kind="call",
        notes="call back",
        at=datetime(2026, 12, 1, 9),
        follow_up=TODAY,
    )
    ole = _kept_by_the_team_then_reopened(team, "ole")
    due = attention_page(ole, TODAY, reasons=["follow_up_due"], limit=50)
    assert [item.customer_id for item in due.items] == [made["olga"]]
    # Ole calls: the call answers the follow-up. The reasons of the customers shown are read
    # as they are, so she drops out at once; the queue's order and size are as the team's
    # sessions kept them, until the team's keeper has been round.
    log_interaction(ole, made["olga"], kind="call", notes="done", at=datetime(2026, 12, 6, 9))
    stale = attention_page(ole, TODAY, reasons=["follow_up_due"], limit=50)
    assert (stale.items, stale.total) == ([], 1)
    with pytest.raises(CrmError, match="needs the whole book"):
        keep_book(ole, TODAY)
    ole = _kept_by_the_team_then_reopened(team, "ole")
    kept = attention_page(ole, TODAY, reasons=["follow_up_due"], limit=50)
    assert (kept.items, kept.total) == ([], 0)


def test_a_salesperson_imports_customers_of_their_own(team):
    made = _book(team)
    names = team["names"]
    ole = open_database(team["urls"]["ole"])
    report = import_data(
        ole,
        b"first_name,last_name,email\nOla,Nordmann,ola@example.no\nOlga,Berg,olga@example.com\n",
        format="csv",
    )
    # Olga Berg is ole's already (same email): unchanged.
    assert (report.added, report.unchanged, report.rejected) == (1, 1, ()), report.rejected
    ola = next(iter(_ids(search(ole, parse("nordmann"), as_of=TODAY))))
    assert ola > max(made.values())  # a new id in the whole book, not after ole's own
    close_database()
    mona = open_database(team["urls"]["mona"])
    assert customer_row(ola).owner == names["ole"]
    assert check_book(mona).problems == ()


def test_a_book_behind_this_version_waits_for_a_member_to_bring_it_on(team):
    _book(team)
    with psycopg.connect(team["admin"], autocommit=True) as conn:
        conn.execute(
            "DELETE FROM schema_migration WHERE number = (SELECT max(number) FROM schema_migration)"
        )
    with pytest.raises(CrmError, match="a member of the team's role opens it once") as said:
        open_database(team["urls"]["ole"])
    assert "\n" not in str(said.value)


def test_nothing_of_anothers_reaches_a_salesperson_through_the_schemas_views_or_functions(team):
    made = _book(team)
    with psycopg.connect(team["urls"]["ole"], autocommit=True) as conn:
        # Straight SQL, as a salesperson with the server's own client could send it.
        for view in ("customer_search_doc", "customer_search_made"):
            ids = {row[0] for row in conn.execute(f"SELECT customer_id FROM {view}")}
            assert ids == {made["olga"], made["otto"], made["oda"]}, view
        for call in (f"crm_unindex({made['pia']})", f"crm_mark_attention({made['pia']})"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(f"SELECT {call}")
        # What a session may call tells nothing of anyone's, and moves nothing.
        assert conn.execute("SELECT crm_last_customer_id()").fetchone()[0] == max(made.values())
    mona = open_database(team["urls"]["mona"])
    assert check_book(mona).problems == ()


def test_what_the_keeper_kept_every_open_app_hears_once(team):
    made = _book(team)
    ole = open_database(team["urls"]["ole"])
    clock = store_of(ole).change_clock()  # what ole's open app listens to
    try:
        log_interaction(ole, made["olga"], kind="call", notes="call back", follow_up=TODAY)
        close_database()
        mona = open_database(team["urls"]["mona"])
        heard = _settled(clock)
        keep_book(mona, TODAY)  # Olga's follow-up rescored: ole's app reads again
        told = _settled(clock)
        assert told == heard + 1
        keep_book(mona, TODAY)  # nothing left to keep: nobody is told
        assert _settled(clock) == told
    finally:
        clock.close()


def _settled(clock) -> int:
    """The clock's reading once what was sent has arrived."""
    time.sleep(0.3)
    return clock.reading()


def test_the_watch_calls_at_each_change_and_at_least_as_often_as_asked():
    """The loop the keeper and the app's watcher share (core/book.py `watch_book`)."""
    from tui_crm.core.book import watch_book

    readings = iter([1, 1, 2])  # then 2 for ever: no change after the first
    calls: list[float] = []
    stop = threading.Event()

    def changed() -> None:
        calls.append(time.monotonic())
        if len(calls) == 3:
            stop.set()

    watch_book(lambda: next(readings, 2), changed, stop, every=0.01, at_least_every=0.1)
    # 1 -> 2, then twice with nothing new, each a tenth of a second after the one before
    assert len(calls) == 3
    assert calls[1] - calls[0] >= 0.1 and calls[2] - calls[1] >= 0.1
