"""Customers: validation, change history, conflicting saves, referrals, trash, interactions,
purchases, and finding a customer by what a person types."""

from __future__ import annotations

import time
from datetime import date, datetime, timedelta

import pytest

from tests.builders import category
from tests.versions import current_version
from tui_crm.core import config
from tui_crm.core.book import BookClock, book_is_empty
from tui_crm.core.customers import (
    Reapplied,
    add_purchase,
    changes_said,
    clean_customer,
    create_customer,
    get_profile,
    known_sources,
    log_interaction,
    reapply_edits,
    resolve_customer,
    restore_customer,
    trash_customer,
    update_customer,
)
from tui_crm.core.demo import build_demo
from tui_crm.core.search import search
from tui_crm.db.models import Customer, CustomerChange, Interaction, Purchase
from tui_crm.errors import Ambiguous, ConflictError, NotFound, ValidationError

pytestmark = pytest.mark.both_engines

TODAY = date(2026, 11, 18)
NOW = datetime(2026, 11, 18, 12, 0)


def _at(days: int, hour: int = 10) -> datetime:
    """A moment `days` after TODAY (negative: before)."""
    return datetime.combine(TODAY + timedelta(days=days), datetime.min.time()).replace(hour=hour)


def _errors(values: dict) -> dict[str, str]:
    with pytest.raises(ValidationError) as info:
        clean_customer(values)
    return info.value.errors


# --- validation ----------------------------------------------------------------------------


def test_clean_values_are_normalised():
    cleaned = clean_customer(
        {
            "first_name": "  Anna  ",
            "last_name": "Berg   Hansen",
            "emails": "Anna@Example.COM; anna.b@Home.example.org",
            "phones": [("Work", "(415) 555-0132"), "+47 95 55 12 34"],
            "tags": "VIP, vip,  Key  Account ,",
            "birthday": "1980-02-29",
            "notes": "  line one\nline two  ",
        }
    )
    assert cleaned.scalars["first_name"] == "Anna"
    assert cleaned.scalars["last_name"] == "Berg Hansen"
    assert cleaned.scalars["birthday"] == date(1980, 2, 29)
    assert cleaned.scalars["notes"] == "line one\nline two"
    assert cleaned.emails == [("work", "Anna@example.com"), ("work", "anna.b@home.example.org")]
    assert cleaned.phones == [
        ("work", "+14155550132", "4155550132", True, "", "+1 415-555-0132"),
        ("mobile", "+4795551234", "95551234", True, "", "+47 95 55 12 34"),
    ]
    assert cleaned.tags == ["vip", "key account"]


def test_a_national_phone_number_uses_the_configured_region(monkeypatch):
    monkeypatch.setenv("TUI_CRM_REGION", "NO")
    config.settings.cache_clear()
    assert clean_customer({"phones": "95 55 12 34"}).phones == [
        ("mobile", "+4795551234", "95551234", True, "", "+47 95 55 12 34")
    ]
    monkeypatch.setenv("TUI_CRM_REGION", "US")
    config.settings.cache_clear()
    assert _errors({"phones": "95 55 12 34"}).keys() == {"phones"}


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"emails": "anna@"}, "emails"),
        ({"emails": ["ok@example.com", "not an email"]}, "emails"),
        ({"phones": "garbage"}, "phones"),
        ({"birthday": "29/02/1980"}, "birthday"),
        ({"acquired_on": "yesterday"}, "acquired_on"),
        ({"gender": "robot"}, "gender"),
        ({"status": "asleep"}, "status"),
        ({"status": "lost"}, "lost_reason"),
        ({"status": "lost", "lost_reason": "   "}, "lost_reason"),
        ({"email_opt_out": "maybe"}, "email_opt_out"),
        ({"referred_by": "Anna"}, "referred_by"),
        ({"shoe_size": 42}, "shoe_size"),
    ],
)
def test_a_bad_field_is_refused_and_named(values, field):
    with pytest.raises(ValidationError) as info:
        clean_customer({"first_name": "Anna", **values})
    assert list(info.value.errors) == [field]
    assert str(info.value).startswith(field.replace("_", " ") + ": ")


