"""The deal board's column totals, kept by the database (see tend.core.summaries)."""

from tend.core.summaries import Source, Summary
from tend.customers.summaries import (
    CUSTOMER_CONFLICT,
    CUSTOMER_KEYS,
    CUSTOMER_LIVE,
    customer_source,
)
from tend.deals.models import Deal, DealStageTotal, Stage

DEAL_STAGE_TOTALS = Summary(
    name="deal_stage_totals",
    table=DealStageTotal._meta.db_table,
    sources=(
        Source(
            "deal",
            Deal._meta.db_table,
            (
                "id",
                "customer_id",
                "stage_id",
                "owner_id",
                "amount",
                "probability_override",
                "deleted_at",
            ),
        ),
        customer_source("deal"),
        Source(
            "stage",
            Stage._meta.db_table,
            ("id", "probability"),
            join="stage.id = deal.stage_id",
        ),
    ),
    keys={
        "stage_id": "deal.stage_id",
        "deal_owner_id": "deal.owner_id",
        **CUSTOMER_KEYS,
    },
    measures={
        "deal_count": "1",
        "amount": "deal.amount",
        "weighted_amount": (
            "deal.amount * COALESCE(deal.probability_override, stage.probability) / 100.0"
        ),
    },
    live=f"deal.deleted_at IS NULL AND {CUSTOMER_LIVE}",
    conflict=(
        "stage_id",
        "(COALESCE(deal_owner_id, 0))",
        *CUSTOMER_CONFLICT,
    ),
)
