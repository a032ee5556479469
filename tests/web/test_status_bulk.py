"""Bulk edit of status from the customer list: every customer the list's filters select that
the user may change, moved in one set-based pass through the status engine — the same
checks (transition, reason, guard, approval) and the same history (door "bulk")."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from tend.customers.models import Customer
from tend.status.models import CustomerState, State, StateChange
from tests.factories import make_activity, make_customer
from tests.web.helpers import signed_in_client


def state(dimension_key, key):
    return State.objects.get(dimension__key=dimension_key, key=key)


def held(customer, dimension_key):
    return set(
        CustomerState.objects.filter(customer=customer, dimension__key=dimension_key).values_list(
            "state__key", flat=True
        )
    )


def test_the_list_links_to_a_bulk_change_of_its_filtered_customers(rep_client, rep):
    make_customer(rep, name="杭州甲有限公司", city="杭州")
    page = rep_client.get("/customers/?city=杭州").content.decode()
    assert "/status/bulk/?city=" in page


def test_every_filtered_customer_moves_through_the_engine(rep_client, rep, other_rep):
    mine = [make_customer(rep, name=f"杭州{i}有限公司", city="杭州") for i in range(3)]
    elsewhere = make_customer(rep, name="宁波有限公司", city="宁波")
    theirs = make_customer(other_rep, name="杭州他人有限公司", city="杭州")
    page = rep_client.get("/status/bulk/?city=杭州").content.decode()
    assert "3 customers selected" in page

    response = rep_client.post("/status/bulk/?city=杭州", {"state": state("grade", "B").pk})
    assert response.status_code == 200
    assert "Changed: 3" in response.content.decode()
    assert all(held(customer, "grade") == {"B"} for customer in mine)
    assert held(elsewhere, "grade") == held(theirs, "grade") == set()
    assert set(StateChange.objects.values_list("door", "actor_id")) == {("bulk", rep.pk)}


def test_refusals_are_counted_with_their_reason_and_nothing_else_moves(rep_client, rep, admin):
    talked = make_customer(rep, name="已沟通有限公司", city="杭州")
    make_customer(rep, name="未沟通有限公司", city="杭州")
    rep_client.post("/status/bulk/?city=杭州", {"state": state("lifecycle", "lead").pk})
    make_activity(talked, admin, valid_communication=True)
    # lead → prospect needs a valid communication: one moves, one is refused by the guard.
    response = rep_client.post(
        "/status/bulk/?city=杭州", {"state": state("lifecycle", "prospect").pk}
    )
    page = response.content.decode()
    assert "Changed: 1" in page and "Refused: 1" in page
    assert "The condition “valid_activities &gt;= 1” does not hold." in page
    # Backward without a reason: refused for both, with the reason asked for.
    response = rep_client.post(
        "/status/bulk/?city=杭州", {"state": state("lifecycle", "churned").pk}
    )
    assert "Give a reason for this move. (2)" in response.content.decode()
    assert Customer.objects.filter(states__state__key="churned").count() == 0


def test_the_work_is_a_fixed_number_of_queries_however_many_customers(rep):
    client = signed_in_client(rep)

    def queries_for(count):
        city = f"城市{count}"
        for index in range(count):
            make_customer(rep, name=f"客户{count}-{index}有限公司", city=city)
        client.get(f"/status/bulk/?city={city}")
        with CaptureQueriesContext(connection) as queries:
            response = client.post(f"/status/bulk/?city={city}", {"state": state("grade", "C").pk})
        assert f"Changed: {count}" in response.content.decode()
        return len(queries)

    assert queries_for(2) == queries_for(9)
