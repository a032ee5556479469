"""Deals (商机): creating, editing, moving between stages (the one way a stage changes),
pausing, stalling, deleting — and every read of them, with its visibility."""

import datetime
import re
from decimal import Decimal
from unittest.mock import patch

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tend.audit.models import AuditAction
from tend.core.errors import NotFound, ValidationFailed
from tend.core.timeline import merged_timeline
from tend.customers.actions import delete_customer
from tend.deals.actions import (
    create_deal,
    create_pipeline,
    create_stage,
    delete_deal,
    move_deal,
    pause_deal,
    resume_deal,
    update_deal,
)
from tend.deals.models import Deal, DealStageChange, Pipeline
from tend.deals.selectors import (
    DealFilters,
    access_deal,
    board,
    customer_deals,
    deal_page,
    deal_stage_history,
    deal_timeline_entries,
    filter_deals,
    is_stalled,
    visible_deals,
)
from tend.recyclebin.actions import purge_expired, restore
from tests.domain.support import audit_for, row_counts
from tests.factories import make_contact, make_customer
from tests.factories_deals import default_pipeline, make_deal, stage

T0 = timezone.now().replace(microsecond=0) - datetime.timedelta(days=60)


def at(days=0, hours=0):
    return T0 + datetime.timedelta(days=days, hours=hours)


@pytest.fixture
def pipeline(db):
    return default_pipeline()


@pytest.fixture
def customer(org):
    return make_customer(org.rep, name="杭州青木科技有限公司")


def deal_counts() -> dict:
    return {
        **row_counts(),
        "deals": Deal.objects.count(),
        "changes": DealStageChange.objects.count(),
    }


def field_errors(excinfo) -> dict:
    return excinfo.value.field_errors


# --- creating --------------------------------------------------------------------------------


def test_a_new_deal_starts_in_the_default_pipelines_first_stage_owned_by_its_creator(
    org, pipeline, customer
):
    deal = create_deal(
        actor=org.rep,
        data={"name": "年度采购", "customer": customer.pk, "amount": "120000.50"},
        at=at(),
    )
    deal.refresh_from_db()
    assert deal.pipeline == pipeline
    assert deal.stage.key == "potential"
    assert deal.owner == org.rep
    assert deal.created_by == org.rep
    assert deal.currency == "CNY"
    assert deal.amount == Decimal("120000.50")
    assert deal.probability == 10
    assert deal.probability_is_overridden is False
    assert deal.weighted_amount == Decimal("12000.05")
    assert deal.stage_entered_at == at()
    assert deal.closed_at is None
    [change] = DealStageChange.objects.filter(deal=deal)
    assert change.from_stage is None
    assert change.to_stage == deal.stage
    assert change.at == at()
    assert change.seconds_in_previous is None
    assert change.customer_id == customer.pk
    assert change.actor == org.rep


def test_creating_a_deal_is_audited_on_the_customers_history(org, pipeline, customer):
    deal = make_deal(customer, name="年度采购", amount="100", currency="USD")
    [entry] = audit_for(deal)
    assert entry.action == AuditAction.CREATE
    assert entry.actor == org.rep
    assert entry.customer_id == customer.pk
    assert entry.changes["name"] == [None, "年度采购"]
    assert entry.changes["stage"] == [None, deal.stage_id]
    assert entry.changes["currency"] == [None, "USD"]
    assert entry.changes["owner"] == [None, org.rep.pk]


