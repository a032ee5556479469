"""/customers: CRUD, access, bad input, duplicates, filters, keyset pages, query counts."""

import datetime

import pytest
from django.utils import timezone

from tend.accounts.models import Role
from tend.audit.models import AuditAction, AuditEntry
from tend.customers.actions import assign_customer_owner, create_custom_field_definition
from tend.customers.models import Customer
from tend.customers.selectors import CUSTOMER_ORDERINGS
from tests.api.conftest import Caller, count_queries, expected_order, row_counts, walk_pages
from tests.factories import make_customer, make_user

pytestmark = pytest.mark.django_db

CREDIT_CODE = "91110000600037341L"
UNKNOWN_FIELD = "This field is unknown or cannot be set here."
PHONE_MESSAGE = (
    "Enter a valid phone number: a mobile number (e.g. 13812345678) or a landline with its "
    "area code (e.g. 010-12345678)."
)


def test_create_read_update_delete(rep_api, rep):
    created = rep_api.post(
        "/customers",
        {
            "name": "杭州云帆科技有限公司",
            "industry": "软件",
            "province": "浙江",
            "city": "杭州",
            "source": "website",
            "credit_code": CREDIT_CODE.lower(),
            "phone": "138 1234 5678",
            "email": "Info@YunFan.cn",
            "tags": ["重点", "软件"],
        },
    )
    assert created.status_code == 201
    body = created.json()
    customer = Customer.objects.get(pk=body["id"])
    assert body == {
        "id": customer.pk,
        "locked": False,
        "kind": "company",
        "name": "杭州云帆科技有限公司",
        "industry": "软件",
        "province": "浙江",
        "city": "杭州",
        "source": "website",
        "credit_code": CREDIT_CODE,
        "phone": "+8613812345678",
        "email": "info@yunfan.cn",
        "wechat": "",
        "address": "",
        "external_id": "",
        "tags": ["软件", "重点"],
        "custom_fields": {},
        "owner": {"id": rep.pk, "display_name": rep.display_name},
        "team": rep.team_id,
        "first_contact_at": None,
        "last_contact_at": None,
        "next_follow_up_on": None,
        "converted_at": None,
        "churned_at": None,
        "created_at": body["created_at"],
        "updated_at": body["updated_at"],
    }
    assert datetime.datetime.fromisoformat(body["created_at"]) == customer.created_at.replace(
        microsecond=customer.created_at.microsecond // 1000 * 1000
    )

    read = rep_api.get(f"/customers/{customer.pk}")
    assert read.status_code == 200
    assert read.json() == body

    changed = rep_api.patch(f"/customers/{customer.pk}", {"city": "宁波", "tags": ["重点"]})
    assert changed.status_code == 200
    assert changed.json()["city"] == "宁波"
    assert changed.json()["tags"] == ["重点"]
    # Only the keys given change.
    assert changed.json()["province"] == "浙江"
    assert changed.json()["phone"] == "+8613812345678"
    customer.refresh_from_db()
    assert (customer.city, customer.province) == ("宁波", "浙江")

    deleted = rep_api.delete(f"/customers/{customer.pk}")
    assert deleted.status_code == 204
    assert deleted.content == b""
    customer.refresh_from_db()
    assert customer.deleted_at is not None
    assert customer.deleted_by_id == rep.pk
    assert rep_api.get(f"/customers/{customer.pk}").status_code == 404
    assert rep_api.get("/customers").json()["items"] == []


def test_every_write_is_audited(rep_api, rep):
    customer_id = rep_api.post("/customers", {"name": "审计"}).json()["id"]
    rep_api.patch(f"/customers/{customer_id}", {"name": "审计二"})
    rep_api.delete(f"/customers/{customer_id}")
    entries = AuditEntry.objects.filter(object_type="customers.customer", object_id=customer_id)
    assert list(entries.order_by("id").values_list("action", "actor_id")) == [
        (AuditAction.CREATE, rep.pk),
        (AuditAction.UPDATE, rep.pk),
        (AuditAction.DELETE, rep.pk),
    ]


def test_a_patch_with_null_clears_an_optional_field(rep_api, rep):
    customer = make_customer(rep, industry="制造")
    response = rep_api.patch(f"/customers/{customer.pk}", {"industry": None})
    assert response.status_code == 200
    customer.refresh_from_db()
    assert customer.industry == ""


def test_a_required_field_cannot_be_cleared(rep_api, rep):
    customer = make_customer(rep, name="留名")
    response = rep_api.patch(f"/customers/{customer.pk}", {"name": None})
    assert response.status_code == 422
    assert response.json()["field_errors"] == {"name": ["This field is required."]}
    customer.refresh_from_db()
    assert customer.name == "留名"


