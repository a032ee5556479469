"""The condition language (tend.status.conditions): every mistake is refused with its
position, and a condition gives the same answer evaluated in Python for one customer as
compiled to SQL for all of them — on random conditions over random data with unknowns."""

import pytest
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tend.status.conditions import (
    ConditionErrors,
    FactSignature,
    Parameter,
    Type,
    evaluate,
    parse,
    to_sql,
)

STATES = {"lifecycle": ["lead", "prospect", "key"], "grade": ["A", "B", "C"]}

FACTS = {
    "a": FactSignature("a", Type.NUMBER),
    "b": FactSignature("b", Type.NUMBER),
    "s": FactSignature("s", Type.TEXT, values=lambda arguments: STATES["lifecycle"]),
    "f": FactSignature("f", Type.BOOLEAN),
    "valid_activities": FactSignature("valid_activities", Type.NUMBER),
    "state": FactSignature(
        "state",
        Type.TEXT,
        (Parameter("dimension", Type.TEXT, choices=lambda before: STATES),),
        values=lambda arguments: STATES.get(arguments[0]),
    ),
    "days_in_state": FactSignature(
        "days_in_state",
        Type.NUMBER,
        (Parameter("dimension", Type.TEXT, choices=lambda before: STATES),),
    ),
}


def problems(text):
    with pytest.raises(ConditionErrors) as caught:
        parse(text, FACTS)
    return [(error.column, str(error.message)) for error in caught.value.errors]


# --- refusals, each with its position ----------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "column", "message"),
    [
        ("valid_activitys >= 3", 1, "Unknown fact “valid_activitys”."),
        ("valid_activities = 3", 18, "Use == to compare."),
        ("valid_activities >= ", 21, "The condition ends too early."),
        ("", 1, "The condition is empty."),
        ("valid_activities >= 3 3", 23, "Unexpected “3”: join conditions with and / or."),
        ("s == 'lead", 6, "This text has no closing quote."),
        ("valid_activities >= 3 ; drop", 23, "“;” has no meaning here."),
        ("valid_activities", 1, "A condition must be true or false; this is a number."),
        ("valid_activities >= 'x'", 21, "Expected a number here, found a text."),
        ("s > 'lead'", 3, "Only numbers can be compared with >."),
        ("s == 'won'", 6, "“won” is not a value of s; it can be: key, lead, prospect."),
        (
            "state('lifecycle') == 'A'",
            23,
            "“A” is not a value of state; it can be: key, lead, prospect.",
        ),
        (
            "state('value') == 'A'",
            7,
            "“value” is not a dimension; it can be: grade, lifecycle.",
        ),
        ("days_in_state > 90", 1, "days_in_state takes 1 argument(s): dimension."),
        ("valid_activities(3) > 1", 1, "valid_activities takes no arguments."),
        ("days_in_state(90) > 1", 15, "Expected a text here, found a number."),
        ("f and 3", 7, "“and” needs true or false, not a number."),
        ("not a", 5, "“not” needs true or false, not a number."),
        ("s + 1 > 2", 1, "“+” needs a number, not a text."),
        ("s in ['lead', 2]", 15, "Expected a text here, found a number."),
        ("a in [1, b]", 10, "Expected a number, a text in quotes, true or false here."),
        ("(a > 1", 7, "Expected “)” here."),
    ],
)
def test_a_mistake_is_refused_with_its_position(text, column, message):
    assert problems(text)[0] == (column, message)


def test_every_mistake_is_listed_in_order_and_points_at_its_place():
    text = "grade_x > 1 and s == 'churned' or state('lifecycle') == 'zzz'"
    found = problems(text)
    assert [column for column, _message in found] == [1, 22, 57]
    with pytest.raises(ConditionErrors) as caught:
        parse(text, FACTS)
    first = caught.value.errors[0]
    assert str(first) == "Column 1: Unknown fact “grade_x”."
    assert first.pointer() == text + "\n^"


def test_depth_and_length_are_bounded():
    assert problems("not " * 60 + "f")[0][1] == "The condition is nested too deeply."
    assert problems("(" * 60 + "f" + ")" * 60)[0][1] == "The condition is nested too deeply."
    assert problems("a > " + "1 + " * 600 + "1")[0][1] == (
        "A condition has at most 2000 characters."
    )


def test_messages_are_in_the_users_language():
    from django.utils import translation

    with translation.override("zh-hans"):
        assert problems("x > 1")[0][1] == "未知的事实“x”。"


