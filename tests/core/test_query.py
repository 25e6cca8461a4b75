"""The query grammar: words, qualifiers, quoting, negation, money comparisons, sorting, and
an error naming the offending token and its position for every bad input."""

from __future__ import annotations

import pytest

from tui_crm.core.query import (
    Filter,
    MoneyFilter,
    Query,
    QueryError,
    SortKey,
    Word,
    format_sort,
    parse,
    with_sort,
)

pytestmark = pytest.mark.both_engines


def test_plain_words():
    assert parse("rob  oslo") == Query(words=(Word("rob"), Word("oslo")))
    assert parse("") == Query()
    assert parse("   ").is_empty
    assert parse("o'brien").words == (Word("o'brien"),)


def test_a_quoted_phrase_is_one_word():
    assert parse('"new york" pizza').words == (Word("new york", phrase=True), Word("pizza"))


def test_a_minus_excludes_a_word():
    assert parse("anna -oslo").words == (Word("anna"), Word("oslo", negated=True))
    assert parse('-"new york"').words == (Word("new york", phrase=True, negated=True),)
    assert parse("-").is_empty


@pytest.mark.parametrize(
    "key", ["tag", "city", "country", "company", "source", "owner", "category", "territory"]
)
def test_every_text_qualifier(key):
    query = parse(f"{key}:Oslo")
    assert query.filters == (Filter(key, ("Oslo",)),)
    assert not query.words and not query.is_empty
    assert parse(f"{key.upper()}:Oslo").filters == (Filter(key, ("Oslo",)),)


@pytest.mark.parametrize(
    ("text", "key", "values"),
    [
        ("tier:gold", "tier", ("gold",)),
        ("tier:GOLD", "tier", ("gold",)),
        ("tier:silver,none", "tier", ("silver", "none")),
        ("gender:f", "gender", ("f",)),
        ("gender:female", "gender", ("f",)),
        ("gender:Male", "gender", ("m",)),
        ("gender:x", "gender", ("x",)),
        ("status:lapsed", "status", ("lapsed",)),
        ("status:Active,LOST", "status", ("active", "lost")),
        ("due:today", "due", ("today",)),
        ("due:overdue", "due", ("overdue",)),
        ("due:week", "due", ("week",)),
    ],
)
def test_choice_qualifiers_are_normalised(text, key, values):
    assert parse(text).filters == (Filter(key, values),)


def test_quoted_qualifier_values_and_comma_means_any_of():
    assert parse('city:"New York"').filters == (Filter("city", ("New York",)),)
    assert parse("city:oslo,bergen").filters == (Filter("city", ("oslo", "bergen")),)
    assert parse('city:oslo,"New York"').filters == (Filter("city", ("oslo", "New York")),)
    assert parse('category:"key account" rob').filters == (Filter("category", ("key account",)),)
    assert parse('category:"key account" rob').words == (Word("rob"),)


def test_repeated_and_negated_qualifiers():
    assert parse("tag:vip tag:wholesale -city:oslo").filters == (
        Filter("tag", ("vip",)),
        Filter("tag", ("wholesale",)),
        Filter("city", ("oslo",), negated=True),
    )


@pytest.mark.parametrize(
    ("key", "column"),
    [("spent30d", "spent_30d"), ("spent12m", "spent_12m"), ("lifetime", "lifetime")],
)
@pytest.mark.parametrize("op", [">", ">=", "<", "<=", "="])
def test_money_comparisons_with_every_operator(key, column, op):
    assert parse(f"{key}{op}500").money == (MoneyFilter(column, op, 50000),)
    assert parse(f"{key}:{op}1,234.50").money == (MoneyFilter(column, op, 123450),)


def test_the_segment_from_the_product_notes():
    query = parse("gender:f spent30d>500")
    assert query.filters == (Filter("gender", ("f",)),)
    assert query.money == (MoneyFilter("spent_30d", ">", 50000),)


@pytest.mark.parametrize(
    ("text", "keys"),
    [
        ("sort:name", (SortKey("name"),)),
        ("sort:-last_contact", (SortKey("last_contact", descending=True),)),
        ("sort:value", (SortKey("spent12m"),)),
        ("sort:-value", (SortKey("spent12m", descending=True),)),
        ("sort:city,-spent30d", (SortKey("city"), SortKey("spent30d", descending=True))),
        ("sort:value,-last_contact", (SortKey("spent12m"), SortKey("last_contact", True))),
        ("SORT:Company", (SortKey("company"),)),
    ],
)
def test_sort_with_one_or_two_keys(text, keys):
    assert parse(text).sort == keys
    assert parse(text).is_empty  # sorting alone filters nothing


