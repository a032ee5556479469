"""The six industry templates of PRODUCT.md S10 (tend/status/templates): each parses with no
problem, installs on top of the default model (audited; twice changes nothing; a dry run
changes nothing), and its rules, run on generated customers, move exactly the customers they
should and give the tasks they should — and leave the others alone. Its transitions' guards,
reasons, checklists and approvals hold for people too."""

import datetime

import pytest
from django.utils import timezone

from tend.accounts.models import Role
from tend.activities.models import Task
from tend.audit.models import AuditEntry
from tend.core.errors import NotFound, PermissionDenied
from tend.customers.actions import create_custom_field_definition, update_customer
from tend.customers.models import Customer, CustomFieldDefinition
from tend.service.actions import change_ticket_status
from tend.status.actions import MoveRefused, approve_request, change_state, tick_step
from tend.status.model_file import ModelFileErrors, export_model, parse_model
from tend.status.models import (
    BgNbdFit,
    ChecklistStep,
    CustomerFacts,
    CustomerState,
    Dimension,
    Door,
    RequestStatus,
    Rule,
    State,
    StateChange,
    Transition,
    TransitionRequest,
)
from tend.status.rules import evaluate
from tend.status.templates import (
    Template,
    ensure_fields,
    get_template,
    install_template,
    templates,
)
from tests.factories import make_activity, make_customer, make_user
from tests.factories_contracts import make_contract
from tests.factories_orders import make_order
from tests.factories_service import make_feedback, make_ticket

pytestmark = pytest.mark.django_db

NOW = timezone.now().replace(microsecond=0)
TODAY = timezone.localdate(NOW)
DAY = datetime.timedelta(days=1)
NAMES = ["education", "real_estate", "finance", "fitness", "manufacturing", "saas"]
DEFAULT_DIMENSIONS = [
    "lifecycle",
    "value",
    "engagement",
    "grade",
    "collaboration",
    "risk",
    "data_quality",
    "time_window",
]


# --- helpers -----------------------------------------------------------------------------------


def put(customer, dimension: str, state: str, actor, *, days_ago: int = 0, reason: str = ""):
    """Move the customer as a person would (every check applies), `days_ago` days back."""
    dim = Dimension.objects.get(key=dimension)
    return change_state(
        actor=actor,
        customer=customer,
        dimension=dim,
        state=State.objects.get(dimension=dim, key=state),
        door=Door.WEB,
        reason=reason,
        at=NOW - days_ago * DAY,
    )


def tick_all(customer, dimension: str, from_key: str, to_key: str, actor, *, days_ago: int = 0):
    transition = Transition.objects.get(
        dimension__key=dimension, from_state__key=from_key, to_state__key=to_key
    )
    for step in ChecklistStep.objects.filter(transition=transition):
        tick_step(actor=actor, customer=customer, step=step, at=NOW - days_ago * DAY)


def state_of(customer, dimension: str) -> str | None:
    row = CustomerState.objects.filter(customer=customer, dimension__key=dimension).first()
    return row.state.key if row else None


def tasks_of(customer) -> dict[str, int | None]:
    """{title: assignee id} of the customer's tasks (never two of one title)."""
    rows = list(Task.objects.filter(customer=customer).values_list("title", "assignee_id"))
    assert len(rows) == len({title for title, _assignee in rows}), rows
    return dict(rows)


def tags_of(customer) -> set[str]:
    return set(Customer.objects.get(pk=customer.pk).tags.values_list("name", flat=True))


def run(name: str):
    """The template's rules, all of them, for every customer, as of NOW, by priority."""
    _dimensions, keys = get_template(name).keys()
    rules = list(Rule.objects.filter(key__in=keys).order_by("priority", "key"))
    assert len(rules) == len(keys)
    evaluation = evaluate(rules=rules, now=NOW)
    assert evaluation.unstable == {}  # no rule of the template flips a customer
    return evaluation


def customer(owner, name, **fields):
    return (
        make_customer(owner, name=name, custom_fields=fields)
        if fields
        else make_customer(owner, name=name)
    )


def set_fields(actor, target, **fields):
    update_customer(actor=actor, customer=target, data={"custom_fields": fields})


# --- every template ----------------------------------------------------------------------------


def test_the_catalogue_lists_the_six_templates_with_bilingual_labels():
    found = templates()
    assert [template.name for template in found] == NAMES
    for template in found:
        assert template.path.exists()
        assert template.label_zh and template.label_en
        assert template.description_zh and template.description_en
    with pytest.raises(NotFound):
        get_template("bakery")


@pytest.mark.parametrize("name", NAMES)
def test_each_template_parses_with_no_problem_and_has_what_s10_asks(name, admin):
    template = get_template(name)
    ensure_fields(template, actor=admin)
    spec = parse_model(template.text())  # raises ModelFileErrors listing any problem
    assert spec.dimensions and spec.rules and spec.health is None
    for dimension in spec.dimensions:
        assert dimension.key not in DEFAULT_DIMENSIONS  # its own, beside the default ones
        assert dimension.label_zh and dimension.label_en
        for state in dimension.states:
            assert state.label_zh and state.label_en and state.color and state.category
            assert state.follow_up_days is None  # the grade keeps the cadence
    transitions = [t for dimension in spec.dimensions for t in dimension.transitions]
    assert any(t.guard for t in transitions)
    assert any(t.reason_required for t in transitions)
    assert any(t.steps or t.approval_role for t in transitions)
    assert any(s.guidance.get("definition_zh") for d in spec.dimensions for s in d.states)
    actions = [action["type"] for rule in spec.rules for action in rule.actions]
    assert "set_state" in actions and "create_task" in actions
    # Checked alone, its conditions could name only its own dimensions; its actions move only
    # its own too: it installs beside any model.
    own = {dimension.key for dimension in spec.dimensions}
    moved = {
        action["dimension"]
        for rule in spec.rules
        for action in rule.actions
        if "dimension" in action
    }
    assert moved and moved <= own


