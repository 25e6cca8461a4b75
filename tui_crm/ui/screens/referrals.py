"""The referral tree: who referred whom, what they are worth, and who still needs thanking."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Header, Static, Tree
from textual.widgets.tree import TreeNode, UnknownNodeID

from tui_crm.core.referrals import ReferralForest, ReferralNode, referral_forest
from tui_crm.errors import CrmError
from tui_crm.ui.background import FollowsTheBook, book
from tui_crm.ui.format import data, format_money_short, tier_text
from tui_crm.ui.keys import ListHoldsKeys, TypeToSearch
from tui_crm.ui.screens.styled import StyledAsNeeded
from tui_crm.ui.widgets.footer import KeysFooter

# Children are added this many at a time, so expanding a referrer of thousands stays quick:
# each Tree rebuild measures every visible label.
BATCH = 200
# Levels shown below a root before the view re-centres: Tree lays its lines out recursively
# and indents every level, so a chain of a thousand would neither fit nor lay out.
DEPTH_LIMIT = 20
# In a centred view, the levels kept above the centre when the path is longer.
KEEP_ABOVE = 5

LEGEND = "own 12-month value · below: brought in (people) · ! referrer not thanked"
EMPTY = (
    "Nobody in the book was referred by another customer yet.\n\n"
    "Set “Referred by” on a customer's form (e on their profile) and the referral shows here."
)


@dataclass(frozen=True)
class More:
    """A leaf standing for the rest of a level; selecting it adds the next batch."""

    referrer_id: int | None  # None for the roots
    offset: int


@dataclass(frozen=True)
class Elided:
    """Stands for the levels of a long chain hidden between a root and the centre."""

    count: int


@dataclass(frozen=True)
class Deeper:
    """At the depth limit: selecting it re-centres the view on this customer."""

    customer_id: int


class Loading:
    """A placeholder leaf while a level is being read."""


@dataclass
class ForestLoaded(Message):
    forest: ReferralForest | None
    roots: list[ReferralNode]
    path: list[ReferralNode]  # the centre's path, top first ([] for the whole forest)
    levels: dict[int, list[ReferralNode]]  # first children of each customer on the path
    names: dict[int, str]  # referrers the view needs to name (hidden ones included)
    hidden: int  # levels of the path hidden between its top and KEEP_ABOVE above the centre
    note: Text | None  # what to show instead of a tree (empty book, centre not in any referral)
    error: str | None


@dataclass
class ChildrenLoaded(Message):
    node_id: int
    referrer_id: int | None
    offset: int
    nodes: list[ReferralNode]
    total: int


@dataclass
class MarksRefreshed(Message):
    forest: ReferralForest
    nodes: dict[tuple[int | None, int], ReferralNode]  # (referrer, customer) -> fresh data


def node_label(node: ReferralNode) -> Text:
    """'Ada Lovelace  gold  1,200 · below 3,400 (5)  ! not thanked'."""
    text = data(node.name or f"#{node.customer_id}", "bold")
    if node.tier:
        text.append("  ")
        text.append_text(tier_text(node.tier))
    text.append(f"  {format_money_short(node.own_12m_cents)}")
    if node.descendant_count:
        below = format_money_short(node.below_12m_cents)
        text.append(f" · below {below} ({node.descendant_count})")
    # Marks are words as well as colours: they must read in 16 colours and without colour.
    if node.thanked is False:
        text.append("  ! not thanked", style="bold red")
    if node.cycle:
        text.append("  ↻ referral loop: shown above", style="bold magenta")
    elif node.in_loop and node.referrer_id is None:
        text.append("  ↻ referral loop", style="bold magenta")
    return text


class ReferralTree(TypeToSearch, Tree[object]):
    """The tree itself; Enter opens rather than toggles; letters typed here search."""

    BINDINGS = [
        Binding("enter", "select_cursor", "Open", id="tree.open"),
        Binding("space", "toggle_node", "Expand", id="tree.toggle"),
        Binding("right", "expand", "Expand", show=False, id="tree.expand"),
        Binding("left", "collapse_or_up", "Collapse", show=False, id="tree.collapse"),
    ]

    def action_expand(self) -> None:
        node = self.cursor_node
        if node is not None and node.allow_expand and not node.is_expanded:
            node.expand()

    def action_collapse_or_up(self) -> None:
        node = self.cursor_node
        if node is None:
            return
        if node.allow_expand and node.is_expanded:
            node.collapse()
        elif node.parent is not None and node.parent is not self.root:
            self.move_cursor(node.parent)


class ReferralTreeScreen(StyledAsNeeded, FollowsTheBook, ListHoldsKeys, Screen):
    BINDINGS = [
        Binding("escape", "app.back", "Back", id="tree.back"),
        Binding("ctrl+l", "thank", "Log thanks", id="tree.thank"),
    ]

    def __init__(self, as_of: date, centre: int | None = None) -> None:
        super().__init__()
        self.as_of = as_of
        self.centre = centre
        self.forest: ReferralForest | None = None
        self.names: dict[int, str] = {}
        self._filled: set[int] = set()  # tree node ids whose children were asked for
        self._shown: dict[int, set[int]] = {}  # tree node id -> customers shown below it

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(LEGEND, id="tree-legend")
        yield Static("Loading referrals…", id="tree-status")
        yield ReferralTree("Referrals", id="referral-tree")
        yield KeysFooter()

    def on_mount(self) -> None:
        tree = self.query_one(ReferralTree)
        tree.show_root = False
        tree.auto_expand = False  # Enter opens the profile; space and → expand
        tree.guide_depth = 3
        tree.display = False
        self.sub_title = "Referrals"
        self.load()

    def refresh_from_book(self) -> None:
        if self.forest is not None:  # back from a profile or the thanks dialog
            self.refresh_marks(self._shown_places())

    # Keys ----------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "thank":
            node = self._highlighted()
            return isinstance(node, ReferralNode) and node.referrer_id is not None
        return True

    def action_thank(self) -> None:
        """Log a thanks from the referrer of the highlighted customer, naming this referral."""
        from tui_crm.ui.screens.log import LogInteractionScreen

        node = self._highlighted()
        if not isinstance(node, ReferralNode) or node.referrer_id is None:
            self.app.notify("Pick a customer who was referred by someone", severity="warning")
            return
        referrer = self.names.get(node.referrer_id, f"#{node.referrer_id}")
        dialog = LogInteractionScreen(
            node.referrer_id,
            referrer,
            kind="thanks",
            regarding=node.customer_id,
            regarding_name=node.name,
        )
        self.app.push_screen(dialog, self._after_thanks)

    def _after_thanks(self, result) -> None:
        if result is not None:
            self.app.notify(result.summary)  # the marks refresh as this screen resumes

    def show_home(self) -> None:
        """Every root referrer again (f3 on the tree's own mode, after "→ more below")."""
        if self.centre is not None:
            self.centre = None
            self.load()

    def on_tree_node_highlighted(self, event: Tree.NodeHighlighted) -> None:
        self.refresh_bindings()  # ctrl+l applies to referred customers only

    def on_tree_node_selected(self, event: Tree.NodeSelected) -> None:
        event.stop()
        data = event.node.data
        if isinstance(data, ReferralNode):
            self.app.open_profile(data.customer_id)
        elif isinstance(data, More):
            self._load_more(event.node, data)
        elif isinstance(data, Deeper):
            self.centre = data.customer_id
            self.load()

    def on_tree_node_expanded(self, event: Tree.NodeExpanded) -> None:
        node = event.node
        data = node.data
        if not isinstance(data, ReferralNode) or node.id in self._filled:
            return
        self._filled.add(node.id)
        if _depth(node) >= DEPTH_LIMIT:
            label = Text(f"→ {data.descendant_count} more below: Enter shows them from here")
            node.add_leaf(label, Deeper(data.customer_id))
            return
        node.add_leaf(Text("loading…", style="italic"), Loading())
        self.read_children(node.id, data.customer_id, 0)

    # Reading -------------------------------------------------------------------------

    def load(self) -> None:
        """Build the forest and the first level (or the path to the centre) off the UI; keys
        typed meanwhile wait for the tree."""
        self.hold_keys()
        self._read_forest()

    LOAD_GROUP = "tree"

    @work(thread=True, exclusive=True, exit_on_error=False, group=LOAD_GROUP)
    def _read_forest(self) -> None:
        try:
            with book(self) as db:
                message = self._read_view(db)
                self.reading_book()  # after its own kept figures were written
        except CrmError as err:
            message = ForestLoaded(None, [], [], {}, {}, 0, None, str(err))
        self.post_message(message)

    def _read_view(self, db) -> ForestLoaded:
        forest = referral_forest(db, self.as_of)
        if self.centre is None:
            note = None if forest.root_count else Text(EMPTY)  # our text: its lines kept
            return ForestLoaded(forest, forest.roots(0, BATCH), [], {}, {}, 0, note, None)
        ids = forest.path_to(self.centre)
        if not ids:
            name = forest.name_of(self.centre) or f"Customer #{self.centre}"
            note = data(
                f"{name} has not referred anyone, and no customer in the book referred them."
            )
            return ForestLoaded(forest, [], [], {}, {}, 0, note, None)
        hidden = max(0, len(ids) - 1 - KEEP_ABOVE - 1)
        shown = ids if not hidden else [ids[0], *ids[-KEEP_ABOVE - 1 :]]
        forest.preload(shown)
        path = [forest.node(cid) for cid in shown]
        levels: dict[int, list[ReferralNode]] = {}
        for node, below in zip(path, [*shown[1:], None], strict=True):
            if hidden and node is path[0]:
                continue  # the root shows only the way down to the centre
            level = forest.children(node.customer_id, 0, BATCH)
            if below is not None and below not in {n.customer_id for n in level}:
                level.append(forest.node(below))  # beyond the first batch: shown anyway
            levels[node.customer_id] = level
        names = {cid: forest.name_of(cid) for n in path if (cid := n.referrer_id) is not None}
        return ForestLoaded(forest, [], path, levels, names, hidden, None, None)

    @work(thread=True, exit_on_error=False, group="tree-level")
    def read_children(self, node_id: int, referrer_id: int | None, offset: int) -> None:
        forest = self.forest
        if forest is None:
            return
        try:
            with book(self):
                if referrer_id is None:
                    nodes, total = forest.roots(offset, BATCH), forest.root_count
                else:
                    nodes = forest.children(referrer_id, offset, BATCH)
                    total = forest.child_count(referrer_id)
        except CrmError as err:
            self.app.call_from_thread(self.app.notify, str(err), severity="error")
            return
        self.post_message(ChildrenLoaded(node_id, referrer_id, offset, nodes, total))

    @work(thread=True, exclusive=True, exit_on_error=False, group="tree-marks")
    def refresh_marks(self, places: list[tuple[int | None, int]]) -> None:
        """Read the forest again and the data of every place shown, to update the labels."""
        fresh: dict[tuple[int | None, int], ReferralNode] = {}
        try:
            with book(self) as db:
                forest = referral_forest(db, self.as_of)
                referrers = sorted({r for r, _ in places if r is not None})
                forest.preload(referrers)
                for referrer in referrers:
                    for node in forest.children(referrer):
                        fresh[(referrer, node.customer_id)] = node
                for referrer, cid in places:
                    if referrer is None and (node := forest.node(cid)) is not None:
                        fresh[(None, cid)] = node
                self.reading_book()  # after its own kept figures were written
        except CrmError as err:
            self.app.call_from_thread(self.app.notify, str(err), severity="error")
            return
        self.post_message(MarksRefreshed(forest, fresh))

    # Showing -------------------------------------------------------------------------

    def on_forest_loaded(self, message: ForestLoaded) -> None:
        try:
            self._show_forest(message)
        finally:
            # After the cursor is placed (the centred view places it after a refresh).
            self.call_after_refresh(self.release_keys)

    def _show_forest(self, message: ForestLoaded) -> None:
        status = self.query_one("#tree-status", Static)
        tree = self.query_one(ReferralTree)
        self.forest = message.forest
        tree.clear()
        self._filled.clear()
        self._shown.clear()
        if message.error or message.note:
            status.update(data(message.error, "bold red") if message.error else message.note)
            status.display, tree.display = True, False
            self.refresh_bindings()
            return
        status.display, tree.display = False, True
        self.names.update(message.names)
        if not message.path:
            self.sub_title = "Referrals"
            self._add_level(tree.root, message.roots, None, 0, message.forest.root_count)
            tree.focus()
            tree.move_cursor_to_line(0) if message.roots else None
        else:
            self._show_path(tree, message)
        self.refresh_bindings()

    def _show_path(self, tree: ReferralTree, message: ForestLoaded) -> None:
        centre = message.path[-1]
        self.sub_title = f"Referrals around {centre.name}"
        node = self._add_node(tree.root, message.path[0])
        self._filled.add(node.id)
        parent = node
        for step, below in enumerate(message.path[1:], start=1):
            if step == 1 and message.hidden:
                label = Text(f"⋮ {message.hidden} more levels of referrals", style="italic")
                parent = parent.add(label, Elided(message.hidden), expand=True, allow_expand=False)
                node = self._add_node(parent, below)
                self._filled.add(node.id)
                parent = node
                continue
            level = message.levels[parent.data.customer_id]
            added = self._add_level(parent, level, parent.data.customer_id, 0, 0)
            self._filled.add(parent.id)
            parent = added[below.customer_id]
        level = message.levels.get(centre.customer_id, [])
        self._add_level(parent, level, centre.customer_id, 0, centre.referred_count)
        self._filled.add(parent.id)
        walk: TreeNode | None = parent
        while walk is not None and walk is not tree.root:
            if walk.allow_expand:
                walk.expand()
            walk = walk.parent
        tree.focus()
        target = parent
        # Lines are laid out on the next refresh; the cursor goes to the centre after it.
        self.call_after_refresh(lambda: tree.move_cursor(target))

    def _add_node(self, parent: TreeNode, node: ReferralNode) -> TreeNode:
        self.names[node.customer_id] = node.name
        self._shown.setdefault(parent.id, set()).add(node.customer_id)
        if node.has_children:
            return parent.add(node_label(node), node)
        return parent.add_leaf(node_label(node), node)

    def _add_level(
        self,
        parent: TreeNode,
        nodes: list[ReferralNode],
        referrer_id: int | None,
        offset: int,
        total: int,
    ) -> dict[int, TreeNode]:
        """Add a batch of a level (skipping customers already shown), then a "more" leaf."""
        shown = self._shown.setdefault(parent.id, set())
        added = {}
        for node in nodes:
            if node.customer_id not in shown:
                added[node.customer_id] = self._add_node(parent, node)
        rest = total - max(offset + len(nodes), len(shown))
        if rest > 0:
            label = Text(f"… {rest:,} more: Enter shows the next {min(rest, BATCH)}")
            parent.add_leaf(label, More(referrer_id, offset + len(nodes)))
        return added

    def _load_more(self, leaf: TreeNode, more: More) -> None:
        parent = leaf.parent
        if parent is None:
            return
        leaf.data = Loading()
        leaf.set_label(Text("loading…", style="italic"))
        self.read_children(parent.id, more.referrer_id, more.offset)

    def on_children_loaded(self, message: ChildrenLoaded) -> None:
        tree = self.query_one(ReferralTree)
        try:
            parent = tree.get_node_by_id(message.node_id)
        except UnknownNodeID:
            return  # the tree was rebuilt meanwhile
        for child in list(parent.children):
            if isinstance(child.data, Loading):
                child.remove()
        self._add_level(parent, message.nodes, message.referrer_id, message.offset, message.total)

    def on_marks_refreshed(self, message: MarksRefreshed) -> None:
        self.forest = message.forest
        tree = self.query_one(ReferralTree)
        stack = list(tree.root.children)
        while stack:
            node = stack.pop()
            stack.extend(node.children)
            data = node.data
            if not isinstance(data, ReferralNode):
                continue
            fresh = message.nodes.get((data.referrer_id, data.customer_id))
            if fresh is not None and fresh != data:
                node.data = fresh
                node.set_label(node_label(fresh))
        self.refresh_bindings()

    # Helpers -------------------------------------------------------------------------

    def _highlighted(self) -> object:
        if not self.is_mounted:
            return None
        node = self.query_one(ReferralTree).cursor_node
        return None if node is None else node.data

    def _shown_places(self) -> list[tuple[int | None, int]]:
        places = []
        stack = list(self.query_one(ReferralTree).root.children)
        while stack:
            node = stack.pop()
            stack.extend(node.children)
            if isinstance(node.data, ReferralNode):
                places.append((node.data.referrer_id, node.data.customer_id))
        return places


def _depth(node: TreeNode) -> int:
    depth = 0
    while node.parent is not None:
        depth += 1
        node = node.parent
    return depth