def test_every_bad_field_is_reported_at_once():
    errors = _errors({"emails": "x", "phones": "y", "gender": "z", "birthday": "w"})
    assert set(errors) == {"emails", "phones", "gender", "birthday"}


@pytest.mark.parametrize(
    ("word", "gender"),
    [
        ("f", "f"),
        ("F", "f"),
        ("female", "f"),
        ("Woman", "f"),
        ("m", "m"),
        ("Male", "m"),
        ("man", "m"),
        ("x", "x"),
        ("diverse", "x"),
        ("non-binary", "x"),
        ("other", "x"),
        ("", ""),
        (None, ""),
    ],
)
def test_gender_words(word, gender):
    assert clean_customer({"gender": word}).scalars["gender"] == gender


def test_marking_a_customer_lost_needs_a_reason_and_records_the_day(db):
    cid = create_customer(db, {"first_name": "Anna"}, now=NOW)
    with pytest.raises(ValidationError) as info:
        update_customer(db, cid, {"status": "lost"}, now=NOW, expected_version=current_version(cid))
    assert "lost_reason" in info.value.errors
    assert get_profile(db, cid, TODAY).status == "active"
    update_customer(
        db,
        cid,
        {"status": "lost", "lost_reason": "Went with a competitor"},
        now=NOW,
        expected_version=current_version(cid),
    )
    profile = get_profile(db, cid, TODAY)
    assert (profile.status, profile.lost_reason, profile.lost_on) == (
        "lost",
        "Went with a competitor",
        TODAY,
    )


@pytest.mark.parametrize("word", ["lapsed", "Lapsed", " LAPSED "])
def test_lapsed_cannot_be_typed_it_is_worked_out_from_purchases(db, word):
    said = "status: lapsed is worked out from purchases; mark a customer lost instead"
    with pytest.raises(ValidationError) as info:
        create_customer(db, {"first_name": "Anna", "status": word}, now=NOW)
    assert (str(info.value), list(info.value.errors)) == (said, ["status"])
    assert "\n" not in str(info.value)
    cid = create_customer(db, {"first_name": "Anna"}, now=NOW)
    changes = CustomerChange.select().count()
    with pytest.raises(ValidationError, match="^status: lapsed is worked out") as info:
        update_customer(db, cid, {"status": word}, now=NOW, expected_version=current_version(cid))
    assert str(info.value) == said
    assert get_profile(db, cid, TODAY).status == "active"
    assert CustomerChange.select().count() == changes


def test_a_profile_says_whether_the_purchases_say_they_stopped_buying(db):
    """The typed status is active or lost; lapsed is what the purchases say on the day asked
    about, with why, and a lost customer is lost whatever they bought."""
    cid = create_customer(db, {"first_name": "Anna"}, now=NOW)
    for days in (400, 390, 380):
        add_purchase(db, cid, amount=1000, day=TODAY - timedelta(days=days))
    profile = get_profile(db, cid, TODAY)
    assert (profile.status, profile.shown_status) == ("active", "lapsed")
    assert profile.lapse.startswith("bought on 3 days within 3 weeks; nothing for 1")
    assert "probably gone" in profile.lapse
    earlier = get_profile(db, cid, TODAY - timedelta(days=370))
    assert (earlier.shown_status, earlier.lapse) == ("active", "")
    update_customer(
        db, cid, {"status": "lost", "lost_reason": "Moved"}, expected_version=current_version(cid)
    )
    lost = get_profile(db, cid, TODAY)
    assert (lost.status, lost.shown_status, lost.lapse) == ("lost", "lost", "")
    update_customer(
        db, cid, {"status": "active", "lost_reason": ""}, expected_version=current_version(cid)
    )
    add_purchase(db, cid, amount=1000, day=TODAY - timedelta(days=4))
    back = get_profile(db, cid, TODAY)
    assert (back.status, back.shown_status, back.lapse) == ("active", "active", "")