@pytest.mark.parametrize("name", NAMES)
def test_installing_adds_the_template_on_top_of_the_default_model(name, admin):
    rules_before = set(Rule.objects.values_list("key", flat=True))
    template = get_template(name)
    installed = install_template(name, actor=admin)
    dimensions, rules = template.keys()
    assert installed.counts["created"] > 0 and installed.counts["removed"] == 0
    assert installed.fields_created == [field.key for field in template.fields]
    assert set(DEFAULT_DIMENSIONS) <= set(Dimension.objects.values_list("key", flat=True))
    assert set(Dimension.objects.filter(key__in=dimensions).values_list("key", flat=True)) == set(
        dimensions
    )
    assert set(Rule.objects.values_list("key", flat=True)) == rules_before | set(rules)
    assert template.installed()
    # Audited, under the acting administrator: the dimensions, the rules, the custom fields.
    created = AuditEntry.objects.filter(actor=admin, action="create")
    assert created.filter(object_type="status.dimension").count() == len(dimensions)
    assert created.filter(object_type="status.rule").count() == len(rules)
    assert created.filter(object_type="customers.customfielddefinition").count() == len(
        template.fields
    )
    # The whole model still reads back without a problem.
    parse_model(export_model())


@pytest.mark.parametrize("name", NAMES)
def test_installing_twice_changes_nothing_the_second_time(name, admin):
    install_template(name, actor=admin)
    model, audited = export_model(), AuditEntry.objects.count()
    again = install_template(name, actor=admin)
    assert again.counts == {"created": 0, "updated": 0, "removed": 0}
    assert again.fields_created == []
    assert export_model() == model and AuditEntry.objects.count() == audited


@pytest.mark.parametrize("name", NAMES)
def test_a_dry_run_changes_nothing(name, admin):
    model, audited = export_model(), AuditEntry.objects.count()
    fields = CustomFieldDefinition.objects.count()
    dry = install_template(name, actor=admin, dry_run=True)
    assert dry.counts["created"] > 0 and dry.fields_created  # what it would do
    assert export_model() == model
    assert AuditEntry.objects.count() == audited
    assert CustomFieldDefinition.objects.count() == fields
    assert not get_template(name).installed()


def test_all_six_install_together_and_each_again_changes_nothing(admin):
    for name in NAMES:
        install_template(name, actor=admin)
    assert all(template.installed() for template in templates())
    # remaining_lessons is shared by education and fitness: one field, created once.
    assert CustomFieldDefinition.objects.filter(key="remaining_lessons").count() == 1
    model = export_model()
    parse_model(model)
    for name in NAMES:
        assert install_template(name, actor=admin).counts == {
            "created": 0,
            "updated": 0,
            "removed": 0,
        }
    assert export_model() == model


def test_a_custom_field_of_another_type_stops_the_install(admin):
    create_custom_field_definition(
        actor=admin,
        data={
            "key": "remaining_lessons",
            "label_zh": "剩余",
            "label_en": "Left",
            "field_type": "text",
        },
    )
    with pytest.raises(ModelFileErrors) as raised:
        install_template("education", actor=admin)
    assert "remaining_lessons" in raised.value.problems[0]
    assert not Dimension.objects.filter(key="edu_student").exists()
    assert not CustomFieldDefinition.objects.filter(key="leave_ends_on").exists()


def test_the_template_cannot_remove_a_state_that_has_customers(admin, org, monkeypatch):
    install_template("education", actor=admin)
    student = make_customer(org.rep)
    put(student, "edu_student", "trial", admin)
    original = Template.text

    def renamed(self):  # 试听学员 renamed: the file no longer has the state "trial"
        text = original(self)
        for old, new in [
            ("key: trial\n", "key: prospective\n"),
            ("to: trial\n", "to: prospective\n"),
            ("from: trial\n", "from: prospective\n"),
            ("from: trial,", "from: prospective,"),
            ('"trial"', '"prospective"'),
        ]:
            text = text.replace(old, new)
        return text

    monkeypatch.setattr(Template, "text", renamed)
    parse_model(renamed(get_template("education")))  # a good file …
    with pytest.raises(ModelFileErrors) as raised:  # … that would take the students' state
        install_template("education", actor=admin)
    assert any("edu_student / trial" in problem for problem in raised.value.problems)
    assert State.objects.filter(dimension__key="edu_student", key="trial").exists()
    assert not State.objects.filter(key="prospective").exists()
    assert state_of(student, "edu_student") == "trial"


def test_the_merged_model_is_checked_whole(admin):
    """A rule already in the model that names a state the template's dimension lacks: the
    template alone is fine, the two together are not, and nothing is applied."""
    Rule.objects.create(
        key="alumni_newsletter",
        label_zh="校友通讯",
        condition='state("edu_student") == "alumni"',
        actions=[{"type": "add_tag", "tag": "校友"}],
    )
    with pytest.raises(ModelFileErrors) as raised:
        install_template("education", actor=admin)
    [problem] = raised.value.problems
    assert problem.startswith("The current model with the template: Line ")
    assert "alumni" in problem
    assert not Dimension.objects.filter(key="edu_student").exists()
    assert not CustomFieldDefinition.objects.filter(key="remaining_lessons").exists()


def test_installing_needs_an_administrator_for_the_custom_fields(org):
    with pytest.raises(PermissionDenied):
        install_template("saas", actor=org.rep)
    with pytest.raises(PermissionDenied):
        install_template("saas", actor=None)
    assert not Dimension.objects.filter(key="saas_health").exists()


