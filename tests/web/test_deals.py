"""Deal pages: the board (drag-and-drop posts, no-JS forms), the list, the deal page with its
stage's guidance, the forms, the customer tab and timeline."""

import datetime
import html
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tend.deals.actions import create_pipeline, create_stage, move_deal, pause_deal, update_deal
from tend.deals.models import Deal, DealStageChange
from tests.factories import make_contact, make_customer
from tests.factories_deals import default_pipeline, make_deal, stage
from tests.web.helpers import field_errors, signed_in_client

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def pipeline(db):
    return default_pipeline()


@pytest.fixture
def customer(rep):
    return make_customer(rep, name="杭州青木科技有限公司")


def _cards(page: str) -> list[str]:
    return re.findall(r'class="deal-card-title"[^>]*>([^<]+)</a>', page)


def _column(page: str, stage_id: int) -> str:
    match = re.search(
        rf'<section class="board-column" data-stage="{stage_id}".*?</section>', page, re.S
    )
    assert match, stage_id
    return match.group(0)


def _messages(response) -> list[str]:
    return [
        html.unescape(text)
        for text in re.findall(r'<p class="message[^"]*">(.*?)</p>', response.content.decode())
    ]


def _queries(client, url) -> int:
    client.get(url)  # the first request of a session writes its last-seen time
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200
    return len(context.captured_queries)


# --- the board -------------------------------------------------------------------------------


def test_the_board_shows_the_default_pipelines_columns_with_counts_and_sums(
    rep, rep_client, pipeline, customer, other_rep
):
    make_deal(customer, name="年度采购", amount="1200")
    stalled = make_deal(
        customer, name="停滞的", amount="300", at=timezone.now() - datetime.timedelta(days=20)
    )
    paused = make_deal(customer, name="暂停的")
    pause_deal(actor=rep, deal=paused, reason="客户出差")
    make_deal(make_customer(other_rep), name="别人的商机")
    response = rep_client.get(reverse("web:deal_board"))
    assert response.status_code == 200
    page = response.content.decode()
    assert page.count('class="board-column"') == 8
    potential = _column(page, stage(pipeline, "potential").pk)
    assert sorted(_cards(potential)) == sorted(["年度采购", "停滞的", "暂停的"])
    assert "3 deals" in potential
    assert "CNY 1,500.00" in potential
    assert "weighted CNY 150.00" in potential
    assert "别人的商机" not in page
    stalled_card = re.search(
        rf'<article class="deal-card([^"]*)" id="deal-card-{stalled.pk}"', page
    )
    assert stalled_card.group(1) == " is-stalled"
    paused_card = re.search(rf'<article class="deal-card([^"]*)" id="deal-card-{paused.pk}"', page)
    assert paused_card.group(1) == " is-paused"
    # Drag and drop, and the board's move dialog (a link to the deal's form without JS).
    assert 'draggable="true"' in page
    assert "tend/deals.js" in page
    assert page.count("data-move-deal ") == 3
    assert f'href="/deals/{stalled.pk}/#deal-move" data-move-deal' in page
    assert 'id="move-dialog"' in page
    assert 'id="lost-reason-dialog"' in page


def test_the_board_shows_the_pipeline_asked_for(rep_client, admin, pipeline, customer):
    other = create_pipeline(actor=admin, data={"name_zh": "续约管道", "name_en": "Renewals"})
    first = create_stage(
        actor=admin,
        pipeline=other,
        data={
            "label_zh": "待续约",
            "label_en": "Due",
            "category": "open",
            "probability": 50,
            "color": "#123456",
        },
    )
    make_deal(customer, name="续约商机", pipeline=other.pk, stage=first.pk)
    make_deal(customer, name="新商机")
    page = rep_client.get(reverse("web:deal_board") + f"?pipeline={other.pk}").content.decode()
    assert _cards(page) == ["续约商机"]
    assert page.count('class="board-column"') == 1
    default = rep_client.get(reverse("web:deal_board") + "?pipeline=x").content.decode()
    assert _cards(default) == ["新商机"]
    assert rep_client.get(reverse("web:deal_board") + "?pipeline=999999").status_code == 404