def test_a_deal_can_start_in_another_open_stage_and_pipeline(org, admin, customer):
    default_pipeline()
    other = create_pipeline(actor=admin, data={"name_zh": "续约", "name_en": "Renewals"})
    first = create_stage(
        actor=admin,
        pipeline=other,
        data={"label_zh": "待续约", "category": "open", "probability": 50, "color": "#123456"},
    )
    deal = make_deal(customer, pipeline=other.pk, stage=first.pk)
    assert (deal.pipeline, deal.stage) == (other, first)
    assert deal.probability == 50


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"stage": "won"}, "stage", "A new deal starts in an open stage"),
        ({"stage": "foreign"}, "stage", "This stage is not in the deal's pipeline."),
        ({"pipeline": 999_999}, "pipeline", "Unknown pipeline."),
        ({"currency": "usd"}, "currency", "three capital letters"),
        ({"currency": "US"}, "currency", "three capital letters"),
        ({"amount": "-1"}, "amount", "greater than or equal to 0"),
        ({"probability_override": 101}, "probability_override", "less than or equal to 100"),
        ({"name": ""}, "name", "This field is required."),
        ({"expected_close_on": "1800-01-01"}, "expected_close_on", "between the years"),
        ({"paused": True}, "paused", "unknown or cannot be set here"),
    ],
)
def test_a_deal_with_bad_input_is_refused_and_nothing_is_written(
    org, admin, pipeline, customer, data, field, message
):
    other = create_pipeline(actor=admin, data={"name_zh": "其他"})
    foreign = create_stage(
        actor=admin,
        pipeline=other,
        data={"label_zh": "甲", "category": "open", "probability": 5, "color": "#000000"},
    )
    stages = {"won": stage(pipeline, "signed").pk, "foreign": foreign.pk}
    data = {key: stages.get(value, value) for key, value in data.items()}
    before = deal_counts()
    with pytest.raises(ValidationFailed) as excinfo:
        create_deal(actor=org.rep, data={"name": "商机", "customer": customer.pk, **data})
    assert message in " ".join(field_errors(excinfo)[field])
    assert deal_counts() == before


def test_a_deal_on_a_customer_the_actor_cannot_see_is_refused(org, pipeline):
    foreign = make_customer(org.other_rep)
    before = deal_counts()
    with pytest.raises(ValidationFailed) as excinfo:
        create_deal(actor=org.rep, data={"name": "商机", "customer": foreign.pk})
    assert field_errors(excinfo) == {"customer": ["Unknown customer."]}
    assert deal_counts() == before


def test_the_contact_must_belong_to_the_deals_customer(org, pipeline, customer):
    elsewhere = make_contact(make_customer(org.rep))
    with pytest.raises(ValidationFailed) as excinfo:
        make_deal(customer, contact=elsewhere.pk)
    assert field_errors(excinfo) == {"contact": ["This contact does not belong to the customer."]}
    own = make_contact(customer)
    assert make_deal(customer, contact=own.pk).contact == own


def test_a_manager_gives_a_deal_to_a_member_who_can_see_the_customer(org, pipeline, customer):
    deal = make_deal(customer, actor=org.manager, owner=org.rep.pk)
    assert deal.owner == org.rep
    assert deal.created_by == org.manager


def test_the_owner_must_be_able_to_see_the_customer(org, pipeline):
    managers_own = make_customer(org.manager)
    with pytest.raises(ValidationFailed) as excinfo:
        make_deal(managers_own, actor=org.manager, owner=org.rep.pk)
    assert field_errors(excinfo) == {"owner": ["This user cannot see the deal's customer."]}


def test_a_rep_cannot_give_a_deal_to_someone_else(org, pipeline, customer):
    with pytest.raises(ValidationFailed) as excinfo:
        make_deal(customer, owner=org.branch_rep.pk)
    assert field_errors(excinfo) == {"owner": ["You cannot give deals to this user."]}


def test_without_a_default_pipeline_a_deal_needs_one_chosen(org, customer):
    Pipeline.objects.filter(is_default=True).update(is_default=False)
    with pytest.raises(ValidationFailed) as excinfo:
        create_deal(actor=org.rep, data={"name": "商机", "customer": customer.pk})
    assert field_errors(excinfo) == {"pipeline": ["There is no default pipeline: choose one."]}


# --- editing ---------------------------------------------------------------------------------