def test_a_create_without_a_name_is_refused(rep_api):
    before = row_counts()
    response = rep_api.post("/customers", {"phone": "13812345678"})
    assert response.status_code == 422
    assert response.json()["field_errors"] == {"name": ["This field is required."]}
    assert row_counts() == before


@pytest.mark.parametrize(
    "field",
    [
        "owner",
        "owner_id",
        "team",
        "id",
        "created_at",
        "updated_at",
        "deleted_at",
        "deleted_by",
        "created_by",
        "first_contact_at",
        "last_contact_at",
        "unknown",
    ],
)
def test_unknown_and_protected_fields_are_refused(rep_api, rep, other_rep, field):
    customer = make_customer(rep, name="原名")
    before = row_counts()
    value = other_rep.pk if field in {"owner", "owner_id", "deleted_by", "created_by"} else "x"
    for response in [
        rep_api.post("/customers", {"name": "新", field: value}),
        rep_api.patch(f"/customers/{customer.pk}", {"name": "改", field: value}),
    ]:
        assert response.status_code == 422
        assert response.json() == {
            "code": "invalid",
            "message": "Some fields are not valid.",
            "field_errors": {field: [UNKNOWN_FIELD]},
        }
    assert row_counts() == before
    customer.refresh_from_db()
    assert (customer.name, customer.owner_id) == ("原名", rep.pk)


@pytest.mark.parametrize(
    ("body", "field_errors"),
    [
        ({"phone": "12345"}, {"phone": [PHONE_MESSAGE]}),
        ({"phone": "abc"}, {"phone": ["Enter a valid phone number."]}),
        (
            {"credit_code": "91110000600037341A"},
            {"credit_code": ["The unified social credit code's check digit is wrong."]},
        ),
        (
            {"credit_code": "123"},
            {"credit_code": ["Enter a valid 18-character unified social credit code."]},
        ),
        ({"email": "not-an-email"}, {"email": ["Enter a valid email address."]}),
        (
            {"kind": "alien"},
            {"kind": ["Select a valid choice. alien is not one of the available choices."]},
        ),
        (
            {"phone": "12345", "email": "x@"},
            {"phone": [PHONE_MESSAGE], "email": ["Enter a valid email address."]},
        ),
    ],
)
def test_invalid_values_are_refused_field_by_field(rep_api, rep, body, field_errors):
    customer = make_customer(rep, name="原名", phone="13900000001")
    before = row_counts()
    for response in [
        rep_api.post("/customers", {"name": "新客户", **body}),
        rep_api.patch(f"/customers/{customer.pk}", body),
    ]:
        assert response.status_code == 422
        assert response.json() == {
            "code": "invalid",
            "message": "Some fields are not valid.",
            "field_errors": field_errors,
        }
    assert row_counts() == before
    customer.refresh_from_db()
    assert customer.phone == "+8613900000001"


def test_custom_fields_are_validated_by_key(rep_api, rep, admin):
    create_custom_field_definition(
        actor=admin,
        data={
            "key": "employees",
            "label_zh": "员工数",
            "label_en": "Employees",
            "field_type": "number",
        },
    )
    before = row_counts()
    response = rep_api.post(
        "/customers", {"name": "甲", "custom_fields": {"employees": "many", "nope": 1}}
    )
    assert response.status_code == 422
    assert response.json()["field_errors"] == {
        "custom_fields.employees": ["Enter a number."],
        "custom_fields.nope": ["Unknown custom field."],
    }
    assert row_counts() == before
    created = rep_api.post("/customers", {"name": "甲", "custom_fields": {"employees": "120"}})
    assert created.status_code == 201
    assert created.json()["custom_fields"] == {"employees": 120}


def test_a_duplicate_is_refused_then_allowed_explicitly(rep_api, rep):
    first = rep_api.post("/customers", {"name": "甲", "phone": "13812345678"}).json()
    before = row_counts()
    refused = rep_api.post("/customers", {"name": "乙", "phone": "+86 138-1234-5678"})
    assert refused.status_code == 409
    message = "A customer with this value already exists: 甲."
    assert refused.json() == {
        "code": "duplicate",
        "message": message,
        "field_errors": {"phone": [message]},
        "existing_id": first["id"],
    }
    assert row_counts() == before

    allowed = rep_api.post(
        "/customers?allow_duplicate=true", {"name": "乙", "phone": "13812345678"}
    )
    assert allowed.status_code == 201
    override = AuditEntry.objects.get(action=AuditAction.DUPLICATE_OVERRIDE)
    assert (override.object_id, override.actor_id) == (allowed.json()["id"], rep.pk)


