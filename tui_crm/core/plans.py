"""Communication plans: which touches each customer gets, and how often.

A plan is a list of touches, each a kind of contact and an interval: "meeting every 3 months,
call every month". Plans are built from the bottom up: the touches for **everyone**, plus
either the touches of the customer's **category** or, without a category, those for
customers **without a category**. The book keeps them in `plan_touch` (migration 15), so the
whole team shares them; `tui-crm plan` prints and sets them, the plan editor (f7 in the
queue, or the palette) edits them.

A touch is answered by an interaction of its kind; a meeting answers a call touch too, and
a `contact` touch is answered by any interaction (the old single cadence: migration 15 made
each into one). The queue's "cadence" reason names the touch that fell due first:
"quarterly meeting due (last meeting 4 months ago)" (core/attention.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from peewee import Database, fn

from tui_crm.core.display import printable
from tui_crm.db.store import store_of
from tui_crm.errors import ConflictError, ValidationError

# The kinds a touch can be, and the interaction kinds that answer each (None: any).
ANSWERED_BY: dict[str, tuple[str, ...] | None] = {
    "contact": None,
    "call": ("call", "meeting"),
    "meeting": ("meeting",),
    "email": ("email",),
    "message": ("message",),
    "thanks": ("thanks",),
}
TOUCH_KINDS = tuple(ANSWERED_BY)
# Words people write for a kind.
_KIND_WORDS = {kind: kind for kind in TOUCH_KINDS} | {
    "any": "contact",
    "gift": "thanks",
    "thank": "thanks",
    "thank-you": "thanks",
    "visit": "meeting",
    "mail": "email",
    "e-mail": "email",
    "text": "message",
    "sms": "message",
}
# Interval words, in days; and the adjectives for the common intervals.
_UNITS = {"day": 1, "week": 7, "fortnight": 14, "month": 30, "quarter": 90, "year": 365}
_EVERY = {
    7: "weekly",
    14: "fortnightly",
    30: "monthly",
    90: "quarterly",
    180: "half-yearly",
    365: "yearly",
}
_ADJECTIVES = {word: days for days, word in _EVERY.items()} | {"annual": 365, "annually": 365}
MAX_DAYS = 3650
DEFAULT_TOUCH_DAYS = 90  # a new category's plan, and a new book's plan without a category

EVERYONE, NO_CATEGORY = "everyone", "none"
# The two plans that are no category's: how the editor labels them, how a sentence names them,
# and the words `tui-crm plan` takes for them.
_SCOPES = {
    EVERYONE: ("Every customer", "every customer", ("everyone", "every customer", "all")),
    NO_CATEGORY: (
        "Without a category",
        "customers without a category",
        ("none", "no category", "without a category"),
    ),
}


@dataclass(frozen=True)
class Touch:
    kind: str
    every_days: int

    @property
    def interval(self) -> str:
        """ "every 3 months", "every 2 weeks", "every 45 days"."""
        days = self.every_days
        for unit, size in (("year", 365), ("month", 30), ("week", 7)):
            if days % size == 0 and not (unit == "month" and days % 365 == 0):
                count = days // size
                return f"every {unit}" if count == 1 else f"every {count} {unit}s"
        return "every day" if days == 1 else f"every {days} days"

    @property
    def text(self) -> str:
        """As written in a plan: "meeting every 3 months"."""
        return f"{self.kind} {self.interval}"

    @property
    def name(self) -> str:
        """As a reason names it: "quarterly meeting", "call every 45 days", "contact every 3
        months"."""
        adjective = _EVERY.get(self.every_days)
        return f"{adjective} {self.kind}" if adjective and self.kind != "contact" else self.text


def plan_text(touches: Iterable[Touch]) -> str:
    """A plan as people write it: "meeting every 3 months, call every month"."""
    return ", ".join(touch.text for touch in touches)


_TOUCH = re.compile(
    r"(?P<kind>[a-z-]+)\s+every\s+(?:(?P<count>\d+)\s*)?(?P<unit>[a-z]+?)s?"
    r"|(?P<adjective>[a-z-]+)\s+(?P<kind2>[a-z-]+)"
)


def parse_plan(text: str) -> tuple[Touch, ...]:
    """Touches from what people write, separated by commas or semicolons: "meeting every 3
    months, call every month", "quarterly meeting; yearly gift", "contact every 90 days".
    Empty: no touches. A touch that cannot be read raises ValidationError (field "plan")."""
    touches = []
    for part in re.split(r"[,;\n]", text):
        words = " ".join(part.lower().split())
        if not words:
            continue
        touch = _touch(words)
        if touch in touches:
            continue
        touches.append(touch)
    return tuple(touches)


