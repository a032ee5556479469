"""The health score (PRODUCT.md S9): a weighted average, 0–100, of indicators the records hold,
each mapped to a sub-score between 0 (bad) and 1 (good):

    contact_recency      1 − days since the last logged follow-up / 180, at least 0;
                         unknown if there was none
    follow_ups_90d       follow-ups logged in the last 90 days / 6, at most 1 (one every two
                         weeks is full marks)
    open_tickets         1 / (1 + tickets still needing work)
    complaints_90d       1 / (1 + complaints received in the last 90 days)
    overdue_payments     1 − days since the oldest unpaid order fell due / 90, at least 0;
                         1 when nothing is overdue; unknown for customers without orders
    order_trend          this rolling quarter's order amounts / (this quarter's + the one
                         before's): 0 stopped, 0.5 flat, 1 all new; unknown without orders in
                         either quarter
    ticket_satisfaction  (average satisfaction 1–5 of tickets resolved in 365 days − 1) / 4;
                         unknown without a rating

    health = 100 × Σ weight × sub-score / Σ weight, both sums over the indicators known for
             the customer (unknown when none is, or all known ones weigh 0)

Weights are whole numbers 0–100 that administrators set in the status model file's `health`
section (stored in HealthWeight, audited like the rest of the model); an indicator the file
does not name keeps its default weight, and a file without the section leaves the weights as
they are. The score is computed in SQL by the facts refresh (tend.status.materialized), over
the columns it has just computed for the customer (aliased `computed`)."""

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _

from tend.audit.models import AuditAction
from tend.status.models import HealthWeight

CONTACT_DAYS = 180  # no contact for this long: 0
FULL_FOLLOW_UPS = 6  # follow-ups in 90 days for full marks
OVERDUE_DAYS = 90  # overdue for this long: 0
MAX_WEIGHT = 100


@dataclass(frozen=True)
class Indicator:
    key: str
    label: Promise
    default_weight: int
    # The sub-score, 0–1 or NULL (unknown), over the refresh's columns (`computed.…`).
    sql: str


def _at_least_zero(expression: str) -> str:
    return f"(CASE WHEN {expression} < 0 THEN 0.0 ELSE {expression} END)"


INDICATORS: dict[str, Indicator] = {
    indicator.key: indicator
    for indicator in [
        Indicator(
            "contact_recency",
            _("Contact recency"),
            20,
            "(CASE WHEN computed.contact_days IS NULL THEN NULL "
            "WHEN computed.contact_days <= 0 THEN 1.0 "
            f"ELSE {_at_least_zero(f'(1.0 - computed.contact_days / {CONTACT_DAYS}.0)')} END)",
        ),
        Indicator(
            "follow_ups_90d",
            _("Follow-ups in 90 days"),
            15,
            f"(CASE WHEN computed.activities_90d >= {FULL_FOLLOW_UPS} THEN 1.0 "
            f"ELSE computed.activities_90d / {FULL_FOLLOW_UPS}.0 END)",
        ),
        Indicator(
            "open_tickets",
            _("Open tickets"),
            10,
            "(1.0 / (1 + computed.open_tickets))",
        ),
        Indicator(
            "complaints_90d",
            _("Complaints in 90 days"),
            15,
            "(1.0 / (1 + computed.complaints_90d))",
        ),
        Indicator(
            "overdue_payments",
            _("Overdue payments"),
            15,
            "(CASE WHEN computed.orders_total = 0 THEN NULL "
            "WHEN computed.overdue_days IS NULL THEN 1.0 "
            f"ELSE {_at_least_zero(f'(1.0 - computed.overdue_days / {OVERDUE_DAYS}.0)')} END)",
        ),
        Indicator(
            "order_trend",
            _("Order trend"),
            15,
            "(CAST(computed.revenue_q1 AS DOUBLE PRECISION) "
            "/ NULLIF(computed.revenue_q1 + computed.revenue_q2, 0))",
        ),
        Indicator(
            "ticket_satisfaction",
            _("Ticket satisfaction"),
            10,
            "((computed.ticket_satisfaction - 1) / 4.0)",
        ),
    ]
}

DEFAULT_WEIGHTS = {key: indicator.default_weight for key, indicator in INDICATORS.items()}


def weights() -> dict[str, int]:
    """Every indicator's weight: the administrators' where set, else the default."""
    found = dict(DEFAULT_WEIGHTS)
    for indicator, weight in HealthWeight.objects.values_list("indicator", "weight"):
        if indicator in found:
            found[indicator] = weight
    return found


def score_sql(weights_: dict[str, int]) -> str:
    """The health score over the refresh's columns: NULL when no weighed indicator is known.
    The weights are whole numbers checked on save, written into the SQL as such."""
    parts = [(INDICATORS[key].sql, int(weights_[key])) for key in INDICATORS if weights_[key]]
    if not parts:
        return "CAST(NULL AS DOUBLE PRECISION)"
    weighted = " + ".join(f"COALESCE({weight} * {sql}, 0)" for sql, weight in parts)
    known = " + ".join(
        f"(CASE WHEN {sql} IS NULL THEN 0 ELSE {weight} END)" for sql, weight in parts
    )
    return f"(100.0 * ({weighted}) / NULLIF({known}, 0))"


# --- the `health` section of the status model file (tend.status.model_file) ----------------


def read_section(reader, node) -> dict[str, int] | None:
    """{indicator: weight} from the file's `health` section, every indicator included (the
    ones it does not name at their defaults); problems go to the reader with their lines."""
    if node is None:
        return None
    found = reader.mapping(node, {"weights"}, {"weights"}, _g("the health section"))
    if not found:
        return None
    given = reader.mapping(found["weights"], set(INDICATORS), set(), _g("the health weights"))
    if given is None:
        return None
    result = dict(DEFAULT_WEIGHTS)
    for key, value_node in given.items():
        text = reader.text(value_node, key, limit=6)
        if text.isdigit() and int(text) <= MAX_WEIGHT:
            result[key] = int(text)
        else:
            reader.fail(
                value_node,
                _g("A health weight is a whole number from 0 to %(limit)s.")
                % {"limit": MAX_WEIGHT},
            )
    if not any(result.values()):
        reader.fail(found["weights"], _g("At least one health weight must be above 0."))
    return result


def apply_section(wanted: dict[str, int] | None, note) -> None:
    """Store the file's weights (nothing when it has no `health` section), noting each
    change for the audit trail."""
    if wanted is None:
        return
    stored = {row.indicator: row for row in HealthWeight.objects.all()}
    for key, weight in wanted.items():
        row = stored.get(key)
        if row is None:
            row = HealthWeight.objects.create(indicator=key, weight=weight)
            note(AuditAction.CREATE, row, {"weight": [None, weight]})
        elif row.weight != weight:
            changes = {"weight": [row.weight, weight]}
            row.weight = weight
            row.save(update_fields=["weight"])
            note(AuditAction.UPDATE, row, changes)


def export_section() -> dict:
    return {"weights": weights()}