def test_a_duplicate_on_update_is_refused_then_allowed(rep_api, rep):
    make_customer(rep, name="甲", email="a@b.cn")
    other = make_customer(rep, name="乙")
    refused = rep_api.patch(f"/customers/{other.pk}", {"email": "a@b.cn"})
    assert refused.status_code == 409
    other.refresh_from_db()
    assert other.email == ""
    allowed = rep_api.patch(f"/customers/{other.pk}?allow_duplicate=true", {"email": "a@b.cn"})
    assert allowed.status_code == 200
    assert allowed.json()["email"] == "a@b.cn"


def test_a_duplicate_the_caller_may_not_see_does_not_reveal_its_id(rep_api, other_rep):
    make_customer(other_rep, name="别人的客户", credit_code=CREDIT_CODE)
    response = rep_api.post("/customers", {"name": "甲", "credit_code": CREDIT_CODE})
    assert response.status_code == 409
    assert response.json()["existing_id"] is None
    assert "别人的客户" not in response.json()["message"]


def test_a_rep_cannot_reach_another_reps_customer(rep_api, other_rep):
    theirs = make_customer(other_rep, name="他人客户")
    before = row_counts()
    for response in [
        rep_api.get(f"/customers/{theirs.pk}"),
        rep_api.patch(f"/customers/{theirs.pk}", {"name": "改"}),
        rep_api.patch(f"/customers/{theirs.pk}", {"owner": 1, "phone": "bad"}),
        rep_api.delete(f"/customers/{theirs.pk}"),
    ]:
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"
    assert row_counts() == before
    theirs.refresh_from_db()
    assert (theirs.name, theirs.deleted_at) == ("他人客户", None)
    listed = rep_api.get("/customers", {"limit": 100}).json()
    assert listed == {"items": [], "next_cursor": None}
    assert rep_api.get("/customers", {"owner": other_rep.pk}).json()["items"] == []
    assert rep_api.get("/customers", {"q": "他人"}).json()["items"] == []


def test_the_public_pool_is_visible_to_every_rep(rep_api, rep, other_rep):
    pooled = make_customer(other_rep, name="公海客户")
    assign_customer_owner(actor=other_rep, customer=pooled, owner=None)
    mine = make_customer(rep, name="我的客户")
    everything = rep_api.get("/customers").json()["items"]
    assert {c["id"] for c in everything} == {pooled.pk, mine.pk}
    assert [c["id"] for c in rep_api.get("/customers", {"owner": "pool"}).json()["items"]] == [
        pooled.pk
    ]
    assert [c["id"] for c in rep_api.get("/customers", {"owner": "me"}).json()["items"]] == [
        mine.pk
    ]
    pool_entry = rep_api.get(f"/customers/{pooled.pk}").json()
    assert pool_entry["owner"] is None


def test_a_manager_sees_the_team_and_an_admin_everything(org, admin, call_as):
    team_customer = make_customer(org.branch_rep, name="分部客户")
    other_customer = make_customer(org.other_rep, name="华南客户")
    manager_ids = {c["id"] for c in call_as(org.manager).get("/customers").json()["items"]}
    assert manager_ids == {team_customer.pk}
    admin_ids = {c["id"] for c in call_as(admin).get("/customers").json()["items"]}
    assert admin_ids == {team_customer.pk, other_customer.pk}


def test_filters(rep_api, rep):
    a = make_customer(
        rep,
        name="杭州甲",
        province="浙江",
        city="杭州",
        source="website",
        tags=["重点"],
        phone="13812345678",
        email="a@jia.cn",
    )
    b = make_customer(rep, name="宁波乙", province="浙江", city="宁波", source="referral")
    c = make_customer(rep, name="广州丙", province="广东", city="广州", tags=["重点", "新"])

    def ids(**params):
        response = rep_api.get("/customers", {**params, "ordering": "name"})
        assert response.status_code == 200
        return {item["id"] for item in response.json()["items"]}

    assert ids(q="杭州") == {a.pk}
    assert ids(q="138 1234") == {a.pk}
    assert ids(q="A@jia.cn") == {a.pk}
    assert ids(province="浙江") == {a.pk, b.pk}
    assert ids(province="浙江", city="宁波") == {b.pk}
    assert ids(source="website") == {a.pk}
    assert ids(tag="重点") == {a.pk, c.pk}
    assert ids(tag="新") == {c.pk}
    assert ids(team=rep.team_id) == {a.pk, b.pk, c.pk}
    assert ids(team=rep.team_id + 1000) == set()
    assert ids(owner=rep.pk) == {a.pk, b.pk, c.pk}


