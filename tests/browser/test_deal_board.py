"""The deals board in real headless Chromium: drag a card to another column and it stays there
after a reload; a drop on the lost column asks why, and cancelling puts the card back."""

import pytest

from tend.deals.models import Deal, DealStageChange
from tests.browser.test_customer_flow import sign_in
from tests.factories import make_customer, make_user
from tests.factories_deals import default_pipeline, make_deal, stage


def column(page, stage_id):
    return page.locator(f'.board-column[data-stage="{stage_id}"]')


@pytest.fixture
def page(browser, live_server):
    # Wide enough for every column of the default pipeline, so no drag needs a scroll.
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 2400, "height": 900}, locale="en-US"
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.mark.django_db(transaction=True)
def test_dragging_a_card_to_another_column_moves_the_deal(page):
    pipeline = default_pipeline()
    rep = make_user(username="board_user", full_name="王磊")
    customer = make_customer(rep, name="杭州云栖科技有限公司")
    deal = make_deal(customer, name="年度采购", amount="50000")
    potential, proposal, lost = (stage(pipeline, key) for key in ("potential", "proposal", "lost"))

    sign_in(page, "board_user", "en")
    page.goto("/deals/")
    card = page.locator(f"#deal-card-{deal.pk}")
    assert column(page, potential.pk).locator(".deal-card").count() == 1

    card.drag_to(column(page, proposal.pk).locator(".board-cards"))
    # The server's answer replaces the column heads: the target now counts one deal.
    column(page, proposal.pk).locator(".board-count[data-count='1']").wait_for()
    assert column(page, potential.pk).locator(".board-count").inner_text() == "0 deals"

    page.reload()
    assert column(page, proposal.pk).locator(f"#deal-card-{deal.pk}").count() == 1
    assert column(page, potential.pk).locator(".deal-card").count() == 0
    deal.refresh_from_db()
    assert deal.stage == proposal
    assert DealStageChange.objects.filter(deal=deal, to_stage=proposal).count() == 1

    # The lost column asks for a reason; cancelling puts the card back and changes nothing.
    card.drag_to(column(page, lost.pk).locator(".board-cards"))
    dialog = page.locator("#lost-reason-dialog")
    dialog.wait_for(state="visible")
    dialog.locator("button[value=cancel]").click()
    column(page, proposal.pk).locator(f"#deal-card-{deal.pk}").wait_for()
    assert Deal.objects.get(pk=deal.pk).stage == proposal

    card.drag_to(column(page, lost.pk).locator(".board-cards"))
    dialog.wait_for(state="visible")
    dialog.locator("textarea").fill("选择了竞争对手")
    dialog.locator("button[value=confirm]").click()
    column(page, lost.pk).locator(".board-count[data-count='1']").wait_for()
    page.reload()
    assert column(page, lost.pk).locator(f"#deal-card-{deal.pk}").count() == 1
    deal.refresh_from_db()
    assert (deal.status, deal.close_reason) == ("lost", "选择了竞争对手")


@pytest.mark.django_db(transaction=True)
def test_move_to_opens_the_boards_dialog_and_moves_the_deal_without_dragging(page):
    pipeline = default_pipeline()
    rep = make_user(username="keyboard_user", full_name="李静")
    customer = make_customer(rep, name="宁波海曙贸易有限公司")
    deal = make_deal(customer, name="续约", amount="8000")
    potential, proposal = stage(pipeline, "potential"), stage(pipeline, "proposal")

    sign_in(page, "keyboard_user", "en")
    page.goto("/deals/")
    card = page.locator(f"#deal-card-{deal.pk}")
    card.locator("[data-move-deal]").click()
    dialog = page.locator("#move-dialog")
    dialog.wait_for(state="visible")
    assert dialog.locator("[data-move-deal-name]").inner_text() == "续约"
    assert dialog.locator("select").input_value() == str(potential.pk)

    # Cancelling changes nothing.
    dialog.locator("button[value=cancel]").click()
    dialog.wait_for(state="hidden")
    assert Deal.objects.get(pk=deal.pk).stage == potential

    card.locator("[data-move-deal]").click()
    dialog.locator("select").select_option(str(proposal.pk))
    dialog.locator("button[value=confirm]").click()
    column(page, proposal.pk).locator(".board-count[data-count='1']").wait_for()
    assert column(page, proposal.pk).locator(f"#deal-card-{deal.pk}").count() == 1
    assert Deal.objects.get(pk=deal.pk).stage == proposal
