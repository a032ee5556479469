"""Totals kept by the database (tend.core.summaries): the deal board's column totals and the
ticket list's counts and averages must equal what the records themselves say — for every
user's visibility and every filter the kept totals answer — after any mix of writes through
the actions, the recycle bin, raw queryset updates and hard deletes."""

import datetime
import random
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tend.core.summaries import install_summaries, registered
from tend.customers.actions import assign_customer_owner, delete_customer
from tend.customers.models import Customer
from tend.deals.actions import delete_deal, move_deal, update_deal
from tend.deals.models import Deal, DealStageTotal, Stage, StageCategory
from tend.deals.selectors import DealFilters, board, board_deals, board_totals
from tend.recyclebin.actions import purge_expired, restore
from tend.service.actions import (
    allowed_ticket_statuses,
    change_ticket_status,
    delete_ticket,
    update_ticket,
)
from tend.service.models import OPEN_TICKET_STATUSES, Ticket, TicketStatus, TicketTotal
from tend.service.selectors import TicketFilters, filter_tickets, ticket_status_counts, ticket_times
from tests.factories import make_customer
from tests.factories_deals import default_pipeline, make_deal
from tests.factories_service import make_ticket

CENT = Decimal("0.01")


# --- oracles: the same figures computed in Python from the records ---------------------------


def expected_deal_totals(user, pipeline, filters) -> dict:
    totals = {}
    for deal in board_deals(user, pipeline, filters).select_related("stage"):
        column = totals.setdefault(
            deal.stage_id, {"count": 0, "amount": Decimal(0), "weighted_amount": Decimal(0)}
        )
        column["count"] += 1
        column["amount"] += deal.amount
        column["weighted_amount"] += deal.amount * deal.probability / 100
    for column in totals.values():
        column["amount"] = column["amount"].quantize(CENT)
        column["weighted_amount"] = column["weighted_amount"].quantize(CENT)
    return totals


def expected_ticket_figures(user, filters) -> tuple[dict, dict]:
    tickets = list(filter_tickets(user, filters))
    counts = {status: 0 for status in TicketStatus.values}
    base = list(filter_tickets(user, TicketFilters(**{**vars(filters), "status": ""})))
    for ticket in base:
        counts[ticket.status] += 1
    responses = [
        (ticket.first_response_at - ticket.opened_at).total_seconds()
        for ticket in tickets
        if ticket.first_response_at
    ]
    resolutions = [
        (ticket.resolved_at - ticket.opened_at).total_seconds()
        for ticket in tickets
        if ticket.resolved_at
    ]

    def average(values):
        return round(sum(values) / len(values), 3) if values else None

    return counts, {
        "first_response": average(responses),
        "resolution": average(resolutions),
        "responded": len(responses),
        "resolved": len(resolutions),
    }


def seconds(duration):
    return None if duration is None else round(duration.total_seconds(), 3)


# --- a small world and random writes to it ---------------------------------------------------


@pytest.fixture
def world(org, admin):
    pipeline = default_pipeline()
    org.admin = admin
    org.pipeline = pipeline
    org.stages = list(Stage.objects.filter(pipeline=pipeline).order_by("order"))
    owners = [org.rep, org.branch_rep, org.other_rep, None]
    org.customers = [
        make_customer(owner or admin, name=f"客户{index}号有限公司")
        for index, owner in enumerate(owners * 2)
    ]
    for customer, owner in zip(org.customers, owners * 2, strict=True):
        if owner is None:
            assign_customer_owner(actor=admin, customer=customer, owner=None)
    org.customer_ids = [customer.pk for customer in org.customers]
    org.users = [admin, org.manager, org.rep, org.branch_rep, org.other_rep, org.other_manager]
    return org


def deal_filters(world, user):
    open_stage = world.stages[1]
    return [
        DealFilters(),
        DealFilters(owner="me"),
        DealFilters(owner=str(world.rep.pk)),
        DealFilters(status="open"),
        DealFilters(status="won"),
        DealFilters(stage=open_stage.pk),
    ]


def check_deal_totals(world):
    for user in world.users:
        for filters in deal_filters(world, user):
            assert board_totals(user, world.pipeline, filters) == expected_deal_totals(
                user, world.pipeline, filters
            ), (user.username, filters)


def check_ticket_figures(world):
    for user in world.users:
        for filters in [
            TicketFilters(),
            TicketFilters(open_only=True),
            TicketFilters(assignee="me"),
            TicketFilters(assignee="none"),
            TicketFilters(priority="high"),
            TicketFilters(status="resolved"),
        ]:
            counts, times = expected_ticket_figures(user, filters)
            assert {
                status: count for status, (count, _) in ticket_status_counts(user, filters).items()
            } == counts, (user.username, filters)
            kept = ticket_times(user, filters)
            assert {
                "first_response": seconds(kept.first_response),
                "resolution": seconds(kept.resolution),
                "responded": kept.responded,
                "resolved": kept.resolved,
            } == times, (user.username, filters)


