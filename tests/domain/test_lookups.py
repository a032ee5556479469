"""The in_list lookup (tend/core/lookups.py): the same rows as Django's __in, on every
database, for text, numbers, foreign keys and datetimes."""

import datetime

import pytest
from django.db import connection
from django.utils import timezone

from tend.activities.models import Activity
from tend.core.lookups import in_list_sql
from tend.customers.models import Contact, Customer
from tests.factories import make_activity, make_contact, make_customer

pytestmark = pytest.mark.django_db


def test_in_list_matches_in_for_text_numbers_and_foreign_keys(rep):
    customers = [make_customer(rep, name=f"客户{index}") for index in range(4)]
    for customer in customers:
        make_contact(customer, name=f"联系人{customer.pk}")
    names = [customers[0].name, customers[2].name, "没有这个客户"]
    assert set(Customer.objects.filter(name__in_list=names)) == {customers[0], customers[2]}
    ids = [customers[1].pk, customers[3].pk]
    assert set(Customer.objects.filter(pk__in_list=ids)) == set(Customer.objects.filter(pk__in=ids))
    contacts = Contact.objects.filter(customer_id__in_list=ids)
    assert {contact.customer_id for contact in contacts} == set(ids)
    assert Contact.objects.filter(customer__in_list=ids).count() == 2


def test_in_list_of_nothing_matches_nothing(rep):
    make_customer(rep)
    assert list(Customer.objects.filter(pk__in_list=[])) == []


def test_in_list_compares_datetimes_as_the_field_stores_them(rep):
    customer = make_customer(rep)
    moment = timezone.now().replace(microsecond=0) - datetime.timedelta(days=3)
    activity = make_activity(customer, occurred_at=moment)
    make_activity(customer, occurred_at=moment - datetime.timedelta(hours=1))
    found = Activity.objects.filter(occurred_at__in_list={moment})
    assert list(found) == [activity]


def test_hand_written_sql_gets_the_same_condition(rep):
    customers = [make_customer(rep) for _ in range(3)]
    condition, params = in_list_sql('"id"', [customers[0].pk, customers[2].pk], connection.vendor)
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT "id" FROM customers_customer WHERE {condition}', params)
        assert {row[0] for row in cursor.fetchall()} == {customers[0].pk, customers[2].pk}
