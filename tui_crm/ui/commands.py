"""Command palette providers: jump to a customer by name (the fixed commands live on the app)."""

from __future__ import annotations

import asyncio
from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.content import Content
from textual.fuzzy import Matcher

from tui_crm.core.display import printable
from tui_crm.core.query import Query, Word
from tui_crm.core.rows import CustomerRow
from tui_crm.errors import CrmError
from tui_crm.ui.background import book


class CustomerProvider(Provider):
    """Typing a name in the palette offers "Open <customer>" for the best matches."""

    def _find(self, text: str) -> list[CustomerRow]:
        app = self.app
        words = tuple(Word(w) for w in text.split())
        try:
            with book(self) as db:
                from tui_crm.core.search import search

                return search(db, Query(words=words), as_of=app.today(), limit=10)
        except CrmError as err:
            app.call_from_thread(app.notify, str(err), severity="error")
            return []

    async def search(self, query: str) -> Hits:
        if not query.strip():
            return
        rows = await asyncio.to_thread(self._find, query)
        matcher = self.matcher(query)
        for row in rows:
            label = printable(f"Open {row.name}" + (f" ({row.company})" if row.company else ""))
            score = matcher.match(label) or 0.5  # full-text matched it even if the label differs
            yield Hit(
                score,
                _highlight(matcher, label),
                partial(self.app.open_profile, row.id),
                text=label,
                # Content, not a str: the palette reads a str help as markup.
                help=Content(
                    printable(" · ".join(x for x in (row.phone, row.city, row.tier) if x))
                ),
            )

    async def discover(self) -> Hits:
        yield DiscoveryHit("Type a customer's name to open their profile", lambda: None)


def _highlight(matcher: Matcher, label: str) -> Content:
    """`Matcher.highlight` without its markup parsing: a name is never markup."""
    content = Content(label)
    score, offsets = matcher.fuzzy_search.match(matcher.query, label)
    for offset in offsets if score else ():
        if not label[offset].isspace():
            content = content.stylize(matcher.match_style, offset, offset + 1)
    return content