def test_the_board_can_show_only_my_deals(rep, org, pipeline, customer):
    make_deal(customer, name="我的")
    make_deal(customer, actor=org.manager, name="经理的")
    client = signed_in_client(org.manager)
    assert sorted(_cards(client.get(reverse("web:deal_board")).content.decode())) == [
        "我的",
        "经理的",
    ]
    page = client.get(reverse("web:deal_board") + "?owner=me").content.decode()
    assert _cards(page) == ["经理的"]


def test_the_board_queries_do_not_grow_with_deals(rep, rep_client, pipeline, customer):
    url = reverse("web:deal_board")
    make_deal(customer)
    move_deal(actor=rep, deal=make_deal(customer), stage=stage(pipeline, "proposal"))
    few = _queries(rep_client, url)
    for number in range(20):
        deal = make_deal(customer, name=f"商机{number}")
        if number % 2:
            move_deal(actor=rep, deal=deal, stage=stage(pipeline, "proposal"))
    assert _queries(rep_client, url) == few
    assert few <= 16


def test_without_any_pipeline_the_board_says_so(rep_client, db):
    from tend.deals.models import Pipeline

    Pipeline.objects.update(active=False)
    response = rep_client.get(reverse("web:deal_board"))
    assert response.status_code == 200
    assert "There is no active pipeline yet." in response.content.decode()


# --- moving from the board -------------------------------------------------------------------


