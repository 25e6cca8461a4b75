"""Text from the book made safe to show: control characters visible, formulas inert.

Everything a customer, a colleague or an imported file wrote passes through `printable` on its
way to a screen or a terminal, so a name can never move the cursor, retitle a terminal, ring a
bell or write to the clipboard (OSC 52). The UI wraps the result in Rich `Text`, which is never
read as markup, so `[/]` stays two characters. `spreadsheet_cell` keeps a CSV cell from being
run as a formula by the spreadsheet that opens it.
"""

from __future__ import annotations

import re

__all__ = ["printable", "spreadsheet_cell", "LONG_TEXT", "ONE_LINE"]

# How much of one value a screen or a table shows: a line never needs more, a note rarely.
ONE_LINE = 1_000
LONG_TEXT = 20_000

_NEWLINE = "\u2424"  # ␤
_REPLACEMENT = "\ufffd"  # �


def _table(*, multiline: bool) -> dict[int, str]:
    table: dict[int, str] = {code: chr(0x2400 + code) for code in range(32)}  # ␀ … ␟
    table[0x7F] = "\u2421"  # ␡
    for code in range(0x80, 0xA0):  # C1 controls: 0x9B is CSI on some terminals
        table[code] = _REPLACEMENT
    # Bidirectional embeddings, overrides and isolates reorder what follows them on the screen
    # ("Trojan source"); right-to-left text itself needs none of them.
    for code in (*range(0x202A, 0x202F), *range(0x2066, 0x206A)):
        table[code] = _REPLACEMENT
    table[0x2028] = table[0x2029] = "\n" if multiline else _NEWLINE
    for code in range(0xD800, 0xE000):  # lone surrogates cannot be written as UTF-8
        table[code] = _REPLACEMENT
    if multiline:
        table[ord("\n")] = "\n"
        table[ord("\t")] = "\t"
    else:
        table[ord("\n")] = _NEWLINE
        table[ord("\t")] = " "
    return table


_ONE_LINE_TABLE = _table(multiline=False)
_MULTILINE_TABLE = _table(multiline=True)


def printable(text: object, *, multiline: bool = False, limit: int | None = None) -> str:
    """`text` as it may be shown: every control character replaced by a visible placeholder
    (ESC as ␛, NUL as ␀, C1 and bidirectional overrides as �), newlines kept only when
    `multiline` (else shown as ␤, a tab as a space), and cut to `limit` characters with a
    note of how much was left out. The stored value is never changed."""
    if text is None:
        return ""
    text = text if isinstance(text, str) else str(text)
    limit = limit if limit is not None else (LONG_TEXT if multiline else ONE_LINE)
    cut = len(text) - limit if len(text) > limit else 0
    if cut:
        text = text[:limit]
    if not text.isprintable():  # isprintable is False for every character the tables replace
        text = text.replace("\r\n", "\n")
        text = text.translate(_MULTILINE_TABLE if multiline else _ONE_LINE_TABLE)
    if cut:
        text += f"… ({cut:,} more characters)"
    return text


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# A phone number or an amount: digits with + - ( ) . / and spaces, no letters and no operator
# that can call anything. Left as it is, so `+47 95 55 12 34` stays what scripts read.
_NUMBER_LIKE = re.compile(r"[+-]?[0-9][0-9 ().,/-]*")


def spreadsheet_cell(text: str, *, guard_quote: bool = False) -> str:
    """A CSV cell that a spreadsheet will not run: one that starts like a formula (= + - @, a
    tab or a carriage return) gets a leading ', unless it is plainly a number or a phone
    number. `guard_quote` also guards a cell that starts with ' itself, for files our import
    reads back (it takes exactly one leading ' off)."""
    if not text:
        return text
    if text.startswith(_FORMULA_START) and not _NUMBER_LIKE.fullmatch(text):
        return "'" + text
    if guard_quote and text.startswith("'"):
        return "'" + text
    return text