def _touch(words: str) -> Touch:
    shown = printable(words, limit=40)
    match = _TOUCH.fullmatch(words)
    if match is None:
        raise ValidationError(
            {"plan": f"'{shown}' is not a touch; write e.g. 'meeting every 3 months'"}
        )
    if match["adjective"]:
        kind_word = match["kind2"]
        days = _ADJECTIVES.get(match["adjective"])
        if days is None:
            raise ValidationError(
                {"plan": f"'{shown}' is not a touch; write e.g. 'call every month'"}
            )
    else:
        kind_word = match["kind"]
        size = _UNITS.get(match["unit"])
        if size is None:
            raise ValidationError(
                {"plan": f"'{match['unit']}' is not days, weeks, months or years (in '{shown}')"}
            )
        count = int(match["count"] or 1)
        days = count * size
    kind = _KIND_WORDS.get(kind_word) or _KIND_WORDS.get(kind_word.removesuffix("s"))
    if kind is None:
        raise ValidationError(
            {"plan": f"'{printable(kind_word, limit=20)}' is not one of {', '.join(TOUCH_KINDS)}"}
        )
    if not 1 <= days <= MAX_DAYS:
        raise ValidationError({"plan": f"'{shown}': a touch comes every day to every 10 years"})
    return Touch(kind, days)


# -- what the book keeps ------------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    """The touches of one scope: `scope` is "everyone", "none" (without a category) or
    "category" with `category_id` and its `category` name."""

    scope: str
    category_id: int | None
    category: str
    touches: tuple[Touch, ...]

    @property
    def label(self) -> str:
        return _SCOPES[self.scope][0] if self.scope in _SCOPES else self.category

    @property
    def said(self) -> str:
        """As a sentence names it: "every customer", "customers without a category"."""
        return _SCOPES[self.scope][1] if self.scope in _SCOPES else self.category

    @property
    def key(self) -> tuple[str, int | None]:
        return (self.scope, self.category_id)


def read_plans(db: Database) -> list[Plan]:
    """Every plan: everyone's, then without a category's, then each category's by name."""
    touches: dict[tuple[str, int | None], list[Touch]] = {}
    for scope, category_id, kind, every in store_of(db).plan_touches():
        touches.setdefault((scope, category_id), []).append(Touch(kind, every))
    plans = [
        Plan(EVERYONE, None, "", tuple(touches.get((EVERYONE, None), ()))),
        Plan(NO_CATEGORY, None, "", tuple(touches.get((NO_CATEGORY, None), ()))),
    ]
    for category_id, name in store_of(db).categories_by_name():
        plans.append(
            Plan("category", category_id, name, tuple(touches.get(("category", category_id), ())))
        )
    return plans


def scope_plan(db: Database, scope: str) -> tuple[Touch, ...]:
    """The touches of one scope as kept ("everyone", "none" or a category's name)."""
    where, category_id, _ = _scope_of(db, scope)
    return _current(db, where, category_id)


def plan_for(db: Database, category_id: int | None) -> tuple[Touch, ...]:
    """The touches a customer in the category (None: without one) gets: everyone's first."""
    return tuple(Touch(kind, every) for kind, every in store_of(db).touches_for(category_id))


def _scope_of(db: Database, scope: str) -> tuple[str, int | None, str]:
    """(scope, category id, shown name) from what people call it: "everyone", "none" or a
    category's name (any case)."""
    words = " ".join(scope.split())
    for name, (_, said, spoken) in _SCOPES.items():
        if words.casefold() in spoken:
            return name, None, said
    row = store_of(db).category_named(words.casefold())
    if row is None:
        raise ValidationError({"category": f"there is no category '{printable(words, limit=60)}'"})
    return "category", row[0], row[1]


def set_plan(
    db: Database, scope: str, touches: Sequence[Touch], *, expected: Sequence[Touch]
) -> bool:
    """Set the plan of a scope ("everyone", "none" or a category's name); True when it
    changed. `expected` is the plan the caller read: one someone else changed since is
    refused (ConflictError), one left as read is not written."""
    if expected is None:
        raise TypeError("set_plan needs the plan it is based on (expected=)")
    with db.atomic():
        where, category_id, shown = _scope_of(db, scope)
        return _set(db, where, category_id, shown, tuple(touches), expected)


def _set(
    db: Database,
    scope: str,
    category_id: int | None,
    shown: str,
    touches: tuple[Touch, ...],
    expected: Sequence[Touch] | None,
) -> bool:
    current = _current(db, scope, category_id)
    if touches == current or (expected is not None and touches == tuple(expected)):
        return False
    if expected is not None and current != tuple(expected):
        raise ConflictError(
            f"someone else changed the plan for {printable(shown, limit=60)} to "
            f"'{plan_text(current) or 'no touches'}' since you opened it; nothing was saved",
            [],
        )
    store_of(db).replace_touches(scope, category_id, [(t.kind, t.every_days) for t in touches])
    return True


