"""The status model's editor: administrators only; the model at a glance in a bounded number
of queries; rules saved only when their condition and actions are right (every problem shown
beside its field, the condition's with its column, in the user's language), switched on and
off, tried by a dry run and a backtest that change nothing; the whole model edited as YAML,
refused whole with each problem beside its line, or applied and audited."""

import datetime
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tend.activities.actions import refresh_contact_time_nodes
from tend.activities.models import Activity
from tend.audit.models import AuditEntry
from tend.status.model_file import export_model, parse_model
from tend.status.models import CustomerState, Rule, State, StateChange
from tend.status.rule_actions import ACTION_TYPES
from tests.factories import make_customer
from tests.web.helpers import field_errors, signed_in_client

NOW = timezone.now()
TODAY = timezone.localdate(NOW)
DAY = datetime.timedelta(days=1)

GOOD = {
    "key": "two_valid_talks",
    "label_zh": "两次有效沟通",
    "label_en": "Two valid talks",
    "trigger": "schedule",
    "condition": "valid_activities >= 2",
    "actions": "- {type: set_state, dimension: grade, state: A}",
    "priority": "50",
}


@pytest.fixture
def admin_client(admin):
    return signed_in_client(admin)


@pytest.fixture
def talked(org, admin):
    """Two customers with two valid follow-ups (the second 6 and 3 days ago), one with one."""
    Rule.objects.update(enabled=False)
    made = []
    for name, days in [("六天前第二次", (10, 6)), ("三天前第二次", (20, 3)), ("一次", (5,))]:
        customer = make_customer(org.rep, name=name)
        for ago in days:
            Activity.objects.create(
                customer=customer,
                author=admin,
                kind="call",
                summary="沟通",
                occurred_at=NOW - ago * DAY,
                valid_communication=True,
            )
        refresh_contact_time_nodes(customer.pk)
        made.append(customer)
    return made


def history():
    return StateChange.objects.count(), CustomerState.objects.count()


# --- who may --------------------------------------------------------------------------------------


def test_no_one_but_an_administrator_reaches_the_editor(org, admin):
    rule = Rule.objects.first()
    urls = [
        "/settings/status/",
        "/settings/status/file/",
        "/settings/status/file/download/",
        "/settings/status/rules/new/",
        f"/settings/status/rules/{rule.pk}/",
        f"/settings/status/rules/{rule.pk}/enabled/",
        f"/settings/status/rules/{rule.pk}/delete/",
        "/settings/status/backtests/any/",
    ]
    before = (list(Rule.objects.values()), AuditEntry.objects.count())
    for user in (org.rep, org.manager):
        client = signed_in_client(user)
        for url in urls:
            assert client.get(url).status_code in (404, 405), url
            response = client.post(url, {**GOOD, "enabled": "1", "text": "dimensions: []"})
            assert response.status_code == 404, url
    assert (list(Rule.objects.values()), AuditEntry.objects.count()) == before
    page = signed_in_client(org.rep).get("/customers/").content.decode()
    assert "/settings/status/" not in page
    assert "/settings/status/" in signed_in_client(admin).get("/customers/").content.decode()


# --- the model at a glance -------------------------------------------------------------------------


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_model_page_lists_everything_in_a_bounded_number_of_queries(admin_client):
    page = admin_client.get("/settings/status/").content.decode()
    for text in ['data-dimension="lifecycle"', 'data-state="prospect"', "Newly assigned"]:
        assert text in page
    assert "valid_activities &gt;= 1" in page  # a guard
    assert 'data-rule="leads_after_three_valid_talks"' in page
    assert "approved by" in page  # the key → signed move waits for a manager
    first = _queries(admin_client, "/settings/status/")
    for number in range(10):
        Rule.objects.create(
            key=f"extra_{number}",
            label_zh="额外",
            condition="valid_activities > 1",
            actions=[{"type": "set_state", "dimension": "grade", "state": "B"}],
        )
    assert _queries(admin_client, "/settings/status/") == first
    assert first <= 12


# --- rules -----------------------------------------------------------------------------------------


def test_a_rule_with_a_bad_condition_shows_the_positioned_error_and_saves_nothing(admin_client):
    rules, audit = Rule.objects.count(), AuditEntry.objects.count()
    response = admin_client.post(
        "/settings/status/rules/new/", {**GOOD, "condition": "valid_activities >= 2 and opn > 1"}
    )
    assert response.status_code == 422
    assert field_errors(response, "condition") == ["Column 27: Unknown fact “opn”."]
    page = response.content.decode()
    # The caret points under the problem.
    pointer = re.search(r'data-pointers="condition">.*?<code>(.*?)</code>', page, re.S).group(1)
    assert pointer.splitlines()[1] == " " * 26 + "^"
    assert (Rule.objects.count(), AuditEntry.objects.count()) == (rules, audit)


def test_the_condition_error_is_in_the_users_language(admin):
    client = signed_in_client(admin, language="zh-hans")
    response = client.post("/settings/status/rules/new/", {**GOOD, "condition": "opn > 1"})
    assert field_errors(response, "condition") == ["第 1 列：未知的事实“opn”。"]


