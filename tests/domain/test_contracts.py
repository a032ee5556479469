"""Contracts (合同): create, edit, numbers unique among live contracts, the status moves and
their history, the renewal chain, visibility, and the recycle bin."""

import datetime
from decimal import Decimal

import pytest

from tend.audit.models import AuditAction, AuditEntry
from tend.contracts.actions import (
    change_contract_status,
    create_contract,
    delete_contract,
    update_contract,
)
from tend.contracts.models import Contract, ContractStatus, ContractStatusChange
from tend.contracts.selectors import (
    ContractFilters,
    access_contract,
    contract_page,
    filter_contracts,
    renewal_chain,
)
from tend.core.errors import NotFound, ValidationFailed
from tend.core.timeline import merged_timeline
from tend.customers.actions import delete_customer
from tend.deals.models import Deal, Pipeline, Stage
from tend.recyclebin.actions import purge_expired, restore
from tend.recyclebin.selectors import recycle_bin
from tests.domain.support import audit_for
from tests.factories import make_customer
from tests.factories_contracts import make_contract

pytestmark = pytest.mark.django_db


def make_deal(customer, name="年度采购"):
    """A deal written directly: the deals app is built alongside; contracts only point at it."""
    pipeline = Pipeline.objects.create(name_zh="默认", is_default=False)
    stage = Stage.objects.create(pipeline=pipeline, key="first", label_zh="初步接触")
    return Deal.objects.create(
        name=name,
        customer=customer,
        pipeline=pipeline,
        stage=stage,
        stage_entered_at=datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC),
    )


def errors_of(call) -> dict:
    with pytest.raises(ValidationFailed) as caught:
        call()
    return caught.value.field_errors


def test_create_records_every_field_and_an_audit_entry(rep):
    customer = make_customer(rep)
    deal = make_deal(customer)
    contract = create_contract(
        actor=rep,
        customer=customer,
        data={
            "number": " HT-2026-001 ",
            "title": "年度服务合同",
            "deal": deal.pk,
            "amount": "128000.50",
            "currency": "usd",
            "starts_on": "2026-01-01",
            "ends_on": "2026-12-31",
            "notes": "含培训",
        },
    )
    contract.refresh_from_db()
    assert (contract.number, contract.title, contract.deal, contract.currency) == (
        "HT-2026-001",
        "年度服务合同",
        deal,
        "USD",
    )
    assert contract.amount == Decimal("128000.50")
    assert contract.status == ContractStatus.DRAFT
    assert contract.created_by == rep
    [entry] = audit_for(contract)
    assert entry.action == AuditAction.CREATE
    assert entry.customer_id == customer.pk
    assert entry.changes["number"] == [None, "HT-2026-001"]
    assert entry.changes["amount"] == [None, "128000.50"]


def test_currency_defaults_to_cny_and_must_be_three_letters(rep):
    customer = make_customer(rep)
    assert make_contract(customer).currency == "CNY"
    assert errors_of(lambda: make_contract(customer, currency="元")) == {
        "currency": ["Enter a three-letter currency code, such as CNY."]
    }


def test_a_duplicate_number_among_live_contracts_is_a_field_error(rep, other_rep):
    make_contract(make_customer(rep), number="HT-1")
    before = Contract.objects.count()
    assert errors_of(lambda: make_contract(make_customer(other_rep), number="HT-1")) == {
        "number": ["Another contract already has this number."]
    }
    assert Contract.objects.count() == before


def test_a_deleted_contracts_number_may_be_used_again(rep):
    customer = make_customer(rep)
    old = make_contract(customer, number="HT-9")
    delete_contract(actor=rep, contract=old)
    assert make_contract(customer, number="HT-9").number == "HT-9"


def test_editing_to_another_contracts_number_is_refused(rep):
    customer = make_customer(rep)
    make_contract(customer, number="HT-A")
    contract = make_contract(customer, number="HT-B")
    assert errors_of(
        lambda: update_contract(actor=rep, contract=contract, data={"number": "HT-A"})
    ) == {"number": ["Another contract already has this number."]}
    # Keeping its own number is no conflict.
    update_contract(actor=rep, contract=contract, data={"number": "HT-B", "title": "新"})


