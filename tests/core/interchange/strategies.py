"""Hypothesis strategies for export records: any customer a file of ours may carry."""

from __future__ import annotations

from hypothesis import strategies as st

from tui_crm.core.interchange.records import CustomerRecord
from tui_crm.core.types import Labelled

_TEXT = st.characters(blacklist_categories=("Cc", "Cs"))
one_line = st.text(_TEXT, max_size=24).map(lambda text: " ".join(text.split()))
multi_line = st.lists(st.text(_TEXT, max_size=24), max_size=4).map(
    lambda lines: "\n".join(lines).strip()
)
maybe_day = st.none() | st.dates()
emails = st.lists(
    st.tuples(
        st.sampled_from(("work", "home", "other")),
        st.from_regex(r"[a-z0-9][a-z0-9._+-]{0,10}@[a-z0-9-]{1,10}\.[a-z]{2,4}", fullmatch=True),
    ),
    max_size=3,
    unique_by=lambda pair: pair[1],
)
phones = st.lists(
    st.tuples(
        st.sampled_from(("mobile", "work", "home", "other")),
        st.from_regex(r"\+[1-9][0-9]{6,13}", fullmatch=True),
    ),
    max_size=3,
    unique_by=lambda pair: pair[1],
)
tag_word = st.text(st.characters(whitelist_categories=("Ll", "Lo", "Nd")), min_size=1, max_size=8)
tags = st.lists(st.lists(tag_word, min_size=1, max_size=2).map(" ".join), max_size=4, unique=True)
keys = st.none() | one_line.filter(bool)
ONE_LINE_FIELDS = (
    *("first_name", "last_name", "nickname", "company", "job_title", "postal_code", "city"),
    *("region", "country", "source", "category", "owner", "territory", "status", "lost_reason"),
)


@st.composite
def records(draw) -> CustomerRecord:
    """A record with a name or a company, and anything at all in every other field."""
    texts = {name: draw(one_line) for name in ONE_LINE_FIELDS}
    if not (texts["first_name"] or texts["last_name"] or texts["company"]):
        texts["company"] = draw(one_line.filter(bool))
    return CustomerRecord(
        id=draw(st.integers(1, 10**9)),
        uid=draw(keys),
        referred_by=draw(keys),
        gender=draw(st.sampled_from(("", "f", "m", "x"))),
        birthday=draw(maybe_day),
        acquired_on=draw(maybe_day),
        lost_on=draw(maybe_day),
        email_opt_out=draw(st.booleans()),
        street=draw(multi_line),
        notes=draw(multi_line),
        why_chose_us=draw(multi_line),
        emails=tuple(Labelled(*pair) for pair in draw(emails)),
        phones=tuple(Labelled(*pair) for pair in draw(phones)),
        tags=tuple(draw(tags)),
        **texts,
    )
