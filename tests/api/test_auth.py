"""Who may call the API: tokens, sessions with CSRF, the public allow-list."""

import re

import pytest
from django.conf import settings
from django.test import Client
from django.utils.crypto import get_random_string
from ninja import Router
from ninja.errors import ConfigError

from tend.accounts.actions import create_api_token, revoke_api_token
from tend.api.access import PATH_RECORDS, PUBLIC_PATHS
from tend.api.api import TendAPI, api
from tend.customers.models import Customer
from tests.api.conftest import API, Caller, row_counts
from tests.factories import make_activity, make_contact, make_customer, make_task
from tests.factories_contracts import make_attachment, make_contract
from tests.factories_deals import make_deal
from tests.factories_leads import make_lead
from tests.factories_orders import make_order, make_payment
from tests.factories_service import make_feedback, make_ticket

pytestmark = pytest.mark.django_db

UNAUTHENTICATED = {
    "code": "unauthenticated",
    "message": "Sign in, or send a valid API token in the Authorization header.",
    "field_errors": {},
}
CSRF_FAILED = {
    "code": "csrf_failed",
    "message": "The CSRF token is missing or wrong. Reload the page and try again.",
    "field_errors": {},
}


def operations():
    """(method, path template) of every API operation, from the OpenAPI document."""
    schema = api.get_openapi_schema(path_prefix="")
    return [
        (method, path)
        for path, methods in schema["paths"].items()
        for method in methods
        if method in {"get", "post", "put", "patch", "delete"}
    ]