def test_end_before_start_is_a_field_error_on_create_and_edit(rep):
    customer = make_customer(rep)
    message = {"ends_on": ["The end cannot be before the start."]}
    assert (
        errors_of(lambda: make_contract(customer, starts_on="2026-05-01", ends_on="2026-04-30"))
        == message
    )
    contract = make_contract(customer, starts_on="2026-05-01", ends_on="2026-12-31")
    assert (
        errors_of(
            lambda: update_contract(actor=rep, contract=contract, data={"ends_on": "2026-01-01"})
        )
        == message
    )
    contract.refresh_from_db()
    assert contract.ends_on == datetime.date(2026, 12, 31)


def test_bad_input_gives_field_errors_and_writes_nothing(rep):
    customer = make_customer(rep)
    audit_before = AuditEntry.objects.count()
    errors = errors_of(
        lambda: create_contract(
            actor=rep,
            customer=customer,
            data={"number": "", "amount": "-1", "signed_on": "1800-01-01", "owner": 3},
        )
    )
    assert set(errors) == {"owner"}  # unknown keys are refused first
    errors = errors_of(
        lambda: create_contract(
            actor=rep,
            customer=customer,
            data={"number": "  ", "amount": "-1", "signed_on": "1800-01-01"},
        )
    )
    assert set(errors) == {"number", "amount", "signed_on"}
    assert Contract.objects.count() == 0
    assert AuditEntry.objects.count() == audit_before


def test_the_deal_must_be_a_live_deal_of_the_same_customer(rep, other_rep):
    customer = make_customer(rep)
    foreign_deal = make_deal(make_customer(other_rep))
    same_customer_other = make_deal(make_customer(rep))
    message = {"deal": ["Choose a deal of this customer."]}
    assert errors_of(lambda: make_contract(customer, deal=foreign_deal.pk)) == message
    assert errors_of(lambda: make_contract(customer, deal=same_customer_other.pk)) == message
    gone = make_deal(customer)
    Deal.objects.filter(pk=gone.pk).update(deleted_at=datetime.datetime.now(datetime.UTC))
    assert errors_of(lambda: make_contract(customer, deal=gone.pk)) == message


def test_status_moves_follow_the_allowed_transitions_and_are_recorded(rep):
    customer = make_customer(rep)
    contract = make_contract(customer)
    change_contract_status(actor=rep, contract=contract, data={"status": "in_approval"})
    change_contract_status(
        actor=rep,
        contract=contract,
        data={"status": "signed", "signed_on": "2026-03-01", "reason": "双方盖章"},
    )
    change_contract_status(actor=rep, contract=contract, data={"status": "active"})
    contract.refresh_from_db()
    assert contract.status == ContractStatus.ACTIVE
    assert contract.signed_on == datetime.date(2026, 3, 1)
    history = list(
        ContractStatusChange.objects.filter(contract=contract)
        .order_by("at", "id")
        .values_list("from_status", "to_status", "reason", "actor")
    )
    assert history == [
        ("", "draft", "", rep.pk),
        ("draft", "in_approval", "", rep.pk),
        ("in_approval", "signed", "双方盖章", rep.pk),
        ("signed", "active", "", rep.pk),
    ]
    updates = audit_for(contract, AuditAction.UPDATE)
    assert [entry.changes["status"] for entry in updates] == [
        ["draft", "in_approval"],
        ["in_approval", "signed"],
        ["signed", "active"],
    ]
    assert updates[1].changes["signed_on"] == [None, "2026-03-01"]
    assert updates[1].note == "双方盖章"


