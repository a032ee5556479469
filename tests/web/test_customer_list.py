"""The customer list: search, filters, sort, keyset pages, the capped count, live search."""

import re

import pytest
from django.urls import reverse

from tend.core import pagination
from tend.core.pagination import encode_cursor
from tend.web.views import customers as customer_views
from tests.factories import make_customer
from tests.web.helpers import signed_in_client


def _names(response) -> list[str]:
    return re.findall(
        r'<td class="cell-title"[^>]*><a href="/customers/\d+/">([^<]+)</a>',
        response.content.decode(),
    )


def _list(client, **params):
    return client.get(reverse("web:customer_list"), params)


@pytest.fixture
def customers(rep, other_rep, org):
    """Three of the rep's, one in the pool, one of another team's rep."""
    make_customer(
        rep,
        name="杭州青木科技",
        phone="13812345678",
        province="浙江省",
        city="杭州市",
        source="referral",
        tags="重点",
    )
    make_customer(
        rep,
        name="宁波海港物流",
        email="info@nbport.cn",
        province="浙江省",
        city="宁波市",
        source="exhibition",
    )
    make_customer(rep, name="上海云帆信息", province="上海市", city="上海市", tags="重点")
    pool = make_customer(rep, name="公海里的客户")
    from tend.customers.actions import assign_customer_owner

    assign_customer_owner(actor=rep, customer=pool, owner=None)
    make_customer(other_rep, name="深圳别家公司", phone="13900000000")


def test_search_by_name_phone_and_email(rep_client, customers):
    assert _names(_list(rep_client, q="青木")) == ["杭州青木科技"]
    assert _names(_list(rep_client, q="138 1234")) == ["杭州青木科技"]
    assert _names(_list(rep_client, q="info@nbport.cn")) == ["宁波海港物流"]
    assert _names(_list(rep_client, q="13900000000")) == []


def test_filters(rep_client, customers):
    assert _names(_list(rep_client, owner="pool")) == ["公海里的客户"]
    assert sorted(_names(_list(rep_client, owner="me"))) == sorted(
        ["杭州青木科技", "宁波海港物流", "上海云帆信息"]
    )
    assert sorted(_names(_list(rep_client, tag="重点"))) == sorted(["杭州青木科技", "上海云帆信息"])
    assert sorted(_names(_list(rep_client, province="浙江省"))) == sorted(
        ["杭州青木科技", "宁波海港物流"]
    )
    assert _names(_list(rep_client, province="浙江省", city="宁波市")) == ["宁波海港物流"]
    assert _names(_list(rep_client, source="exhibition")) == ["宁波海港物流"]


def test_manager_filters_by_owner_and_team(org, customers):
    client = signed_in_client(org.manager)
    page = _list(client)
    assert f'<option value="{org.rep.pk}">' in page.content.decode()
    assert f'<option value="{org.team.pk}">' in page.content.decode()
    assert sorted(_names(_list(client, owner=str(org.rep.pk)))) == sorted(
        ["杭州青木科技", "宁波海港物流", "上海云帆信息"]
    )
    assert "深圳别家公司" not in _names(_list(client))
    # A customer released to the pool stays with its team.
    assert sorted(_names(_list(client, team=str(org.team.pk)))) == sorted(
        ["杭州青木科技", "宁波海港物流", "上海云帆信息", "公海里的客户"]
    )


def test_sort_orders(rep_client, customers):
    names = _names(_list(rep_client, ordering="name"))
    assert names == sorted(names)
    assert _names(_list(rep_client, ordering="-name")) == list(reversed(names))
    newest = _names(_list(rep_client, ordering="-created_at"))
    assert newest[0] == "公海里的客户"
    # An unknown ordering falls back to the default instead of failing.
    assert _list(rep_client, ordering="password").status_code == 200


def test_keyset_pages_with_next_and_first_links(rep, rep_client, monkeypatch):
    monkeypatch.setattr(customer_views, "PAGE_SIZE", 2)
    for number in range(5):
        make_customer(rep, name=f"客户{number}")
    first = _list(rep_client, ordering="name", q="客户")
    assert _names(first) == ["客户0", "客户1"]
    page = first.content.decode()
    assert "First page" not in page
    next_link = re.search(r'rel="next" href="([^"]+)"', page).group(1).replace("&amp;", "&")
    assert "q=%E5%AE%A2%E6%88%B7" in next_link
    assert "ordering=name" in next_link
    second = rep_client.get(reverse("web:customer_list") + next_link)
    assert _names(second) == ["客户2", "客户3"]
    assert "First page" in second.content.decode()
    third_link = (
        re.search(r'rel="next" href="([^"]+)"', second.content.decode())
        .group(1)
        .replace("&amp;", "&")
    )
    third = rep_client.get(reverse("web:customer_list") + third_link)
    assert _names(third) == ["客户4"]
    assert 'rel="next"' not in third.content.decode()


def test_a_broken_cursor_shows_the_first_page(rep, rep_client):
    make_customer(rep, name="青木")
    response = _list(rep_client, cursor="not-a-cursor")
    assert response.status_code == 200
    assert _names(response) == ["青木"]
    assert "That page link is no longer valid" in response.content.decode()
    # A well-formed cursor whose value does not fit the sort field is no better.
    response = _list(rep_client, ordering="-created_at", cursor=encode_cursor("abc", 1))
    assert response.status_code == 200
    assert _names(response) == ["青木"]


def test_count_is_capped(rep, rep_client, monkeypatch):
    for number in range(3):
        make_customer(rep, name=f"客户{number}")
    assert "3 customers" in _list(rep_client).content.decode()
    monkeypatch.setattr(
        customer_views, "capped_count", lambda queryset: pagination.capped_count(queryset, cap=2)
    )
    assert "2+ customers" in _list(rep_client).content.decode()
    monkeypatch.setattr(customer_views, "capped_count", lambda queryset: (10_000, True))
    assert "10,000+ customers" in _list(rep_client).content.decode()


def test_live_search_returns_only_the_results(rep_client, customers):
    response = rep_client.get(reverse("web:customer_list"), {"q": "青木"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    page = response.content.decode()
    assert "<html" not in page
    assert "<form" not in page
    assert _names(response) == ["杭州青木科技"]
    assert "HX-Request" in response["Vary"]
    full = rep_client.get(reverse("web:customer_list"), {"q": "青木"})
    assert "<html" in full.content.decode()
    assert 'hx-push-url="true"' in full.content.decode()
    assert 'id="results"' in full.content.decode()


def test_history_restore_gets_the_whole_page(rep_client, customers):
    response = rep_client.get(
        reverse("web:customer_list"),
        {"q": "青木"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_HISTORY_RESTORE_REQUEST="true",
    )
    assert "<html" in response.content.decode()


def test_empty_list_says_so(rep_client, db):
    assert "There are no customers yet." in _list(rep_client).content.decode()
    assert "No customers match these filters." in _list(rep_client, q="无").content.decode()
