"""The customer's fields, declared once: each one's name, label, kind, group, and how each file
format spells it. Validation, merge, the form, the CSV and vCard import and export build their
lists from `CUSTOMER_FIELDS`; a new field is one line there (plus its migration and model
column, which stay in tui_crm/db).

Orders: the declaration is in the order of our CSV export's columns (after `id`); the merge
chooser and the form show the same fields grouped differently (`MERGE_GROUPS`, `FORM_GROUPS`),
each group's fields in declaration order."""

from __future__ import annotations

from dataclasses import dataclass

# What a field holds, and so how it is cleaned, stored, compared and written:
#   text       one line of text                multiline  text that may hold line breaks
#   date       a day (or None)                 list       emails, phones, tags (other tables)
#   choice     one of a few words (gender, status)
#   bool       yes/no                          reference  another row (customer, category)
#   key        the stable key exports carry (vCard UID)
KINDS = ("text", "multiline", "date", "list", "choice", "bool", "reference", "key")


@dataclass(frozen=True)
class CustomerField:
    name: str  # as the domain, SourceRow.values, CustomerRecord and our CSV header spell it
    label: str  # as the merge chooser and import reports show it
    kind: str  # see KINDS
    group: str  # see GROUPS: where the merge chooser and the form show it
    vcard: str = ""  # the vCard property that carries it (X-TUICRM-* for our own)
    words: str = ""  # header cells a CSV import reads as this field ("a|b|c")
    form_label: str | None = None  # the form's label when it is not `label`
    form: str | None = None  # the form's widget when not the kind's (see FORM_WIDGETS)
    hint: str = ""  # the form's placeholder (a checkbox's text)
    choices: tuple[tuple[str, str], ...] = ()  # a choice's (shown, value), the default first
    on_form: bool = True
    free_text: bool = False  # added to, never replaced: by an import, by "both" in a merge

    @property
    def csv(self) -> str:
        """Our own CSV layout's column for it."""
        return self.name

    @property
    def shown_on_form(self) -> str:
        return self.form_label or self.label

    @property
    def widget(self) -> str:
        """input, area (TextArea), select, checkbox, picker (a button) or slots."""
        return self.form or FORM_WIDGETS[self.kind]


FORM_WIDGETS = {
    "text": "input",
    "multiline": "area",
    "date": "input",
    "list": "input",
    "choice": "select",
    "bool": "checkbox",
    "reference": "select",
    "key": "input",
}
_F = CustomerField
_DAY = "YYYY-MM-DD"

# fmt: off
CUSTOMER_FIELDS: tuple[CustomerField, ...] = (
    _F("uid", "vCard UID", "key", "key", "UID",
       words="uid|external id|external_id|contact id|crm id|record id|customer id", on_form=False),
    _F("first_name", "First name", "text", "name", "N",
       words="first name|first|given name|forename|firstname|vorname|prénom|fornavn|förnamn|"
       "voornaam"),
    _F("last_name", "Last name", "text", "name", "N",
       words="last name|last|surname|family name|lastname|nachname|nom|nom de famille|etternavn|"
       "efternamn|achternaam"),
    _F("nickname", "Nickname", "text", "name", "NICKNAME",
       words="nickname|nick name|spitzname|surnom"),
    _F("company", "Company", "text", "work", "ORG",
       words="company|company name|organization|organisation|organization name|firma|société|"
       "entreprise|employer|business name|account name|unternehmen"),
    _F("job_title", "Job title", "text", "work", "TITLE",
       words="job title|title|position|role|organization title|occupation|profession|fonction|"
       "berufsbezeichnung|beruf|titre|stellung"),
    _F("gender", "Gender", "choice", "person", "GENDER", words="gender|sex|geschlecht|sexe",
       choices=(("—", ""), ("female", "f"), ("male", "m"), ("other", "x"))),
    _F("birthday", "Birthday", "date", "person", "BDAY", hint=_DAY,
       words="birthday|date of birth|dob|birth date|birthdate|geburtstag|geburtsdatum|"
       "anniversaire|date de naissance|bday"),
    _F("street", "Street", "multiline", "address", "ADR", form="input",
       words="street|address|street address|address line 1|address line 2|address line 3|"
       "address 1|address 2|street 2|addr|straße|strasse|rue|adresse|mailing street"),
    _F("postal_code", "Postal code", "text", "address", "ADR",
       words="zip|zip code|zipcode|postcode|post code|postal code|plz|postleitzahl|code postal|"
       "cp|postnummer|mailing zip"),
    _F("city", "City", "text", "address", "ADR",
       words="city|town|ort|ville|stadt|locality|poststed|mailing city"),
    _F("region", "Region", "text", "address", "ADR", form_label="Region/state",
       words="state|region|province|county|bundesland|state/province|département|mailing state"),
    _F("country", "Country", "text", "address", "ADR",
       words="country|land|pays|country/region|mailing country"),
    _F("emails", "Emails", "list", "reach", "EMAIL", form_label="Email", form="slots",
       hint="name@example.com"),
    _F("phones", "Phones", "list", "reach", "TEL", form_label="Phone", form="slots",
       hint="+47 955 51 234 or a local number"),
    _F("tags", "Tags", "list", "tags", "CATEGORIES", hint="vip, partner",
       words="tags|tag|labels|categories|groups|group membership|kategorien|catégories"),
    _F("source", "Source", "text", "relationship", "X-TUICRM-SOURCE",
       hint="referral, website, trade show…",
       words="source|lead source|origin|quelle|herkunft|channel"),
    _F("acquired_on", "Acquired on", "date", "relationship", "X-TUICRM-ACQUIRED-ON",
       form_label="Since", hint=_DAY,
       words="acquired on|customer since|connected on|first contact"),
    # A CSV's "Referred by" column is a name, not our uid: it becomes a line in the notes.
    _F("referred_by", "Referred by", "reference", "relationship", "X-TUICRM-REFERRED-BY",
       form="picker", hint="— (Enter to choose)"),
    _F("why_chose_us", "Why they chose us", "multiline", "relationship", "X-TUICRM-WHY-CHOSE-US",
       words="why chose us|why they chose us", free_text=True),
    _F("category", "Category", "reference", "relationship", "X-TUICRM-CATEGORY",
       words="category"),
    _F("owner", "Owner", "text", "relationship", "X-TUICRM-OWNER",
       words="owner|account owner|contact owner|sales rep"),
    _F("territory", "Territory", "text", "relationship", "X-TUICRM-TERRITORY",
       words="territory|sales territory"),
    _F("status", "Status", "choice", "relationship", "X-TUICRM-STATUS", words="status",
       choices=(("active", "active"), ("lost", "lost"))),  # lapsed is worked out, not typed
    _F("lost_reason", "Lost reason", "text", "relationship", "X-TUICRM-LOST-REASON",
       form_label="Lost because", hint="what broke the deal", words="lost reason"),
    _F("lost_on", "Lost on", "date", "relationship", "X-TUICRM-LOST-ON", words="lost on",
       on_form=False),
    _F("email_opt_out", "Email opt-out", "bool", "relationship", "X-TUICRM-EMAIL-OPT-OUT",
       form_label="Email", hint="opted out of email",
       words="email opt out|email_opt_out|opt out|opted out|unsubscribed|do not email"),
    _F("notes", "Notes", "multiline", "notes", "NOTE", free_text=True,
       words="notes|note|comments|comment|notizen|notiz|remarks|bemerkungen|remarques"),
    # Last in our CSV's columns (added after the others, so older files keep their order);
    # shown with the name. Outlook's "Title" before a job title column is a prefix too.
    _F("prefix", "Name prefix", "text", "name", "N", form_label="Prefix", hint="Dr., Mr., Ms.",
       words="name prefix|prefix|honorific|salutation|anrede|civilité"),
    _F("suffix", "Name suffix", "text", "name", "N", form_label="Suffix", hint="Jr., PhD",
       words="name suffix|suffix|namenszusatz"),
)
# fmt: on