@pytest.mark.parametrize(
    "values",
    [
        {},
        {"emails": "anna@example.com"},
        {"first_name": "   ", "last_name": "", "company": " "},
        {"nickname": "Annie", "city": "Oslo"},
    ],
)
def test_a_customer_needs_a_first_name_last_name_or_company(db, values):
    with pytest.raises(ValidationError) as info:
        create_customer(db, values)
    assert "last_name" in info.value.errors
    assert search(db, "", as_of=TODAY) == []


@pytest.mark.parametrize(
    "values", [{"first_name": "Anna"}, {"last_name": "Berg"}, {"company": "Acme Tools"}]
)
def test_one_name_or_a_company_is_enough(db, values):
    cid = create_customer(db, values)
    assert get_profile(db, cid, TODAY).name == next(iter(values.values()))


def test_an_update_cannot_blank_every_name(db):
    cid = create_customer(db, {"first_name": "Anna", "last_name": "Berg"})
    with pytest.raises(ValidationError):
        update_customer(
            db, cid, {"first_name": "", "last_name": ""}, expected_version=current_version(cid)
        )
    assert get_profile(db, cid, TODAY).name == "Anna Berg"


def test_an_unknown_category_is_refused_and_a_known_one_matches_any_case(db):
    category(db, "Key Account", 14)
    with pytest.raises(ValidationError) as info:
        create_customer(db, {"first_name": "Anna", "category": "platinum"})
    assert "category" in info.value.errors
    cid = create_customer(db, {"first_name": "Anna", "category": "key account"})
    profile = get_profile(db, cid, TODAY)
    assert (profile.category, profile.plan) == ("Key Account", "contact every 2 weeks")


# --- change history and versions -----------------------------------------------------------


def test_create_records_who_created_the_customer(db):
    cid = create_customer(db, {"first_name": "Anna", "last_name": "Berg"}, now=NOW)
    (change,) = get_profile(db, cid, TODAY).changes
    assert (change.who, change.field, change.old, change.new, change.at) == (
        "tester",
        "created",
        None,
        "Anna Berg",
        NOW,
    )
    other = create_customer(db, {"company": "Acme"}, who="anna", now=NOW)
    assert get_profile(db, other, TODAY).changes[0].who == "anna"


def test_update_records_each_changed_field_with_old_and_new_values(db):
    cid = create_customer(
        db,
        {"first_name": "Anna", "city": "Oslo", "emails": "anna@old.example.com", "tags": "vip"},
        now=NOW,
    )
    later = NOW + timedelta(hours=1)
    version = update_customer(
        db,
        cid,
        {
            "first_name": "Anna",  # unchanged: no history line
            "city": "Bergen",
            "emails": "anna@new.example.com",
            "tags": "vip, wholesale",
            "birthday": "1980-05-17",
        },
        who="ben",
        now=later,
        expected_version=1,
    )
    assert version == 2
    profile = get_profile(db, cid, TODAY)
    assert profile.version == 2
    assert profile.city == "Bergen"
    assert profile.updated_at == later
    changes = {c.field: c for c in profile.changes if c.at == later}
    assert set(changes) == {"city", "emails", "tags", "birthday"}
    assert all(c.who == "ben" for c in changes.values())
    assert (changes["city"].old, changes["city"].new) == ("Oslo", "Bergen")
    assert (changes["emails"].old, changes["emails"].new) == (
        "anna@old.example.com",
        "anna@new.example.com",
    )
    assert (changes["tags"].old, changes["tags"].new) == ("vip", "vip, wholesale")
    assert (changes["birthday"].old, changes["birthday"].new) == (None, "1980-05-17")


