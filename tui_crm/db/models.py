"""peewee models mirroring the schema that the migrations create."""

from __future__ import annotations

from peewee import (
    AutoField,
    BooleanField,
    CompositeKey,
    DateField,
    DateTimeField,
    FloatField,
    ForeignKeyField,
    IntegerField,
    Model,
    TextField,
)

from tui_crm.db.database import db

INTERACTION_KINDS = ("call", "email", "meeting", "message", "thanks", "note")
# The statuses someone can type. "lapsed" is worked out from the purchases (core/attention.py):
# migration 9 turned every typed one into "active", and the schema's CHECK still allows it
# only because rebuilding the customer table is not worth it. Nothing writes it.
STATUSES = ("active", "lost")
GENDERS = ("", "f", "m", "x")


class BaseModel(Model):
    class Meta:
        database = db
        legacy_table_names = False


class Meta(BaseModel):
    key = TextField(primary_key=True)
    value = TextField()


class Category(BaseModel):
    id = AutoField()
    name = TextField(unique=True)


class PlanTouch(BaseModel):
    """One touch of a communication plan (migration 15, core/plans.py): a kind of contact and
    how often, for everyone, for the customers without a category ("none") or a category."""

    id = AutoField()
    scope = TextField()
    category = ForeignKeyField(Category, null=True, backref="touches", on_delete="CASCADE")
    kind = TextField()
    every_days = IntegerField()
    position = IntegerField(default=0)


class Customer(BaseModel):
    id = AutoField()
    uid = TextField(null=True, unique=True)
    first_name = TextField(default="")
    last_name = TextField(default="")
    nickname = TextField(default="")
    prefix = TextField(default="")  # Dr., Mr. (migration 8)
    suffix = TextField(default="")  # Jr., PhD
    company = TextField(default="")
    job_title = TextField(default="")
    gender = TextField(default="")
    birthday = DateField(null=True)
    street = TextField(default="")
    postal_code = TextField(default="")
    city = TextField(default="")
    region = TextField(default="")
    country = TextField(default="")
    source = TextField(default="")
    acquired_on = DateField(null=True)
    referred_by = ForeignKeyField("self", null=True, backref="referrals", on_delete="SET NULL")
    why_chose_us = TextField(default="")
    category = ForeignKeyField(Category, null=True, on_delete="SET NULL")
    owner = TextField(default="")
    territory = TextField(default="")
    status = TextField(default="active")
    lost_reason = TextField(default="")
    lost_on = DateField(null=True)
    email_opt_out = BooleanField(default=False)
    email_opt_out_at = DateTimeField(null=True)
    notes = TextField(default="")
    version = IntegerField(default=1)
    created_at = DateTimeField()
    updated_at = DateTimeField()
    deleted_at = DateTimeField(null=True)
    # Kept current by triggers (db/derived.py); never written by the application.
    last_contact_at = DateTimeField(null=True)
    next_follow_up = DateField(null=True)
    lifetime_cents = IntegerField(default=0)
    purchase_count = IntegerField(default=0)
    last_purchase_on = DateField(null=True)


class CustomerEmail(BaseModel):
    id = AutoField()
    customer = ForeignKeyField(Customer, backref="emails", on_delete="CASCADE")
    label = TextField(default="work")
    address = TextField()
    position = IntegerField(default=0)


class CustomerPhone(BaseModel):
    id = AutoField()
    customer = ForeignKeyField(Customer, backref="phones", on_delete="CASCADE")
    label = TextField(default="mobile")
    number = TextField()  # E.164 when verified, else as typed (without the extension)
    national = TextField(default="")  # national significant number (unverified: all digits)
    position = IntegerField(default=0)
    verified = BooleanField(default=True)  # migration 7
    extension = TextField(default="")  # digits only; "" for none
    shown = TextField(default="")  # format_phone(number), kept as written (migration 11)


class Tag(BaseModel):
    id = AutoField()
    name = TextField(unique=True)


class CustomerTag(BaseModel):
    customer = ForeignKeyField(Customer, backref="tag_links", on_delete="CASCADE")
    tag = ForeignKeyField(Tag, on_delete="CASCADE")

    class Meta:
        primary_key = CompositeKey("customer", "tag")
        without_rowid = True


class Interaction(BaseModel):
    id = AutoField()
    customer = ForeignKeyField(Customer, backref="interactions", on_delete="CASCADE")
    kind = TextField(default="call")
    at = DateTimeField()
    notes = TextField(default="")
    outcome = TextField(default="")
    follow_up = DateField(null=True)
    follow_up_done = BooleanField(default=False)
    follow_up_time = TextField(default="")  # "HH:MM", or "" for the day alone (migration 16)
    regarding = ForeignKeyField(Customer, null=True, backref="+", on_delete="SET NULL")
    logged_by = TextField(default="")
    created_at = DateTimeField()
    version = IntegerField(default=1)


