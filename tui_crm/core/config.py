"""User settings from `config.toml` in the platform config folder, with safe defaults."""

from __future__ import annotations

import getpass
import locale
import os
from dataclasses import dataclass, field
from functools import cache

from tui_crm.db.retention import Retention
from tui_crm.errors import CrmError
from tui_crm.paths import config_dir

BACKUP_COUNTS = ("daily", "weekly", "monthly")
MOST_BACKUPS = 1000  # per kind: more is a typo, not a plan


@dataclass(frozen=True)
class Settings:
    user: str
    region: str  # default country for phone numbers written without +CC
    currency: str
    keys: dict[str, str] = field(default_factory=dict)
    theme: str = ""  # a Textual theme name, e.g. "ansi-dark" to use the terminal's own colours
    backups: Retention = field(default_factory=Retention)  # [backups] daily, weekly, monthly
    # "Anna called them yesterday": a contact this many days back is said before another
    # (0: never said).
    double_contact_days: int = 2


def _default_region() -> str:
    lang = os.environ.get("LC_ALL") or os.environ.get("LANG") or (locale.getlocale()[0] or "")
    code = lang.split(".")[0]
    if "_" in code and len(code.split("_")[1]) == 2:
        return code.split("_")[1].upper()
    return "US"


def _default_user() -> str:
    try:
        return getpass.getuser()
    except Exception:
        return "me"


def user_of(db) -> str:
    """Who writes to the book `db`, as its history, `owner:me` and the queue's snoozes name
    them: the database role of a book on a server (team mode), else the config's `user`."""
    from tui_crm.db.store import store_of

    return store_of(db).role() or settings().user


def require_whole_book(db, what: str) -> None:
    """Refuse `what` (a check, a copy, …) to a role that sees only its own customers (team
    mode's row-level security): done on part of the book, it would be wrong for the rest."""
    from tui_crm.db.store import store_of

    if not store_of(db).sees_whole_book():
        raise CrmError(
            f"{what} needs the whole book, and {user_of(db)} sees only their own customers: "
            "a member of the team's role does it"
        )


@cache
def settings() -> Settings:
    path = config_dir() / "config.toml"
    data: dict = {}
    if path.exists():
        import tomllib  # only with a config file to read (4 ms of every start without one)

        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as err:
            raise CrmError(f"cannot read {path}: {err}") from None
    keys = data.get("keys", {})
    if not isinstance(keys, dict):
        raise CrmError(f'{path}: [keys] must be a table of action = "key"')
    return Settings(
        user=os.environ.get("TUI_CRM_USER") or str(data.get("user") or _default_user()),
        region=str(os.environ.get("TUI_CRM_REGION") or data.get("region") or _default_region()),
        currency=str(data.get("currency") or "USD").upper(),
        keys={str(k): str(v) for k, v in keys.items()},
        theme=str(os.environ.get("TUI_CRM_THEME") or data.get("theme") or ""),
        backups=_retention(path, data.get("backups", {})),
        double_contact_days=_days(path, data.get("double_contact_days", 2)),
    )


def _days(path, value: object) -> int:
    """`double_contact_days`: a whole number of days, 0 to 365."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 365:
        raise CrmError(f"{path}: double_contact_days must be a whole number of days, 0 to 365")
    return value


def _retention(path, table: object) -> Retention:
    """`[backups]`: how many daily, weekly and monthly backups to keep (whole numbers)."""
    if not isinstance(table, dict):
        raise CrmError(f"{path}: [backups] must be a table such as daily = 7")
    unknown = sorted(set(table) - set(BACKUP_COUNTS))
    if unknown:
        raise CrmError(
            f"{path}: [backups] has no setting '{unknown[0]}' ({', '.join(BACKUP_COUNTS)})"
        )
    counts = {}
    for key in BACKUP_COUNTS:
        value = table.get(key, getattr(Retention, key))
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MOST_BACKUPS:
            raise CrmError(
                f"{path}: [backups] {key} must be a whole number from 0 to {MOST_BACKUPS}, "
                f"not {value!r}"
            )
        counts[key] = value
    return Retention(**counts)