def test_an_update_that_changes_nothing_keeps_the_version_and_writes_no_history(db):
    cid = create_customer(db, {"first_name": "Anna", "city": "Oslo"})
    assert (
        update_customer(
            db, cid, {"first_name": " Anna ", "city": "Oslo"}, expected_version=current_version(cid)
        )
        == 1
    )
    assert CustomerChange.select().where(CustomerChange.customer == cid).count() == 1


def test_category_changes_are_recorded_by_name(db):
    category(db, "key account", 14)
    category(db, "regular", 45)
    cid = create_customer(db, {"first_name": "Anna", "category": "regular"})
    update_customer(
        db, cid, {"category": "key account"}, now=NOW, expected_version=current_version(cid)
    )
    change = next(c for c in get_profile(db, cid, TODAY).changes if c.field == "category")
    assert (change.old, change.new) == ("regular", "key account")


def test_a_stale_save_is_refused_and_shows_the_other_persons_change(db):
    cid = create_customer(db, {"first_name": "Anna", "city": "Oslo", "notes": "first"})
    opened = get_profile(db, cid, TODAY).version
    update_customer(db, cid, {"city": "Bergen"}, expected_version=opened, who="ben", now=NOW)
    with pytest.raises(ConflictError) as info:
        update_customer(
            db, cid, {"city": "Trondheim", "notes": "mine"}, expected_version=opened, who="anna"
        )
    err = info.value
    assert [(c.who, c.field, c.old, c.new) for c in err.changes] == [
        ("ben", "city", "Oslo", "Bergen")
    ]
    assert "Bergen" in str(err)
    profile = get_profile(db, cid, TODAY)
    assert (profile.city, profile.notes, profile.version) == ("Bergen", "first", 2)
    assert not [c for c in profile.changes if c.who == "anna"]
    # Reloaded, the same change goes through.
    assert update_customer(db, cid, {"city": "Trondheim"}, expected_version=2, who="anna") == 3


def test_a_conflict_names_fields_by_their_labels_and_says_who_changed_each(db):
    cid = create_customer(db, {"first_name": "Anna", "job_title": "Owner", "gender": "f"})
    opened = current_version(cid)
    update_customer(db, cid, {"job_title": "Head Chef"}, expected_version=opened, who="kari")
    changes = {"gender": "x", "acquired_on": "2024-03-01"}
    update_customer(db, cid, changes, expected_version=current_version(cid), who="ben")
    with pytest.raises(ConflictError) as info:
        update_customer(db, cid, {"city": "Oslo"}, expected_version=opened, who="anna")
    message = str(info.value)
    assert "Job title: Owner → Head Chef" in message and "job_title" not in message
    assert "changed by kari and ben" in message
    assert changes_said(info.value.changes) == [
        "Job title: Owner → Head Chef (changed by kari)",
        "Acquired on: — → 2024-03-01 (changed by ben)",
        "Gender: female → other (changed by ben)",  # the words the form shows
    ]
    # As the form labels them.
    assert changes_said(info.value.changes, on_form=True)[1].startswith("Since: — → 2024-03-01")


def test_edits_are_reapplied_over_a_newer_version():
    opened = {"job_title": "Owner", "city": "Oslo", "notes": "", "phones": [], "tags": "a"}
    mine = {**opened, "job_title": "CEO", "city": "Bergen", "phones": [("work", "1")]}
    theirs = {**opened, "job_title": "Head Chef", "notes": "theirs", "tags": "a, b"}
    theirs["phones"] = [("work", "1")]  # the same edit as mine: nothing to re-apply
    result = reapply_edits(opened, mine, theirs)
    assert result.values == {**theirs, "job_title": "CEO", "city": "Bergen"}
    assert result.edits == ("job_title", "city")
    assert result.over_theirs == ("job_title",)
    # Nothing edited: their version as it is.
    assert reapply_edits(opened, opened, theirs) == Reapplied(theirs, (), ())


def test_updating_a_missing_customer_is_not_found(db):
    with pytest.raises(NotFound):
        update_customer(db, 404, {"city": "Oslo"}, expected_version=current_version(404))