class Purchase(BaseModel):
    id = AutoField()
    customer = ForeignKeyField(Customer, backref="purchases", on_delete="CASCADE")
    day = DateField()
    cents = IntegerField()
    currency = TextField(default="USD")
    description = TextField(default="")
    category = TextField(default="")
    invoice_ref = TextField(default="")
    created_at = DateTimeField()
    version = IntegerField(default=1)


class CustomerChange(BaseModel):
    id = AutoField()
    customer = ForeignKeyField(Customer, backref="changes", on_delete="CASCADE")
    at = DateTimeField()
    who = TextField(default="")
    field = TextField()
    old = TextField(null=True)
    new = TextField(null=True)
    version = IntegerField(default=0)


class CustomerValue(BaseModel):
    """Per-customer value as of the date in meta `values_as_of` (core/value.py refreshes it)."""

    customer = ForeignKeyField(Customer, primary_key=True, on_delete="CASCADE")
    spent_30d = IntegerField()
    spent_12m = IntegerField()
    lifetime = IntegerField()
    value_rank = IntegerField()
    tier = TextField(default="")


class AttentionMark(BaseModel):
    """A needs-attention reason snoozed until a day, or done (its clock restarts then)."""

    customer = ForeignKeyField(Customer, on_delete="CASCADE")
    reason = TextField()
    snoozed_until = DateField(null=True)
    done_at = DateTimeField(null=True)
    who = TextField(default="")

    class Meta:
        primary_key = CompositeKey("customer", "reason")
        without_rowid = True


class PurchaseRhythm(BaseModel):
    """A customer's purchase days: how many, the first and the last as day numbers
    (core/attention.py); kept by the purchase triggers (db/derived.py)."""

    customer = ForeignKeyField(Customer, primary_key=True, on_delete="CASCADE")
    purchases = IntegerField()
    first_day = IntegerField()
    last_day = IntegerField()


ALL_MODELS = [
    Meta,
    Category,
    Customer,
    CustomerEmail,
    CustomerPhone,
    Tag,
    CustomerTag,
    Interaction,
    Purchase,
    CustomerChange,
    CustomerValue,
    AttentionMark,
    PurchaseRhythm,
]


class DuplicateDismissal(BaseModel):
    """Two customers a user said are not duplicates (lower id first; core/duplicates.py)."""

    customer_a = ForeignKeyField(Customer, backref="+", on_delete="CASCADE")
    customer_b = ForeignKeyField(Customer, backref="+", on_delete="CASCADE")
    dismissed_at = DateTimeField()
    who = TextField(default="")

    class Meta:
        primary_key = CompositeKey("customer_a", "customer_b")
        without_rowid = True


ALL_MODELS.append(DuplicateDismissal)


class UndoStep(BaseModel):
    """One undoable action (core/undo.py): what to say, whose, and what undoing it needs."""

    id = AutoField()
    at = DateTimeField()
    who = TextField(default="")
    kind = TextField()
    label = TextField()
    customer = ForeignKeyField(Customer, backref="+", on_delete="CASCADE")
    other = ForeignKeyField(Customer, null=True, backref="+", on_delete="CASCADE")
    payload = TextField(default="{}")
    undone_at = DateTimeField(null=True)


ALL_MODELS.append(UndoStep)


# Migration 10: summaries kept as rows are written (db/derived.py, "Maintained figures"). No
# foreign key to customer, so a merge leaves them to be worked out again.


class AttentionScore(BaseModel):
    """A customer's needs-attention score and weighted reasons for the day `computed_on`, the
    same until the day `valid_until` (core/attention.py; 0 there: a write changed what they
    come from), and the facts they were worked out from."""

    customer_id = IntegerField(primary_key=True)
    score = FloatField(null=True)
    name_key = TextField(null=True)
    spent = IntegerField(null=True)
    w_follow_up_overdue = FloatField(null=True)
    w_follow_up_due = FloatField(null=True)
    w_cadence = FloatField(null=True)
    w_gold_quiet = FloatField(null=True)
    w_lapsed = FloatField(null=True)
    w_thank_referrer = FloatField(null=True)
    w_incomplete_profile = FloatField(null=True)
    computed_on = IntegerField(default=0)
    valid_until = IntegerField(default=0)
    # What the rules read that only writes change (core/attention.py, BOOK_FACTS).
    nfu = IntegerField(null=True)
    heard = IntegerField(null=True)
    cadence = IntegerField(null=True)
    quiet_limit = IntegerField(null=True)
    again_days = FloatField(null=True)
    lapse_since = IntegerField(null=True)
    lapse_wait = FloatField(null=True)
    oldest = IntegerField(null=True)
    newest = IntegerField(null=True)
    marked = IntegerField(null=True)
    created_day = IntegerField(null=True)
    blank = IntegerField(null=True)
    value_factor = FloatField(null=True)  # 1 + log10(1 + 12-month spend in hundreds)
    # The plan touch that falls due first, and the day it was last answered (migration 15).
    touch_id = IntegerField(null=True)
    touch_heard = IntegerField(null=True)


