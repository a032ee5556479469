"""Every list page exports what it shows — the same filters, order and visibility — as XLSX or
CSV, with every cell a spreadsheet would read as a formula neutralised, in a fixed number of
queries however many rows there are."""

import csv
import html
import io
import re
from dataclasses import dataclass
from urllib.parse import urlencode

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tend.activities.actions import set_task_done
from tests.factories import make_customer, make_task
from tests.factories_contracts import make_contract
from tests.factories_deals import make_deal
from tests.factories_leads import make_lead
from tests.factories_orders import make_order, make_payment
from tests.factories_service import make_feedback, make_ticket
from tests.web.helpers import signed_in_client

FORMULA = '=HYPERLINK("http://evil.example/","点我")'
NEUTRALISED = "'" + FORMULA
BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True)
class Listing:
    """One list page and its export: `make(owner, customer, text)` adds a record of `owner`
    showing `text` in the column `text_column`; `detail` is how the list links to a record."""

    name: str
    list_url: str
    export_url: str
    detail: str
    header: tuple
    text_column: str
    make: object
    # Query parameters that keep the record made with "甲…" and drop the one made with "乙…".
    keep_first: object


def _deal(owner, customer, text, **extra):
    return make_deal(customer, name=text, **extra)


def _lead(owner, customer, text, **extra):
    return make_lead(owner, name=text, **extra)


def _contract(owner, customer, text, **extra):
    return make_contract(customer, title=text, **extra)


def _order(owner, customer, text, **extra):
    return make_order(customer, description=text, **extra)


def _payment(owner, customer, text, **extra):
    return make_payment(customer, reference=text, **extra)


def _ticket(owner, customer, text, **extra):
    return make_ticket(customer, subject=text, **extra)


def _feedback(owner, customer, text, **extra):
    return make_feedback(customer, subject=text, **extra)


def _task(owner, customer, text, **extra):
    return make_task(owner, customer=customer.pk, title=text, **extra)


def _customer(owner, customer, text, **extra):
    return make_customer(owner, name=text, **extra)


def _by_customer(first, second):
    return {"customer": first.customer_id}