def test_editing_changes_the_fields_given_and_is_audited(org, pipeline, customer):
    deal = make_deal(customer, name="旧名", amount="100")
    update_deal(
        actor=org.rep,
        deal=deal,
        data={"name": "新名", "amount": "250.5", "expected_close_on": "2031-03-01"},
    )
    deal.refresh_from_db()
    assert deal.name == "新名"
    assert deal.amount == Decimal("250.50")
    assert deal.expected_close_on == datetime.date(2031, 3, 1)
    entry = audit_for(deal, AuditAction.UPDATE)[-1]
    assert entry.changes == {
        "name": ["旧名", "新名"],
        "amount": ["100.00", "250.50"],
        "expected_close_on": [None, "2031-03-01"],
    }


@pytest.mark.parametrize("key", ["stage", "pipeline", "customer", "closed_at", "paused"])
def test_stage_pipeline_customer_and_status_cannot_be_edited(org, pipeline, customer, key):
    deal = make_deal(customer)
    with pytest.raises(ValidationFailed) as excinfo:
        update_deal(actor=org.rep, deal=deal, data={key: stage(pipeline, "signed").pk})
    assert list(field_errors(excinfo)) == [key]
    deal.refresh_from_db()
    assert deal.stage.key == "potential"


def test_a_probability_set_by_hand_is_kept_across_moves_and_can_be_cleared(org, pipeline, customer):
    deal = make_deal(customer)
    update_deal(actor=org.rep, deal=deal, data={"probability_override": 35})
    move_deal(actor=org.rep, deal=deal, stage=stage(pipeline, "proposal"))
    deal = access_deal(org.rep, deal.pk)
    assert deal.probability == 35
    assert deal.probability_is_overridden is True
    update_deal(actor=org.rep, deal=deal, data={"probability_override": None})
    deal = access_deal(org.rep, deal.pk)
    assert deal.probability == 60
    assert deal.probability_is_overridden is False


def test_an_unchanged_owner_is_not_checked_again(org, pipeline, customer):
    deal = make_deal(customer, actor=org.manager, owner=org.rep.pk)
    # The rep could not choose the manager's pick anew (only themselves), but keeps it.
    update_deal(actor=org.rep, deal=deal, data={"owner": org.rep.pk, "name": "改名"})
    deal.refresh_from_db()
    assert deal.owner == org.rep
    assert deal.name == "改名"


# --- moving ----------------------------------------------------------------------------------


def test_a_move_records_the_time_spent_in_the_previous_stage(org, pipeline, customer):
    deal = make_deal(customer, at=at())
    moved = move_deal(
        actor=org.rep, deal=deal, stage=stage(pipeline, "first_contact"), at=at(days=2, hours=3)
    )
    assert moved.stage.key == "first_contact"
    assert moved.stage_entered_at == at(days=2, hours=3)
    change = DealStageChange.objects.filter(deal=deal).latest("at")
    assert change.from_stage.key == "potential"
    assert change.to_stage.key == "first_contact"
    assert change.seconds_in_previous == 2 * 86400 + 3 * 3600
    assert change.at == at(days=2, hours=3)
    assert change.actor == org.rep
    entry = audit_for(deal, AuditAction.UPDATE)[-1]
    assert entry.changes["stage"] == [stage(pipeline, "potential").pk, moved.stage_id]
    assert entry.changes["stage_entered_at"] == [at().isoformat(), at(2, 3).isoformat()]


def test_the_deals_status_follows_its_stage_through_every_move(org, pipeline, customer):
    deal = make_deal(customer)
    assert deal.stage_category == "open"
    path = [("signed", "won"), ("negotiation", "open"), ("lost", "lost"), ("potential", "open")]
    for key, category in path:
        deal = move_deal(actor=org.rep, deal=deal, stage=stage(pipeline, key), reason="原因")
        stored = Deal.objects.get(pk=deal.pk)
        assert stored.stage_category == category == stored.stage.category
        by_status = {
            status: [d.pk for d in filter_deals(org.rep, DealFilters(status=status))]
            for status in ("open", "won", "lost")
        }
        assert by_status == {s: ([deal.pk] if s == category else []) for s in by_status}