def test_a_dragged_card_is_moved_and_answered_with_the_card_and_both_column_heads(
    rep, rep_client, pipeline, customer
):
    deal = make_deal(customer, name="年度采购", amount="1000")
    make_deal(customer, amount="500")
    proposal = stage(pipeline, "proposal")
    response = rep_client.post(
        reverse("web:deal_move", args=[deal.pk]),
        {"stage": proposal.pk, "reason": "", "board_query": f"pipeline={pipeline.pk}"},
        **HTMX,
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert page.lstrip().startswith(f'<article class="deal-card" id="deal-card-{deal.pk}"')
    assert f'data-stage="{proposal.pk}"' in page
    heads = re.findall(
        r'<header class="board-column-head" id="column-head-(\d+)">(.*?)</header>', page, re.S
    )
    by_stage = {int(stage_id): text for stage_id, text in heads}
    assert set(by_stage) == {stage(pipeline, "potential").pk, proposal.pk}
    assert "1 deal" in by_stage[proposal.pk] and "CNY 1,000.00" in by_stage[proposal.pk]
    assert "1 deal" in by_stage[stage(pipeline, "potential").pk]
    assert "CNY 500.00" in by_stage[stage(pipeline, "potential").pk]
    deal.refresh_from_db()
    assert deal.stage == proposal
    assert DealStageChange.objects.filter(deal=deal, to_stage=proposal, actor=rep).count() == 1


def test_a_refused_move_answers_with_the_reason_and_changes_nothing(rep_client, pipeline, customer):
    deal = make_deal(customer)
    response = rep_client.post(
        reverse("web:deal_move", args=[deal.pk]), {"stage": stage(pipeline, "lost").pk}, **HTMX
    )
    assert response.status_code == 422
    assert response["Content-Type"].startswith("text/plain")
    assert response.content.decode() == "Say why the deal was lost."
    deal.refresh_from_db()
    assert deal.stage.key == "potential"
    assert DealStageChange.objects.filter(deal=deal).count() == 1


def test_a_lost_move_with_its_reason_is_accepted(rep_client, pipeline, customer):
    deal = make_deal(customer)
    response = rep_client.post(
        reverse("web:deal_move", args=[deal.pk]),
        {"stage": stage(pipeline, "lost").pk, "reason": "选择了竞争对手"},
        **HTMX,
    )
    assert response.status_code == 200
    deal.refresh_from_db()
    assert (deal.status, deal.close_reason) == ("lost", "选择了竞争对手")


def test_an_unknown_stage_is_refused(rep_client, pipeline, customer):
    deal = make_deal(customer)
    for value in ("", "abc", "999999"):
        response = rep_client.post(
            reverse("web:deal_move", args=[deal.pk]), {"stage": value}, **HTMX
        )
        assert response.status_code == 422
        assert response.content.decode() == "Some fields are not valid. Choose a stage."


def test_the_no_javascript_form_moves_and_comes_back_to_the_board(rep_client, pipeline, customer):
    deal = make_deal(customer, name="年度采购")
    board = reverse("web:deal_board") + f"?pipeline={pipeline.pk}"
    response = rep_client.post(
        reverse("web:deal_move", args=[deal.pk]),
        {"stage": stage(pipeline, "needs_analysis").pk, "next": board},
        follow=True,
    )
    assert response.redirect_chain == [(board, 302)]
    assert _messages(response) == ["“年度采购” is now in Needs analysis."]
    refused = rep_client.post(
        reverse("web:deal_move", args=[deal.pk]),
        {"stage": stage(pipeline, "lost").pk, "next": board},
        follow=True,
    )
    assert _messages(refused) == ["Say why the deal was lost."]
    deal.refresh_from_db()
    assert deal.stage.key == "needs_analysis"


def test_another_reps_deal_cannot_be_moved(rep_client, other_rep, pipeline):
    deal = make_deal(make_customer(other_rep))
    response = rep_client.post(
        reverse("web:deal_move", args=[deal.pk]), {"stage": stage(pipeline, "proposal").pk}, **HTMX
    )
    assert response.status_code == 404
    deal.refresh_from_db()
    assert deal.stage.key == "potential"


def test_moving_to_a_stage_of_another_pipeline_moves_the_deal_there(
    rep_client, admin, pipeline, customer
):
    other = create_pipeline(actor=admin, data={"name_zh": "续约"})
    target = create_stage(
        actor=admin,
        pipeline=other,
        data={"label_zh": "甲", "category": "open", "probability": 5, "color": "#000000"},
    )
    deal = make_deal(customer)
    rep_client.post(reverse("web:deal_move", args=[deal.pk]), {"stage": target.pk})
    deal.refresh_from_db()
    assert (deal.pipeline, deal.stage) == (other, target)


# --- the list --------------------------------------------------------------------------------


def _list_names(response) -> list[str]:
    return re.findall(
        r'<td class="cell-title"[^>]*><a href="/deals/\d+/">([^<]+)</a>', response.content.decode()
    )


def test_the_list_filters_and_pages(rep, rep_client, pipeline, customer):
    for number in range(30):
        make_deal(customer, name=f"商机{number:02d}", amount=str(number))
    won = make_deal(customer, name="赢单的", amount="5")
    move_deal(actor=rep, deal=won, stage=stage(pipeline, "signed"))
    url = reverse("web:deal_list")
    first = rep_client.get(url + "?ordering=-amount")
    assert first.status_code == 200
    names = _list_names(first)
    assert names[:3] == ["商机29", "商机28", "商机27"]
    assert len(names) == 25
    assert "31 deals" in first.content.decode()
    cursor = re.search(r'rel="next" href="\?([^"]+)"', first.content.decode()).group(1)
    second = rep_client.get(url + "?" + html.unescape(cursor))
    assert len(_list_names(second)) == 6
    assert set(_list_names(second)).isdisjoint(names)
    assert _list_names(rep_client.get(url + "?status=won")) == ["赢单的"]
    assert _list_names(rep_client.get(url + "?q=赢单")) == ["赢单的"]
    assert len(_list_names(rep_client.get(url + "?owner=me&status=open"))) == 25
    partial = rep_client.get(url + "?status=won", **HTMX)
    assert "<html" not in partial.content.decode()
    assert _list_names(partial) == ["赢单的"]
    broken = rep_client.get(url + "?cursor=nonsense")
    assert "That page link is no longer valid" in broken.content.decode()


def test_the_list_shows_stalled_and_paused_deals_when_asked(rep, rep_client, pipeline, customer):
    make_deal(customer, name="新鲜的")
    make_deal(customer, name="停滞的", at=timezone.now() - datetime.timedelta(days=15))
    paused = make_deal(customer, name="暂停的", at=timezone.now() - datetime.timedelta(days=15))
    pause_deal(actor=rep, deal=paused, reason="等预算")
    url = reverse("web:deal_list")
    assert _list_names(rep_client.get(url + "?stalled=1")) == ["停滞的"]
    assert _list_names(rep_client.get(url + "?paused=1")) == ["暂停的"]
    assert sorted(_list_names(rep_client.get(url + "?paused=0"))) == ["停滞的", "新鲜的"]


def test_the_list_queries_do_not_grow_with_deals(rep_client, pipeline, customer):
    url = reverse("web:deal_list") + "?status=open"
    make_deal(customer)
    few = _queries(rep_client, url)
    for _number in range(25):
        make_deal(customer)
    assert _queries(rep_client, url) == few


# --- the deal page ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "texts"),
    [
        (
            "zh-hans",
            [
                "潜在客户是指那些对企业的产品或服务表现出初步兴趣",
                "市场推广：",
                "Tend 可以帮助企业",
            ],
        ),
        (
            "en",
            [
                "A potential customer has shown initial interest",
                "- Marketing:",
                "Definition",
                "Goal",
            ],
        ),
    ],
)
def test_the_deal_page_shows_the_stages_guidance_in_the_users_language(
    rep, pipeline, customer, language, texts
):
    deal = make_deal(customer)
    page = (
        signed_in_client(rep, language)
        .get(reverse("web:deal_detail", args=[deal.pk]))
        .content.decode()
    )
    for text in texts:
        assert text in page
    assert "简道云" not in page