LISTINGS = [
    Listing(
        "customers",
        "/customers/",
        "/customers/export/",
        "/customers/",
        (
            "Id",
            "Name",
            "Kind",
            "Industry",
            "Province",
            "City",
            "Source channel",
            "Unified social credit code",
            "Phone",
            "Email address",
            "WeChat",
            "Address",
            "External id",
            "Owner",
            "Team",
            "Tags",
            "Created",
            "Last contact",
            "Next follow-up",
            "Health score",
            "RFM segment",
            "RFM recency score",
            "RFM frequency score",
            "RFM monetary score",
            "Revenue in 365 days",
            "Orders in 365 days",
            "Probability still a customer (P(alive))",
            "Expected orders in 90 days",
            "Overdue amount",
            "Locked",
        ),
        "Name",
        _customer,
        # Names are searched by pairs of characters: "甲的" is in no other customer's name.
        lambda first, second: {"q": "甲的"},
    ),
    Listing(
        "deals",
        "/deals/list/",
        "/deals/export/",
        "/deals/",
        (
            "Id",
            "Deal name",
            "Customer",
            "Pipeline",
            "Stage",
            "Status",
            "Amount",
            "Currency",
            "Probability",
            "Weighted amount",
            "Expected close",
            "Owner",
            "Paused",
            "Stalled",
            "Created",
            "Last updated",
        ),
        "Deal name",
        _deal,
        _by_customer,
    ),
    Listing(
        "leads",
        "/leads/",
        "/leads/export/",
        "/leads/",
        (
            "Id",
            "Contact",
            "Company",
            "Phone",
            "Email address",
            "WeChat",
            "Province",
            "City",
            "Score",
            "Status",
            "Source",
            "Owner",
            "Created",
            "Converted at",
        ),
        "Contact",
        _lead,
        lambda first, second: {"q": "甲"},
    ),
    Listing(
        "contracts",
        "/contracts/",
        "/contracts/export/",
        "/contracts/",
        (
            "Id",
            "Contract number",
            "Title",
            "Customer",
            "Status",
            "Amount",
            "Currency",
            "Signed on",
            "Start",
            "End",
            "Deal",
            "Renewal of",
            "Created by",
            "Created",
        ),
        "Title",
        _contract,
        _by_customer,
    ),
    Listing(
        "orders",
        "/orders/",
        "/orders/export/",
        "/orders/",
        (
            "Id",
            "Order number",
            "Product / description",
            "Customer",
            "Contract",
            "Quantity",
            "Amount",
            "Outstanding",
            "Status",
            "Order date",
            "Payment due",
            "Notes",
            "Created by",
            "Created",
        ),
        "Product / description",
        _order,
        _by_customer,
    ),
    Listing(
        "payments",
        "/payments/",
        "/payments/export/",
        "/payments/",
        (
            "Id",
            "Received on",
            "Customer",
            "Method",
            "Reference",
            "Amount",
            "Unallocated",
            "Notes",
            "Created by",
            "Created",
        ),
        "Reference",
        _payment,
        _by_customer,
    ),
    Listing(
        "tickets",
        "/tickets/",
        "/tickets/export/",
        "/tickets/",
        (
            "Id",
            "Subject",
            "Customer",
            "Contact",
            "Priority",
            "Status",
            "Assignee",
            "Opened",
            "First response",
            "Resolved at",
            "Satisfaction",
        ),
        "Subject",
        _ticket,
        _by_customer,
    ),
    Listing(
        "feedback",
        "/feedback/",
        "/feedback/export/",
        "/feedback/",
        (
            "Id",
            "Subject",
            "Customer",
            "Contact",
            "Kind",
            "Severity",
            "Status",
            "Escalation",
            "Received",
            "Resolved at",
            "Resolution",
        ),
        "Subject",
        _feedback,
        _by_customer,
    ),
    Listing(
        "tasks",
        "/tasks/",
        "/tasks/export/",
        "/tasks/",
        ("Id", "Title", "Type", "Customer", "Due", "Status", "Done at", "Notes"),
        "Title",
        _task,
        None,  # the task list has no filters but "show done tasks" (tested on its own)
    ),
]


def _ids(listings):
    return [listing.name for listing in listings]


def csv_rows(response) -> list[list[str]]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    raw = b"".join(response.streaming_content)
    assert raw.startswith(BOM)
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))


def xlsx_sheet(response):
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    return openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active


def xlsx_rows(response) -> list[tuple]:
    return list(xlsx_sheet(response).iter_rows(values_only=True))


def column(rows, header: str) -> list:
    index = list(rows[0]).index(header)
    return [row[index] for row in rows[1:]]


@pytest.fixture
def rep_customers(rep):
    return make_customer(rep, name="甲客户"), make_customer(rep, name="乙客户")


@pytest.mark.django_db
@pytest.mark.parametrize("listing", LISTINGS, ids=_ids(LISTINGS))
def test_export_holds_only_the_readers_records_with_formulas_neutralised(
    listing, rep, other_rep, rep_customers
):
    customer, _second = rep_customers
    listing.make(rep, customer, FORMULA)
    stranger = make_customer(other_rep, name="别人的客户")
    listing.make(other_rep, stranger, "别人的秘密记录")
    client = signed_in_client(rep)

    rows = csv_rows(client.get(listing.export_url, {"format": "csv"}))
    assert tuple(rows[0]) == listing.header
    texts = column(rows, listing.text_column)
    if listing.name == "customers":
        texts = [text for text in texts if text in (NEUTRALISED, "别人的秘密记录")]
    assert texts == [NEUTRALISED]
    assert not any("别人" in cell for row in rows for cell in row)

    sheet = xlsx_sheet(client.get(listing.export_url, {"format": "xlsx"}))
    header = [cell.value for cell in next(sheet.iter_rows(max_row=1))]
    assert tuple(header) == listing.header
    index = header.index(listing.text_column)
    cells = [row[index] for row in sheet.iter_rows(min_row=2)]
    cells = [cell for cell in cells if cell.value in (NEUTRALISED, "别人的秘密记录")]
    assert [(cell.value, cell.data_type) for cell in cells] == [(NEUTRALISED, "s")]
    everything = " ".join(str(value) for row in sheet.iter_rows(values_only=True) for value in row)
    assert "别人" not in everything