def test_a_move_without_a_time_uses_the_clock(org, pipeline, customer):
    deal = make_deal(customer, at=at())
    with patch("tend.deals.actions.timezone.now", return_value=at(days=1)):
        move_deal(actor=org.rep, deal=deal, stage=stage(pipeline, "needs_analysis"))
    change = DealStageChange.objects.filter(deal=deal).latest("at")
    assert change.at == at(days=1)
    assert change.seconds_in_previous == 86400


def test_moving_to_the_current_stage_changes_nothing(org, pipeline, customer):
    deal = make_deal(customer)
    before = deal_counts()
    moved = move_deal(actor=org.rep, deal=deal, stage=deal.stage, reason="同一阶段")
    assert moved.stage_entered_at == deal.stage_entered_at
    assert deal_counts() == before


def test_a_stage_of_another_pipeline_is_refused(org, admin, pipeline, customer):
    other = create_pipeline(actor=admin, data={"name_zh": "续约"})
    foreign = create_stage(
        actor=admin,
        pipeline=other,
        data={"label_zh": "甲", "category": "open", "probability": 5, "color": "#000000"},
    )
    deal = make_deal(customer)
    before = deal_counts()
    with pytest.raises(ValidationFailed) as excinfo:
        move_deal(actor=org.rep, deal=deal, stage=foreign)
    assert field_errors(excinfo) == {"stage": ["This stage is not in the deal's pipeline."]}
    assert deal_counts() == before


def test_a_deal_moves_to_another_pipeline_through_the_same_action(org, admin, pipeline, customer):
    other = create_pipeline(actor=admin, data={"name_zh": "续约"})
    target = create_stage(
        actor=admin,
        pipeline=other,
        data={"label_zh": "甲", "category": "open", "probability": 5, "color": "#000000"},
    )
    deal = make_deal(customer, at=at())
    moved = move_deal(actor=org.rep, deal=deal, stage=target, pipeline=other, at=at(days=1))
    assert (moved.pipeline, moved.stage) == (other, target)
    change = DealStageChange.objects.filter(deal=deal).latest("at")
    assert (change.from_stage.key, change.to_stage) == ("potential", target)
    assert change.seconds_in_previous == 86400
    assert audit_for(deal, AuditAction.UPDATE)[-1].changes["pipeline"] == [pipeline.pk, other.pk]


def test_an_inactive_pipeline_takes_no_deals(org, admin, pipeline, customer):
    other = create_pipeline(actor=admin, data={"name_zh": "旧管道", "active": False})
    target = create_stage(
        actor=admin,
        pipeline=other,
        data={"label_zh": "甲", "category": "open", "probability": 5, "color": "#000000"},
    )
    deal = make_deal(customer)
    with pytest.raises(ValidationFailed) as excinfo:
        move_deal(actor=org.rep, deal=deal, stage=target, pipeline=other)
    assert field_errors(excinfo) == {"pipeline": ["This pipeline is not active."]}


def test_losing_a_deal_needs_a_reason(org, pipeline, customer):
    deal = make_deal(customer)
    before = deal_counts()
    for reason in ("", "   "):
        with pytest.raises(ValidationFailed) as excinfo:
            move_deal(actor=org.rep, deal=deal, stage=stage(pipeline, "lost"), reason=reason)
        assert field_errors(excinfo) == {"reason": ["Say why the deal was lost."]}
    assert deal_counts() == before
    deal.refresh_from_db()
    assert deal.stage.key == "potential"


def test_a_lost_deal_is_closed_with_its_reason(org, pipeline, customer):
    deal = make_deal(customer, at=at())
    lost = move_deal(
        actor=org.rep, deal=deal, stage=stage(pipeline, "lost"), reason="价格太高", at=at(3)
    )
    lost.refresh_from_db()
    assert lost.status == "lost"
    assert lost.closed_at == at(3)
    assert lost.close_reason == "价格太高"
    assert lost.probability == 0
    change = DealStageChange.objects.filter(deal=deal).latest("at")
    assert change.reason == "价格太高"
    assert audit_for(deal, AuditAction.UPDATE)[-1].note == "价格太高"