def test_the_document_lists_every_operation_with_an_id_and_a_tag():
    schema = api.get_openapi_schema(path_prefix="")
    found = {
        (method, path): (details["operationId"], details["tags"])
        for path, methods in schema["paths"].items()
        for method, details in methods.items()
    }
    assert found == {
        ("get", "/me"): ("getMe", ["me"]),
        ("get", "/customers"): ("listCustomers", ["customers"]),
        ("post", "/customers"): ("createCustomer", ["customers"]),
        ("get", "/customers/{customer_id}"): ("getCustomer", ["customers"]),
        ("patch", "/customers/{customer_id}"): ("updateCustomer", ["customers"]),
        ("delete", "/customers/{customer_id}"): ("deleteCustomer", ["customers"]),
        ("get", "/contacts"): ("listContacts", ["contacts"]),
        ("post", "/contacts"): ("createContact", ["contacts"]),
        ("get", "/contacts/{contact_id}"): ("getContact", ["contacts"]),
        ("patch", "/contacts/{contact_id}"): ("updateContact", ["contacts"]),
        ("delete", "/contacts/{contact_id}"): ("deleteContact", ["contacts"]),
        ("get", "/activities"): ("listActivities", ["activities"]),
        ("post", "/activities"): ("logActivity", ["activities"]),
        ("get", "/activities/{activity_id}"): ("getActivity", ["activities"]),
        ("patch", "/activities/{activity_id}"): ("updateActivity", ["activities"]),
        ("delete", "/activities/{activity_id}"): ("deleteActivity", ["activities"]),
        ("get", "/tasks"): ("listTasks", ["tasks"]),
        ("post", "/tasks"): ("createTask", ["tasks"]),
        ("get", "/tasks/{task_id}"): ("getTask", ["tasks"]),
        ("patch", "/tasks/{task_id}"): ("updateTask", ["tasks"]),
        ("delete", "/tasks/{task_id}"): ("deleteTask", ["tasks"]),
        ("post", "/tasks/{task_id}/done"): ("completeTask", ["tasks"]),
        ("delete", "/tasks/{task_id}/done"): ("reopenTask", ["tasks"]),
        ("get", "/leads"): ("listLeads", ["leads"]),
        ("post", "/leads"): ("createLead", ["leads"]),
        ("get", "/leads/{lead_id}"): ("getLead", ["leads"]),
        ("patch", "/leads/{lead_id}"): ("updateLead", ["leads"]),
        ("delete", "/leads/{lead_id}"): ("deleteLead", ["leads"]),
        ("post", "/leads/{lead_id}/status"): ("setLeadStatus", ["leads"]),
        ("post", "/leads/{lead_id}/claim"): ("claimLead", ["leads"]),
        ("post", "/leads/{lead_id}/assign"): ("assignLead", ["leads"]),
        ("get", "/leads/{lead_id}/duplicates"): ("listLeadDuplicates", ["leads"]),
        ("post", "/leads/{lead_id}/convert"): ("convertLead", ["leads"]),
        ("post", "/leads/inbound"): ("submitLeadForm", ["leads"]),
        ("get", "/pipelines"): ("listPipelines", ["pipelines"]),
        ("get", "/deals"): ("listDeals", ["deals"]),
        ("post", "/deals"): ("createDeal", ["deals"]),
        ("get", "/deals/{deal_id}"): ("getDeal", ["deals"]),
        ("patch", "/deals/{deal_id}"): ("updateDeal", ["deals"]),
        ("delete", "/deals/{deal_id}"): ("deleteDeal", ["deals"]),
        ("post", "/deals/{deal_id}/move"): ("moveDeal", ["deals"]),
        ("post", "/deals/{deal_id}/pause"): ("pauseDeal", ["deals"]),
        ("delete", "/deals/{deal_id}/pause"): ("resumeDeal", ["deals"]),
        ("get", "/deals/{deal_id}/stage-changes"): ("listDealStageChanges", ["deals"]),
        ("get", "/tickets"): ("listTickets", ["tickets"]),
        ("post", "/tickets"): ("createTicket", ["tickets"]),
        ("get", "/tickets/counts"): ("countTickets", ["tickets"]),
        ("get", "/tickets/{ticket_id}"): ("getTicket", ["tickets"]),
        ("patch", "/tickets/{ticket_id}"): ("updateTicket", ["tickets"]),
        ("delete", "/tickets/{ticket_id}"): ("deleteTicket", ["tickets"]),
        ("post", "/tickets/{ticket_id}/status"): ("changeTicketStatus", ["tickets"]),
        ("get", "/tickets/{ticket_id}/comments"): ("listTicketComments", ["tickets"]),
        ("post", "/tickets/{ticket_id}/comments"): ("addTicketComment", ["tickets"]),
        ("put", "/tickets/{ticket_id}/satisfaction"): ("rateTicket", ["tickets"]),
        ("get", "/feedback"): ("listFeedback", ["feedback"]),
        ("post", "/feedback"): ("createFeedback", ["feedback"]),
        ("get", "/feedback/counts"): ("countFeedback", ["feedback"]),
        ("get", "/feedback/{feedback_id}"): ("getFeedback", ["feedback"]),
        ("patch", "/feedback/{feedback_id}"): ("updateFeedback", ["feedback"]),
        ("delete", "/feedback/{feedback_id}"): ("deleteFeedback", ["feedback"]),
        ("post", "/feedback/{feedback_id}/status"): ("changeFeedbackStatus", ["feedback"]),
        ("get", "/feedback/{feedback_id}/escalations"): ("listFeedbackEscalations", ["feedback"]),
        ("post", "/feedback/{feedback_id}/escalations"): ("escalateFeedback", ["feedback"]),
        ("get", "/status/customers/{customer_id}"): ("getCustomerStatus", ["status"]),
        ("post", "/status/customers/{customer_id}"): ("changeCustomerStatus", ["status"]),
        ("post", "/status/requests/{request_id}/approve"): ("approveStatusRequest", ["status"]),
        ("post", "/status/requests/{request_id}/reject"): ("rejectStatusRequest", ["status"]),
        ("post", "/status/customers/{customer_id}/events"): ("recordInboundEvent", ["status"]),
        ("get", "/follow-ups"): ("listDueFollowUps", ["follow-ups"]),
        ("get", "/contracts"): ("listContracts", ["contracts"]),
        ("post", "/contracts"): ("createContract", ["contracts"]),
        ("get", "/contracts/{contract_id}"): ("getContract", ["contracts"]),
        ("patch", "/contracts/{contract_id}"): ("updateContract", ["contracts"]),
        ("delete", "/contracts/{contract_id}"): ("deleteContract", ["contracts"]),
        ("post", "/contracts/{contract_id}/status"): ("changeContractStatus", ["contracts"]),
        ("get", "/contracts/{contract_id}/chain"): ("getContractRenewalChain", ["contracts"]),
        ("get", "/contracts/{contract_id}/attachments"): ("listContractAttachments", ["contracts"]),
        ("post", "/contracts/{contract_id}/attachments"): (
            "uploadContractAttachment",
            ["contracts"],
        ),
        ("get", "/contracts/attachments/{attachment_id}/download"): (
            "downloadContractAttachment",
            ["contracts"],
        ),
        ("delete", "/contracts/attachments/{attachment_id}"): (
            "deleteContractAttachment",
            ["contracts"],
        ),
        ("get", "/orders"): ("listOrders", ["orders"]),
        ("post", "/orders"): ("createOrder", ["orders"]),
        ("get", "/orders/{order_id}"): ("getOrder", ["orders"]),
        ("patch", "/orders/{order_id}"): ("updateOrder", ["orders"]),
        ("delete", "/orders/{order_id}"): ("deleteOrder", ["orders"]),
        ("get", "/orders/{order_id}/allocations"): ("listOrderAllocations", ["orders"]),
        ("get", "/payments"): ("listPayments", ["payments"]),
        ("post", "/payments"): ("recordPayment", ["payments"]),
        ("get", "/payments/{payment_id}"): ("getPayment", ["payments"]),
        ("patch", "/payments/{payment_id}"): ("updatePayment", ["payments"]),
        ("delete", "/payments/{payment_id}"): ("deletePayment", ["payments"]),
        ("post", "/payments/{payment_id}/allocations"): ("allocatePayment", ["payments"]),
        ("post", "/payments/{payment_id}/auto-allocate"): ("autoAllocatePayment", ["payments"]),
        ("delete", "/payments/allocations/{allocation_id}"): (
            "removePaymentAllocation",
            ["payments"],
        ),
        ("get", "/receivables/{customer_id}"): ("getCustomerReceivables", ["receivables"]),
    }


