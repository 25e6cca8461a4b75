"""The help overlay (f1, `?`): this screen's keys, the keys that work everywhere, and on Search
the query language with examples."""

from __future__ import annotations

import re
from dataclasses import dataclass

from rich.table import Table
from rich.text import Text
from textual import events
from textual.actions import parse as parse_action
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingsMap
from textual.containers import VerticalScroll
from textual.content import Content
from textual.dom import DOMNode
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

from tui_crm.ui.format import data


@dataclass(frozen=True)
class KeyLine:
    """One action: the keys that run it (as shown in the footer) and what it does."""

    keys: str
    description: str
    enabled: bool = True  # False: not where the cursor is now (nothing highlighted, a field)


@dataclass(frozen=True)
class QueryHelp:
    """The query language in a screenful: every query in `qualifiers` and `examples` is one
    the parser (core/query.py) accepts, and a test holds it to that."""

    intro: str
    qualifiers: tuple[tuple[str, str], ...]
    notes: str
    examples: tuple[tuple[str, str], ...]


# Taken from the README's "The query language"; kept short enough to read at 80×24.
QUERY_HELP = QueryHelp(
    intro=(
        "Type words: each must start a word of the name, company, phone, email, address, "
        'tags or notes. "big order" in quotes matches the phrase. Add qualifiers:'
    ),
    qualifiers=(
        ("tag:vip", "has the tag; repeated, has all of them"),
        ("city:oslo source:ads", "equals; also country: territory:"),
        ('city:"new york"', "quotes keep spaces in a value"),
        ("company:acme", "the company name contains"),
        ("owner:me owner:anna", "whose customer (me is you)"),
        ('category:"key account"', "the customer's category"),
        ("tier:gold", "gold, silver or none"),
        ("gender:f", "f, m or x"),
        ("status:lapsed", "active, lapsed (stopped buying) or lost"),
        ("due:overdue", "next follow-up: today, overdue or week"),
        ("reason:thank_referrer", "on Needs attention today for that reason"),
        ("referred_by:42", "referred by customer #42"),
        ("spent12m>=1000", "also spent30d, lifetime; > >= < <= ="),
        ("sort:-value,name", "up to two keys; - for descending"),
    ),
    notes=(
        "A - before a word or qualifier excludes it (-tag:newsletter); a comma means any "
        "of them (city:oslo,bergen)."
    ),
    examples=(
        ("rob smith", "Rob Smith first, then Robs, Smiths"),
        ("tier:gold city:oslo", "gold customers in Oslo"),
        ("-tag:newsletter due:overdue", "overdue, not on the newsletter"),
        ("spent30d>500 gender:f", "women who spent over 500 in 30 days"),
        ("status:lapsed sort:-value", "stopped buying, most valuable first"),
        ("tag:vip,partner owner:me", "mine, tagged vip or partner"),
        ('"big order" -status:lost', "notes say big order; not lost"),
        ("due:today sort:name", "follow-ups due today, by name"),
    ),
)

# Bindings from Textual's own widgets (an Input's cursor moves, delete word, copy and paste; a
# table's page keys) are left out; ours that only move the highlight or scroll are too.
_MOVES = re.compile(r"^(cursor|scroll|page)_")
_PALETTE = "Command palette; type a name to open a customer"


def _own_bindings(node: DOMNode) -> set[tuple[str, str]]:
    """(action, description) of the bindings tui-crm's classes declare for `node`."""
    own: set[tuple[str, str]] = set()
    for cls in type(node).__mro__:
        if cls.__module__.startswith("tui_crm.") and "BINDINGS" in cls.__dict__:
            for binding in Binding.make_bindings(cls.__dict__["BINDINGS"]):
                own.add((binding.action, binding.description))
    return own


def _binding_id(binding: Binding) -> str:
    """What a binding is called whichever key the config gives it."""
    return binding.id or f"{binding.key} {binding.action}"


def _key_lines(app: App, nodes: list[DOMNode], over: Screen, shown_first: bool) -> list[KeyLine]:
    """The described actions bound on `nodes` (nearest first), one line per action with all
    its keys as the app shows them (remapped keys included); with `shown_first`, the footer's
    keys before the hidden ones. An action that does not apply just now (nothing highlighted,
    the cursor in a field) is still listed, as not enabled: help says what the screen can do.
    """
    found: dict[tuple[int, str], tuple[list[str], Binding, bool]] = {}
    for node in nodes:
        own = _own_bindings(node)
        # In the order they are declared, with the keys the config maps them to.
        remapped: BindingsMap = node._bindings.copy()
        if app._keymap:
            remapped.apply_keymap(app._keymap)
        keys_of: dict[str, list[str]] = {}
        for _key, binding in remapped:
            keys_of.setdefault(_binding_id(binding), []).append(app.get_key_display(binding))
        for _key, binding in node._bindings:
            if not binding.description or binding.system:
                continue
            palette = node is app and binding.action in ("command_palette", "app.command_palette")
            if not palette and (binding.action, binding.description) not in own:
                continue
            if not binding.show and _MOVES.match(parse_action(binding.action)[1]):
                continue
            target, name, params = _target(app, over, node, binding.action)
            action_id = (id(target), f"{name}{params!r}")
            shown = keys_of.get(_binding_id(binding), [])
            if action_id in found:
                keys = found[action_id][0]
                keys.extend(key for key in shown if key not in keys)
                continue
            try:
                enabled = bool(target.check_action(name, params))
            except Exception:  # a check that fails (a half-built screen) hides nothing
                enabled = True
            if palette:
                binding = Binding(binding.key, binding.action, _PALETTE, show=False)
            found[action_id] = (list(dict.fromkeys(shown)), binding, enabled)
    lines = [
        (shown_first and not binding.show, KeyLine(" ".join(keys), binding.description, enabled))
        for keys, binding, enabled in found.values()
    ]
    return [line for _hidden, line in sorted(lines, key=lambda pair: pair[0])]