def _current(db: Database, scope: str, category_id: int | None) -> tuple[Touch, ...]:
    return tuple(
        Touch(kind, every) for kind, every in store_of(db).scope_touches(scope, category_id)
    )


def save_plans(
    db: Database,
    plans: Sequence[tuple[Plan, tuple[Touch, ...]]],
    new: tuple[str, tuple[Touch, ...] | None] | None = None,
) -> int:
    """Save the plan editor at once, all or nothing: each plan as read with its touches now,
    and a `new` category (name, touches; None: the default plan). A plan someone else changed since it was read is
    refused (ConflictError) and nothing is saved. Returns how many plans changed."""
    changed = 0
    with db.atomic():
        for read, touches in plans:
            if read.scope == "category" and not store_of(db).category_exists(read.category_id):
                raise ConflictError(
                    f"someone else removed the category '{printable(read.category, limit=60)}' "
                    "since you opened it; nothing was saved",
                    [],
                )
            changed += _set(db, read.scope, read.category_id, read.said, touches, read.touches)
        if new is not None:
            add_category(db, new[0], touches=new[1])
            changed += 1
    return changed


def add_category(db: Database, name: str, *, touches: Sequence[Touch] | None = None) -> int:
    """Add a category with its plan (by default "contact every 90 days"); return its id. One
    by that name (any case) is refused: its plan is changed in its own row."""
    name = " ".join(name.split())
    if not name:
        raise ValidationError({"name": "a category needs a name"})
    if touches is None:
        touches = (Touch("contact", DEFAULT_TOUCH_DAYS),)
    from tui_crm.db.models import Category  # the models load on first use

    with db.atomic():
        existing = Category.get_or_none(fn.casefold(Category.name) == name.casefold())
        if existing is not None:
            raise ConflictError(
                f"there is already a category '{printable(existing.name, limit=60)}'; "
                "change its plan in its own row; nothing was saved",
                [],
            )
        category_id = Category.create(name=name).id
        _set(db, "category", category_id, name, tuple(touches), None)
        return category_id


# -- when touches were answered -----------------------------------------------------------------


def answered_by(kind: str) -> str:
    """What answers a touch of `kind`, said: "call or meeting", "contact"."""
    return " or ".join(ANSWERED_BY[kind] or (kind,))


def answer_sql(kind: str, customer: str = "c") -> str:
    """SQL for when a customer's touch of `kind` was last answered (NULL: never)."""
    kinds = ANSWERED_BY[kind]
    if kinds is None:
        return f"{customer}.last_contact_at"
    listed = ", ".join(f"'{k}'" for k in kinds)
    return (
        f"(SELECT max(at) FROM interaction WHERE customer_id = {customer}.id "
        f"AND kind IN ({listed}))"
    )


@dataclass(frozen=True)
class TouchDue:
    touch: Touch
    last: date | None  # when it was last answered (None: never since they were added)
    due: date  # the first day it is due


def touches_due(db: Database, customer_id: int, today: date) -> list[TouchDue]:
    """The customer's touches due on `today`, first due first."""
    return touches_due_for(db, [customer_id], today).get(customer_id, [])


def touches_due_for(db: Database, ids: Sequence[int], today: date) -> dict[int, list[TouchDue]]:
    """Each customer's touches due on `today`, first due first (for the texts of the queue):
    the customers, their last interaction of each kind and the plans, read once for all."""
    if not ids:
        return {}
    people = store_of(db).touch_people(ids)
    last_of: dict[tuple[int, str], str] = {
        (cid, kind): at for cid, kind, at in store_of(db).last_of_each_kind(ids)
    }
    plans: dict[int | None, tuple[Touch, ...]] = {}
    out: dict[int, list[TouchDue]] = {}
    for cid, category_id, created, last_contact in people:
        if category_id not in plans:
            plans[category_id] = plan_for(db, category_id)
        added = _day(created)
        due_now = []
        for touch in plans[category_id]:
            kinds = ANSWERED_BY[touch.kind]
            answers = (
                [last_contact] if kinds is None else [last_of.get((cid, kind)) for kind in kinds]
            )
            answered = max((at for at in answers if at), default=None)
            last = _day(answered) if answered else None
            due = date.fromordinal(max(added, last or added).toordinal() + touch.every_days + 1)
            if due <= today:
                due_now.append(TouchDue(touch, last, due))
        due_now.sort(key=lambda d: (d.due, d.touch.every_days))
        out[cid] = due_now
    return out


def _day(value) -> date:
    return date.fromisoformat(str(value)[:10])