# --- education ---------------------------------------------------------------------------------


def enrol(student, admin, *, days_ago: int, lessons: int | None = None):
    """A trial student who paid (an order) and enrolled `days_ago` days back."""
    make_order(student, actor=admin, ordered_on=TODAY - (days_ago + 1) * DAY, amount="4800.00")
    put(student, "edu_student", "trial", admin, days_ago=days_ago + 2)
    put(student, "edu_student", "enrolled", admin, days_ago=days_ago)
    if lessons is not None:
        set_fields(admin, student, remaining_lessons=lessons)


def go_on_leave(student, admin, *, days_ago: int, returns_in: int):
    enrol(student, admin, days_ago=days_ago + 10)
    set_fields(admin, student, leave_ends_on=(TODAY + returns_in * DAY).isoformat())
    tick_all(student, "edu_student", "enrolled", "on_leave", admin, days_ago=days_ago)
    put(student, "edu_student", "on_leave", admin, days_ago=days_ago, reason="出国交流半年")


def test_education_rules_on_generated_students(admin, org):
    install_template("education", actor=admin)
    rep = org.rep
    paid = customer(rep, "试听后报名的学员")
    put(paid, "edu_student", "trial", admin, days_ago=1)
    make_order(paid, actor=admin, ordered_on=TODAY, amount="6800.00")
    quiet_trial = customer(rep, "试听后未回访的学员")
    put(quiet_trial, "edu_student", "trial", admin, days_ago=5)
    called_trial = customer(rep, "试听后已回访的学员")
    put(called_trial, "edu_student", "trial", admin, days_ago=5)
    make_activity(called_trial, occurred_at=NOW - DAY, summary="试听反馈")
    fresh_trial = customer(rep, "今天试听的学员")
    put(fresh_trial, "edu_student", "trial", admin)
    low = customer(rep, "课时不足的学员")
    enrol(low, admin, days_ago=60, lessons=3)
    plenty = customer(rep, "课时充足的学员")
    enrol(plenty, admin, days_ago=60, lessons=20)
    done = customer(rep, "课时用完的学员")
    enrol(done, admin, days_ago=90, lessons=0)
    returning = customer(rep, "下周复学的学员")
    go_on_leave(returning, admin, days_ago=40, returns_in=5)
    later = customer(rep, "两个月后复学的学员")
    go_on_leave(later, admin, days_ago=10, returns_in=60)
    long_leave = customer(rep, "长期休学的学员")
    go_on_leave(long_leave, admin, days_ago=200, returns_in=-20)
    outsider = customer(rep, "不是学员的客户", remaining_lessons=1)
    assert not Task.objects.exists()

    run("education")

    assert state_of(paid, "edu_student") == "enrolled"
    assert tasks_of(paid) == {"安排班级与开课时间": rep.pk}
    assert state_of(quiet_trial, "edu_student") == "trial"
    assert tasks_of(quiet_trial) == {"试听课后回访，邀请报名": rep.pk}
    for untouched in (called_trial, fresh_trial):
        assert state_of(untouched, "edu_student") == "trial" and tasks_of(untouched) == {}
    assert state_of(low, "edu_student") == "enrolled"
    assert tasks_of(low) == {"课时不足，续费提醒": rep.pk} and tags_of(low) == {"待续费"}
    assert state_of(plenty, "edu_student") == "enrolled" and tasks_of(plenty) == {}
    assert state_of(done, "edu_student") == "completed"
    assert tasks_of(done) == {"推荐进阶课程": rep.pk} and tags_of(done) == set()
    assert state_of(returning, "edu_student") == "on_leave"
    assert tasks_of(returning) == {"复学前联系，安排复课": rep.pk}
    assert state_of(later, "edu_student") == "on_leave" and tasks_of(later) == {}
    assert state_of(long_leave, "edu_student") == "withdrawn"
    assert tasks_of(long_leave) == {"流失学员回访": rep.pk}
    assert state_of(outsider, "edu_student") is None and tasks_of(outsider) == {}
    # The history says which rule moved whom, with the facts.
    change = StateChange.objects.filter(customer=long_leave).order_by("-at", "-id").first()
    assert change.rule_key == "edu_long_leave_withdrawn"
    assert change.facts['days_in_state("edu_student")'] == 200

    # A second run changes nothing and repeats no task.
    tasks = Task.objects.count()
    again = run("education")
    assert sum(result.changed for result in again.results) == 0
    assert Task.objects.count() == tasks


def test_education_enrols_a_trial_student_right_after_the_order(
    admin, org, django_capture_on_commit_callbacks
):
    """The order_recorded trigger: the worker (immediate in tests) runs the rule for that one
    student after the order commits."""
    install_template("education", actor=admin)
    student = customer(org.rep, "报名的试听学员")
    other = customer(org.rep, "另一个试听学员")
    for person in (student, other):
        put(person, "edu_student", "trial", admin, days_ago=1)
    with django_capture_on_commit_callbacks(execute=True):
        make_order(other, actor=admin, ordered_on=TODAY - 400 * DAY)  # an old order: no
        make_order(student, actor=admin, ordered_on=TODAY)
    assert state_of(student, "edu_student") == "enrolled"
    assert tasks_of(student) == {"安排班级与开课时间": org.rep.pk}
    assert state_of(other, "edu_student") == "trial" and tasks_of(other) == {}