# The groups, and the order each view shows them in. The form titles its sections; tags and
# notes sit under "Relationship" there.
GROUPS = ("key", "name", "work", "person", "address", "reach", "tags", "relationship", "notes")
MERGE_GROUPS = (
    "name",
    "work",
    "reach",
    "person",
    "address",
    "relationship",
    "tags",
    "notes",
    "key",
)
FORM_GROUPS = (
    ("name", "Name"),
    ("work", "Work"),
    ("address", "Address"),
    ("reach", "Reach them"),
    ("person", "Person"),
    ("relationship", "Relationship"),
    ("tags", None),  # no title of its own: still Relationship
    ("notes", None),
)

BY_NAME = {f.name: f for f in CUSTOMER_FIELDS}
# The form's fields, with the title of the section each starts (None: the same section).
FORM_ROWS = tuple(
    (f, title if i == 0 else None)
    for group, title in FORM_GROUPS
    for i, f in enumerate(f for f in CUSTOMER_FIELDS if f.group == group and f.on_form)
)
NAMES = tuple(f.name for f in CUSTOMER_FIELDS)


def of_kind(*kinds: str) -> tuple[str, ...]:
    """The names of the fields of those kinds, in declaration order."""
    return tuple(f.name for f in CUSTOMER_FIELDS if f.kind in kinds)


def in_groups(groups: tuple[str, ...]) -> tuple[CustomerField, ...]:
    """The fields of `groups`, group by group, each group's in declaration order."""
    return tuple(f for group in groups for f in CUSTOMER_FIELDS if f.group == group)


def label(name: str) -> str:
    """A field's label ("Why they chose us"); any other name said plainly."""
    found = BY_NAME.get(name)
    return found.label if found else name.replace("_", " ").capitalize()


# Our CSV layout's columns, in order (`id` first: the row's number in this book).
CSV_COLUMNS = ("id", *(f.csv for f in CUSTOMER_FIELDS))
# The merge chooser's order; every field is in it.
MERGE_ORDER = tuple(f.name for f in in_groups(MERGE_GROUPS))
# The fields our own X-TUICRM-* vCard properties carry: (field, property, kind).
VCARD_OWN = tuple(
    (f.name, f.vcard, {"date": "date", "bool": "flag"}.get(f.kind, "text"))
    for f in CUSTOMER_FIELDS
    if f.vcard.startswith("X-TUICRM-")
)
# Free text: an import adds to it, a merge can keep both texts.
FREE_TEXT = tuple(f.name for f in CUSTOMER_FIELDS if f.free_text)
# Field -> the header words a CSV import reads as it.
HEADER_WORDS = {f.name: f.words for f in CUSTOMER_FIELDS if f.words}
