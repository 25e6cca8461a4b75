"""Where the database, its backups and the config live: the one seam tests override."""

from __future__ import annotations

import os
import re
from pathlib import Path

APP_NAME = "tui-crm"


def _base_override() -> Path | None:
    """`TUI_CRM_HOME` puts data and config under one folder (tests and portable installs)."""
    home = os.environ.get("TUI_CRM_HOME")
    return Path(home).expanduser() if home else None


def data_dir() -> Path:
    """The folder holding databases and backups (created lazily, mode 0700)."""
    base = _base_override()
    if base is not None:
        return base / "data"
    from platformdirs import user_data_path

    return user_data_path(APP_NAME, appauthor=False)


def config_dir() -> Path:
    base = _base_override()
    if base is not None:
        return base / "config"
    from platformdirs import user_config_path

    return user_config_path(APP_NAME, appauthor=False)


def cache_dir() -> Path:
    """What the app can make again (the parsed stylesheet): losing it costs only time."""
    base = _base_override()
    if base is not None:
        return base / "cache"
    from platformdirs import user_cache_path

    return user_cache_path(APP_NAME, appauthor=False)


BookPlace = Path | str
"""Where a book is: its SQLite file (a Path), or a PostgreSQL URL (a str: team mode)."""


def default_db_path() -> BookPlace:
    """`TUI_CRM_DB` if set, else `crm.db` in the data folder."""
    env = os.environ.get("TUI_CRM_DB")
    if env:
        return book_place(env)
    return data_dir() / "crm.db"


_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*)://(.*)", re.DOTALL)
POSTGRES_SCHEMES = ("postgresql", "postgres", "postgresql+psycopg")


def book_place(text: str) -> BookPlace:
    """The book a name means (--db, TUI_CRM_DB, copy's --from/--to): a path, or a URL:
    `sqlite://` and the path (`sqlite:///srv/crm/team.db`; `sqlite://crm.db` is relative), or
    a PostgreSQL one (`postgresql://anna@crm.example/sales`), kept as given. Any other URL is
    refused in one line, its password never shown."""
    from tui_crm.errors import CrmError

    found = _SCHEME.fullmatch(text)
    if found is None:
        return Path(text).expanduser()
    scheme, rest = found.group(1).lower(), found.group(2)
    if scheme == "sqlite":
        if not rest:
            raise CrmError("sqlite:// needs the book's file, e.g. sqlite:///srv/crm/team.db")
        from urllib.parse import unquote

        return Path(unquote(rest)).expanduser()
    if scheme in POSTGRES_SCHEMES:
        return f"postgresql://{rest}"  # libpq's own spelling of each
    raise CrmError(
        f"{shown_url(text)}: not a book this app opens "
        "(a file, sqlite:///path or postgresql://user@host/database)"
    )


def on_server(place: BookPlace) -> bool:
    """Whether the book is a database on a PostgreSQL server (team mode), not a file."""
    return isinstance(place, str)


def place_name(place: BookPlace) -> str:
    """How a book is named to its user: its file, or its URL without any password."""
    return shown_url(place) if isinstance(place, str) else str(place)


def place_title(place: BookPlace) -> str:
    """The book's short name, for the app's title: the file's name, or the database's and
    its server's (`sales on crm.example`)."""
    if not isinstance(place, str):
        return place.name
    host, _, database, _ = url_parts(place)
    return f"{database} on {'this machine' if host == 'local' or host.startswith('/') else host}"


def url_parts(url: str) -> tuple[str, str, str, str | None]:
    """(host, port, database, password) of a PostgreSQL URL: the host of a local socket is its
    folder (`?host=`) or `local`; the database, when none is named, is libpq's default (the
    user's name, else `postgres`)."""
    from urllib.parse import parse_qsl, unquote, urlsplit

    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    try:
        host, port = parts.hostname, parts.port
    except ValueError:
        host, port = None, None
    database = unquote(parts.path.lstrip("/")) or query.get("dbname", "")
    return (
        host or query.get("host", "") or "local",
        str(port or query.get("port", "") or "5432"),
        database or unquote(parts.username or "") or "postgres",
        unquote(parts.password) if parts.password else query.get("password"),
    )


def shown_url(text: str) -> str:
    """A database URL as it may be shown, said or logged: never its password."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(text)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return text.partition("://")[0] + "://…"
    user = f"{parts.username}@" if parts.username else ""
    # libpq also takes the password as a parameter (`?password=…`): never shown either
    query = "&".join(
        pair for pair in parts.query.split("&") if pair.partition("=")[0].lower() != "password"
    )
    return f"{parts.scheme}://{user}{host}{port}{parts.path}" + (f"?{query}" if query else "")


def demo_db_path() -> Path:
    return data_dir() / "demo.db"


def backup_dir_for(db_path: Path) -> Path:
    """Backups of a database sit next to it, in `<name>.backups/`."""
    return db_path.parent / f"{db_path.name}.backups"


def import_reports_dir() -> Path:
    """Where the Import screen keeps whole reports too long to show."""
    return data_dir() / "import-reports"


def crash_reports_dir() -> Path:
    """Where the app keeps the details of an unexpected error (the user sees one line)."""
    return data_dir() / "crash-reports"


def ensure_private_dir(path: Path) -> None:
    """Create `path` (and parents) readable by the owner only."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