def test_education_transitions_hold_for_people(admin, org):
    install_template("education", actor=admin)
    student = customer(org.rep, "试听学员")
    put(student, "edu_student", "trial", admin)
    with pytest.raises(MoveRefused) as refused:  # 报名 needs a payment
        put(student, "edu_student", "enrolled", org.rep)
    assert "days_since_last_order" in str(refused.value.message)
    make_order(student, actor=admin, ordered_on=TODAY)
    put(student, "edu_student", "enrolled", org.rep)
    with pytest.raises(MoveRefused) as refused:  # 休学: a reason and the checklist
        put(student, "edu_student", "on_leave", org.rep)
    assert "reason" in str(refused.value.message) and "Remaining lessons confirmed" in str(
        refused.value.message
    )
    # 退学退费 waits for the manager's approval.
    outcome = put(student, "edu_student", "withdrawn", org.rep, reason="搬家退费")
    assert outcome.request is not None and outcome.request.status == RequestStatus.PENDING
    assert state_of(student, "edu_student") == "enrolled"
    approve_request(actor=org.manager, request=outcome.request)
    assert state_of(student, "edu_student") == "withdrawn"


# --- real estate -------------------------------------------------------------------------------


def to_second_viewing(buyer, admin, *, days_ago: int):
    set_fields(admin, buyer, viewings=2)
    put(buyer, "realty_journey", "first_viewing", admin, days_ago=days_ago + 3)
    put(buyer, "realty_journey", "second_viewing", admin, days_ago=days_ago)


def test_real_estate_rules_on_generated_buyers(admin, org):
    install_template("real_estate", actor=admin)
    rep = org.rep
    shown_twice = customer(rep, "第二次带看的买家", viewings=1)
    put(shown_twice, "realty_journey", "first_viewing", admin, days_ago=3)
    set_fields(admin, shown_twice, viewings=2)
    first_quiet = customer(rep, "首看后未回访的买家", viewings=1)
    put(first_quiet, "realty_journey", "first_viewing", admin, days_ago=4)
    first_called = customer(rep, "首看后已回访的买家", viewings=1)
    put(first_called, "realty_journey", "first_viewing", admin, days_ago=4)
    make_activity(first_called, occurred_at=NOW - DAY, summary="推荐三套房源")
    first_today = customer(rep, "今天首看的买家", viewings=1)
    put(first_today, "realty_journey", "first_viewing", admin)
    haggling = customer(rep, "议价三周的买家", budget_wan=380)
    to_second_viewing(haggling, admin, days_ago=25)
    make_activity(haggling, occurred_at=NOW - 2 * DAY, summary="约业主谈价")
    put(haggling, "realty_journey", "negotiating", admin, days_ago=20)
    fresh_haggling = customer(rep, "刚开始议价的买家", budget_wan=260)
    to_second_viewing(fresh_haggling, admin, days_ago=5)
    put(fresh_haggling, "realty_journey", "negotiating", admin, days_ago=2)
    silent = customer(rep, "40 天未联系的买家")
    to_second_viewing(silent, admin, days_ago=45)
    make_activity(silent, occurred_at=NOW - 40 * DAY, summary="复看")
    warm = customer(rep, "上周联系过的买家")
    to_second_viewing(warm, admin, days_ago=45)
    make_activity(warm, occurred_at=NOW - 5 * DAY, summary="复看")
    outsider = customer(rep, "租房客户", viewings=5)
    assert not Task.objects.exists()

    run("real_estate")

    assert state_of(shown_twice, "realty_journey") == "second_viewing"
    assert tasks_of(shown_twice) == {"复看客户：准备房源对比表": rep.pk}
    assert state_of(first_quiet, "realty_journey") == "first_viewing"
    assert tasks_of(first_quiet) == {"首看回访，推荐匹配房源": rep.pk}
    for untouched in (first_called, first_today):
        assert state_of(untouched, "realty_journey") == "first_viewing"
        assert tasks_of(untouched) == {}
    assert tasks_of(haggling) == {
        "准备认购书与首付方案": rep.pk,
        "议价停滞，店长协助谈判": org.manager.pk,
    }
    assert tasks_of(fresh_haggling) == {"准备认购书与首付方案": rep.pk}
    assert state_of(silent, "realty_journey") == "paused"
    assert Customer.objects.get(pk=silent.pk).owner_id is None  # back in the public pool
    assert state_of(warm, "realty_journey") == "second_viewing"
    assert Customer.objects.get(pk=warm.pk).owner_id == rep.pk
    assert state_of(outsider, "realty_journey") is None and tasks_of(outsider) == {}


def test_real_estate_transitions_hold_for_people(admin, org):
    install_template("real_estate", actor=admin)
    buyer = customer(org.rep, "买家", viewings=1)
    put(buyer, "realty_journey", "first_viewing", org.rep)
    with pytest.raises(MoveRefused):  # 复看 needs a second viewing
        put(buyer, "realty_journey", "second_viewing", org.rep)
    set_fields(org.rep, buyer, viewings=2)
    put(buyer, "realty_journey", "second_viewing", org.rep)
    with pytest.raises(MoveRefused) as refused:  # 议价 needs the budget on file
        put(buyer, "realty_journey", "negotiating", org.rep)
    assert 'field_number("budget_wan")' in str(refused.value.message)
    set_fields(org.rep, buyer, budget_wan=300)
    put(buyer, "realty_journey", "negotiating", org.rep)
    with pytest.raises(MoveRefused) as refused:  # 成交: the checklist
        put(buyer, "realty_journey", "deal_closed", org.rep)
    assert "Deposit received" in str(refused.value.message)
    with pytest.raises(MoveRefused):  # 暂缓 needs a reason
        put(buyer, "realty_journey", "paused", org.rep)
    tick_all(buyer, "realty_journey", "negotiating", "deal_closed", admin)
    put(buyer, "realty_journey", "deal_closed", org.rep)
    assert state_of(buyer, "realty_journey") == "deal_closed"


# --- finance -----------------------------------------------------------------------------------

PROFILE = {
    "industry": "制造业",
    "province": "浙江省",
    "city": "杭州市",
    "source": "referral",
    "address": "西湖区文三路 1 号",
}