def test_a_valid_condition_names_its_facts():
    condition = parse('valid_activities >= 3 and days_in_state("lifecycle") > 90 and not f', FACTS)
    assert [(fact.name, [a.value for a in fact.arguments]) for fact in condition.facts()] == [
        ("valid_activities", []),
        ("days_in_state", ["lifecycle"]),
        ("f", []),
    ]


# --- three-valued logic ------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("text", "row", "holds"),
    [
        ("a > 1", {"a": None}, False),
        ("not (a > 1)", {"a": None}, False),  # unknown, not true
        ("a > 1 or f", {"a": None, "f": True}, True),
        ("a > 1 and f", {"a": None, "f": False}, False),
        ("not (a > 1 and f)", {"a": None, "f": False}, True),
        ("a / b > 1", {"a": 5, "b": 0}, False),  # division by zero: unknown
        ("not (a / b > 1)", {"a": 5, "b": 0}, False),
        ("a / b == 2.5", {"a": 5, "b": 2}, True),  # no integer division
        ("s not in ['lead']", {"s": None}, False),
        ("s not in ['lead']", {"s": "key"}, True),
        ("-a < -1.5", {"a": 2}, True),
    ],
)
def test_unknown_values_follow_three_valued_logic(text, row, holds):
    condition = parse(text, FACTS)
    assert evaluate(condition, lambda fact: row.get(fact.name)) is holds
    assert matching_ids(condition, [{"a": None, "b": None, "s": None, "f": None, **row}]) == (
        [0] if holds else []
    )


# --- the same answer in Python and in SQL, on random conditions and data ---------------------


def matching_ids(condition, rows) -> list[int]:
    """The ids of the rows the compiled condition matches, run by the test database."""
    values, params = [], []
    for index, row in enumerate(rows):
        values.append(
            "(%s, CAST(%s AS BIGINT), CAST(%s AS BIGINT), CAST(%s AS TEXT), CAST(%s AS BOOLEAN))"
        )
        params += [index, row["a"], row["b"], row["s"], row["f"]]
    where, where_params = to_sql(condition, lambda fact: (f"t.{fact.name}", []))
    sql = (
        f"WITH t(id, a, b, s, f) AS (VALUES {', '.join(values)}) "
        f"SELECT id FROM t WHERE {where} ORDER BY id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params + where_params)
        return [row[0] for row in cursor.fetchall()]


numbers = st.sampled_from(["a", "b", "0", "1", "2", "3", "7", "0.5", "2.5"])


def number_expression(depth: int):
    if depth == 0:
        return numbers
    smaller = number_expression(depth - 1)
    return st.one_of(
        numbers,
        st.builds(lambda x: f"(-{x})", smaller),
        st.builds(lambda x, op, y: f"({x} {op} {y})", smaller, st.sampled_from("+-*/"), smaller),
    )


def boolean_expression(depth: int):
    comparison = st.builds(
        lambda x, op, y: f"{x} {op} {y}",
        number_expression(2),
        st.sampled_from(["==", "!=", "<", "<=", ">", ">="]),
        number_expression(2),
    )
    leaves = st.one_of(
        comparison,
        st.sampled_from(
            [
                "f",
                "f == true",
                "f != false",
                "true",
                "false",
                "s == 'lead'",
                "s != 'key'",
                "s in ['lead', 'prospect']",
                "s not in ['prospect']",
                "a in [1, 2, 7]",
                "b not in [0, 3]",
            ]
        ),
    )
    if depth == 0:
        return leaves
    smaller = boolean_expression(depth - 1)
    return st.one_of(
        leaves,
        st.builds(lambda x: f"not ({x})", smaller),
        st.builds(
            lambda x, op, y: f"({x}) {op} ({y})", smaller, st.sampled_from(["and", "or"]), smaller
        ),
        st.builds(lambda x, y: f"({x}) == ({y})", comparison, comparison),
    )


rows = st.lists(
    st.fixed_dictionaries(
        {
            "a": st.sampled_from([None, -3, -1, 0, 1, 2, 7, 40]),
            "b": st.sampled_from([None, -2, 0, 1, 2, 5]),
            "s": st.sampled_from([None, "lead", "prospect", "key"]),
            "f": st.sampled_from([None, True, False]),
        }
    ),
    min_size=1,
    max_size=12,
)


@pytest.mark.django_db
@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(text=boolean_expression(3), data=rows)
def test_python_and_sql_agree_on_random_conditions_and_data(text, data):
    condition = parse(text, FACTS)
    expected = [
        index
        for index, row in enumerate(data)
        if evaluate(condition, lambda fact, row=row: row[fact.name])
    ]
    assert matching_ids(condition, data) == expected, text
