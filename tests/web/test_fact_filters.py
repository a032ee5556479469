"""Lists filter by facts: a condition in the status rules' language narrows the customer list,
its export and the API list, compiled to SQL once (the same compiler as rules); a mistake
is shown with its position and the list is shown unfiltered; exports carry the stored facts."""

import csv
import io

from tend.status.materialized import refresh_facts
from tests.factories import make_activity, make_customer
from tests.web.helpers import signed_in_client


def test_the_list_keeps_the_customers_the_condition_holds_for(rep_client, rep, admin):
    talked = make_customer(rep, name="甲沟通多有限公司")
    for _ in range(2):
        make_activity(talked, admin, valid_communication=True)
    make_customer(rep, name="乙没沟通有限公司")
    page = rep_client.get("/customers/", {"condition": "valid_activities >= 2"}).content.decode()
    assert "甲沟通多有限公司" in page and "乙没沟通有限公司" not in page
    assert "1 customer" in page


def test_a_mistake_is_shown_with_its_position_and_the_list_is_not_filtered(rep_client, rep):
    make_customer(rep, name="甲有限公司")
    page = rep_client.get("/customers/", {"condition": "valid_activitys > 1"}).content.decode()
    assert "The condition on facts was not applied" in page
    assert "Column 1: Unknown fact “valid_activitys”." in page
    assert "甲有限公司" in page


def test_another_reps_customers_never_answer_a_condition(rep_client, other_rep, admin):
    theirs = make_customer(other_rep, name="别人的有限公司")
    make_activity(theirs, admin, valid_communication=True)
    page = rep_client.get("/customers/", {"condition": "valid_activities >= 1"}).content.decode()
    assert "别人的有限公司" not in page


def test_the_export_follows_the_condition_and_carries_the_stored_facts(rep, admin):
    client = signed_in_client(rep)
    talked = make_customer(rep, name="甲有限公司")
    make_activity(talked, admin, valid_communication=True)
    make_customer(rep, name="乙有限公司")
    refresh_facts()
    response = client.get(
        "/customers/export/", {"condition": "valid_activities >= 1", "format": "csv"}
    )
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body)))
    assert [row[1] for row in rows[1:]] == ["甲有限公司"]
    health = rows[0].index("Health score")
    assert rows[1][health] != ""


def test_the_api_list_takes_the_condition_and_refuses_a_mistake(rep, admin):
    from tests.api.conftest import Caller

    talked = make_customer(rep, name="甲有限公司")
    make_activity(talked, admin, valid_communication=True)
    make_customer(rep, name="乙有限公司")
    client = Caller(rep)
    found = client.get("/customers", {"condition": "valid_activities >= 1"}).json()
    assert [item["name"] for item in found["items"]] == ["甲有限公司"]
    refused = client.get("/customers", {"condition": "valid_activities >="})
    assert refused.status_code == 422
    assert "Column" in refused.json()["message"]