def test_every_operation_requires_a_token_or_a_session_in_the_document():
    schema = api.get_openapi_schema(path_prefix="")
    for path, methods in schema["paths"].items():
        if path in PUBLIC_PATHS:
            continue  # the inbound lead form: public, guarded by its form key instead
        for method, details in methods.items():
            assert details["security"] == [{"ApiToken": []}, {"SessionCookie": []}], (method, path)
    assert schema["components"]["securitySchemes"] == {
        "ApiToken": {"type": "http", "scheme": "bearer"},
        "SessionCookie": {"type": "apiKey", "in": "cookie", "name": settings.SESSION_COOKIE_NAME},
    }


def test_every_path_parameter_names_a_record_with_an_access_check():
    parameters = {name for _method, path in operations() for name in re.findall(r"\{(\w+)\}", path)}
    assert parameters == set(PATH_RECORDS)


def test_anonymous_callers_get_401_from_every_operation(rep):
    customer = make_customer(rep)
    contract = make_contract(customer)
    make_order(customer, amount="900.00")
    payment = make_payment(customer)
    ids = {
        "customer_id": customer.pk,
        "contact_id": make_contact(customer).pk,
        "activity_id": make_activity(customer).pk,
        "task_id": make_task(rep, customer=customer.pk).pk,
        "deal_id": make_deal(customer).pk,
        "lead_id": make_lead(rep).pk,
        "ticket_id": make_ticket(customer).pk,
        "feedback_id": make_feedback(customer).pk,
        "contract_id": contract.pk,
        "attachment_id": make_attachment(contract).pk,
        "order_id": make_order(customer).pk,
        "payment_id": payment.pk,
        "allocation_id": payment.allocations.first().pk,
        "request_id": 1,  # refused before it is looked up
    }
    before = row_counts()
    client = Client(enforce_csrf_checks=True)
    for method, path in operations():
        if path in PUBLIC_PATHS:
            continue  # the inbound lead form: tests/api/test_leads.py
        url = API + re.sub(r"\{(\w+)\}", lambda m: str(ids[m.group(1)]), path)
        response = getattr(client, method)(
            url, data={"name": "x"}, content_type="application/json", HTTP_ACCEPT_LANGUAGE="en"
        )
        assert response.status_code == 401, (method, url)
        assert response.json() == UNAUTHENTICATED, (method, url)
        assert response["WWW-Authenticate"] == 'Bearer realm="tend"'
    assert row_counts() == before


def test_the_public_allow_list_is_the_document_and_its_docs_page():
    assert {"/openapi.json", "/docs", "/leads/inbound"} == PUBLIC_PATHS
    client = Client()
    document = client.get(API + "/openapi.json")
    assert document.status_code == 200
    assert document.json()["info"]["title"] == "Tend API"
    assert "/api/v1/customers" in document.json()["paths"]
    docs = client.get(API + "/docs")
    assert docs.status_code == 200
    assert b"/api/v1/openapi.json" in docs.content