def test_sort_keys_round_trip_through_the_input():
    keys = [SortKey("city"), SortKey("spent12m", descending=True)]
    assert format_sort(keys) == "sort:city,-spent12m"
    text = with_sort('rob city:"New York" sort:name', keys)
    assert parse(text).sort == tuple(keys)
    assert parse(text).filters == (Filter("city", ("New York",)),)
    assert with_sort("rob sort:name", []) == "rob"


@pytest.mark.parametrize(
    ("text", "digits"),
    [
        ("+47 95 55 12 34", "4795551234"),
        ("95 55 12 34", "95551234"),
        ("(415) 555-0132", "4155550132"),
        ("+47 955", "47955"),
        ("0047 95 55 12 34", "4795551234"),
        ("020 7946 0958", "2079460958"),
        ("0150", "0150"),  # a postal code keeps its zero
    ],
)
def test_a_phone_number_in_any_formatting_becomes_one_digit_string(text, digits):
    assert parse(text).words == (Word(digits),)


BAD = [
    # (input, offending token, 1-based position, words in the reason)
    ("rob colour:red", "colour:red", 5, "unknown qualifier"),
    ("name:anna", "name:anna", 1, "unknown qualifier"),
    ("spent30d>abc", "spent30d>abc", 1, "not an amount"),
    ("oslo spent12m>1.2.3", "spent12m>1.2.3", 6, "not an amount"),
    ("lifetime>=12,34,5", "lifetime>=12,34,5", 1, "not an amount"),
    ("lifetime<1.2345", "lifetime<1.2345", 1, "not an amount"),
    ("spent30d>", "spent30d>", 1, "needs an amount"),
    ("spent30d:500", "spent30d:500", 1, "comparison"),
    ("-spent30d>5", "-spent30d>5", 1, "negated"),
    ('rob city:"New York', 'city:"New York', 5, "unclosed quote"),
    ('"new york', '"new york', 1, "unclosed quote"),
    ('a b "c d e', '"c d e', 5, "unclosed quote"),
    ("sort:", "sort:", 1, "empty sort key"),
    ("rob sort:,name", "sort:,name", 5, "empty sort key"),
    ("sort:-", "sort:-", 1, "empty sort key"),
    ("sort:name,", "sort:name,", 1, "empty sort key"),
    ("sort:name,city,company", "sort:name,city,company", 1, "at most two"),
    ("sort:shoe_size", "sort:shoe_size", 1, "cannot sort by"),
    ("sort:name sort:city", "sort:city", 11, "only one sort"),
    ("-sort:name", "-sort:name", 1, "cannot be negated"),
    ("city>5", "city>5", 1, "cannot be compared"),
    ("x tier>=gold", "tier>=gold", 3, "cannot be compared"),
    ("tag:", "tag:", 1, "needs a value"),
    ("city:oslo,", "city:oslo,", 1, "needs a value"),
    ("city:,", "city:,", 1, "needs a value"),
    ('city:""', 'city:""', 1, "needs a value"),
    ("tier:platinum", "tier:platinum", 1, "platinum"),
    ("tier:gold,platinum", "tier:gold,platinum", 1, "platinum"),
    ("gender:robot", "gender:robot", 1, "robot"),
    ("status:asleep", "status:asleep", 1, "asleep"),
    ("due:tomorrow", "due:tomorrow", 1, "tomorrow"),
    ("reason:bored", "reason:bored", 1, "bored"),
    ("reason:", "reason:", 1, "needs a value"),
    ("referred_by:anna", "referred_by:anna", 1, "customer id"),
    ("referred_by:12,x", "referred_by:12,x", 1, "customer id"),
    ("referred_by>3", "referred_by>3", 1, "cannot be compared"),
]


@pytest.mark.parametrize(("text", "token", "position", "reason"), BAD)
def test_a_bad_query_names_the_token_and_its_position(text, token, position, reason):
    with pytest.raises(QueryError) as info:
        parse(text)
    err = info.value
    assert (err.token, err.position) == (token, position)
    assert text[position - 1 :].startswith(token)
    assert reason in err.reason
    assert f"at {position}: {token}" in str(err)
    assert "\n" not in str(err)