def applicant(owner, name, **fields):
    """A company whose profile is 75% complete (six of the eight key fields)."""
    email = f"cfo{Customer.objects.count()}@example.com"
    return make_customer(owner, name=name, email=email, **PROFILE, custom_fields=fields)


def to_credit_review(client, admin, *, days_ago: int):
    put(client, "finance_credit", "collecting", admin, days_ago=days_ago + 4)
    put(client, "finance_credit", "risk_assessment", admin, days_ago=days_ago + 2)
    tick_all(client, "finance_credit", "risk_assessment", "credit_review", admin, days_ago=days_ago)
    put(client, "finance_credit", "credit_review", admin, days_ago=days_ago)


def approve_credit(client, admin, *, days_ago: int):
    to_credit_review(client, admin, days_ago=days_ago + 1)
    put(client, "finance_credit", "approved", admin, days_ago=days_ago)


def test_finance_rules_on_generated_clients(admin, org):
    install_template("finance", actor=admin)
    finance = make_user(role=Role.FINANCE, username="finance")
    rep = org.rep
    overdue = applicant(rep, "逾期的授信客户", risk_rating="R2")
    approve_credit(overdue, admin, days_ago=120)
    make_order(
        overdue,
        actor=admin,
        ordered_on=TODAY - 100 * DAY,
        due_on=TODAY - 60 * DAY,
        amount="200000.00",
    )
    slightly_late = applicant(rep, "逾期 10 天的授信客户", risk_rating="R2")
    approve_credit(slightly_late, admin, days_ago=120)
    make_order(slightly_late, actor=admin, ordered_on=TODAY - 40 * DAY, due_on=TODAY - 10 * DAY)
    expiring = applicant(
        rep, "授信即将到期的客户", risk_rating="R3", credit_expires_on=str(TODAY + 20 * DAY)
    )
    approve_credit(expiring, admin, days_ago=300)
    sound = applicant(
        rep, "正常的授信客户", risk_rating="R1", credit_expires_on=str(TODAY + 200 * DAY)
    )
    approve_credit(sound, admin, days_ago=100)
    slow_assessment = applicant(rep, "评估 8 天的客户")
    put(slow_assessment, "finance_credit", "collecting", admin, days_ago=10)
    put(slow_assessment, "finance_credit", "risk_assessment", admin, days_ago=8)
    slow_review = applicant(rep, "审核 12 天的客户", risk_rating="R4")
    to_credit_review(slow_review, admin, days_ago=12)
    quick_review = applicant(rep, "审核 3 天的客户", risk_rating="R4")
    to_credit_review(quick_review, admin, days_ago=3)
    high_risk = applicant(rep, "R5 客户", risk_rating="R5")
    put(high_risk, "finance_credit", "collecting", admin, days_ago=1)
    outsider = applicant(rep, "未申请授信的客户", risk_rating="R5")
    assert not Task.objects.exists()

    run("finance")

    assert state_of(overdue, "finance_credit") == "frozen"
    assert tasks_of(overdue) == {"授信客户逾期：额度已冻结，请核查催收": finance.pk}
    assert state_of(slightly_late, "finance_credit") == "approved"
    assert tasks_of(slightly_late) == {}
    assert state_of(expiring, "finance_credit") == "risk_assessment"
    assert tasks_of(expiring) == {"授信即将到期：更新资料并重新评估": rep.pk}
    assert state_of(sound, "finance_credit") == "approved" and tasks_of(sound) == {}
    assert tasks_of(slow_assessment) == {"风险评估超期，请尽快完成": finance.pk}
    assert tasks_of(slow_review) == {"授信审核超期，请催办": org.manager.pk}
    assert tasks_of(quick_review) == {}
    assert tasks_of(high_risk) == {"高风险等级客户合规复核": finance.pk}
    assert tags_of(high_risk) == {"高风险客户"}
    assert tasks_of(outsider) == {} and tags_of(outsider) == set()
    assert state_of(outsider, "finance_credit") is None


def test_finance_transitions_hold_for_people(admin, org):
    install_template("finance", actor=admin)
    thin = make_customer(org.rep, name="资料不全的客户")
    put(thin, "finance_credit", "collecting", org.rep)
    with pytest.raises(MoveRefused) as refused:  # files complete enough first
        put(thin, "finance_credit", "risk_assessment", org.rep)
    assert "profile_completeness" in str(refused.value.message)

    client = applicant(org.rep, "授信申请客户", risk_rating="R5")
    put(client, "finance_credit", "collecting", org.rep)
    put(client, "finance_credit", "risk_assessment", org.rep)
    tick_all(client, "finance_credit", "risk_assessment", "credit_review", org.rep)
    with pytest.raises(MoveRefused) as refused:  # R5 gets no credit
        put(client, "finance_credit", "credit_review", org.rep)
    assert "risk_rating" in str(refused.value.message)
    set_fields(org.rep, client, risk_rating="R3")
    put(client, "finance_credit", "credit_review", org.rep)
    outcome = put(client, "finance_credit", "approved", org.rep)  # waits for the manager
    assert outcome.request.status == RequestStatus.PENDING
    approve_request(actor=org.manager, request=outcome.request)
    assert state_of(client, "finance_credit") == "approved"
    with pytest.raises(MoveRefused):  # freezing needs a reason
        put(client, "finance_credit", "frozen", org.rep)
    put(client, "finance_credit", "frozen", org.rep, reason="涉诉")
    outcome = put(client, "finance_credit", "approved", org.manager, reason="诉讼已撤销")
    assert outcome.request is not None  # 解冻: an administrator confirms
    assert state_of(client, "finance_credit") == "frozen"


# --- fitness -----------------------------------------------------------------------------------