def test_every_url_of_the_api_is_an_operation_the_allow_list_or_a_404():
    patterns, _app, _namespace = api.urls
    public = {str(p.pattern) for p in patterns if p.callback.access == "public"}
    assert public == {"openapi.json", "docs", "leads/inbound", "", "^.*$"}
    client = Client()
    for route in ("", "nothing/here", "customers/"):
        response = client.get(f"{API}/{route}", HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 404
        assert response.json() == {"code": "not_found", "message": "Not found.", "field_errors": {}}


def test_an_operation_without_authentication_outside_the_allow_list_refuses_to_start():
    open_router = Router()

    @open_router.get("/leak", auth=None)
    def leak(request):
        return {"secret": True}

    careless = TendAPI(title="careless", urls_namespace="careless")
    careless.add_router("/things", open_router)
    with pytest.raises(ConfigError, match=r"/things/leak requires no authentication"):
        careless.urls  # noqa: B018


def test_a_token_authenticates_its_user(rep, call_as):
    response = call_as(rep, "token").get("/me")
    assert response.status_code == 200
    assert response.json() == {
        "id": rep.pk,
        "username": "rep",
        "display_name": rep.display_name,
        "email": "",
        "role": "sales_rep",
        "team": rep.team_id,
        "language": "",
        "is_admin": False,
        "is_manager": False,
    }


def test_a_session_authenticates_its_user(rep, call_as):
    response = call_as(rep, "session").get("/me")
    assert response.status_code == 200
    assert response.json()["id"] == rep.pk


def test_a_token_records_when_it_was_last_used(rep):
    token, raw = create_api_token(user=rep, name="script")
    assert token.last_used_at is None
    Client().get(API + "/me", HTTP_AUTHORIZATION=f"Bearer {raw}")
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_a_revoked_token_is_refused(rep):
    token, raw = create_api_token(user=rep, name="script")
    revoke_api_token(token=token)
    response = Client().get(
        API + "/me", HTTP_AUTHORIZATION=f"Bearer {raw}", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 401
    assert response.json() == UNAUTHENTICATED


@pytest.mark.parametrize(
    "header",
    ["Bearer tend_not-a-real-token", "Bearer ", "Token tend_x", "tend_x", "Basic cmVwOnB3"],
)
def test_unknown_or_malformed_tokens_are_refused(rep, header):
    response = Client().get(API + "/me", HTTP_AUTHORIZATION=header, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 401
    assert response.json() == UNAUTHENTICATED


def test_the_token_of_a_deactivated_user_is_refused(rep):
    _token, raw = create_api_token(user=rep, name="script")
    rep.is_active = False
    rep.save(update_fields=["is_active"])
    response = Client().get(API + "/me", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 401


def test_a_bad_token_is_not_rescued_by_a_session(rep):
    """A caller that sends a token is judged by the token alone."""
    client = Client()
    client.force_login(rep)
    assert client.get(API + "/me").status_code == 200
    response = client.get(API + "/me", HTTP_AUTHORIZATION="Bearer tend_wrong")
    assert response.status_code == 401


def test_a_session_write_without_the_csrf_token_is_refused(rep):
    client = Client(enforce_csrf_checks=True)
    client.force_login(rep)
    before = row_counts()
    response = client.post(
        API + "/customers",
        data={"name": "无令牌"},
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 403
    assert response.json() == CSRF_FAILED
    assert row_counts() == before


def test_a_session_write_with_a_wrong_csrf_token_is_refused(rep):
    client = Client(enforce_csrf_checks=True)
    client.force_login(rep)
    client.cookies[settings.CSRF_COOKIE_NAME] = get_random_string(32)
    customer = make_customer(rep, name="原名")
    for method, url in [
        ("post", "/customers"),
        ("patch", f"/customers/{customer.pk}"),
        ("delete", f"/customers/{customer.pk}"),
    ]:
        response = getattr(client, method)(
            API + url,
            data={"name": "改名"},
            content_type="application/json",
            HTTP_X_CSRFTOKEN=get_random_string(32),
            HTTP_ACCEPT_LANGUAGE="en",
        )
        assert response.status_code == 403, method
        assert response.json() == CSRF_FAILED
    customer.refresh_from_db()
    assert (customer.name, customer.deleted_at) == ("原名", None)


def test_a_session_write_with_the_csrf_token_is_accepted(rep):
    caller = Caller(rep, "session")
    response = caller.post("/customers", {"name": "有令牌"})
    assert response.status_code == 201
    assert Customer.objects.get(pk=response.json()["id"]).name == "有令牌"


def test_a_session_read_needs_no_csrf_token(rep):
    client = Client(enforce_csrf_checks=True)
    client.force_login(rep)
    assert client.get(API + "/customers").status_code == 200


def test_a_token_write_needs_no_csrf_token(rep):
    _token, raw = create_api_token(user=rep, name="script")
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        API + "/customers",
        data={"name": "脚本客户"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {raw}",
    )
    assert response.status_code == 201
    assert Customer.objects.filter(name="脚本客户", owner=rep).count() == 1


def test_an_anonymous_write_is_told_401_not_csrf(rep):
    response = Client(enforce_csrf_checks=True).post(
        API + "/customers",
        data={"name": "x"},
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 401
    assert response.json() == UNAUTHENTICATED


def test_a_users_saved_language_applies_to_token_calls(rep):
    """As for the web session: the saved language wins over Accept-Language."""
    rep.language = "zh-hans"
    rep.save(update_fields=["language"])
    _token, raw = create_api_token(user=rep, name="script")
    response = Client().get(
        API + "/customers/999999", HTTP_AUTHORIZATION=f"Bearer {raw}", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 404
    assert response["Content-Language"] == "zh-hans"
