"""Short, glanceable text for dates, money and tiers in tables and profiles."""

from __future__ import annotations

from datetime import date, datetime

from rich.text import Text

from tui_crm.core.fields import format_money, format_money_short

__all__ = ["format_money", "format_money_short", "ago", "due", "tier_text", "day"]


def ago(moment: datetime | date | None, today: date) -> str:
    """'today', '5d ago', '3w ago', '4mo ago', '2y ago' or '—'."""
    if moment is None:
        return "—"
    day_ = moment.date() if isinstance(moment, datetime) else moment
    days = (today - day_).days
    if days < 0:
        return day_.isoformat()
    if days == 0:
        return "today"
    if days < 14:
        return f"{days}d ago"
    if days < 60:
        return f"{days // 7}w ago"
    if days < 730:
        return f"{days // 30}mo ago"
    return f"{days // 365}y ago"


def due(day_: date | None, today: date) -> Text:
    """A follow-up date relative to today, red when overdue."""
    if day_ is None:
        return Text("")
    days = (day_ - today).days
    if days < 0:
        return Text(f"{-days}d late", style="bold red")
    if days == 0:
        return Text("today", style="bold yellow")
    if days == 1:
        return Text("tomorrow", style="yellow")
    return Text(f"in {days}d")


def tier_text(tier: str) -> Text:
    if tier == "gold":
        return Text("gold", style="bold yellow")
    if tier == "silver":
        return Text("silver", style="bold")
    return Text("")


def day(value: date | datetime | None) -> str:
    if value is None:
        return "—"
    if isinstance(value, datetime):
        return f"{value:%Y-%m-%d %H:%M}"
    return f"{value:%Y-%m-%d}"