FILTERED = [listing for listing in LISTINGS if listing.keep_first is not None]


@pytest.mark.django_db
@pytest.mark.parametrize("listing", FILTERED, ids=_ids(FILTERED))
def test_export_applies_the_lists_filters(listing, rep, rep_customers):
    first_customer, second_customer = rep_customers
    first = listing.make(rep, first_customer, "甲的记录")
    second = listing.make(rep, second_customer, "乙的记录")
    params = listing.keep_first(first, second)
    client = signed_in_client(rep)

    shown = client.get(listing.list_url, params).content.decode()
    assert "甲的记录" in shown and "乙的记录" not in shown
    for export_format, read in (("csv", csv_rows), ("xlsx", xlsx_rows)):
        rows = read(client.get(listing.export_url, {**params, "format": export_format}))
        assert [str(value) for value in column(rows, "Id")] == [str(first.pk)]
        assert column(rows, listing.text_column) == ["甲的记录"]


def _linked_ids(page: str, detail: str) -> list[int]:
    """The records a list page shows, in its order (each is linked to at least once)."""
    seen = []
    for found in re.findall(rf'href="{re.escape(detail)}(\d+)/', page):
        if int(found) not in seen:
            seen.append(int(found))
    return seen


ORDERINGS = {
    "customers": {"ordering": "name"},
    "deals": {"ordering": "-amount"},
    "leads": {"ordering": "-created_at"},
    "contracts": {"ordering": "-created_at"},
    "orders": {"ordering": "due_on"},
    "payments": {},
    "tickets": {"ordering": "newest"},
    "feedback": {"ordering": "newest"},
    "tasks": {},
}
# Values that sort differently from the order the records are made in.
SORT_DATA = {
    "customers": [{}, {}, {}],
    "deals": [{"amount": "20"}, {"amount": "300"}, {"amount": "5"}],
    "orders": [{"due_on": "2026-05-01"}, {"due_on": "2026-03-01"}, {"due_on": "2026-04-01"}],
    "payments": [
        {"received_on": "2026-02-03"},
        {"received_on": "2026-02-01"},
        {"received_on": "2026-02-02"},
    ],
}


@pytest.mark.django_db
@pytest.mark.parametrize("listing", LISTINGS, ids=_ids(LISTINGS))
def test_export_rows_come_in_the_lists_order(listing, rep, rep_customers):
    customer, _second = rep_customers
    names = ["丙记录", "甲记录", "乙记录"]
    for name, extra in zip(names, SORT_DATA.get(listing.name, [{}, {}, {}]), strict=True):
        listing.make(rep, customer, name, **extra)
    client = signed_in_client(rep)
    params = ORDERINGS[listing.name]

    page = client.get(listing.list_url, params).content.decode()
    listed = _linked_ids(page, listing.detail)
    if listing.name == "customers":
        listed = [pk for pk in listed if pk not in {c.pk for c in rep_customers}]
    rows = xlsx_rows(client.get(listing.export_url, {**params, "format": "xlsx"}))
    exported = column(rows, "Id")
    if listing.name == "customers":
        exported = [pk for pk in exported if pk not in {c.pk for c in rep_customers}]
    assert len(exported) == 3
    assert exported == listed


@pytest.mark.django_db
def test_deal_export_reads_its_cells_as_the_list_shows_them(rep, rep_customers):
    customer, _second = rep_customers
    deal = make_deal(customer, name="年度采购", amount="12000.50", expected_close_on="2026-09-30")
    rows = xlsx_rows(signed_in_client(rep).get("/deals/export/", {"format": "xlsx"}))
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["Id"] == deal.pk
    assert row["Customer"] == "甲客户"
    assert row["Stage"] == deal.stage.label
    assert row["Status"] == "Open"
    assert row["Amount"] == 12000.5
    assert row["Currency"] == "CNY"
    assert row["Expected close"].date().isoformat() == "2026-09-30"
    assert row["Owner"] == rep.display_name
    assert row["Paused"] == "No"