def test_every_problem_of_the_actions_is_shown_beside_them(admin_client):
    response = admin_client.post(
        "/settings/status/rules/new/",
        {**GOOD, "actions": "- {type: set_state, dimension: grade, state: Z}\n- {type: shout}"},
    )
    assert field_errors(response, "actions") == [
        "Action 1: “Z” is not a state of Grade.",
        "Action 2: the type must be one of: " + ", ".join(ACTION_TYPES) + ".",
    ]
    response = admin_client.post(
        "/settings/status/rules/new/", {**GOOD, "actions": "- {type: set_state\n- x"}
    )
    assert field_errors(response, "actions")[0].startswith("Line 2: ")
    assert not Rule.objects.filter(key=GOOD["key"]).exists()


def test_a_good_rule_is_saved_switched_off_and_audited(admin_client, admin):
    response = admin_client.post("/settings/status/rules/new/", GOOD)
    rule = Rule.objects.get(key="two_valid_talks")
    assert response.status_code == 302
    assert response["Location"] == f"/settings/status/rules/{rule.pk}/"
    assert (rule.label_en, rule.condition, rule.priority, rule.enabled) == (
        "Two valid talks",
        "valid_activities >= 2",
        50,
        False,
    )
    assert rule.actions == [{"type": "set_state", "dimension": "grade", "state": "A"}]
    entry = AuditEntry.objects.filter(object_type="status.rule", object_id=rule.pk).get()
    assert entry.actor_id == admin.pk and entry.changes["condition"] == [
        None,
        "valid_activities >= 2",
    ]
    # The page shows it back, the actions as YAML.
    page = admin_client.get(f"/settings/status/rules/{rule.pk}/").content.decode()
    assert "{type: set_state, dimension: grade, state: A}" in page
    # A second rule with the same key is refused.
    response = admin_client.post("/settings/status/rules/new/", GOOD)
    assert field_errors(response, "key") == ["This key is already used."]


def test_an_edit_is_saved_the_key_stays_and_the_rule_is_switched_on_and_off(admin_client):
    rule = Rule.objects.get(key="leads_after_three_valid_talks")
    Rule.objects.filter(pk=rule.pk).update(enabled=False)
    url = f"/settings/status/rules/{rule.pk}/"
    data = {**GOOD, "key": rule.key, "condition": 'state("lifecycle") == "lead"'}
    data["actions"] = "- {type: set_state, dimension: lifecycle, state: prospect}"
    assert admin_client.post(url, data).status_code == 302
    rule.refresh_from_db()
    assert rule.condition == 'state("lifecycle") == "lead"' and not rule.enabled
    response = admin_client.post(url, {**data, "key": "renamed"})
    assert field_errors(response, "key") == [
        "A rule's key cannot change: the history of its changes names it."
    ]
    admin_client.post(f"{url}enabled/", {"enabled": "1"})
    rule.refresh_from_db()
    assert rule.enabled
    admin_client.post(f"{url}enabled/", {"enabled": "0", "back": "rule"})
    rule.refresh_from_db()
    assert not rule.enabled
    changes = AuditEntry.objects.filter(object_type="status.rule", object_id=rule.pk)
    assert [entry.changes.get("enabled") for entry in changes.order_by("id")][-2:] == [
        [False, True],
        [True, False],
    ]


def test_the_dry_run_lists_who_would_change_now_and_changes_nothing(admin_client, talked):
    before = history()
    response = admin_client.post("/settings/status/rules/new/", {**GOOD, "intent": "dry_run"})
    assert response.status_code == 200
    page = response.content.decode()
    assert re.search(r'data-count="changed">2<', page)
    assert re.search(r'data-count="matched">2<', page)
    for customer in talked[:2]:
        assert f'href="/customers/{customer.pk}/">{customer.name}</a>' in page
        assert f'data-customer="{customer.pk}"' in page
    assert f'data-customer="{talked[2].pk}"' not in page
    assert "Grade: no state → A" in page
    assert "<code>valid_activities</code> = 2" in page
    assert history() == before
    assert not Rule.objects.filter(key=GOOD["key"]).exists()


def test_the_backtest_runs_and_shows_when_each_customer_would_have_changed(admin_client, talked):
    before = history()
    data = {**GOOD, "intent": "backtest", "since": (TODAY - 8 * DAY).isoformat(), "step_days": "1"}
    response = admin_client.post("/settings/status/rules/new/", data)
    assert response.status_code == 302
    assert response["Location"].startswith("/settings/status/backtests/")
    page = admin_client.get(response["Location"]).content.decode()
    assert 'data-status="done"' in page
    days = dict(re.findall(r'data-customer="(\d+)" data-day="([\d-]+)"', page))
    assert days == {
        str(talked[0].pk): (TODAY - 6 * DAY).isoformat(),
        str(talked[1].pk): (TODAY - 3 * DAY).isoformat(),
    }
    assert history() == before
    # A polling request gets the panel alone.
    panel = admin_client.get(response["Location"], HTTP_HX_REQUEST="true").content.decode()
    assert panel.startswith('<section class="card" id="backtest"')