def test_won_may_have_a_reason_and_stays_closed_into_after_sales(org, pipeline, customer):
    deal = make_deal(customer, at=at())
    move_deal(actor=org.rep, deal=deal, stage=stage(pipeline, "signed"), at=at(5))
    deal.refresh_from_db()
    assert (deal.status, deal.closed_at, deal.close_reason) == ("won", at(5), "")
    move_deal(actor=org.rep, deal=deal, stage=stage(pipeline, "after_sales"), at=at(9))
    deal.refresh_from_db()
    assert deal.stage.key == "after_sales"
    assert deal.status == "won"
    # Still closed since the signing.
    assert deal.closed_at == at(5)
    move_deal(
        actor=org.rep, deal=deal, stage=stage(pipeline, "signed"), reason="合同补签", at=at(10)
    )
    deal.refresh_from_db()
    assert deal.close_reason == "合同补签"


def test_reopening_a_closed_deal_clears_its_close(org, pipeline, customer):
    deal = make_deal(customer, at=at())
    move_deal(actor=org.rep, deal=deal, stage=stage(pipeline, "lost"), reason="预算取消", at=at(1))
    move_deal(actor=org.rep, deal=deal, stage=stage(pipeline, "negotiation"), at=at(4))
    deal.refresh_from_db()
    assert deal.status == "open"
    assert deal.closed_at is None
    assert deal.close_reason == ""
    assert deal.stage_entered_at == at(4)


def test_won_then_lost_closes_again_at_the_new_time(org, pipeline, customer):
    deal = make_deal(customer, at=at())
    move_deal(actor=org.rep, deal=deal, stage=stage(pipeline, "signed"), at=at(1))
    move_deal(actor=org.rep, deal=deal, stage=stage(pipeline, "lost"), reason="退单", at=at(2))
    deal.refresh_from_db()
    assert (deal.status, deal.closed_at, deal.close_reason) == ("lost", at(2), "退单")


def test_a_move_dated_before_the_stage_was_entered_counts_no_negative_time(org, pipeline, customer):
    deal = make_deal(customer, at=at(5))
    move_deal(actor=org.rep, deal=deal, stage=stage(pipeline, "proposal"), at=at(4))
    assert DealStageChange.objects.filter(deal=deal).latest("id").seconds_in_previous == 0


def test_a_too_long_reason_is_refused(org, pipeline, customer):
    deal = make_deal(customer)
    with pytest.raises(ValidationFailed) as excinfo:
        move_deal(actor=org.rep, deal=deal, stage=stage(pipeline, "lost"), reason="长" * 501)
    assert list(field_errors(excinfo)) == ["reason"]


# --- pausing and stalling --------------------------------------------------------------------


def test_pausing_needs_a_reason_and_is_audited(org, pipeline, customer):
    deal = make_deal(customer)
    with pytest.raises(ValidationFailed) as excinfo:
        pause_deal(actor=org.rep, deal=deal, reason="")
    assert list(field_errors(excinfo)) == ["reason"]
    pause_deal(actor=org.rep, deal=deal, reason="客户预算冻结到下季度")
    deal.refresh_from_db()
    assert (deal.paused, deal.paused_reason) == (True, "客户预算冻结到下季度")
    assert audit_for(deal, AuditAction.UPDATE)[-1].changes == {
        "paused": [False, True],
        "paused_reason": ["", "客户预算冻结到下季度"],
    }
    resume_deal(actor=org.rep, deal=deal)
    deal.refresh_from_db()
    assert (deal.paused, deal.paused_reason) == (False, "")
    audits = len(audit_for(deal))
    resume_deal(actor=org.rep, deal=deal)
    assert len(audit_for(deal)) == audits


