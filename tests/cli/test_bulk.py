import datetime

import pytest
from django.db import IntegrityError, connection

from tend.core.bulk import bulk_insert, datetime_text, next_id
from tend.customers.models import Customer, Tag
from tests.factories import make_customer

pytestmark = pytest.mark.django_db

BLANK_TEXT = ["industry", "province", "city", "source", "credit_code", "phone", "email", "wechat",
              "address", "external_id"]  # fmt: skip


def _customer_rows(rows: list[dict]) -> tuple[list[str], list[tuple]]:
    """Columns and tuples for customer rows, with the NOT NULL text columns left blank."""
    columns = [*rows[0], *BLANK_TEXT]
    return columns, [(*row.values(), *[""] * len(BLANK_TEXT)) for row in rows]


def test_bulk_insert_writes_rows_with_explicit_ids_and_the_orm_continues_after_them():
    start = next_id(Tag)
    rows = ((start + i, f"标签{i}") for i in range(2500))

    count = bulk_insert(Tag, ["id", "name"], rows, batch=1000)

    assert count == 2500
    assert Tag.objects.count() == 2500
    assert Tag.objects.get(pk=start + 2499).name == "标签2499"
    created = Tag.objects.create(name="after")
    assert created.pk == start + 2500


def test_bulk_insert_stores_datetimes_and_json_as_the_orm_reads_them(rep):
    at = datetime.datetime(2024, 3, 5, 1, 2, 3, tzinfo=datetime.UTC)
    local = at.astimezone(datetime.timezone(datetime.timedelta(hours=8)))
    text = datetime_text(local, connection.vendor)
    customer_id = next_id(Customer)

    columns, rows = _customer_rows([{
        "id": customer_id, "created_at": text, "updated_at": text, "kind": "company",
        "name": "批量客户", "custom_fields": '{"employee_count": 12}', "owner_id": rep.pk,
        "last_contact_at": text, "next_follow_up_on": "2024-03-10",
    }])  # fmt: skip

    bulk_insert(Customer, columns, rows)

    customer = Customer.objects.get(pk=customer_id)
    assert customer.created_at == at
    assert customer.last_contact_at == at
    assert customer.next_follow_up_on == datetime.date(2024, 3, 10)
    assert customer.custom_fields == {"employee_count": 12}
    assert customer.owner == rep
    assert Customer.objects.filter(last_contact_at__gte=at).count() == 1
    assert Customer.objects.filter(last_contact_at__gt=at).count() == 0


def test_bulk_insert_by_table_name_and_with_no_rows():
    assert bulk_insert("customers_tag", ["name"], iter([])) == 0
    assert bulk_insert("customers_tag", ["name"], [("甲",), ("乙",)]) == 2
    assert sorted(Tag.objects.values_list("name", flat=True)) == ["乙", "甲"]


def test_bulk_insert_is_all_or_nothing(rep):
    make_customer(rep, name="已有")
    taken = Customer.objects.get().pk
    at = datetime_text(datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC), connection.vendor)
    columns, rows = _customer_rows([
        {"id": new_id, "created_at": at, "updated_at": at, "kind": "company", "name": name,
         "custom_fields": "{}"}
        for new_id, name in ((taken + 1, "新"), (taken, "重复"))
    ])  # fmt: skip

    with pytest.raises(IntegrityError):
        bulk_insert(Customer, columns, rows)

    assert list(Customer.objects.values_list("name", flat=True)) == ["已有"]


def test_datetime_text_is_utc_for_each_database():
    at = datetime.datetime(
        2024, 3, 5, 9, 2, 3, tzinfo=datetime.timezone(datetime.timedelta(hours=8))
    )

    assert datetime_text(at, "sqlite") == "2024-03-05 01:02:03"
    assert datetime_text(at, "postgresql") == "2024-03-05 01:02:03+00"
