"""Dates as people type them in follow-up and date fields."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

import pytest

from tui_crm.core.dates import add_months, parse_date, parse_datetime, parse_day, parse_when
from tui_crm.errors import CrmError

WEDNESDAY = date(2026, 11, 18)
WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
FULL = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("2026-12-01", date(2026, 12, 1)),
        ("today", WEDNESDAY),
        ("TODAY", WEDNESDAY),
        ("tomorrow", WEDNESDAY + timedelta(days=1)),
        ("+0d", WEDNESDAY),
        ("+3d", WEDNESDAY + timedelta(days=3)),
        ("+2w", WEDNESDAY + timedelta(days=14)),
        (" +1w ", WEDNESDAY + timedelta(days=7)),
        ("+1m", date(2026, 12, 18)),
        ("+2m", date(2027, 1, 18)),
        ("+1y", date(2027, 11, 18)),
    ],
)
def test_follow_up_dates_relative_to_today(typed, expected):
    assert parse_when(typed, WEDNESDAY) == expected


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2024, 1, 31), 1, date(2024, 2, 29)),  # leap year
        (date(2026, 3, 31), 1, date(2026, 4, 30)),
        (date(2026, 8, 31), 1, date(2026, 9, 30)),
        (date(2026, 12, 31), 1, date(2027, 1, 31)),
        (date(2026, 12, 15), 13, date(2028, 1, 15)),
        (date(2026, 1, 30), 1, date(2026, 2, 28)),
    ],
)
def test_a_month_later_is_clamped_to_the_end_of_a_short_month(start, months, expected):
    assert add_months(start, months) == expected
    if months == 1:
        assert parse_when("+1m", start) == expected


def test_plus_one_year_from_29_february_is_28_february():
    assert parse_when("+1y", date(2024, 2, 29)) == date(2025, 2, 28)


@pytest.mark.parametrize("index", range(7))
def test_a_weekday_means_the_next_one_and_the_same_weekday_means_next_week(index):
    for typed in (WEEKDAYS[index], FULL[index], WEEKDAYS[index].upper()):
        due = parse_when(typed, WEDNESDAY)
        assert due.weekday() == index
        assert WEDNESDAY < due <= WEDNESDAY + timedelta(days=7)
    assert parse_when("wed", WEDNESDAY) == WEDNESDAY + timedelta(days=7)
    assert parse_when("thu", WEDNESDAY) == WEDNESDAY + timedelta(days=1)
    assert parse_when("tue", WEDNESDAY) == WEDNESDAY + timedelta(days=6)


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "   ",
        "next week",
        "yesterday",
        "-3d",
        "3d",
        "+3x",
        "+d",
        "2026-13-01",
        "2026-02-30",
        "01/12/2026",
        "mo",
        "+99999d",
        "+9999y",
    ],
)
def test_a_bad_follow_up_date_is_refused(typed):
    with pytest.raises(CrmError):
        parse_when(typed, WEDNESDAY)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("-30d", WEDNESDAY - timedelta(days=30)),
        ("-2w", WEDNESDAY - timedelta(days=14)),
        (" -1M ", date(2026, 10, 18)),
        ("-12m", date(2025, 11, 18)),
        ("-1y", date(2025, 11, 18)),
        ("-0d", WEDNESDAY),
        ("yesterday", WEDNESDAY - timedelta(days=1)),
        ("Yesterday", WEDNESDAY - timedelta(days=1)),
        # Everything a follow-up date takes means the same day here.
        ("today", WEDNESDAY),
        ("+1w", WEDNESDAY + timedelta(days=7)),
        ("mon", date(2026, 11, 23)),
        ("2026-03-31", date(2026, 3, 31)),
    ],
)
def test_a_day_to_look_back_from_takes_the_past_too(typed, expected):
    assert parse_day(typed, WEDNESDAY) == expected


def test_a_month_back_is_clamped_to_the_end_of_a_short_month():
    assert parse_day("-1m", date(2026, 3, 31)) == date(2026, 2, 28)
    assert parse_day("-1y", date(2024, 2, 29)) == date(2023, 2, 28)


@pytest.mark.parametrize(
    ("typed", "words"),
    [
        ("", "empty date"),
        ("soon", "'soon' is not a date (use YYYY-MM-DD, -1m, -2w, -30d, yesterday"),
        ("-3x", "'-3x' is not a date"),
        ("-d", "is not a date"),
        ("--1d", "is not a date"),
        ("-99999d", "is not a date"),
        ("-9999y", "'-9999y' is too far in the past"),
        ("+9999y", "'+9999y' is too far in the future"),
    ],
)
def test_a_bad_day_to_look_back_from_is_one_line(typed, words):
    with pytest.raises(CrmError, match=re.escape(words)) as info:
        parse_day(typed, WEDNESDAY)
    assert "\n" not in str(info.value)


def test_follow_up_dates_still_refuse_the_past():
    for typed in ("-1m", "yesterday"):
        with pytest.raises(CrmError, match="use YYYY-MM-DD, \\+3d"):
            parse_when(typed, WEDNESDAY)


def test_plain_dates_and_moments():
    assert parse_date(" 2026-03-01 ") == date(2026, 3, 1)
    with pytest.raises(CrmError, match="YYYY-MM-DD"):
        parse_date("1 March 2026")
    assert parse_datetime("2026-03-01 14:05") == datetime(2026, 3, 1, 14, 5)
    assert parse_datetime("2026-03-01T14:05:09") == datetime(2026, 3, 1, 14, 5, 9)
    assert parse_datetime("2026-03-01") == datetime(2026, 3, 1)
    for bad in ("2026-03-01 25:00", "yesterday", ""):
        with pytest.raises(CrmError):
            parse_datetime(bad)


@pytest.mark.parametrize(
    ("text", "moment"),
    [
        ("", datetime(2026, 11, 18, 12, 0)),
        ("now", datetime(2026, 11, 18, 12, 0)),
        ("9:05", datetime(2026, 11, 18, 9, 5)),
        ("yesterday 15:30", datetime(2026, 11, 17, 15, 30)),
        ("-2d 9:00", datetime(2026, 11, 16, 9, 0)),
        ("yesterday", datetime(2026, 11, 17, 12, 0)),
        ("2026-11-01 08:15", datetime(2026, 11, 1, 8, 15)),
        ("2026-11-01", datetime(2026, 11, 1, 0, 0)),
    ],
)
def test_a_moment_as_people_say_it(text, moment):
    from tui_crm.core.dates import parse_moment

    assert parse_moment(text, datetime(2026, 11, 18, 12, 0)) == moment


@pytest.mark.parametrize("text", ["25:00", "yesterday 9:75", "later", "last tuesday 10:00"])
def test_a_moment_that_is_none_is_one_line(text):
    from tui_crm.core.dates import parse_moment

    with pytest.raises(CrmError, match="is not a moment"):
        parse_moment(text, datetime(2026, 11, 18, 12, 0))