def test_the_backtest_says_which_facts_are_read_as_of_today(admin_client, talked):
    data = {
        **GOOD,
        "condition": "valid_activities >= 2 and profile_completeness >= 0",
        "intent": "backtest",
        "since": (TODAY - 2 * DAY).isoformat(),
        "step_days": "1",
    }
    response = admin_client.post("/settings/status/rules/new/", data, follow=True)
    page = response.content.decode()
    assert 'data-fact="profile_completeness"' in page
    assert (
        'data-fact="valid_activities"' not in page.split("data-as-of-today")[1].split("</div>")[0]
    )


def test_a_backtest_over_too_many_steps_is_refused_beside_its_day(admin_client):
    data = {**GOOD, "intent": "backtest", "since": (TODAY - 400 * DAY).isoformat()}
    response = admin_client.post("/settings/status/rules/new/", {**data, "step_days": "1"})
    assert response.status_code == 422
    assert field_errors(response, "since") == [
        "A backtest has at most 60 steps; this one would have 401. Choose a later day or "
        "longer steps."
    ]


def test_deleting_a_rule_is_audited(admin_client):
    rule = Rule.objects.get(key="leads_after_three_valid_talks")
    response = admin_client.post(f"/settings/status/rules/{rule.pk}/delete/")
    assert response.status_code == 302
    assert not Rule.objects.filter(pk=rule.pk).exists()
    assert AuditEntry.objects.filter(
        object_type="status.rule", object_id=rule.pk, action="delete"
    ).exists()


# --- the model as YAML ---------------------------------------------------------------------------


def test_a_broken_model_is_refused_with_each_problem_beside_its_line(admin_client):
    text = export_model()
    lines = text.splitlines()
    number = next(i for i, line in enumerate(lines) if "category: open" in line)
    lines[number] = lines[number].replace("category: open", "category: opened")
    lines.insert(4, "  exclusive: maybe")  # line 5, in the first dimension
    broken = "\n".join(lines)
    audit = AuditEntry.objects.count()
    response = admin_client.post("/settings/status/file/", {"text": broken})
    assert response.status_code == 422
    page = response.content.decode()
    shown = dict(
        re.findall(r'data-line="(\d+)"><pre class="code-snippet"><code>(.*?)</code>', page)
    )
    assert str(number + 2) in shown and "opened" in shown[str(number + 2)]
    assert shown["5"] == "  exclusive: maybe"
    assert "Line 5: exclusive must be true or false." in page
    assert f"Line {number + 2}: category “opened” is not one of:" in page
    # Nothing applied, and the text is kept for correcting.
    assert AuditEntry.objects.count() == audit
    assert not State.objects.filter(category="opened").exists()
    assert "category: opened" in page


def test_a_good_model_is_applied_and_audited(admin_client, admin):
    text = export_model().replace("en: Prospect", "en: Interested", 1)
    response = admin_client.post("/settings/status/file/", {"text": text})
    assert response.status_code == 302
    state = State.objects.get(dimension__key="lifecycle", key="prospect")
    assert state.label_en == "Interested"
    entry = AuditEntry.objects.get(object_type="status.state", object_id=state.pk, action="update")
    assert entry.actor_id == admin.pk and entry.changes == {"label_en": ["Prospect", "Interested"]}


def test_the_model_file_is_downloaded_and_uploaded(admin_client):
    response = admin_client.get("/settings/status/file/download/")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="tend-status-model-')
    text = response.content.decode()
    assert parse_model(text).dimensions[0].key == "lifecycle"

    changed = text.replace("en: Prospect", "en: Warm", 1).encode()
    upload = SimpleUploadedFile("model.yaml", changed, content_type="text/yaml")
    response = admin_client.post("/settings/status/file/", {"text": "", "file": upload})
    assert response.status_code == 302
    assert State.objects.get(dimension__key="lifecycle", key="prospect").label_en == "Warm"
    upload = SimpleUploadedFile("model.yaml", "维度".encode("gb18030"), content_type="text/yaml")
    response = admin_client.post("/settings/status/file/", {"file": upload})
    assert response.status_code == 422
    assert "The file is not UTF-8 text." in response.content.decode()


def test_a_rule_the_model_no_longer_fits_cannot_be_switched_on(admin_client):
    # Saved around the editor (as an older model allowed): switching it on checks it again.
    rule = Rule.objects.create(
        key="stale",
        label_zh="过时的规则",
        condition="opn > 1",
        actions=[{"type": "set_state", "dimension": "grade", "state": "A"}],
    )
    response = admin_client.post(f"/settings/status/rules/{rule.pk}/enabled/", {"enabled": "1"})
    assert response.status_code == 302
    rule.refresh_from_db()
    assert not rule.enabled
    page = admin_client.get(response["Location"]).content.decode()
    assert "Unknown fact “opn”." in page