def random_deal_write(world, chance: random.Random):
    admin = world.admin
    deals = list(Deal.objects.filter(deleted_at__isnull=True).select_related("stage", "customer"))
    live_customers = list(Customer.objects.filter(pk__in=world.customer_ids))
    kind = chance.choice(
        ["create"] * 4
        + ["move", "move", "amount", "override", "delete", "owner", "team", "probability"]
        + ["customer", "raw", "purge"]
    )
    if kind == "create" or not deals:
        visible = [c for c in live_customers if c.deleted_at is None]
        if visible:
            make_deal(
                chance.choice(visible),
                actor=admin,
                amount=str(chance.randrange(0, 100000, 50)),
                stage=chance.choice(
                    [stage for stage in world.stages if stage.category == StageCategory.OPEN]
                ).pk,
            )
        return
    deal = chance.choice(deals)
    if kind == "move":
        target = chance.choice(world.stages)
        move_deal(actor=admin, deal=deal, stage=target, reason="价格")
    elif kind == "amount":
        update_deal(actor=admin, deal=deal, data={"amount": str(chance.randrange(0, 9999))})
    elif kind == "override":
        value = chance.choice([None, 0, 35, 100])
        update_deal(actor=admin, deal=deal, data={"probability_override": value})
    elif kind == "delete":
        if chance.random() < 0.5:
            delete_deal(actor=admin, deal=deal)
        else:
            deleted = Deal.objects.filter(
                deleted_at__isnull=False, customer__deleted_at__isnull=True
            ).first()
            if deleted:
                restore(actor=admin, record=deleted)
    elif kind == "owner":
        owner = chance.choice([world.rep, world.branch_rep, world.other_rep, None])
        assign_customer_owner(actor=admin, customer=deal.customer, owner=owner)
    elif kind == "team":
        team = chance.choice([world.team, world.branch, world.other_team, None])
        Customer.objects.filter(pk=deal.customer_id).update(team=team)
    elif kind == "probability":
        stage = chance.choice(world.stages)
        Stage.objects.filter(pk=stage.pk).update(probability=chance.randrange(0, 101))
    elif kind == "customer":
        customer = Customer.objects.get(pk=deal.customer_id)
        if customer.deleted_at is None:
            delete_customer(actor=admin, customer=customer)
        else:
            restore(actor=admin, record=customer)
    elif kind == "raw":
        Deal.objects.filter(pk=deal.pk).update(amount=Decimal("12.34"), owner=world.rep)
    elif kind == "purge":
        purge_expired(cutoff=timezone.now() + datetime.timedelta(days=1))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_kept_deal_totals_equal_the_deals_after_any_writes(world, seed):
    chance = random.Random(seed)
    for _ in range(40):
        random_deal_write(world, chance)
        check_deal_totals(world)
    assert Deal.objects.count() > 0


def test_each_kind_of_deal_write_moves_the_totals(world):
    """Spelled out, for the reader: every write that changes a column's figures."""
    admin, rep = world.admin, world.rep
    customer = world.customers[0]  # the rep's
    open_stage, won_stage = (
        world.stages[0],
        next(stage for stage in world.stages if stage.category == StageCategory.WON),
    )

    def column(user, stage):
        return board_totals(user, world.pipeline).get(stage.pk, {}).get("count", 0)

    deal = make_deal(customer, actor=admin, amount="1000", stage=open_stage.pk)
    assert column(rep, open_stage) == 1
    assert board_totals(admin, world.pipeline)[open_stage.pk]["weighted_amount"] == (
        Decimal(1000) * open_stage.probability / 100
    ).quantize(CENT)

    move_deal(actor=admin, deal=deal, stage=won_stage)
    assert (column(rep, open_stage), column(rep, won_stage)) == (0, 1)

    assign_customer_owner(actor=admin, customer=customer, owner=world.other_rep)
    assert column(rep, won_stage) == 0
    assert column(world.other_rep, won_stage) == 1
    assert column(world.other_manager, won_stage) == 1

    delete_customer(actor=admin, customer=Customer.objects.get(pk=customer.pk))
    assert column(admin, won_stage) == 0
    restore(actor=admin, record=Customer.objects.get(pk=customer.pk))
    assert column(admin, won_stage) == 1

    Deal.objects.filter(pk=deal.pk).delete()
    assert column(admin, won_stage) == 0
    assert DealStageTotal.objects.filter(deal_count__gt=0).count() == 0