def member(owner, admin, name, *, card, expires_in, lessons=None, days_ago=30):
    fields = {"card_type": card, "card_expires_on": str(TODAY + expires_in * DAY)}
    if lessons is not None:
        fields["remaining_lessons"] = lessons
    person = make_customer(owner, name=name, kind="person", custom_fields=fields)
    put(person, "fitness_membership", "trial", admin, days_ago=days_ago + 1)
    put(person, "fitness_membership", "member", admin, days_ago=days_ago)
    return person


def test_fitness_rules_on_generated_members(admin, org):
    install_template("fitness", actor=admin)
    rep = org.rep
    ending_soon = member(rep, admin, "月卡 10 天后到期", card="月卡", expires_in=10)
    few_lessons = member(rep, admin, "次卡剩 2 节", card="次卡", expires_in=100, lessons=2)
    annual = member(rep, admin, "年卡会员", card="年卡", expires_in=200, lessons=2)
    make_activity(annual, occurred_at=NOW - 3 * DAY, summary="到店训练")
    ended = member(rep, admin, "会员卡已过期", card="季卡", expires_in=-3)
    renewed = member(rep, admin, "已续卡会员", card="季卡", expires_in=10, days_ago=60)
    put(renewed, "fitness_membership", "expiring", admin, days_ago=5)
    set_fields(admin, renewed, card_expires_on=str(TODAY + 300 * DAY))
    quiet = member(rep, admin, "45 天没来的会员", card="年卡", expires_in=200)
    make_activity(quiet, occurred_at=NOW - 45 * DAY, summary="到店训练")
    coached = member(rep, admin, "私教会员", card="私教卡", expires_in=90, lessons=20)
    make_activity(coached, occurred_at=NOW - DAY, summary="私教课")
    visitor = make_customer(rep, name="体验会员", kind="person")
    put(visitor, "fitness_membership", "trial", admin, days_ago=2)
    assert not Task.objects.exists()

    run("fitness")

    assert state_of(ending_soon, "fitness_membership") == "expiring"
    assert tasks_of(ending_soon) == {"推送续费优惠": rep.pk}
    assert state_of(few_lessons, "fitness_membership") == "expiring"
    assert tasks_of(few_lessons) == {"推送续费优惠": rep.pk}
    assert state_of(annual, "fitness_membership") == "member" and tasks_of(annual) == {}
    assert state_of(ended, "fitness_membership") == "expired"
    assert tasks_of(ended) == {"过期会员回访挽回": rep.pk}  # not a renewal offer as well
    assert state_of(renewed, "fitness_membership") == "member" and tasks_of(renewed) == {}
    assert state_of(quiet, "fitness_membership") == "member"
    assert tasks_of(quiet) == {"会员关怀：邀请回店训练": rep.pk}
    assert tasks_of(coached) == {"安排私教首课与体测": rep.pk}
    assert state_of(visitor, "fitness_membership") == "trial" and tasks_of(visitor) == {}
    # 会员卡类型 kept as a state from the field.
    assert {
        person.name: state_of(person, "fitness_card")
        for person in (ending_soon, few_lessons, annual, ended, coached, visitor)
    } == {
        "月卡 10 天后到期": "monthly",
        "次卡剩 2 节": "pass",
        "年卡会员": "annual",
        "会员卡已过期": "quarterly",
        "私教会员": "personal_training",
        "体验会员": None,
    }
    # The card changes, the state follows.
    set_fields(admin, annual, card_type="私教卡")
    run("fitness")
    assert state_of(annual, "fitness_membership") == "expiring"  # 2 lessons left on 私教卡
    assert state_of(annual, "fitness_card") == "personal_training"


def test_fitness_transitions_hold_for_people(admin, org):
    install_template("fitness", actor=admin)
    visitor = make_customer(org.rep, name="体验会员", kind="person")
    put(visitor, "fitness_membership", "trial", org.rep)
    with pytest.raises(MoveRefused):  # 办卡: a card or lessons first
        put(visitor, "fitness_membership", "member", org.rep)
    set_fields(org.rep, visitor, card_type="年卡", card_expires_on=str(TODAY + 365 * DAY))
    put(visitor, "fitness_membership", "member", org.rep)
    with pytest.raises(MoveRefused) as refused:  # 停卡: a reason and the signed form
        put(visitor, "fitness_membership", "paused", org.rep)
    assert "Pause form signed" in str(refused.value.message)
    with pytest.raises(MoveRefused) as refused:  # the card type is the rules' to set
        put(visitor, "fitness_card", "annual", admin)
    assert "rules" in str(refused.value.message).lower()


# --- manufacturing -----------------------------------------------------------------------------


def plant(owner, admin, name, *, days_ago=30, **fields):
    factory = make_customer(owner, name=name, custom_fields=fields)
    put(factory, "mfg_equipment", "running", admin, days_ago=days_ago)
    return factory