@pytest.mark.parametrize(
    ("start", "target"),
    [
        ("draft", "active"),
        ("draft", "expired"),
        ("in_approval", "active"),
        ("signed", "draft"),
        ("active", "signed"),
        ("expired", "active"),
        ("terminated", "draft"),
    ],
)
def test_a_move_the_transitions_do_not_allow_is_refused_with_its_reason(rep, start, target):
    contract = make_contract(make_customer(rep), status=start, signed_on="2026-01-01")
    errors = errors_of(
        lambda: change_contract_status(actor=rep, contract=contract, data={"status": target})
    )
    assert errors == {
        "status": [
            f"A contract cannot go from {ContractStatus(start).label} to "
            f"{ContractStatus(target).label}."
        ]
    }
    contract.refresh_from_db()
    assert contract.status == start
    assert ContractStatusChange.objects.filter(contract=contract).count() == 1  # its creation


def test_signing_needs_a_signing_date(rep):
    contract = make_contract(make_customer(rep))
    assert errors_of(
        lambda: change_contract_status(actor=rep, contract=contract, data={"status": "signed"})
    ) == {"signed_on": ["Give the signing date to mark the contract signed."]}
    contract.refresh_from_db()
    assert contract.status == "draft"


def test_a_contract_created_signed_needs_its_date_and_keeps_it(rep):
    customer = make_customer(rep)
    assert errors_of(lambda: make_contract(customer, status="signed")) == {
        "signed_on": ["A signed contract needs its signing date."]
    }
    contract = make_contract(customer, status="active", signed_on="2025-06-01")
    assert errors_of(
        lambda: update_contract(actor=rep, contract=contract, data={"signed_on": None})
    ) == {"signed_on": ["A signed contract needs its signing date."]}


def test_moving_to_the_status_it_has_is_refused(rep):
    contract = make_contract(make_customer(rep))
    assert errors_of(
        lambda: change_contract_status(actor=rep, contract=contract, data={"status": "draft"})
    ) == {"status": ["The contract is already Draft."]}


def test_status_is_not_editable_through_update(rep):
    contract = make_contract(make_customer(rep))
    assert set(
        errors_of(lambda: update_contract(actor=rep, contract=contract, data={"status": "signed"}))
    ) == {"status"}


def test_the_renewal_chain_is_seen_both_ways(rep):
    customer = make_customer(rep)
    first = make_contract(customer, number="HT-2024")
    second = make_contract(customer, number="HT-2025", renewal_of=first.pk)
    third = make_contract(customer, number="HT-2026", renewal_of=second.pk)
    unrelated = make_contract(customer, number="HT-X")
    for contract in (first, second, third):
        assert [c.number for c in renewal_chain(contract)] == ["HT-2024", "HT-2025", "HT-2026"]
    assert renewal_chain(unrelated) == [unrelated]
    assert list(first.renewals.all()) == [second]


def test_renewal_rules(rep, other_rep):
    customer = make_customer(rep)
    first = make_contract(customer)
    second = make_contract(customer, renewal_of=first.pk)
    assert errors_of(lambda: make_contract(customer, renewal_of=first.pk)) == {
        "renewal_of": ["That contract has already been renewed."]
    }
    foreign = make_contract(make_customer(other_rep))
    assert errors_of(lambda: make_contract(customer, renewal_of=foreign.pk)) == {
        "renewal_of": ["Choose an earlier contract of this customer."]
    }
    # first → second; first renewing second would be a loop.
    assert errors_of(
        lambda: update_contract(actor=rep, contract=first, data={"renewal_of": second.pk})
    ) == {"renewal_of": ["A contract cannot renew itself."]}
    assert errors_of(
        lambda: update_contract(actor=rep, contract=first, data={"renewal_of": first.pk})
    ) == {"renewal_of": ["A contract cannot renew itself."]}
    # A renewal may be re-pointed as long as the chain stays a line.
    third = make_contract(customer)
    second = update_contract(actor=rep, contract=second, data={"renewal_of": third.pk})
    assert renewal_chain(second) == [third, second]


