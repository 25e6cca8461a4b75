"""A book on PostgreSQL: the connection (psycopg 3), what it reads back, and its migrations.

Rows come back as an SQLite book gives them: a date as "2026-12-06" and a time as
"2026-12-06 14:30:00" (with ".250000" when it has a fraction, as Python writes it), so the
domain sees the same values on either engine.
"""

from __future__ import annotations

import functools
import re

from peewee import DatabaseError, InterfaceError, PostgresqlDatabase

from tui_crm.db.postgres import migrations
from tui_crm.errors import CrmError, DatabaseRefused
from tui_crm.paths import shown_url


def _loaders(connection) -> None:
    from psycopg.adapt import Loader

    class DayText(Loader):
        def load(self, data) -> str:
            return bytes(data).decode()

    class TimeText(Loader):
        def load(self, data) -> str:
            text = bytes(data).decode()
            whole, dot, fraction = text.partition(".")
            return f"{whole}.{fraction.ljust(6, '0')}" if dot else text

    connection.adapters.register_loader("date", DayText)
    connection.adapters.register_loader("timestamp", TimeText)


class PostgresBook(PostgresqlDatabase):
    """A book on a PostgreSQL server, named by its URL (`postgresql://anna@crm/sales`)."""

    engine = "postgresql"

    def __init__(self, url: str) -> None:
        _give_peewee_psycopg()
        super().__init__(None)
        self.url = url
        self.found_schema = 0  # the schema it had when opened (migrate() then brings it on)
        # DateStyle ISO: dates and times read back as ISO text (see _loaders). No JIT: a
        # statement over every customer (the queue's) is estimated costly enough to be
        # compiled, which takes seconds where running it takes 0.1 s.
        self.init(
            url,
            prefer_psycopg3=True,
            options="-c DateStyle=ISO,YMD -c TimeZone=UTC -c jit=off",
        )

    @functools.cached_property
    def role(self) -> str:
        """The role the server knows this app's user as (the URL's user, or libpq's default:
        the login name): who each write is recorded as."""
        return self.execute_sql("SELECT current_user").fetchone()[0]

    @functools.cached_property
    def restricted(self) -> bool:
        """This role sees only the customers it owns (README "Team mode": granted rights on
        the book's tables without being a member of the role they belong to)."""
        return bool(self.execute_sql("SELECT row_security_active('customer')").fetchone()[0])

    def cursor(self, named_cursor=None):
        """This thread's connection's cursor; a connection the server closed (it restarted,
        or ended the session) is replaced by a new one when no transaction was using it: the
        statement that found it gone failed, the next one works."""
        conn = self._state.conn
        if conn is not None and (conn.closed or conn.broken) and not self.in_transaction():
            self._state.reset()
        return super().cursor(named_cursor)

    def _connect(self):
        connection = super()._connect()
        _loaders(connection)
        return connection

    def atomic(self, lock_type: str | None = None):
        """A transaction; `lock_type` is SQLite's (IMMEDIATE, DEFERRED), which a PostgreSQL
        transaction does not need: rows are locked as they are written."""
        return super().atomic()

    @functools.cached_property
    def store(self):
        """The book's store (tui_crm/db/store): the SQL the domain asks for."""
        from tui_crm.db.postgres.store import PostgresStore

        return PostgresStore(self)

    def execute_sql(self, sql, params=None, **options):
        """A statement of the book's own SQL (placeholders `?`, or `:name` with a dict, as on
        SQLite) on this server; the queries peewee builds (`execute`) are already in its
        own terms."""
        return self._run(_own_terms(sql, isinstance(params, dict)), params, **options)

    def execute(self, query, **context_options):
        ctx = self.get_sql_context(**context_options)
        sql, params = ctx.sql(query).query()
        return self._run(sql, params)

    def _run(self, sql, params=None, **options):
        try:
            return super().execute_sql(sql, params, **options)
        except DatabaseError as err:
            if "violates row-level security" in str(err):
                # A salesperson restricted to their own customers (README "Team mode") wrote
                # a customer that would be someone else's.
                raise CrmError(
                    f"you can write only your own customers, owned by {self.role}: a member "
                    "of the team's role gives customers to others"
                ) from None
            raise

    def __str__(self) -> str:
        return shown_url(self.url)


_NAMED = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")


@functools.lru_cache(maxsize=2048)
def _own_terms(sql: str, named: bool = False) -> str:
    """`sql` with psycopg's placeholders: `?` outside quotes becomes `%s` (or `:name`,
    when the parameters are a dict, `%(name)s`), and every `%` (a LIKE pattern's, say) is
    doubled, since psycopg reads `%` anywhere in a statement."""
    out: list[str] = []
    quote = ""
    plain: list[str] = []  # the text outside quotes since the last quote

    def flush() -> None:
        text = "".join(plain)
        plain.clear()
        out.append(_NAMED.sub(r"%(\1)s", text) if named else text)

    for char in sql:
        if char == "%":
            (out if quote else plain).append("%%")
        elif quote:
            out.append(char)
            quote = "" if char == quote else quote
        elif char in "'\"":
            flush()
            out.append(char)
            quote = char
        elif char == "?" and not named:
            plain.append("%s")
        else:
            plain.append(char)
    flush()
    return "".join(out)


