"""The customer's Status tab: every dimension of the model, a move through the form (made,
refused with the reason, or waiting for approval), checklists ticked, approvals decided,
tag-like states removed, and the history — all through the status engine."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from tend.status.actions import change_state
from tend.status.models import (
    ChecklistStep,
    CustomerState,
    Dimension,
    Door,
    State,
    Transition,
)
from tests.factories import make_activity
from tests.web.helpers import signed_in_client


def tab(client, customer):
    response = client.get(f"/customers/{customer.pk}/tabs/status/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    return response.content.decode()


def state(dimension_key, key):
    return State.objects.get(dimension__key=dimension_key, key=key)


def post_move(client, customer, dimension_key, key, **extra):
    return client.post(
        f"/customers/{customer.pk}/status/",
        {
            "dimension": Dimension.objects.get(key=dimension_key).pk,
            "state": state(dimension_key, key).pk,
            **extra,
        },
        follow=True,
    )


def held(customer, dimension_key):
    return set(
        CustomerState.objects.filter(customer=customer, dimension__key=dimension_key).values_list(
            "state__key", flat=True
        )
    )


def test_the_tab_shows_every_dimension_and_the_moves_from_where_the_customer_stands(
    rep_client, customer
):
    page = tab(rep_client, customer)
    for label in ["Lifecycle", "Value", "Engagement", "Grade", "Collaboration", "Risk"]:
        assert f">{label}</h3>" in page
    assert page.count("No state yet.") == 8
    assert "No status change yet." in page

    response = post_move(rep_client, customer, "lifecycle", "lead", reason="展会名单")
    assert "Lifecycle changed." in response.content.decode()
    page = tab(rep_client, customer)
    assert 'data-state="lead"' in page
    assert "展会名单" in page
    # From lead the form offers prospect (and churned, any time), not lead again.
    lifecycle_form = page.split('id="move-lifecycle"')[1].split("</select>")[0]
    assert ">Prospect<" in lifecycle_form and ">Lead<" not in lifecycle_form
    assert "valid_activities &gt;= 1" in page


def test_a_refused_move_says_why_and_changes_nothing(rep_client, customer):
    post_move(rep_client, customer, "lifecycle", "lead")
    response = post_move(rep_client, customer, "lifecycle", "signed")
    assert "Lifecycle cannot move from “Lead” to “Signed”." in response.content.decode()
    assert held(customer, "lifecycle") == {"lead"}

    # The guard: valid_activities >= 1 — the customer's activity is not a valid one.
    response = post_move(rep_client, customer, "lifecycle", "prospect")
    assert "“valid_activities &gt;= 1” does not hold (valid_activities = 0)" in (
        response.content.decode()
    )
    make_activity(customer, summary="有效沟通", valid_communication=True)
    post_move(rep_client, customer, "lifecycle", "prospect")
    assert held(customer, "lifecycle") == {"prospect"}


def test_a_move_needing_approval_waits_and_a_manager_approves_it(rep_client, customer, org):
    transition = Transition.objects.get(
        dimension__key="lifecycle", from_state__key="prospect", to_state__key="key"
    )
    transition.approval_role = "sales_manager"
    transition.save()
    change_state(
        actor=org.rep,
        customer=customer,
        dimension=transition.dimension,
        state=state("lifecycle", "lead"),
        door=Door.WEB,
    )
    make_activity(customer, summary="有效沟通", valid_communication=True)
    post_move(rep_client, customer, "lifecycle", "prospect")

    response = post_move(rep_client, customer, "lifecycle", "key", reason="预算已批")
    assert "The move to “Key” waits for approval." in response.content.decode()
    page = tab(rep_client, customer)
    assert "Waiting for approval" in page and 'value="approve"' not in page

    manager = signed_in_client(org.manager)
    page = tab(manager, customer)
    request_id = page.split("/status/requests/")[1].split("/")[0]
    response = manager.post(
        f"/status/requests/{request_id}/decide/", {"decision": "approve"}, follow=True
    )
    assert "The move was approved and made." in response.content.decode()
    assert held(customer, "lifecycle") == {"key"}


def test_a_checklist_is_ticked_on_the_tab_before_signing(rep_client, customer, org):
    lifecycle = Dimension.objects.get(key="lifecycle")
    for key in ("lead", "prospect", "key"):
        if key == "prospect":
            make_activity(customer, summary="有效沟通", valid_communication=True)
        change_state(
            actor=org.manager,
            customer=customer,
            dimension=lifecycle,
            state=state("lifecycle", key),
            door=Door.WEB,
        )
    steps = list(
        ChecklistStep.objects.filter(
            transition__dimension=lifecycle, transition__to_state__key="signed"
        )
    )
    page = tab(rep_client, customer)
    assert page.count('aria-pressed="false"') == 5
    response = post_move(rep_client, customer, "lifecycle", "signed")
    assert "Tick these steps first: Contract approved; Products configured;" in (
        response.content.decode()
    )
    manager = signed_in_client(org.manager)
    for step in steps:
        manager.post(
            f"/customers/{customer.pk}/status/checklist/", {"step": step.pk, "ticked": "1"}
        )
    assert tab(rep_client, customer).count('aria-pressed="true"') == 5
    post_move(rep_client, customer, "lifecycle", "signed")
    assert held(customer, "lifecycle") == {"signed"}


def test_a_tag_like_state_is_added_and_removed(rep_client, customer):
    post_move(rep_client, customer, "time_window", "renewal_window")
    post_move(rep_client, customer, "time_window", "peak_season")
    assert held(customer, "time_window") == {"renewal_window", "peak_season"}
    post_move(rep_client, customer, "time_window", "peak_season", remove="1")
    assert held(customer, "time_window") == {"renewal_window"}
    page = tab(rep_client, customer)
    assert "Peak season → —" in page


def test_another_rep_cannot_see_or_change_the_status(customer, other_rep):
    intruder = signed_in_client(other_rep)
    assert intruder.get(f"/customers/{customer.pk}/tabs/status/").status_code == 404
    response = post_move(intruder, customer, "lifecycle", "lead")
    assert response.status_code == 404
    assert held(customer, "lifecycle") == set()


def test_the_tab_reads_a_fixed_number_of_queries_however_long_the_history(
    rep_client, customer, org
):
    grade = Dimension.objects.get(key="grade")

    def queries_after(changes):
        for index in range(changes):
            change_state(
                actor=org.rep,
                customer=customer,
                dimension=grade,
                state=state("grade", "ABCDE"[index % 5]),
                door=Door.WEB,
            )
        with CaptureQueriesContext(connection) as queries:
            tab(rep_client, customer)
        return len(queries)

    tab(rep_client, customer)  # the session's first request reads a little more
    few = queries_after(1)
    assert queries_after(12) == few
    # The page, the panels, and the rules' outlook: the enabled rules and the model's states,
    # the customer's stored facts refreshed (the health weights, two statements, the last
    # BG/NBD fit to predict with, in a savepoint) and every fact read at once.
    assert few <= 22


def test_the_tab_explains_which_rules_could_move_the_customer_next(rep_client, customer):
    from tend.status.models import Rule

    Rule.objects.create(
        key="talked_to_a",
        label_zh="沟通过的升为 A 级",
        label_en="Talked to: grade A",
        condition="valid_activities >= 1",
        actions=[{"type": "set_state", "dimension": "grade", "state": "A"}],
        enabled=True,
    )
    Rule.objects.create(
        key="disabled",
        label_zh="停用的规则",
        condition="true",
        actions=[{"type": "set_state", "dimension": "grade", "state": "E"}],
    )
    page = tab(rep_client, customer)
    grade = page.split('id="dimension-grade"')[1].split("</section>")[0]
    assert "Talked to: grade A" in grade and "停用的规则" not in page
    assert "does not hold now" in grade and "valid_activities = 0" in grade

    make_activity(customer, summary="有效沟通", valid_communication=True)
    grade = tab(rep_client, customer).split('id="dimension-grade"')[1].split("</section>")[0]
    assert "holds now" in grade and "valid_activities = 1" in grade


def test_the_status_review_lists_waiting_moves_and_stale_states_the_user_may_see(
    rep_client, customer, org, foreign
):
    import datetime

    from django.utils import timezone

    from tend.customers.models import Customer

    long_ago = timezone.now() - datetime.timedelta(days=200)
    for owned in (customer, foreign.customer):
        change_state(
            actor=owned.owner,
            customer=owned,
            dimension=Dimension.objects.get(key="grade"),
            state=state("grade", "C"),
            door=Door.WEB,
            at=long_ago,
        )
    Customer.objects.filter(pk__in=[customer.pk, foreign.customer.pk]).update(
        last_contact_at=long_ago
    )
    transition = Transition.objects.get(dimension__key="value", to_state__key="strategic")
    transition.approval_role = "sales_manager"
    transition.save()
    post_move(rep_client, customer, "value", "strategic", reason="年采购额过千万")

    page = rep_client.get("/status/review/").content.decode()
    assert "年采购额过千万" in page and customer.name in page
    assert foreign.customer.name not in page  # another rep's customer
    grade = page.split('id="stale-grade"')[1].split("</section>")[0]
    assert 'data-stale-count="1"' in grade and customer.name in grade
    # Unchanged for 200 days: stale at a 30-day look-back, not at a 365-day one.
    assert 'data-stale-count="1"' in rep_client.get("/status/review/?days=30").content.decode()
    assert 'data-stale-count="1"' not in rep_client.get("/status/review/?days=365").content.decode()
    assert rep_client.get("/status/review/?days=x").status_code == 200


def test_the_tab_lists_every_plain_fact_with_its_value_and_description(rep_client, customer):
    make_activity(customer, customer.owner, valid_communication=True)
    page = tab(rep_client, customer)
    assert 'id="customer-facts"' in page
    assert "<code>valid_activities</code></dt><dd><strong>1</strong>" in page
    assert "Valid communications" in page
    # A fact with no value yet reads "unknown", not "None".
    assert "<code>days_since_last_order</code></dt><dd><strong>unknown</strong>" in page