def _ordering_data(rep, other_rep):
    """Customers whose sort values tie, differ by microseconds within one millisecond, and
    (for last contact) are missing — every way a keyset page boundary can go wrong."""
    names = ["delta", "alpha", "charlie", "alpha", "bravo", "echo", "alpha", "delta", "bravo"]
    customers = [make_customer(rep, name=name) for name in names]
    pooled = make_customer(other_rep, name="alpha")
    assign_customer_owner(actor=other_rep, customer=pooled, owner=None)
    customers.append(pooled)
    hidden = [make_customer(other_rep, name=name) for name in ("alpha", "zulu")]
    base = timezone.now().replace(microsecond=0) - datetime.timedelta(days=3)
    offsets = [0, 1, 1, 2, 250, 250, 999, 1000, 1000, 5]  # microseconds
    contacts = [0, None, 7, 7, None, 3, 7, None, 1, 3]  # microseconds, None: never contacted
    # Timestamps are set directly: no action sets them, and the test needs exact values.
    for customer, offset, contact in zip(customers, offsets, contacts, strict=True):
        moment = base + datetime.timedelta(microseconds=offset)
        last_contact = None if contact is None else base + datetime.timedelta(microseconds=contact)
        Customer.objects.filter(pk=customer.pk).update(
            created_at=moment, updated_at=moment, last_contact_at=last_contact
        )
    for customer in hidden:
        Customer.objects.filter(pk=customer.pk).update(created_at=base, updated_at=base)
    return Customer.objects.filter(pk__in=[c.pk for c in customers])


@pytest.mark.parametrize("ordering", CUSTOMER_ORDERINGS)
@pytest.mark.parametrize("limit", [1, 3, 4])
def test_keyset_pages_walk_every_customer_once_in_order(rep_api, rep, other_rep, ordering, limit):
    visible = _ordering_data(rep, other_rep)
    field = ordering.lstrip("-")
    rows = list(visible.values_list("id", field))
    served = walk_pages(rep_api, "/customers", {"ordering": ordering}, limit)
    assert served == expected_order(rows, ordering)
    assert len(served) == len(set(served)) == 10


def test_pages_follow_a_filter(rep_api, rep, other_rep):
    visible = _ordering_data(rep, other_rep)
    alphas = visible.filter(name="alpha").values_list("id", "last_contact_at")
    served = walk_pages(
        rep_api, "/customers", {"ordering": "-last_contact_at", "q": "alpha"}, limit=1
    )
    assert served == expected_order(list(alphas), "-last_contact_at")


def test_the_default_page_is_25_by_last_change(rep_api, rep):
    for number in range(26):
        make_customer(rep, name=f"客户{number:02d}")
    page = rep_api.get("/customers").json()
    assert len(page["items"]) == 25
    assert page["items"][0]["name"] == "客户25"
    assert page["next_cursor"] is not None
    rest = rep_api.get("/customers", {"cursor": page["next_cursor"]}).json()
    assert [item["name"] for item in rest["items"]] == ["客户00"]
    assert rest["next_cursor"] is None


@pytest.mark.parametrize("role", [Role.SALES_REP, Role.SALES_MANAGER, Role.ADMIN])
def test_the_list_costs_the_same_queries_for_3_and_30_customers(auth_mode, org, role):
    user = org.rep if role == Role.SALES_REP else org.manager
    if role == Role.ADMIN:
        user = make_user(role=Role.ADMIN, username="boss")
    caller = Caller(user, auth_mode)
    owners = [org.rep, org.branch_rep]

    def add(count):
        for number in range(count):
            customer = make_customer(
                owners[number % 2], name=f"客户{number}", tags=[f"标签{number}", "共同"]
            )
            if number % 3 == 0:
                assign_customer_owner(actor=customer.owner, customer=customer, owner=None)

    def listing():
        return caller.get("/customers", {"limit": 100, "ordering": "name"})

    add(3)
    listing()  # the first call may record the token's use or refresh the session
    small = count_queries(listing)
    add(27)
    assert len(listing().json()["items"]) >= 15
    large = count_queries(listing)
    assert small == large


def test_the_detail_reads_a_fixed_number_of_queries(rep, django_assert_max_num_queries):
    caller = Caller(rep, "token")
    customer = make_customer(rep, tags=["a", "b", "c", "d"])
    caller.get(f"/customers/{customer.pk}")
    # token, managed teams, the customer with owner and team, its tags
    with django_assert_max_num_queries(4):
        assert caller.get(f"/customers/{customer.pk}").status_code == 200