def test_the_deal_page_shows_the_history_with_time_in_each_stage_and_a_hand_set_probability(
    rep, rep_client, pipeline, customer
):
    start = timezone.now() - datetime.timedelta(days=3, hours=2)
    deal = make_deal(customer, at=start)
    move_deal(
        actor=rep,
        deal=deal,
        stage=stage(pipeline, "proposal"),
        at=start + datetime.timedelta(days=2),
    )
    update_deal(actor=rep, deal=deal, data={"probability_override": 55})
    page = rep_client.get(reverse("web:deal_detail", args=[deal.pk])).content.decode()
    history = re.search(r'<ol class="stage-history">(.*?)</ol>', page, re.S).group(1)
    assert re.findall(r'class="stage-visit-duration">([^<]+)<', history) == [
        "2 days",
        "1 day 2 hours so far",
    ]
    assert "55% (set by hand)" in page
    assert "Draw up a concrete solution" in page  # 方案制定's guidance


def test_another_reps_deal_page_is_not_found(rep_client, other_rep, pipeline):
    deal = make_deal(make_customer(other_rep))
    assert rep_client.get(reverse("web:deal_detail", args=[deal.pk])).status_code == 404


def test_pause_resume_and_mark_as_won_from_the_deal_page(rep_client, pipeline, customer):
    deal = make_deal(customer)
    detail = reverse("web:deal_detail", args=[deal.pk])
    refused = rep_client.post(
        reverse("web:deal_pause", args=[deal.pk]), {"reason": ""}, follow=True
    )
    assert _messages(refused) == ["Some fields are not valid. This field is required."]
    rep_client.post(reverse("web:deal_pause", args=[deal.pk]), {"reason": "客户出差"})
    deal.refresh_from_db()
    assert deal.paused and deal.paused_reason == "客户出差"
    assert "Paused: 客户出差" in rep_client.get(detail).content.decode()
    rep_client.post(reverse("web:deal_resume", args=[deal.pk]))
    deal.refresh_from_db()
    assert not deal.paused
    rep_client.post(
        reverse("web:deal_move", args=[deal.pk]),
        {"stage": stage(pipeline, "signed").pk, "reason": "价格合适"},
    )
    deal.refresh_from_db()
    assert (deal.status, deal.close_reason) == ("won", "价格合适")
    page = rep_client.get(detail).content.decode()
    assert "Won reason" in page and "价格合适" in page
    assert f'action="/deals/{deal.pk}/pause/"' not in page


def test_deleting_a_deal_moves_it_to_the_recycle_bin(rep_client, pipeline, customer):
    deal = make_deal(customer, name="要删除的")
    response = rep_client.post(reverse("web:deal_delete", args=[deal.pk]), follow=True)
    assert _messages(response) == ["“要删除的” was moved to the recycle bin."]
    deal.refresh_from_db()
    assert deal.deleted_at is not None
    assert "要删除的" in rep_client.get(reverse("web:recycle_bin")).content.decode()


# --- forms -----------------------------------------------------------------------------------