# --- referrals -----------------------------------------------------------------------------


def test_a_referral_is_stored_and_shown_both_ways(db):
    anna = create_customer(db, {"first_name": "Anna", "last_name": "Berg"})
    ben = create_customer(db, {"first_name": "Ben", "last_name": "Lie", "referred_by": anna})
    assert get_profile(db, ben, TODAY).referred_by.id == anna
    assert [r.id for r in get_profile(db, anna, TODAY).referrals] == [ben]


def test_a_customer_cannot_refer_themselves(db):
    anna = create_customer(db, {"first_name": "Anna"})
    with pytest.raises(ValidationError) as info:
        update_customer(db, anna, {"referred_by": anna}, expected_version=current_version(anna))
    assert "referred_by" in info.value.errors
    assert get_profile(db, anna, TODAY).referred_by is None


def test_a_referral_loop_is_refused(db):
    a = create_customer(db, {"first_name": "A"})
    b = create_customer(db, {"first_name": "B", "referred_by": a})
    c = create_customer(db, {"first_name": "C", "referred_by": b})
    with pytest.raises(ValidationError) as info:
        update_customer(db, a, {"referred_by": c}, expected_version=current_version(a))
    assert "referred_by" in info.value.errors
    with pytest.raises(ValidationError):
        update_customer(db, a, {"referred_by": b}, expected_version=current_version(a))
    assert get_profile(db, a, TODAY).referred_by is None
    assert get_profile(db, a, TODAY).version == 1


def test_a_referrer_that_does_not_exist_is_refused(db):
    with pytest.raises(ValidationError) as info:
        create_customer(db, {"first_name": "Ben", "referred_by": 999})
    assert "referred_by" in info.value.errors


# --- trash -----------------------------------------------------------------------------------


def test_trash_hides_a_customer_and_restore_brings_them_back(db):
    anna = create_customer(db, {"first_name": "Anna", "last_name": "Berg"})
    create_customer(db, {"first_name": "Ben", "last_name": "Lie"})
    trash_customer(db, anna, now=NOW, expected_version=current_version(anna))
    assert [r.name for r in search(db, "anna", as_of=TODAY)] == []
    assert [r.name for r in search(db, "", as_of=TODAY)] == ["Ben Lie"]
    with pytest.raises(NotFound):
        resolve_customer(db, "Anna Berg")
    with pytest.raises(NotFound):
        log_interaction(db, anna, notes="hello")
    assert get_profile(db, anna, TODAY).deleted_at == NOW
    restore_customer(db, anna, expected_version=current_version(anna))
    assert [r.id for r in search(db, "anna", as_of=TODAY)] == [anna]
    assert resolve_customer(db, "Anna Berg") == anna
    fields = [c.field for c in get_profile(db, anna, TODAY).changes]
    assert fields.count("trash") == 2


# --- interactions --------------------------------------------------------------------------


def test_logging_a_call_sets_last_contact_and_the_follow_up(db):
    cid = create_customer(db, {"first_name": "Anna"})
    log_interaction(db, cid, notes="Asked for prices", at=_at(-2), follow_up="+1w", now=NOW)
    profile = get_profile(db, cid, TODAY)
    assert profile.last_contact == _at(-2)
    assert profile.next_follow_up == (TODAY - timedelta(days=2)) + timedelta(days=7)
    (logged,) = profile.interactions
    assert (logged.kind, logged.notes, logged.logged_by) == ("call", "Asked for prices", "tester")


def test_a_contact_before_the_follow_up_date_keeps_it_and_one_on_or_after_clears_it(db):
    cid = create_customer(db, {"first_name": "Anna"})
    log_interaction(db, cid, notes="first", at=_at(-10), follow_up=TODAY, now=NOW)
    log_interaction(db, cid, notes="quick email", kind="email", at=_at(-3), now=NOW)
    profile = get_profile(db, cid, TODAY)
    assert profile.next_follow_up == TODAY
    assert profile.last_contact == _at(-3)
    log_interaction(db, cid, notes="called back as promised", at=_at(0, hour=9), now=NOW)
    profile = get_profile(db, cid, TODAY)
    assert profile.next_follow_up is None
    assert profile.last_contact == _at(0, hour=9)