class ReferralFigure(BaseModel):
    """A customer in a live referral: their referrer and the 12-month value and number of the
    customers below them (core/referrals.py)."""

    customer_id = IntegerField(primary_key=True)
    referrer_id = IntegerField(null=True)
    cut = IntegerField(default=0)
    in_loop = IntegerField(default=0)
    root = IntegerField(default=0)
    own_12m = IntegerField(default=0)
    below_12m = IntegerField(default=0)
    total_12m = IntegerField(default=0)
    descendants = IntegerField(default=0)
    referred = IntegerField(default=0)


class ReferralDirty(BaseModel):
    """A customer whose referral or 12-month value changed since the figures were read."""

    customer_id = IntegerField(primary_key=True)


ALL_MODELS += [AttentionScore, ReferralFigure, ReferralDirty, PlanTouch]


# Migration 12: the duplicate pairs kept as rows are written (core/duplicates_kept.py; the
# triggers are in db/derived.py, "Kept duplicate pairs"). No foreign key to customer.


class DuplicatePerson(BaseModel):
    """A live customer's facts the duplicate pairs read, names folded."""

    customer_id = IntegerField(primary_key=True)
    first = TextField()
    last = TextField()
    company = TextField()
    birthday = TextField(null=True)
    gender = TextField()
    first_key = TextField()
    last_key = TextField()
    last_sound = TextField()
    company_key = TextField()
    address_key = TextField()


class DuplicateNameCount(BaseModel):
    """How many named customers carry a folded first (`f`) or last (`l`) name."""

    part = TextField()
    key = TextField()
    n = IntegerField()

    class Meta:
        primary_key = CompositeKey("part", "key")
        without_rowid = True


class DuplicateLink(BaseModel):
    """Two name groups whose names match: whether their names are rare enough in the book to
    pair everyone in them, and bounds of their name counts' product."""

    first_a = TextField()
    last_a = TextField()
    first_b = TextField()
    last_b = TextField()
    rare = IntegerField()
    p_lo = IntegerField()
    p_hi = IntegerField()

    class Meta:
        primary_key = CompositeKey("last_a", "first_a", "last_b", "first_b")
        without_rowid = True


class DuplicateContact(BaseModel):
    """A pair a shared email or phone (`key`, as compared) gives, and the text shown for it."""

    customer_a = IntegerField()
    customer_b = IntegerField()
    code = TextField()
    key = TextField()
    label = TextField()

    class Meta:
        primary_key = CompositeKey("customer_a", "customer_b", "code", "key")
        without_rowid = True


class DuplicateNamePair(BaseModel):
    """A pair the names give, with its reason."""

    customer_a = IntegerField()
    customer_b = IntegerField()
    code = TextField()
    text = TextField()

    class Meta:
        primary_key = CompositeKey("customer_a", "customer_b")
        without_rowid = True


class DuplicatePairRow(BaseModel):
    """A pair as listed: its score (0-1) and reasons (JSON [code, text] pairs)."""

    customer_a = IntegerField()
    customer_b = IntegerField()
    score = FloatField()
    reasons = TextField()

    class Meta:
        table_name = "duplicate_pair"
        primary_key = CompositeKey("customer_a", "customer_b")
        without_rowid = True


class DuplicateDirty(BaseModel):
    """A customer whose facts for the duplicate pairs changed since they were read."""

    customer_id = IntegerField(primary_key=True)


class DuplicateDirtyContact(BaseModel):
    """An email or phone a customer gained or lost since the pairs were read."""

    code = TextField()
    key = TextField()

    class Meta:
        primary_key = CompositeKey("code", "key")
        without_rowid = True


ALL_MODELS += [
    DuplicatePerson,
    DuplicateNameCount,
    DuplicateLink,
    DuplicateContact,
    DuplicateNamePair,
    DuplicatePairRow,
    DuplicateDirty,
    DuplicateDirtyContact,
]
