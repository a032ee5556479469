"""The customer's part in every total kept by the database (tend.core.summaries): a record's
customer, joined by its customer_id, gives the owner and team keys that `customer_scope`
filters on (see tend.core.models.CustomerScopedTotal), and only live customers count."""

from tend.core.summaries import Source
from tend.customers.models import Customer

CUSTOMER_KEYS = {"owner_id": "customer.owner_id", "team_id": "customer.team_id"}
CUSTOMER_CONFLICT = ("(COALESCE(owner_id, 0))", "(COALESCE(team_id, 0))")
CUSTOMER_LIVE = "customer.deleted_at IS NULL"


def customer_source(record: str) -> Source:
    """The customers table, joined to the records named `record` in the summary."""
    return Source(
        "customer",
        Customer._meta.db_table,
        ("id", "owner_id", "team_id", "deleted_at"),
        join=f"customer.id = {record}.customer_id",
    )