@pytest.mark.django_db
def test_export_headers_follow_the_readers_language(rep, rep_customers):
    make_deal(rep_customers[0], name="年度采购")
    client = signed_in_client(rep, language="zh-hans")
    rows = csv_rows(client.get("/deals/export/", {"format": "csv"}))
    assert rows[0][1:3] == ["商机名称", "客户"]
    assert column(rows, "商机名称") == ["年度采购"]


@pytest.mark.django_db
def test_task_export_holds_done_tasks_only_when_the_list_shows_them(rep, rep_customers):
    customer, _second = rep_customers
    make_task(rep, customer=customer.pk, title="待办甲")
    done = make_task(rep, customer=customer.pk, title="已办乙")
    set_task_done(actor=rep, task=done, done=True)
    client = signed_in_client(rep)

    rows = csv_rows(client.get("/tasks/export/", {"format": "csv"}))
    assert column(rows, "Title") == ["待办甲"]
    rows = csv_rows(client.get("/tasks/export/", {"format": "csv", "done": "1"}))
    assert column(rows, "Title") == ["待办甲", "已办乙"]
    assert column(rows, "Status") == ["Open", "Done"]


LINKED = [listing for listing in LISTINGS if listing.name != "tasks"]


@pytest.mark.django_db
@pytest.mark.parametrize("listing", LINKED, ids=_ids(LINKED))
def test_list_links_to_its_export_with_its_filters_but_not_its_page(listing, rep, rep_customers):
    first_customer, _second = rep_customers
    first = listing.make(rep, first_customer, "甲的记录")
    params = {**listing.keep_first(first, None), **ORDERINGS[listing.name]}
    client = signed_in_client(rep)

    page = client.get(listing.list_url, {**params, "cursor": "bm90LWEtY3Vyc29y"}).content
    query = html.escape(urlencode(params))
    for export_format in ("xlsx", "csv"):
        link = f'href="{listing.export_url}?{query}&amp;format={export_format}"'
        assert link in page.decode()


@pytest.mark.django_db
def test_task_list_links_to_its_export_with_done_tasks_shown(rep, rep_customers):
    make_task(rep, customer=rep_customers[0].pk, title="待办甲")
    page = signed_in_client(rep).get("/tasks/", {"done": "1"}).content.decode()
    assert 'href="/tasks/export/?done=1&amp;format=csv"' in page
    assert 'href="/tasks/export/?done=1&amp;format=xlsx"' in page


def _export_queries(client, url, params) -> int:
    with CaptureQueriesContext(connection) as context:
        response = client.get(url, params)
        b"".join(response.streaming_content)
    assert response.status_code == 200
    return len(context.captured_queries)


@pytest.mark.django_db
@pytest.mark.parametrize("listing", LISTINGS, ids=_ids(LISTINGS))
def test_export_queries_do_not_grow_with_rows(listing, rep, rep_customers):
    customer, _second = rep_customers
    client = signed_in_client(rep)
    # The first request of a session writes its last-seen time; not counted.
    client.get(listing.list_url)

    def add(start, count):
        for number in range(start, start + count):
            listing.make(rep, customer, f"记录{number:03d}")

    add(0, 3)
    with_three = {
        export_format: _export_queries(client, listing.export_url, {"format": export_format})
        for export_format in ("csv", "xlsx")
    }
    add(3, 27)
    with_thirty = {
        export_format: _export_queries(client, listing.export_url, {"format": export_format})
        for export_format in ("csv", "xlsx")
    }
    rows = csv_rows(client.get(listing.export_url, {"format": "csv"}))
    assert (
        len([text for text in column(rows, listing.text_column) if text.startswith("记录")]) == 30
    )
    assert with_thirty == with_three