def test_a_new_follow_up_replaces_the_old_one(db):
    cid = create_customer(db, {"first_name": "Anna"})
    log_interaction(db, cid, notes="first", at=_at(-10), follow_up=_at(5).date(), now=NOW)
    log_interaction(db, cid, notes="second", at=_at(-1), follow_up="+2w", now=NOW)
    assert get_profile(db, cid, TODAY).next_follow_up == TODAY - timedelta(days=1) + timedelta(
        days=14
    )


def test_a_follow_up_before_the_interaction_is_refused(db):
    cid = create_customer(db, {"first_name": "Anna"})
    with pytest.raises(ValidationError) as info:
        log_interaction(db, cid, notes="x", at=_at(0), follow_up=TODAY - timedelta(days=1))
    assert "follow_up" in info.value.errors
    assert Interaction.select().count() == 0
    assert get_profile(db, cid, TODAY).last_contact is None


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"notes": "   "}, "notes"),
        ({"notes": "x", "kind": "telepathy"}, "kind"),
        ({"notes": "x", "follow_up": "someday"}, "follow_up"),
        ({"notes": "x", "at": "last tuesday"}, "at"),
    ],
)
def test_a_bad_interaction_is_refused_and_nothing_is_stored(db, kwargs, field):
    cid = create_customer(db, {"first_name": "Anna"})
    with pytest.raises(ValidationError) as info:
        log_interaction(db, cid, **kwargs)
    assert field in info.value.errors
    assert Interaction.select().count() == 0


def test_logging_for_a_missing_customer_is_not_found(db):
    with pytest.raises(NotFound):
        log_interaction(db, 12345, notes="hello")


# --- purchases -----------------------------------------------------------------------------


def test_purchases_update_lifetime_count_and_last_purchase(db):
    cid = create_customer(db, {"first_name": "Anna"})
    add_purchase(db, cid, amount="1,234.50", day="2026-01-10", description="Licence")
    add_purchase(db, cid, amount=10000, day=date(2026, 3, 1))
    profile = get_profile(db, cid, date(2026, 3, 1))
    assert profile.purchase_count == 2
    assert profile.last_purchase_on == date(2026, 3, 1)
    assert profile.value.lifetime == 123450 + 10000
    assert [p.cents for p in profile.purchases] == [10000, 123450]
    assert profile.purchases[1].currency == "USD"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"amount": "abc"}, "amount"),
        ({"amount": 0}, "amount"),
        ({"amount": "0.00"}, "amount"),
        ({"amount": "10", "day": "tomorrow-ish"}, "day"),
        ({"amount": "10", "currency": "dollars"}, "currency"),
    ],
)
def test_a_bad_purchase_is_refused(db, kwargs, field):
    cid = create_customer(db, {"first_name": "Anna"})
    with pytest.raises(ValidationError) as info:
        add_purchase(db, cid, **kwargs)
    assert field in info.value.errors
    assert Purchase.select().count() == 0


# --- finding a customer by what a person types ---------------------------------------------


@pytest.fixture
def people(db):
    return {
        "robert": create_customer(
            db, {"first_name": "Robert", "last_name": "Smith", "nickname": "Rob"}
        ),
        "anna1": create_customer(db, {"first_name": "Anna", "last_name": "Berg", "city": "Oslo"}),
        "anna2": create_customer(db, {"first_name": "Anna", "last_name": "Berg", "city": "Bergen"}),
        "acme": create_customer(db, {"company": "Acme Tools"}),
        "oyvind": create_customer(db, {"first_name": "Øyvind", "last_name": "Ålesund"}),
    }