def test_the_kept_ticket_figures_equal_the_tickets_after_any_writes(world):
    chance = random.Random(7)
    admin = world.admin
    start = timezone.now() - datetime.timedelta(days=30)
    for step in range(60):
        tickets = list(Ticket.objects.filter(deleted_at__isnull=True))
        kind = chance.choice(["create", "create", "status", "status", "assign", "owner", "delete"])
        if kind == "create" or not tickets:
            customer = chance.choice(
                list(Customer.objects.filter(deleted_at__isnull=True, pk__in=world.customer_ids))
            )
            make_ticket(
                customer,
                actor=admin,
                at=start + datetime.timedelta(hours=step, minutes=chance.randrange(60)),
                priority=chance.choice(["low", "normal", "high", "urgent"]),
            )
            continue
        ticket = chance.choice(tickets)
        if kind == "status":
            allowed = allowed_ticket_statuses(ticket)
            if not allowed:
                continue
            change_ticket_status(
                actor=admin,
                ticket=ticket,
                status=chance.choice(allowed),
                note="处理中",
                at=ticket.opened_at + datetime.timedelta(minutes=chance.randrange(1, 5000)),
            )
        elif kind == "assign":
            owner = Customer.objects.get(pk=ticket.customer_id).owner
            if owner is not None and chance.random() < 0.5:
                update_ticket(actor=admin, ticket=ticket, data={"assignee": owner.pk})
            else:  # a write outside the actions, as an import's would be
                Ticket.objects.filter(pk=ticket.pk).update(
                    assignee=chance.choice([world.rep, world.other_rep, None])
                )
        elif kind == "owner":
            customer = Customer.objects.get(pk=ticket.customer_id)
            assign_customer_owner(
                actor=admin, customer=customer, owner=chance.choice([world.rep, None])
            )
        elif kind == "delete":
            delete_ticket(actor=admin, ticket=ticket)
        check_ticket_figures(world)
    assert Ticket.objects.filter(first_response_at__isnull=False).exists()
    assert Ticket.objects.filter(resolved_at__isnull=False).exists()
    assert set(OPEN_TICKET_STATUSES) & set(Ticket.objects.values_list("status", flat=True))


def test_a_board_and_a_ticket_list_read_the_kept_totals_not_the_records(world):
    customer = world.customers[0]
    for index in range(5):
        make_deal(customer, actor=world.admin, amount=str(100 * index))
        make_ticket(customer, actor=world.admin)
    with CaptureQueriesContext(connection) as queries:
        columns = board(world.rep, world.pipeline)
        ticket_status_counts(world.rep, TicketFilters())
        ticket_times(world.rep, TicketFilters(open_only=True))
    assert sum(column.count for column in columns) == 5
    deal_table, ticket_table = Deal._meta.db_table, Ticket._meta.db_table
    aggregating = [
        query["sql"]
        for query in queries.captured_queries
        if "SUM(" in query["sql"].upper() or "COUNT(" in query["sql"].upper()
    ]
    assert aggregating, "the totals are read with one grouped query each"
    assert not [sql for sql in aggregating if f'FROM "{deal_table}"' in sql]
    assert not [sql for sql in aggregating if f'FROM "{ticket_table}"' in sql]


def test_a_filter_the_kept_totals_cannot_answer_falls_back_to_the_records(world):
    customer = world.customers[0]
    make_deal(customer, actor=world.admin, amount="10", name="大单")
    make_deal(customer, actor=world.admin, amount="20", name="小单")
    filters = DealFilters(query="大")
    totals = board_totals(world.admin, world.pipeline, filters)
    assert sum(column["count"] for column in totals.values()) == 1
    assert totals == expected_deal_totals(world.admin, world.pipeline, filters)


def test_migrate_reinstalls_the_triggers_and_rebuilds_drifted_totals(world):
    customer = world.customers[0]
    make_deal(customer, actor=world.admin, amount="500")
    make_ticket(customer, actor=world.admin)
    DealStageTotal.objects.update(deal_count=999)
    TicketTotal.objects.all().delete()
    with connection.cursor() as cursor:
        for summary in registered():
            for statement in summary.drop_sql(connection.vendor):
                cursor.execute(statement)

    installed = install_summaries()

    assert set(installed) == {"deal_stage_totals", "ticket_totals"}
    check_deal_totals(world)
    check_ticket_figures(world)
    make_deal(customer, actor=world.admin, amount="1")  # the triggers are back
    check_deal_totals(world)


def test_a_summary_whose_table_is_gone_loses_its_triggers(world):
    """Undoing the migration that made a summary's table must not leave triggers that would
    fail every write to the deals."""
    from tend.core.summaries import install_summaries

    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE {DealStageTotal._meta.db_table}")
    installed = install_summaries()
    assert "deal_stage_totals" not in installed
    make_deal(world.customers[0], actor=world.admin, amount="10")  # no trigger left to fail
    assert Deal.objects.count() == 1
