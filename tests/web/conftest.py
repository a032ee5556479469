import pytest

from tests.factories import make_activity, make_contact, make_customer, make_task
from tests.web.helpers import signed_in_client


@pytest.fixture
def rep_client(rep):
    return signed_in_client(rep)


@pytest.fixture
def admin_client_en(admin):
    return signed_in_client(admin)


@pytest.fixture
def customer(rep):
    """A customer of the rep, with one of everything."""
    customer = make_customer(
        rep, name="杭州青木科技有限公司", phone="13812345678", tags="重点, 华东"
    )
    make_contact(customer, name="王芳", mobile="13987654321", is_primary=True)
    make_activity(customer, summary="初次电话沟通")
    make_task(rep, customer=customer.pk, title="发送报价")
    return customer


@pytest.fixture
def foreign(other_rep):
    """Records of another rep, in another team: invisible to `rep`."""

    class Foreign:
        pass

    f = Foreign()
    f.customer = make_customer(other_rep, name="深圳别家公司")
    f.contact = make_contact(f.customer, name="李雷")
    f.activity = make_activity(f.customer, summary="别人的跟进")
    f.task = make_task(other_rep, customer=f.customer.pk, title="别人的任务")
    return f