def _target(
    app: App, over: Screen, node: DOMNode, action: str
) -> tuple[DOMNode, str, tuple[object, ...]]:
    """Where `action`, bound on `node` of screen `over`, runs."""
    destination, name, params = parse_action(action)
    if destination == "app":
        return app, name, params
    if destination == "screen":
        return over, name, params
    if destination == "focused" and over.focused is not None:
        return over.focused, name, params
    return node, name, params


def screen_keys(over: Screen) -> list[KeyLine]:
    """The actions of screen `over` and of the widget focused on it (and its containers)."""
    focused = over.focused
    nodes: list[DOMNode] = []
    node: DOMNode | None = focused
    while node is not None and node is not over:
        nodes.append(node)
        node = node.parent
    nodes.append(over)
    return _key_lines(over.app, nodes, over, shown_first=True)


def app_keys(app: App, over: Screen) -> list[KeyLine]:
    """The app's own keys: they work on every full screen."""
    return _key_lines(app, [app], over, shown_first=False)


def screen_name(over: Screen) -> Text:
    """What to call screen `over`: its sub-title (Needs attention, Insights as of …) or its
    kind ("Profile: Robert Smith"), the kind taken from its class (ProfileScreen)."""
    kind = (
        getattr(over, "HELP_TITLE", "")
        or re.sub(r"(?<!^)(?=[A-Z])", " ", type(over).__name__.removesuffix("Screen")).capitalize()
    )
    sub = over.sub_title or ""
    if not sub:
        return data(kind)
    if kind.split()[0].lower().rstrip("s") in sub.lower():
        return data(sub)
    return data(f"{kind}: {sub}")


def _key_table(lines: list[KeyLine]) -> Table:
    table = Table.grid(padding=(0, 2))
    table.add_column(no_wrap=True, min_width=8)
    table.add_column()
    for line in lines:
        style = "" if line.enabled else "dim"
        table.add_row(Text(line.keys, style=f"bold {style}"), Text(line.description, style=style))
    return table


def _example_table(rows: tuple[tuple[str, str], ...]) -> Table:
    table = Table.grid(padding=(0, 2))
    table.add_column(no_wrap=True)
    table.add_column()
    for query, meaning in rows:
        table.add_row(Text(query, style="bold"), Text(meaning))
    return table


class HelpScreen(ModalScreen[None]):
    """Over the screen it was opened on, which keeps its size and its focus: what the keys
    do there. Escape (or the help key again) closes it."""

    HOLDS_WORK = False  # ctrl+f closes it and goes to Search

    BINDINGS = [Binding("escape", "dismiss(None)", "Close", id="help.close")]

    def __init__(self, over: Screen) -> None:
        super().__init__()
        # Read now, while `over` is on top with its focus: "screen." actions mean it.
        self.over_name = screen_name(over)
        self.here = screen_keys(over)
        self.everywhere = app_keys(over.app, over)
        from tui_crm.ui.screens.search import SearchScreen

        self.searching = isinstance(over, SearchScreen)

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-body"):
            yield Static(Text.assemble("This screen — ", self.over_name), classes="help-title")
            yield Static(_key_table(self.here), classes="help-keys")
            if not all(line.enabled for line in self.here):
                yield Static(Text("Dimmed: not where the cursor is now."), classes="help-text")
            yield Static(Text("Everywhere"), classes="help-title")
            yield Static(_key_table(self.everywhere), classes="help-keys")
            if self.searching:
                yield Static(Text("Searching"), classes="help-title")
                yield Static(Text(QUERY_HELP.intro), classes="help-text")
                yield Static(_example_table(QUERY_HELP.qualifiers), classes="help-keys")
                yield Static(Text(QUERY_HELP.notes), classes="help-text")
                yield Static(Text("Examples"), classes="help-subtitle")
                yield Static(_example_table(QUERY_HELP.examples), classes="help-keys")

    def on_mount(self) -> None:
        body = self.query_one("#help-body", VerticalScroll)
        body.border_title = Content("Help")
        body.focus()
        self.call_after_refresh(self._show_hint)

    def on_resize(self) -> None:
        self.call_after_refresh(self._show_hint)

    def _show_hint(self) -> None:
        """How to close it, in the bottom border, and how to scroll when there is more."""
        body = self.query_one("#help-body", VerticalScroll)
        hint = "esc closes"
        if body.max_scroll_y:
            hint += " · ↑ ↓ PgUp PgDn scroll"
            if self.searching:
                hint += " · query language below"
        body.border_subtitle = Content(hint)

    def on_key(self, event: events.Key) -> None:
        """The help keys (f1 and ?, or what the config maps them to) close it too: the app's
        own bindings do not reach past an overlay."""
        bindings = self.app._bindings.copy()
        if self.app._keymap:
            bindings.apply_keymap(self.app._keymap)
        if any(b.action == "toggle_help" for b in bindings.key_to_bindings.get(event.key, [])):
            event.stop()
            event.prevent_default()
            self.dismiss(None)