def test_a_deal_created_from_the_customers_tab_has_the_customer_chosen(
    rep, rep_client, pipeline, customer
):
    contact = make_contact(customer, name="王芳")
    url = reverse("web:deal_create") + f"?customer={customer.pk}"
    form = rep_client.get(url).content.decode()
    assert f'<input type="hidden" name="customer" value="{customer.pk}"' in form
    assert "王芳" in form
    response = rep_client.post(
        reverse("web:deal_create"),
        {
            "customer": customer.pk,
            "customer_fixed": "1",
            "name": "年度采购",
            "amount": "88000",
            "currency": "CNY",
            "contact": contact.pk,
            "stage": stage(pipeline, "needs_analysis").pk,
            "owner": rep.pk,
            "probability_override": "",
        },
    )
    deal = Deal.objects.get(name="年度采购")
    assert response.status_code == 302
    assert response["Location"] == reverse("web:deal_detail", args=[deal.pk])
    assert (deal.customer, deal.contact, deal.stage.key) == (customer, contact, "needs_analysis")
    assert deal.pipeline == pipeline
    assert deal.probability_override is None


def test_the_create_form_shows_field_errors_and_keeps_the_input(
    rep, rep_client, pipeline, customer
):
    response = rep_client.post(
        reverse("web:deal_create"),
        {"customer": customer.pk, "name": "", "amount": "abc", "currency": "rmb", "owner": rep.pk},
    )
    assert response.status_code == 422
    assert field_errors(response, "name") == ["This field is required."]
    assert field_errors(response, "amount") == ["Enter a number."]
    assert field_errors(response, "currency") == [
        "Enter a currency code of three capital letters, such as CNY or USD."
    ]
    assert f'<option value="{customer.pk}" selected>' in response.content.decode()
    assert not Deal.objects.exists()


def test_a_customer_the_user_cannot_see_is_not_offered(rep_client, other_rep, pipeline):
    foreign = make_customer(other_rep, name="深圳别家公司")
    assert rep_client.get(reverse("web:deal_create") + f"?customer={foreign.pk}").status_code == 404
    assert "深圳别家公司" not in rep_client.get(reverse("web:deal_create")).content.decode()
    response = rep_client.post(reverse("web:deal_create"), {"customer": foreign.pk, "name": "偷"})
    assert field_errors(response, "customer") == ["Unknown customer."]
    assert not Deal.objects.exists()


def test_a_board_columns_new_deal_link_preselects_its_stage(rep_client, pipeline, customer):
    proposal = stage(pipeline, "proposal")
    page = rep_client.get(reverse("web:deal_create") + f"?stage={proposal.pk}").content.decode()
    assert f'<option value="{proposal.pk}" selected>' in page


def test_editing_a_deal_shows_field_errors_then_saves(rep_client, pipeline, customer):
    deal = make_deal(customer, name="年度采购")
    url = reverse("web:deal_edit", args=[deal.pk])
    response = rep_client.post(
        url, {"name": "年度采购", "probability_override": "150", "currency": "CNY"}
    )
    assert response.status_code == 422
    assert field_errors(response, "probability_override") == [
        "Ensure this value is less than or equal to 100."
    ]
    response = rep_client.post(
        url,
        {"name": "年度采购（改）", "probability_override": "70", "currency": "USD", "amount": "10"},
    )
    assert response.status_code == 302
    deal.refresh_from_db()
    assert (deal.name, deal.probability, deal.currency) == ("年度采购（改）", 70, "USD")


# --- the customer page -----------------------------------------------------------------------


def test_the_customer_tab_lists_the_customers_deals(rep_client, pipeline, customer, rep):
    make_deal(customer, name="年度采购")
    make_deal(make_customer(rep), name="别家的")
    url = reverse("web:customer_tab", args=[customer.pk, "deals"])
    page = rep_client.get(url).content.decode()
    assert "年度采购" in page and "别家的" not in page
    assert f"/deals/new/?customer={customer.pk}" in page
    partial = rep_client.get(url, **HTMX).content.decode()
    assert "<html" not in partial and "年度采购" in partial
    detail = rep_client.get(reverse("web:customer_detail", args=[customer.pk])).content.decode()
    assert f'href="/customers/{customer.pk}/tabs/deals/"' in detail


def test_the_customer_timeline_shows_deal_moves(rep, rep_client, pipeline, customer):
    deal = make_deal(customer, name="年度采购")
    move_deal(actor=rep, deal=deal, stage=stage(pipeline, "lost"), reason="预算取消")
    page = rep_client.get(reverse("web:customer_detail", args=[customer.pk])).content.decode()
    assert "Deal created" in page
    assert "Deal moved" in page
    assert "Potential customer → Lost" in page
    assert "预算取消" in page