def test_a_closed_deal_cannot_be_paused_and_closing_ends_a_pause(org, pipeline, customer):
    deal = make_deal(customer)
    pause_deal(actor=org.rep, deal=deal, reason="等待")
    move_deal(actor=org.rep, deal=deal, stage=stage(pipeline, "signed"))
    deal.refresh_from_db()
    assert deal.paused is False
    with pytest.raises(ValidationFailed) as excinfo:
        pause_deal(actor=org.rep, deal=deal, reason="等待")
    assert str(excinfo.value.message) == "Only an open deal can be paused."


def test_a_deal_is_stalled_after_its_stages_limit_unless_paused(org, pipeline, customer):
    deal = make_deal(customer, at=at())  # 潜在客户: stalled after 14 days
    assert is_stalled(deal, now=at(13)) is False
    assert is_stalled(deal, now=at(14, hours=1)) is True
    stalled = DealFilters(stalled=True)
    assert list(filter_deals(org.rep, stalled, now=at(15))) == [deal]
    assert list(filter_deals(org.rep, stalled, now=at(13))) == []
    pause_deal(actor=org.rep, deal=deal, reason="客户出差")
    deal.refresh_from_db()
    assert is_stalled(deal, now=at(30)) is False
    assert list(filter_deals(org.rep, stalled, now=at(30))) == []


def test_closed_deals_and_stages_without_a_limit_never_stall(org, pipeline, customer):
    won = make_deal(customer, at=at())
    move_deal(actor=org.rep, deal=won, stage=stage(pipeline, "signed"), at=at(1))
    won.refresh_from_db()
    assert is_stalled(won, now=at(59)) is False
    assert list(filter_deals(org.rep, DealFilters(stalled=True), now=at(59))) == []


# --- reading ---------------------------------------------------------------------------------


def test_deals_are_visible_exactly_where_their_customer_is(org, admin, pipeline, customer):
    deal = make_deal(customer)
    foreign = make_deal(make_customer(org.other_rep))
    assert list(visible_deals(org.rep)) == [deal]
    assert set(visible_deals(org.manager)) == {deal}
    assert set(visible_deals(admin)) == {deal, foreign}
    assert access_deal(org.rep, deal.pk) == deal
    for deal_id in (foreign.pk, 0, "x", 2**70):
        with pytest.raises(NotFound):
            access_deal(org.rep, deal_id)


def test_deal_filters(org, admin, pipeline, customer):
    other_customer = make_customer(org.rep, name="另一家")
    mine = make_deal(customer, name="华东年度采购", amount="100")
    managers = make_deal(customer, actor=org.manager, name="续约", amount="50")
    won = make_deal(other_customer, name="设备采购")
    move_deal(actor=org.rep, deal=won, stage=stage(pipeline, "signed"))
    paused = make_deal(other_customer, name="暂停的")
    pause_deal(actor=org.rep, deal=paused, reason="等预算")

    def names(user=org.rep, **options):
        return sorted(deal.name for deal in filter_deals(user, DealFilters(**options)))

    assert names(owner="me") == ["华东年度采购", "暂停的", "设备采购"]
    assert names(org.manager, owner=str(org.manager.pk)) == ["续约"]
    assert names(owner="abc") == []
    assert names(customer=customer.pk) == ["华东年度采购", "续约"]
    assert names(status="won") == ["设备采购"]
    assert names(status="open") == ["华东年度采购", "暂停的", "续约"]
    assert names(status="nonsense") == []
    assert names(stage=stage(pipeline, "signed").pk) == ["设备采购"]
    assert names(pipeline=pipeline.pk) == ["华东年度采购", "暂停的", "续约", "设备采购"]
    assert names(paused=True) == ["暂停的"]
    assert len(names(paused=False)) == 3
    assert names(query="采购") == ["华东年度采购", "设备采购"]
    assert mine in filter_deals(org.rep, DealFilters())
    assert managers.owner == org.manager


