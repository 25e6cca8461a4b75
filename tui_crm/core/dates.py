"""Dates as people type them: ISO dates, `+3d`/`+2w`/`+1m`, `today`, `tomorrow`, weekdays; and
for a day to look back from, `-30d`/`-2w`/`-1m`/`-1y` and `yesterday` too."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

from tui_crm.errors import CrmError

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_RELATIVE = re.compile(r"^(\+\d{1,4})([dwmy])$")
_BEFORE = re.compile(r"^(-\d{1,4})([dwmy])$")
# A date with a time: 2018-01-08 10:00, 2018-01-08T10:00:00.5Z, 2018-01-08T10:00:00+01:00.
_ISO_MOMENT = re.compile(
    r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$"
)


def add_months(day: date, months: int) -> date:
    """Same day `months` later, clamped to the month's end (31 Jan + 1m = 28/29 Feb)."""
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    if not date.min.year <= year <= date.max.year:
        raise ValueError(f"year {year} is out of range")
    for candidate in (day.day, 30, 29, 28):
        try:
            return date(year, month, min(day.day, candidate))
        except ValueError:
            continue
    raise AssertionError("unreachable")


def parse_date(text: str) -> date:
    """A plain calendar date, YYYY-MM-DD (also YYYYMMDD).

    An ISO date with a time of day, as programs write one, is its date as written, not
    moved to UTC: 2018-01-08 10:00, 2018-01-08T10:00:00Z, 2018-01-08T10:00:00+01:00.
    Nothing else: 1 March 2026 or 01/03/2026 are refused (text.file_date reads what
    import files write, deciding per file whether 01/03 is the 1st of March)."""
    value = text.strip()
    try:
        return date.fromisoformat(value)
    except ValueError:
        pass
    if _ISO_MOMENT.match(value):
        try:
            return datetime.fromisoformat(value).date()
        except ValueError:
            pass
    raise CrmError(f"'{text}' is not a date (use YYYY-MM-DD)")


def parse_when(text: str, today: date) -> date:
    """A date relative to `today`: 2026-12-01, +3d, +2w, +1m, +1y, today, tomorrow, mon..sun.

    A weekday means the next one after today (`mon` on a Monday is a week later).
    """
    day = _typed_day(text, today, past=False)
    if day is None:
        raise CrmError(
            f"'{text}' is not a date (use YYYY-MM-DD, +3d, +2w, +1m, today, tomorrow or mon..sun)"
        )
    return day


def parse_day(text: str, today: date) -> date:
    """A day to look back from (or ahead to): what `parse_when` takes, and for the past -30d,
    -2w, -1m, -1y and yesterday (-1m on 31 March is the last day of February)."""
    day = _typed_day(text, today, past=True)
    if day is None:
        raise CrmError(
            f"'{text}' is not a date (use YYYY-MM-DD, -1m, -2w, -30d, yesterday, today or +1w)"
        )
    return day


def _typed_day(text: str, today: date, *, past: bool) -> date | None:
    """The day `text` means, or None when it means none; with `past`, -3d and yesterday too."""
    value = text.strip().lower()
    if not value:
        raise CrmError("empty date")
    if value == "today":
        return today
    if value == "tomorrow":
        return today + timedelta(days=1)
    if past and value == "yesterday":
        return today - timedelta(days=1)
    match = _RELATIVE.match(value) or (_BEFORE.match(value) if past else None)
    if match:
        return _moved(today, match.group(1), match.group(2), text)
    for index, name in enumerate(WEEKDAYS):
        if value in (name, _full_weekday(index)):
            ahead = (index - today.weekday()) % 7 or 7
            return today + timedelta(days=ahead)
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def _moved(today: date, amount: str, unit: str, text: str) -> date:
    """`today` moved by "+3"/"-3" (`amount`) days, weeks, months or years (`unit` d, w, m, y)."""
    count = int(amount)
    try:
        if unit == "d":
            return today + timedelta(days=count)
        if unit == "w":
            return today + timedelta(weeks=count)
        return add_months(today, count * (12 if unit == "y" else 1))
    except (OverflowError, ValueError):
        way = "past" if count < 0 else "future"
        raise CrmError(f"'{text}' is too far in the {way}") from None


def _full_weekday(index: int) -> str:
    return ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")[index]


def parse_datetime(text: str) -> datetime:
    """A moment: YYYY-MM-DD or YYYY-MM-DD HH:MM[:SS] (also with a T)."""
    value = text.strip()
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise CrmError(f"'{text}' is not a date and time (use YYYY-MM-DD HH:MM)") from None
    return moment.replace(tzinfo=None, microsecond=0)


_AT_TIME = re.compile(r"^(?:(.*\S)\s+)?(\d{1,2}):(\d{2})$")


def parse_moment(text: str, now: datetime) -> datetime:
    """When something happened, as people say it: now, 15:30 (today), yesterday 15:30, -2d
    9:00, 2026-12-01 09:00 (or any YYYY-MM-DD HH:MM); a day alone is at this time of day."""
    value = text.strip()
    if not value or value.lower() == "now":
        return now
    try:
        return parse_datetime(value)
    except CrmError:
        pass
    said = f"'{text}' is not a moment (use now, 15:30, yesterday 15:30 or YYYY-MM-DD HH:MM)"
    match = _AT_TIME.match(value)
    day_text, clock = (match.group(1), match.group(2, 3)) if match else (value, None)
    try:
        day = parse_day(day_text, now.date()) if day_text else now.date()
    except CrmError:
        raise CrmError(said) from None
    if clock is None:
        return datetime.combine(day, now.time())
    hour, minute = int(clock[0]), int(clock[1])
    if hour > 23 or minute > 59:
        raise CrmError(said)
    return datetime.combine(day, time(hour, minute))


def parse_follow_up(text: str, today: date) -> tuple[date, str]:
    """A follow-up as people say it: what `parse_when` takes, with a time of day or not
    ("tomorrow 14:00", "fri 9:30", "+1w", "2026-12-10 14:00"; "14:00" alone is today).
    Returns the day and "HH:MM" ("" for none)."""
    value = text.strip()
    match = _AT_TIME.match(value)
    if match is None:
        return parse_when(value, today), ""
    hour, minute = int(match.group(2)), int(match.group(3))
    if hour > 23 or minute > 59:
        raise CrmError(f"'{text}' is not a time of day (use e.g. tomorrow 14:00)")
    day = parse_when(match.group(1), today) if match.group(1) else today
    return day, f"{hour:02d}:{minute:02d}"


def said_follow_up(day: date, clock: str = "") -> str:
    """ "Tue 8 Dec", "Tue 8 Dec 14:00"."""
    return f"{day:%a} {day.day} {day:%b}" + (f" {clock}" if clock else "")


def one_year_before(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)
