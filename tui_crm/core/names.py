"""Names as compared: case, accents and punctuation aside (Müller = MULLER, O'Brien = OBrien)."""

from __future__ import annotations

import unicodedata
from functools import lru_cache

_FOLD = str.maketrans(
    {
        "ø": "o",
        "æ": "ae",
        "œ": "oe",
        "ł": "l",
        "đ": "d",
        "ð": "d",
        "þ": "th",
        "ı": "i",
        "'": "",
        "’": "",
        "`": "",
    }
)


@lru_cache(maxsize=65536)
def fold_name(text: str) -> str:
    """A name for comparing: case, accents and punctuation folded (Müller, MULLER → muller;
    O'Brien → obrien; Smith-Jones → smith jones)."""
    text = unicodedata.normalize("NFKD", text.casefold().translate(_FOLD))
    text = "".join(" " if not ch.isalnum() else ch for ch in text if not unicodedata.combining(ch))
    return " ".join(text.split())
