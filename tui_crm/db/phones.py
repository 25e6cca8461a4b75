"""How a stored phone number is shown: the text `customer_phone.shown` keeps (migration 11).

The text is written with the number (core/customers.py, the import), so that a list of
customers neither formats a number per row nor loads phonenumbers' metadata (about a
twentieth of a second, most of a one-shot `tui-crm find`). It lives here, below the domain,
because migration 11 and the health check work it out too.
"""

from __future__ import annotations

# `db` is the peewee Database, unimported: an import's phone workers import this module (via
# core/fields.py), and need neither peewee nor typing.


def format_phone(number: str) -> str:
    """The international written form (+47 955 51 234) of a stored number; text phonenumbers
    cannot read (a number kept as typed may be such) as it is."""
    import phonenumbers  # its metadata costs start-up time: loaded on the first number

    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return number
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def wrong_shown(db) -> list[tuple[int, int, str]]:
    """(row id, customer id, the right text) of every phone whose kept text is not
    `format_phone` of its number. Formats every number (some 40 µs each)."""
    return [
        (row_id, customer_id, right)
        for row_id, customer_id, number, shown in db.execute_sql(
            "SELECT id, customer_id, number, shown FROM customer_phone ORDER BY id"
        )
        if shown != (right := format_phone(number))
    ]


def write_shown(db, rows: list[tuple[int, int, str]]) -> None:
    """Keep the texts `wrong_shown` found. Writing `shown` rebuilds no search document (the
    phone trigger of migration 11 watches the columns the document reads)."""
    from tui_crm.db.store import store_of

    store_of(db).executemany(
        "UPDATE customer_phone SET shown = ? WHERE id = ?", [(right, rid) for rid, _, right in rows]
    )