def test_manufacturing_rules_on_generated_plants(admin, org):
    install_template("manufacturing", actor=admin)
    service = make_user(role=Role.SERVICE, username="engineer")
    rep = org.rep
    alarming = plant(
        rep, admin, "告警频繁的工厂", device_alerts_30d=5, next_maintenance_on=str(TODAY + 90 * DAY)
    )
    due = plant(
        rep,
        admin,
        "保养将到期的工厂",
        device_alerts_30d=0,
        next_maintenance_on=str(TODAY + 7 * DAY),
    )
    fine = plant(
        rep, admin, "运行正常的工厂", device_alerts_30d=1, next_maintenance_on=str(TODAY + 90 * DAY)
    )
    unknown = plant(rep, admin, "未接入设备数据的工厂")
    inspecting = plant(rep, admin, "巡检拖延的工厂", days_ago=20, device_alerts_30d=4)
    put(inspecting, "mfg_equipment", "needs_maintenance", admin, days_ago=15)
    tick_all(inspecting, "mfg_equipment", "needs_maintenance", "inspection_scheduled", admin)
    put(inspecting, "mfg_equipment", "inspection_scheduled", admin, days_ago=10)
    repairing = plant(rep, admin, "维修 5 天的工厂", days_ago=20)
    make_ticket(repairing, actor=admin, at=NOW - 5 * DAY)
    put(repairing, "mfg_equipment", "under_repair", admin, days_ago=5, reason="主轴故障停机")
    warranty_ending = make_customer(
        rep, name="保修将到期的工厂", custom_fields={"warranty_ends_on": str(TODAY + 30 * DAY)}
    )
    warranty_long = make_customer(
        rep, name="保修期内的工厂", custom_fields={"warranty_ends_on": str(TODAY + 200 * DAY)}
    )
    warranty_over = make_customer(
        rep, name="已过保的工厂", custom_fields={"warranty_ends_on": str(TODAY - 10 * DAY)}
    )
    assert not Task.objects.exists()

    run("manufacturing")

    for needing in (alarming, due):
        assert state_of(needing, "mfg_equipment") == "needs_maintenance"
        assert tasks_of(needing) == {"联系客户安排预防性巡检": service.pk}
        assert Task.objects.get(customer=needing).kind == "visit"
    for untouched in (fine, unknown):
        assert state_of(untouched, "mfg_equipment") == "running" and tasks_of(untouched) == {}
    assert state_of(inspecting, "mfg_equipment") == "inspection_scheduled"
    assert tasks_of(inspecting) == {"巡检超期未完成，请跟进": org.manager.pk}
    assert tasks_of(repairing) == {"设备维修超时，升级处理": org.manager.pk}
    assert state_of(warranty_ending, "mfg_warranty") == "warranty_ending"
    assert tasks_of(warranty_ending) == {"推荐延保服务合同": rep.pk}
    assert state_of(warranty_long, "mfg_warranty") == "in_warranty"
    assert state_of(warranty_over, "mfg_warranty") == "out_of_warranty"
    assert tasks_of(warranty_long) == tasks_of(warranty_over) == {}
    assert state_of(fine, "mfg_warranty") is None  # no warranty date, no state
    # Why: the device facts that made the rule fire are in the history.
    change = StateChange.objects.get(customer=alarming, rule_key="mfg_preventive_maintenance")
    assert change.facts['field_number("device_alerts_30d")'] == 5


def test_manufacturing_transitions_hold_for_people(admin, org):
    install_template("manufacturing", actor=admin)
    factory = plant(
        org.rep, admin, "工厂", device_alerts_30d=4, next_maintenance_on=str(TODAY + 5 * DAY)
    )
    put(factory, "mfg_equipment", "needs_maintenance", org.rep)
    with pytest.raises(MoveRefused):  # a false alarm needs a reason
        put(factory, "mfg_equipment", "running", org.rep)
    with pytest.raises(MoveRefused) as refused:  # the inspection checklist
        put(factory, "mfg_equipment", "inspection_scheduled", org.rep)
    assert "Spare parts ready" in str(refused.value.message)
    tick_all(factory, "mfg_equipment", "needs_maintenance", "inspection_scheduled", admin)
    put(factory, "mfg_equipment", "inspection_scheduled", org.rep)
    with pytest.raises(MoveRefused) as refused:  # inspected: the next date moved on first
        put(factory, "mfg_equipment", "running", org.rep)
    assert "next_maintenance_on" in str(refused.value.message)
    set_fields(org.rep, factory, device_alerts_30d=0, next_maintenance_on=str(TODAY + 180 * DAY))
    put(factory, "mfg_equipment", "running", org.rep)
    ticket = make_ticket(factory, actor=admin)
    put(factory, "mfg_equipment", "under_repair", org.rep, reason="电机烧毁")
    with pytest.raises(MoveRefused) as refused:  # repaired: no ticket open
        put(factory, "mfg_equipment", "running", org.rep)
    assert "open_tickets" in str(refused.value.message)
    change_ticket_status(actor=admin, ticket=ticket, status="resolved")
    put(factory, "mfg_equipment", "running", org.rep)
    assert state_of(factory, "mfg_equipment") == "running"


# --- SaaS --------------------------------------------------------------------------------------


def contract(account, admin, *, ends_in: int, renewal_of=None, days_ago=300):
    return make_contract(
        account,
        actor=admin,
        status="active",
        signed_on=TODAY - days_ago * DAY,
        starts_on=TODAY - days_ago * DAY,
        ends_on=TODAY + ends_in * DAY,
        renewal_of=renewal_of,
    )


def make_sick(account, admin):
    """Three complaints and two open tickets, never contacted: health ≈ 18."""
    for days in (5, 20, 40):
        make_feedback(account, actor=admin, at=NOW - days * DAY)
    for days in (3, 10):
        make_ticket(account, actor=admin, at=NOW - days * DAY)


def make_thriving(account):
    """A follow-up every two weeks, the last one today: health 100."""
    for days in (0, 14, 28, 42, 56, 70):
        make_activity(account, occurred_at=NOW - days * DAY - datetime.timedelta(minutes=1))


def health(account):
    return CustomerFacts.objects.get(customer=account).health_score