def test_contracts_are_visible_exactly_where_their_customer_is(org):
    own = make_contract(make_customer(org.rep), number="HT-REP")
    branch = make_contract(make_customer(org.branch_rep), number="HT-BRANCH")
    foreign = make_contract(make_customer(org.other_rep), number="HT-OTHER")
    assert access_contract(org.rep, own.pk) == own
    with pytest.raises(NotFound):
        access_contract(org.rep, foreign.pk)
    with pytest.raises(NotFound):
        access_contract(org.rep, branch.pk)
    numbers = {c.number for c in filter_contracts(org.manager, ContractFilters())}
    assert numbers == {"HT-REP", "HT-BRANCH"}
    with pytest.raises(NotFound):
        access_contract(org.rep, "2" * 30)


def test_filters_and_keyset_pages(rep):
    customer = make_customer(rep)
    other = make_customer(rep)
    signed = [
        make_contract(customer, status="signed", signed_on=f"2026-0{month}-01")
        for month in (1, 2, 3)
    ]
    make_contract(other)
    by_status = filter_contracts(rep, ContractFilters(status="signed"))
    assert set(by_status) == set(signed)
    in_range = filter_contracts(
        rep,
        ContractFilters(signed_from=datetime.date(2026, 2, 1), signed_to=datetime.date(2026, 3, 1)),
    )
    assert set(in_range) == set(signed[1:])
    assert set(filter_contracts(rep, ContractFilters(customer=str(other.pk)))) == set(
        Contract.objects.filter(customer=other)
    )
    assert list(filter_contracts(rep, ContractFilters(customer="x"))) == []
    seen, cursor = [], None
    while True:
        page = contract_page(rep, ContractFilters(), cursor=cursor, limit=2)
        seen += [c.pk for c in page.items]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == sorted(Contract.objects.values_list("pk", flat=True), reverse=True)


def test_delete_restore_and_purge(rep):
    customer = make_customer(rep)
    contract = make_contract(customer, number="HT-DEL")
    delete_contract(actor=rep, contract=contract)
    with pytest.raises(NotFound):
        access_contract(rep, contract.pk)
    assert ("contract", contract.pk) in [(i.kind.key, i.record.pk) for i in recycle_bin(rep)]
    assert audit_for(contract, AuditAction.DELETE)
    contract.refresh_from_db()
    assert restore(actor=rep, record=contract) == 1
    assert access_contract(rep, contract.pk) == contract
    delete_contract(actor=rep, contract=contract)
    Contract.objects.filter(pk=contract.pk).update(
        deleted_at=datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)
    )
    assert purge_expired() >= 1
    assert not Contract.objects.filter(pk=contract.pk).exists()


def test_contracts_go_and_come_back_with_their_customer(rep):
    customer = make_customer(rep)
    contract = make_contract(customer)
    delete_customer(actor=rep, customer=customer)
    contract.refresh_from_db()
    assert contract.deleted_at is not None
    customer.refresh_from_db()
    restore(actor=rep, record=customer)
    contract.refresh_from_db()
    assert contract.deleted_at is None


def test_timeline_shows_creation_and_signing(rep):
    customer = make_customer(rep)
    contract = make_contract(customer, number="HT-T")
    change_contract_status(
        actor=rep, contract=contract, data={"status": "signed", "signed_on": "2026-02-02"}
    )
    kinds = [(entry.kind, entry.record_id) for entry in merged_timeline(customer.pk).items]
    created, signed = ContractStatusChange.objects.filter(contract=contract).order_by("id")
    assert (created.from_status, created.to_status) == ("", "draft")
    assert kinds == [("contract", signed.pk), ("contract", created.pk)]
    delete_contract(actor=rep, contract=contract)
    assert merged_timeline(customer.pk).items == []


def test_restoring_a_contract_whose_number_was_reused_is_refused_clearly(rep):
    from tend.contracts.actions import delete_contract

    first = make_contract(make_customer(rep), number="HT-2026-001")
    delete_contract(actor=rep, contract=first)
    make_contract(make_customer(rep), number="HT-2026-001")
    first.refresh_from_db()
    with pytest.raises(ValidationFailed) as caught:
        restore(actor=rep, record=first)
    assert "cannot come back" in str(caught.value.message)
    first.refresh_from_db()
    assert first.deleted_at is not None