def _give_peewee_psycopg() -> None:
    """Hand psycopg to peewee, which was loaded without it (tui_crm/__init__.py): what its
    module does at import when psycopg is installed, done when the first book on PostgreSQL
    is opened."""
    import peewee

    if peewee.psycopg is not None:
        return
    import psycopg
    from psycopg.pq import TransactionStatus
    from psycopg.types.json import Json, Jsonb

    peewee.TransactionStatus = TransactionStatus
    peewee.Json_pg3, peewee.Jsonb_pg3 = Json, Jsonb
    adapter = peewee.Psycopg3Adapter
    adapter.txn_idle = TransactionStatus.IDLE
    adapter.txn_inerror = TransactionStatus.INERROR
    adapter.txn_unknown = TransactionStatus.UNKNOWN
    peewee.psycopg = psycopg  # last: peewee takes psycopg as there once this is set


def open_book(url: str) -> PostgresBook:
    """The book at `url`, connected and migrated to the newest schema (made if the database
    is empty). Refuses, in one line that never shows a password, a server it cannot reach or
    log in to, and a database that holds another program's tables or a newer schema."""
    try:
        import psycopg
    except ImportError:  # pragma: no cover - a dependency; only a broken install lacks it
        raise DatabaseRefused("PostgreSQL needs psycopg: pip install 'psycopg[binary]'") from None
    book = PostgresBook(url)
    try:
        book.connect()
        migrate(book)
        _ = book.role, book.restricted  # asked here, once: never later on an app's thread
    except (psycopg.Error, DatabaseError, InterfaceError) as err:
        book.close()
        reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise DatabaseRefused(f"cannot open {shown_url(url)}: {reason}") from None
    except BaseException:
        book.close()
        raise
    return book


def schema_version(book: PostgresBook) -> int:
    """The book's schema number: 0 for an empty database. Refuses a database that holds
    another program's tables."""
    tables = {
        name
        for (name,) in book.execute_sql(
            "SELECT tablename FROM pg_catalog.pg_tables WHERE schemaname = current_schema()"
        )
    }
    if "schema_migration" not in tables:
        if tables:
            raise DatabaseRefused(
                f"{shown_url(book.url)} holds another program's tables, not a tui-crm book"
            )
        return 0
    row = book.execute_sql("SELECT max(number) FROM schema_migration").fetchone()
    return int(row[0] or 0)


def maker_role(book: PostgresBook) -> str | None:
    """The role the book's tables are made as: the database's owner when this user is one of
    its members (README "Team mode": a database owned by the team's role), so that every
    member may read and write them, whoever made them; None: this user."""
    owner = book.execute_sql(
        "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = current_database()"
    ).fetchone()[0]
    member = book.execute_sql("SELECT pg_has_role(current_user, ?, 'MEMBER')", (owner,))
    return owner if owner != book.role and member.fetchone()[0] else None


def _owns_tables(book: PostgresBook) -> bool:
    """This session has the rights of the role the book's tables belong to (may change them)."""
    return bool(
        book.execute_sql(
            "SELECT pg_has_role(tableowner, 'USAGE') FROM pg_tables "
            "WHERE schemaname = current_schema() AND tablename = 'schema_migration'"
        ).fetchone()[0]
    )


def _as_database_owner(book: PostgresBook) -> None:
    """Until the transaction ends, act as the role the book's tables are made as."""
    owner = maker_role(book)
    if owner is not None:
        book.execute_sql(f'SET LOCAL ROLE "{owner.replace(chr(34), chr(34) * 2)}"')


def migrate(book: PostgresBook) -> int:
    """Bring the book to the newest schema, all its pending migrations in one transaction
    (the first one makes the tables of a new book); its schema number. Two programs opening
    a new book at once wait for each other: the migrations run under a lock of the database's."""
    with book.atomic():
        book.execute_sql("SELECT pg_advisory_xact_lock(7443524)")
        _as_database_owner(book)
        version = schema_version(book)
        book.found_schema = version
        if version > migrations.LATEST:
            raise DatabaseRefused(
                f"{shown_url(book.url)} was written by a newer tui-crm (schema {version}, "
                f"this one knows {migrations.LATEST}); upgrade tui-crm to open it"
            )
        if 0 < version < migrations.LATEST and not _owns_tables(book):
            raise DatabaseRefused(
                f"{shown_url(book.url)} is at schema {version} and this tui-crm needs "
                f"{migrations.LATEST}: a member of the team's role opens it once to bring it on"
            )
        if version == 0:
            book.execute_sql(
                "CREATE TABLE schema_migration (number integer PRIMARY KEY, "
                "applied_at timestamp NOT NULL DEFAULT (now() AT TIME ZONE 'UTC'))"
            )
        for number, sql in migrations.migrations(after=version):
            with book.cursor() as cursor:  # the file's SQL as written: no placeholders in it
                cursor.execute(sql)
            book.execute_sql("INSERT INTO schema_migration (number) VALUES (?)", (number,))
            version = number
    return version
