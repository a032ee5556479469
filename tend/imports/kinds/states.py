"""Customer status (客户状态): one row per customer and dimension — the state to move the
customer to, and why. Every row goes through the status engine's set-based path (the same
transitions, reasons, checklists, guards and approvals as a move on the customer's page,
door "import"); a refused row is reported with the engine's reason. Rows already in their
state change nothing, so the same file imported twice changes nothing the second time."""

from collections import defaultdict

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tend.customers.models import Customer
from tend.imports.fields import ImportField
from tend.imports.kinds.base import ChunkResult, CustomerChildImport, RowError
from tend.status.bulk_moves import CHANGED, UNCHANGED, WAITING, change_states_of
from tend.status.models import CustomerState, Dimension, Door, State, StateChange

STATE_ALIASES = {
    "dimension": ("维度", "状态维度", "状态类型", "dimension"),
    "state": ("状态", "客户状态", "state", "status"),
    "reason": ("原因", "变更原因", "说明", "reason"),
}


class StateImport(CustomerChildImport):
    key = "customer_states"
    label = gettext_lazy("Customer status")
    match_keys = {"dimension": gettext_lazy("customer and dimension")}
    model = StateChange

    def written_tables(self) -> list[str]:
        return [
            StateChange._meta.db_table,
            CustomerState._meta.db_table,
            Customer._meta.db_table,
        ]

    def fields(self):
        return [
            *self.reference_fields(),
            ImportField(
                "dimension", gettext_lazy("dimension"), STATE_ALIASES["dimension"], required=True
            ),
            ImportField("state", gettext_lazy("state"), STATE_ALIASES["state"], required=True),
            ImportField("reason", gettext_lazy("reason"), STATE_ALIASES["reason"]),
        ]

    def _find_state(self, dimension_text: str, state_text: str):
        """The state a row names, by key or label (either language); or an error."""
        dimension = Dimension.objects.filter(
            Q(key=dimension_text) | Q(label_zh=dimension_text) | Q(label_en__iexact=dimension_text)
        ).first()
        if dimension is None:
            return None, ("dimension", _("No status dimension is called this."))
        state = State.objects.filter(
            Q(key=state_text) | Q(label_zh=state_text) | Q(label_en__iexact=state_text),
            dimension=dimension,
        ).first()
        if state is None:
            return None, (
                "state",
                _("“%(dimension)s” has no such state.") % {"dimension": dimension.label},
            )
        return state, None

    def process(self, rows, *, write: bool) -> ChunkResult:
        result = ChunkResult()
        groups: dict[tuple, list[tuple[int, int]]] = defaultdict(list)
        found: dict[tuple[str, str], tuple] = {}
        for number, values, _raw in self.resolve_customers(rows, result):
            texts = (
                str(values.get("dimension") or "").strip(),
                str(values.get("state") or "").strip(),
            )
            if texts not in found:
                found[texts] = self._find_state(*texts)
            state, problem = found[texts]
            if problem:
                column, message = problem
                result.errors.append(
                    RowError(number, column, texts[0 if column == "dimension" else 1], message)
                )
                continue
            if not self.claim_key(
                number, f"{values['_customer_id']}:{state.dimension_id}", "dimension", result
            ):
                continue
            reason = str(values.get("reason") or "").strip()
            groups[(state.pk, reason)].append((number, values["_customer_id"]))
        with transaction.atomic():
            for (state_id, reason), members in groups.items():
                state = State.objects.select_related("dimension").get(pk=state_id)
                outcome = change_states_of(
                    Customer.objects.filter(pk__in=[customer for _number, customer in members]),
                    actor=self.actor,
                    dimension=state.dimension,
                    state=state,
                    door=Door.IMPORT,
                    reason=reason,
                    now=self.now,
                    each_customer=True,
                )
                for number, customer in members:
                    done = outcome.by_customer.get(customer)
                    if done in (CHANGED, WAITING):
                        result.updated += 1
                    elif done == UNCHANGED:
                        result.unchanged += 1
                    else:
                        message = outcome.reasons.get(customer) or _("This move was refused.")
                        result.errors.append(RowError(number, "state", state.label, message))
            if not write:  # a dry run checks every move for real, then forgets them
                transaction.set_rollback(True)
        return result

    def resolve_customers(self, rows, result):
        resolved = super().resolve_customers(rows, result)
        return [
            (number, {**values, "_customer_id": customer}, None)
            for number, values, customer in resolved
        ]