@pytest.mark.parametrize(
    ("typed", "who"),
    [
        ("Robert Smith", "robert"),
        ("  robert   SMITH ", "robert"),
        ("Smith, Robert", "robert"),
        ("Rob Smith", "robert"),
        ("acme tools", "acme"),
        ("Øyvind Ålesund", "oyvind"),
        ("øyvind ålesund", "oyvind"),
        ("ÅLESUND, ØYVIND", "oyvind"),
    ],
)
def test_resolve_a_customer_by_name(db, people, typed, who):
    assert resolve_customer(db, typed) == people[who]


def test_resolve_a_customer_by_id(db, people):
    assert resolve_customer(db, str(people["acme"])) == people["acme"]
    assert resolve_customer(db, f"#{people['acme']}") == people["acme"]
    with pytest.raises(NotFound):
        resolve_customer(db, "999")


def test_an_ambiguous_name_lists_the_candidates(db, people):
    with pytest.raises(Ambiguous) as info:
        resolve_customer(db, "anna berg")
    candidates = info.value.candidates
    assert [c.id for c in candidates] == [people["anna1"], people["anna2"]]
    assert "Oslo" in candidates[0].name and "Bergen" in candidates[1].name


@pytest.mark.parametrize("typed", ["Nobody Here", "Smith", "Rob", "", "   "])
def test_a_name_that_matches_nobody_is_not_found(db, people, typed):
    with pytest.raises(NotFound):
        resolve_customer(db, typed)


def test_the_source_field_completes_from_the_sources_of_live_customers(db):
    for first, source in (("Anna", "Website"), ("Bo", "Fair"), ("Cy", "Website"), ("Di", "")):
        create_customer(db, {"first_name": first, "source": source}, now=NOW)
    gone = create_customer(db, {"first_name": "Ed", "source": "Old flyer"}, now=NOW)
    assert known_sources(db) == ["Fair", "Old flyer", "Website"]
    trash_customer(db, gone, now=NOW, expected_version=current_version(gone))
    assert known_sources(db) == ["Fair", "Website"]  # nothing offered from the trash


def _moved(clock: BookClock, before: int | None) -> bool:
    """Whether the clock moves past `before` within a second (a notification takes a moment
    to arrive on PostgreSQL)."""
    for _ in range(50):
        if clock.reading() != before:
            return True
        time.sleep(0.02)
    return False


def test_the_book_clock_moves_when_the_book_changes_and_not_when_it_is_read(db):
    clock = BookClock(db)
    try:
        first = clock.reading()
        assert first is not None
        assert not _moved(clock, first)
        cid = create_customer(db, {"first_name": "Ann"}, now=NOW)
        assert _moved(clock, first)
        then = clock.reading()
        assert Customer.get_by_id(cid).first_name == "Ann"
        assert not _moved(clock, then)
    finally:
        clock.close()


def test_a_demo_book_is_built_on_either_engine(db):
    assert build_demo(db, customers=40, seed=3, today=TODAY) == 40
    assert not book_is_empty(db)


def test_a_save_that_finds_the_customer_moved_on_since_it_was_read_is_refused(db, monkeypatch):
    # Another writer saves between this save's read and its write (PostgreSQL lets two
    # transactions do that): the write names the version read, matches no row, refuses.
    from tui_crm.core import customers

    cid = create_customer(db, {"first_name": "Ann"}, now=NOW)
    stale = customers.customer_row(cid)
    update_customer(db, cid, {"company": "Fjord"}, expected_version=1, who="ben", now=NOW)
    monkeypatch.setattr(customers, "customer_row", lambda customer_id, live=False: stale)
    with pytest.raises(ConflictError, match="changed while saving"):
        update_customer(db, cid, {"city": "Oslo"}, expected_version=1, now=NOW)
    with pytest.raises(ConflictError, match="changed while saving"):
        trash_customer(db, cid, expected_version=1, now=NOW)
    row = Customer.get_by_id(cid)
    assert (row.company, row.city, row.deleted_at, row.version) == ("Fjord", "", None, 2)