@pytest.mark.parametrize("ordering", ["-updated_at", "expected_close_on", "-amount"])
def test_deal_pages_follow_the_ordering_to_the_end(org, pipeline, customer, ordering):
    for number in range(7):
        make_deal(
            customer,
            amount=str(number * 10 % 40),
            expected_close_on=f"2031-0{number % 3 + 1}-01" if number % 2 else "",
        )
    seen, cursor = [], None
    while True:
        page = deal_page(org.rep, DealFilters(), ordering=ordering, cursor=cursor, limit=3)
        seen += [deal.pk for deal in page.items]
        cursor = page.next_cursor
        if cursor is None:
            break
    field_name = ordering.lstrip("-")
    deals = Deal.objects.all()
    present = sorted(
        (d for d in deals if getattr(d, field_name) is not None),
        key=lambda d: (getattr(d, field_name), d.pk),
        reverse=ordering.startswith("-"),
    )
    missing = sorted((d for d in deals if getattr(d, field_name) is None), key=lambda d: d.pk)
    assert seen == [d.pk for d in present + missing]


def test_the_board_shows_each_stage_with_its_count_sums_and_oldest_deals_first(
    org, pipeline, customer
):
    first = make_deal(customer, amount="100", at=at(1))
    second = make_deal(customer, amount="300", at=at(0))
    third = make_deal(customer, amount="50", at=at(2))
    update_deal(actor=org.rep, deal=third, data={"probability_override": 50})
    won_early = make_deal(customer, amount="1000", at=at(0))
    won_late = make_deal(customer, amount="2000", at=at(0))
    move_deal(actor=org.rep, deal=won_early, stage=stage(pipeline, "signed"), at=at(5))
    move_deal(actor=org.rep, deal=won_late, stage=stage(pipeline, "signed"), at=at(6))
    make_deal(make_customer(org.other_rep), amount="999999")  # invisible to the rep

    columns = board(org.rep, pipeline, column_size=2)
    assert [column.stage.key for column in columns] == [
        "potential",
        "first_contact",
        "needs_analysis",
        "proposal",
        "negotiation",
        "signed",
        "after_sales",
        "lost",
    ]
    potential, signed = columns[0], columns[5]
    assert [deal.pk for deal in potential.deals] == [second.pk, first.pk]
    assert (potential.count, potential.more) == (3, 1)
    assert potential.amount == Decimal("450.00")
    # 300×10% + 100×10% + 50×50% (set by hand)
    assert potential.weighted_amount == Decimal("65.00")
    # A won column shows the most recently closed first.
    assert [deal.pk for deal in signed.deals] == [won_late.pk, won_early.pk]
    assert signed.amount == Decimal("3000.00")
    assert (columns[1].count, columns[1].deals, columns[1].amount) == (0, [], Decimal("0"))


def test_the_board_reads_a_fixed_number_of_queries_however_many_deals(org, pipeline, customer):
    def queries():
        with CaptureQueriesContext(connection) as context:
            columns = board(org.rep, pipeline)
            for column in columns:
                for deal in column.deals:
                    shown = (deal.customer.name, deal.owner.display_name, deal.probability)
                    assert all(shown) and deal.is_stalled is False
        return len(context.captured_queries)

    make_deal(customer)
    queries()  # the first read of the rep's teams is kept on the user for the request
    few = queries()
    for number in range(12):
        deal = make_deal(customer)
        if number % 3 == 0:
            move_deal(actor=org.rep, deal=deal, stage=stage(pipeline, "proposal"))
    assert queries() == few + 1  # one more column has cards to read


def test_the_board_can_show_only_the_users_own_deals(org, pipeline, customer):
    mine = make_deal(customer)
    make_deal(customer, actor=org.manager)
    columns = board(org.manager, pipeline, DealFilters(owner="me"))
    assert columns[0].count == 1
    assert columns[0].deals[0].owner == org.manager
    assert mine not in columns[0].deals