def test_saas_rules_on_generated_accounts(admin, org):
    install_template("saas", actor=admin)
    csm = make_user(role=Role.CUSTOMER_SUCCESS, username="csm")
    rep = org.rep
    sick = customer(rep, "健康度很低的客户")
    make_sick(sick, admin)
    thriving = customer(rep, "活跃的客户")
    make_thriving(thriving)
    middling = customer(rep, "没有记录的客户")
    dropping = customer(rep, "健康度下滑的客户")
    put(dropping, "saas_health", "healthy", admin, days_ago=60)
    recovered = customer(rep, "已好转的风险客户")
    make_thriving(recovered)
    put(recovered, "saas_health", "at_risk", admin, days_ago=30)
    idle_seats = customer(rep, "席位闲置的客户", licensed_seats=100, active_users_30d=20)
    full_seats = customer(rep, "席位用满的客户", licensed_seats=100, active_users_30d=95)
    half_seats = customer(rep, "席位用了一半的客户", licensed_seats=100, active_users_30d=50)
    no_seats = customer(rep, "零席位的客户", licensed_seats=0, active_users_30d=3)
    due = customer(rep, "60 天后到期的客户")
    contract(due, admin, ends_in=60)
    due_and_sick = customer(rep, "到期且高风险的客户")
    make_sick(due_and_sick, admin)
    contract(due_and_sick, admin, ends_in=45)
    renewed = customer(rep, "已续约的客户")
    first = contract(renewed, admin, ends_in=20)
    put(renewed, "saas_renewal", "renewal_due", admin, days_ago=70)
    contract(renewed, admin, ends_in=385, renewal_of=first.pk, days_ago=1)
    lapsed = customer(rep, "到期未续约的客户")
    contract(lapsed, admin, ends_in=-5, days_ago=365)
    put(lapsed, "saas_renewal", "renewal_due", admin, days_ago=90)
    far = customer(rep, "200 天后到期的客户")
    contract(far, admin, ends_in=200)
    assert not Task.objects.exists()

    run("saas")

    assert health(sick) < 40 and health(thriving) >= 99.9
    assert 40 <= health(middling) < 70 and 40 <= health(dropping) < 70
    assert state_of(sick, "saas_health") == "at_risk"
    assert tasks_of(sick) == {"客户成功经理介入：制定挽留计划": csm.pk}
    assert state_of(thriving, "saas_health") == "healthy" and tasks_of(thriving) == {}
    assert state_of(middling, "saas_health") == "watch" and tasks_of(middling) == {}
    assert state_of(dropping, "saas_health") == "watch"
    assert tasks_of(dropping) == {"健康度下降：回访了解使用情况": rep.pk}
    # Out of 流失风险 only by customer success, with a reason.
    assert state_of(recovered, "saas_health") == "at_risk" and tasks_of(recovered) == {}
    with pytest.raises(MoveRefused):
        put(recovered, "saas_health", "healthy", admin)
    put(recovered, "saas_health", "healthy", admin, reason="已完成续约培训")
    # Seats.
    assert tasks_of(idle_seats) == {"席位使用率低：安排产品培训": csm.pk}
    assert tags_of(idle_seats) == {"席位使用率低"}
    assert tasks_of(full_seats) == {"席位接近用满：提供增购方案": rep.pk}
    assert tags_of(full_seats) == {"增购机会"}
    assert tasks_of(half_seats) == tasks_of(no_seats) == {}
    assert tags_of(half_seats) == tags_of(no_seats) == set()
    # Renewals.
    assert state_of(due, "saas_renewal") == "renewal_due"
    assert tasks_of(due) == {"发送续约方案": rep.pk}
    assert state_of(due_and_sick, "saas_renewal") == "renewal_due"
    assert tasks_of(due_and_sick) == {
        "客户成功经理介入：制定挽留计划": csm.pk,
        "发送续约方案": rep.pk,
        "高风险续约：经理介入制定挽留方案": org.manager.pk,
    }
    assert state_of(renewed, "saas_renewal") == "renewed" and tasks_of(renewed) == {}
    # Not renewed: the loss waits for the sales manager's confirmation.
    assert state_of(lapsed, "saas_renewal") == "renewal_due"
    assert tasks_of(lapsed) == {"合同到期未续约：确认流失或挽回": rep.pk}
    request = TransitionRequest.objects.get(customer=lapsed, status=RequestStatus.PENDING)
    assert request.to_state.key == "churned"
    approve_request(actor=org.manager, request=request)
    assert state_of(lapsed, "saas_renewal") == "churned"
    assert state_of(far, "saas_renewal") is None and tasks_of(far) == {}


def test_saas_p_alive_catches_a_buyer_who_stopped(admin, org):
    """Health alone says this customer is fine; P(alive), fitted on the base, says it has
    stopped buying: 流失风险 and customer success."""
    install_template("saas", actor=admin)
    csm = make_user(role=Role.CUSTOMER_SUCCESS, username="csm")
    regulars = []
    for index in range(30):  # a quarterly order for a year: alive
        account = customer(org.rep, f"按季度下单的客户{index}")
        for quarter in range(4):
            day = TODAY - (5 + index + 90 * quarter) * DAY
            make_order(account, actor=admin, number=f"SO-{index}-{quarter}", ordered_on=day)
        regulars.append(account)
    stopped = customer(org.rep, "停止下单的客户")
    for week in range(20):  # every week, then nothing for a year and a half
        make_order(
            stopped, actor=admin, number=f"SO-X-{week}", ordered_on=TODAY - (700 - 7 * week) * DAY
        )
    assert not Task.objects.exists()

    run("saas")

    assert BgNbdFit.objects.exists()
    facts = CustomerFacts.objects.get(customer=stopped)
    assert facts.health_score >= 70 and facts.p_alive < 0.3
    assert state_of(stopped, "saas_health") == "at_risk"
    assert tasks_of(stopped) == {"客户成功经理介入：制定挽留计划": csm.pk}
    alive = CustomerFacts.objects.filter(customer__in=regulars)
    assert min(row.p_alive for row in alive) >= 0.3
    assert not CustomerState.objects.filter(customer__in=regulars, state__key="at_risk").exists()
