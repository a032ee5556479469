"""A person's first minutes with Tend, in real headless Chromium: sign in, create a customer,
log an activity and see it on the timeline — in Chinese and in English."""

from pathlib import Path

import pytest

from tend.accounts.models import Role
from tend.activities.models import Activity
from tend.customers.models import Customer
from tests.factories import PASSWORD, make_team, make_user

SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "images" / "customer-page.png"

TEXTS = {
    "zh-hans": {"log_activity": "记录跟进", "customers": "客户"},
    "en": {"log_activity": "Log activity", "customers": "Customers"},
}


def sign_in(page, username, language):
    page.goto("/login/")
    page.locator(f"form.language-switch button[value='{language}']").click()
    page.wait_for_selector(f"html[lang='{language}']")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form[action='/login/'] button[type=submit]").click()
    page.wait_for_url("**/customers/")


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("language", "customer_name", "summary"),
    [
        ("zh-hans", "杭州云栖科技有限公司", "电话沟通了采购需求，对方希望下周看方案"),
        ("en", "Northwind Trading Ltd", "Called about the renewal; they want a quote by Friday"),
    ],
)
def test_sign_in_create_a_customer_and_log_an_activity(page, language, customer_name, summary):
    team = make_team(name="华东销售")
    make_user(role=Role.SALES_REP, team=team, username="lili", full_name="李丽")

    sign_in(page, "lili", language)
    assert page.locator("html").get_attribute("lang") == language
    assert TEXTS[language]["customers"] in page.locator("#site-nav").inner_text()

    page.goto("/customers/new/")
    page.fill("input[name=name]", customer_name)
    page.fill("input[name=phone]", "138 0013 8000")
    page.fill("input[name=credit_code]", "91110000600037341L")
    page.fill("input[name=tags]", "重点, 华东")
    page.locator("form.form-card button[type=submit]").first.click()
    page.wait_for_url("**/customers/*/")
    assert customer_name in page.locator("h1").inner_text()
    customer = Customer.objects.get(name=customer_name)
    assert customer.phone == "+8613800138000"
    assert customer.owner.username == "lili"

    form = page.locator("form.activity-form")
    form.locator("textarea[name=summary]").fill(summary)
    form.locator("input[name=valid_communication]").check()
    submit = form.locator("button[type=submit]")
    assert submit.inner_text().strip() == TEXTS[language]["log_activity"]
    submit.click()
    page.locator("#timeline").get_by_text(summary).wait_for()

    activity = Activity.objects.get(customer=customer)
    assert activity.summary == summary
    assert activity.valid_communication is True
    assert activity.author.username == "lili"
    customer.refresh_from_db()
    assert customer.last_contact_at == activity.occurred_at
    # The form was swapped in place: its summary is empty again, ready for the next one.
    assert form.locator("textarea[name=summary]").input_value() == ""

    if language == "zh-hans":
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOT), full_page=False)


@pytest.mark.django_db(transaction=True)
def test_the_customer_page_fits_a_phone_screen(browser, live_server):
    rep = make_user(username="phone_user")
    from tests.factories import make_activity, make_customer

    customer = make_customer(rep, name="深圳前海微众贸易有限公司", phone="13800138001")
    make_activity(customer, summary="上门拜访，确认了第二季度的采购计划")
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 375, "height": 740}, is_mobile=True
    )
    page = context.new_page()
    try:
        sign_in(page, "phone_user", "zh-hans")
        for path in ("/customers/", f"/customers/{customer.pk}/", "/tasks/"):
            page.goto(path)
            overflow = page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow <= 0, f"{path} scrolls sideways by {overflow}px on a phone"
    finally:
        context.close()