def test_stage_history_says_how_long_the_deal_spent_in_each_stage(org, pipeline, customer):
    deal = make_deal(customer, at=at())
    move_deal(actor=org.rep, deal=deal, stage=stage(pipeline, "first_contact"), at=at(1))
    move_deal(actor=org.rep, deal=deal, stage=stage(pipeline, "proposal"), at=at(1, hours=5))
    visits = deal_stage_history(deal, now=at(3, hours=5))
    assert [(v.stage.key, v.seconds, v.current) for v in visits] == [
        ("potential", 86400, False),
        ("first_contact", 5 * 3600, False),
        ("proposal", 2 * 86400, True),
    ]
    assert visits[0].left_at == at(1)
    assert visits[-1].left_at is None


def test_customer_deals_are_the_live_ones_newest_first(org, pipeline, customer):
    older = make_deal(customer)
    newer = make_deal(customer)
    deleted = make_deal(customer)
    delete_deal(actor=org.rep, deal=deleted)
    assert customer_deals(customer) == [newer, older]


def test_the_customer_timeline_shows_deals_created_and_moved(org, pipeline, customer):
    deal = make_deal(customer, name="年度采购", at=at())
    move_deal(actor=org.rep, deal=deal, stage=stage(pipeline, "proposal"), at=at(2))
    make_deal(make_customer(org.rep), at=at(1))  # another customer's
    page = merged_timeline(customer.pk, kinds={"deal"})
    assert [(e.kind, e.record.to_stage.key) for e in page.items] == [
        ("deal", "proposal"),
        ("deal", "potential"),
    ]
    from tend.core.timeline import TimelineCursor

    first = page.items[0]
    older = deal_timeline_entries(customer.pk, TimelineCursor(first.at, "deal", first.record_id), 5)
    assert [entry.record.from_stage for entry in older] == [None]
    delete_deal(actor=org.rep, deal=deal)
    assert merged_timeline(customer.pk, kinds={"deal"}).items == []


# --- the recycle bin -------------------------------------------------------------------------


def test_a_deleted_deal_goes_to_the_recycle_bin_and_comes_back(org, pipeline, customer):
    deal = make_deal(customer)
    delete_deal(actor=org.rep, deal=deal)
    deal.refresh_from_db()
    assert deal.deleted_at is not None
    assert list(visible_deals(org.rep)) == []
    assert audit_for(deal, AuditAction.DELETE)[0].customer_id == customer.pk
    restore(actor=org.rep, record=deal)
    assert list(visible_deals(org.rep)) == [deal]


def test_deals_are_deleted_restored_and_purged_with_their_customer(org, pipeline, customer):
    deal = make_deal(customer)
    move_deal(actor=org.rep, deal=deal, stage=stage(pipeline, "proposal"))
    delete_customer(actor=org.rep, customer=customer)
    deal.refresh_from_db()
    assert deal.deleted_at is not None
    customer.refresh_from_db()
    restore(actor=org.rep, record=customer)
    deal.refresh_from_db()
    assert deal.deleted_at is None
    delete_customer(actor=org.rep, customer=customer)
    purge_expired(cutoff=timezone.now() + datetime.timedelta(days=1))
    assert not Deal.objects.filter(pk=deal.pk).exists()
    assert not DealStageChange.objects.filter(deal_id=deal.pk).exists()


def test_no_code_but_the_deal_actions_writes_a_deals_stage_or_pipeline():
    """move_deal is the single entry point (a status engine will route through it): a scan of
    the code for assignments to a deal's stage or pipeline finds them in the actions only."""
    from pathlib import Path

    import tend

    root = Path(tend.__file__).parent
    writes = re.compile(
        r"deal\.(stage|stage_id|pipeline|pipeline_id)\s*=(?!=)"
        r"|Deal\.objects[^\n]*\.update\([^)]*\b(stage|pipeline)(_id)?\s*="
    )
    found = [
        f"{path.relative_to(root)}:{number}"
        for path in root.rglob("*.py")
        if "migrations" not in path.parts
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if writes.search(line)
    ]
    assert found and all(place.startswith("deals/actions.py:") for place in found), found
