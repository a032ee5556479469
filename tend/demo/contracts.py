"""Demo contracts (合同) with their append-only status history.

A won deal is signed as a contract; about half of the companies that order without a won
deal buy under a yearly framework agreement. A contract runs a year (sometimes two) and is
renewed by a new contract (renewal_of) while the customer keeps buying; a customer that
stopped ordering lets it expire, or ends it early (terminated). Statuses agree with the
dates as of today: signed before its start, active from its start to its end, expired after.
Deals in negotiation sometimes have a draft already. No attachments: files are not data."""

from tend.contracts.models import Contract, ContractStatusChange
from tend.core.bulk import next_id
from tend.demo import data
from tend.demo.common import HOUR, CustomerFacts, money

CONTRACT_COLUMNS = (
    "id", "created_at", "updated_at", "customer_id", "number", "title", "deal_id", "amount",
    "currency", "signed_on", "starts_on", "ends_on", "status", "status_changed_at",
    "renewal_of_id", "notes", "created_by_id",
)  # fmt: skip
STATUS_CHANGE_COLUMNS = (
    "id", "contract_id", "customer_id", "from_status", "to_status", "at", "actor_id", "reason",
)  # fmt: skip


class ContractMaker:
    def __init__(self, builder):
        self.rng = builder.journey
        self.clock = builder.clock
        self.pick = builder.pick_journey
        self.next_contract = next_id(Contract)
        self.next_change = next_id(ContractStatusChange)

    def make(self, customer: CustomerFacts, won: list, negotiating: list, rows) -> list:
        """Write the customer's contracts; returns the periods they cover as (first day,
        last day, contract id), for the orders placed under them."""
        rng = self.rng
        english = customer.english
        titles = data.CONTRACT_TITLES_EN if english else data.CONTRACT_TITLES_ZH
        spans = []
        for deal_id, day, amount, product in won:
            title = self.pick(titles).format(product=product)
            self._chain(customer, deal_id, day, amount, title, spans, rows)
        if customer.order_days and customer.company and not won and rng.random() < 0.5:
            signed = max(customer.created_day, customer.order_days[0] - rng.randint(0, 20))
            amount = max(customer.scale * 12 // 100_000, 1) * 100_000  # whole thousands
            title = data.FRAMEWORK_TITLE_EN if english else data.FRAMEWORK_TITLE_ZH
            self._chain(customer, None, signed, amount, title, spans, rows)
        for deal_id, day, amount, product in negotiating:
            if rng.random() < 0.35:
                title = self.pick(titles).format(product=product)
                self._draft(customer, deal_id, day, amount, title, rows)
        return spans

    def _office(self, day: int) -> int:
        return self.clock.start_of(day) + self.rng.randrange(9 * HOUR, 18 * HOUR)

    def _chain(self, customer, deal_id, signed_day, amount, title, spans, rows) -> None:
        """A contract and its renewals, one after the other, while the customer stays."""
        rng = self.rng
        clock = self.clock
        today = clock.today
        stop = customer.stop_day
        previous_id = None
        start = signed_day + rng.randint(0, 10)
        while True:
            end = start + (365 if rng.random() < 0.8 else 730) - 1
            created_day = max(customer.created_day, signed_day - rng.randint(3, 20))
            created = max(self._office(created_day), customer.created + 600)
            events = [("", "draft", created, "")]
            signed = self._office(signed_day)
            if rng.random() < 0.4:
                approval = min(created + rng.randint(1, 48) * HOUR, max(created, signed - 60))
                events.append(("draft", "in_approval", approval, ""))
            signed = max(signed, events[-1][2] + 60)
            events.append((events[-1][1], "signed", signed, ""))
            ended_day = end
            if start < today:
                activated = max(clock.start_of(start) + rng.randrange(2 * HOUR), signed + 60)
                events.append(("signed", "active", activated, ""))
                ending = stop + rng.randint(10, 60) if stop is not None else None
                if (
                    ending is not None
                    and start < ending <= end
                    and ending < today
                    and rng.random() < 0.3
                ):
                    ended_day = ending
                    english = customer.english
                    reasons = (
                        data.TERMINATION_REASONS_EN if english else data.TERMINATION_REASONS_ZH
                    )
                    moment = max(self._office(ending), activated + 60)
                    events.append(("active", "terminated", moment, self.pick(reasons)))
                if events[-1][1] == "active" and end < today:
                    expired = min(clock.start_of(end + 1) + rng.randrange(2 * HOUR), clock.anchor)
                    events.append(("active", "expired", max(expired, activated + 60), ""))
            contract_id = self._write(
                customer, deal_id, amount, title, signed_day, start, end, previous_id, events, rows
            )
            spans.append((start, ended_day, contract_id))
            # Renewed when it has ended, the customer still buys, and most of the time.
            if end >= today - 1 or events[-1][1] == "terminated" or rng.random() >= 0.7:
                return
            if stop is not None and end > stop - 30:
                return
            previous_id = contract_id
            deal_id = None
            signed_day = max(signed_day + 1, end - rng.randint(0, 20))
            start = end + 1
            amount = amount * rng.randint(90, 130) // 10_000 * 100  # whole yuan

    def _draft(self, customer, deal_id, day, amount, title, rows) -> None:
        """A contract being drawn up for a deal in negotiation: a draft, or in approval."""
        rng = self.rng
        today = self.clock.today
        created_day = min(today - 1, day + rng.randint(0, 10))
        created = max(self._office(created_day), customer.created + 600)
        events = [("", "draft", created, "")]
        if rng.random() < 0.5:
            moment = min(created + rng.randint(1, 48) * HOUR, self.clock.anchor - 60)
            events.append(("draft", "in_approval", max(moment, created), ""))
        start = today + rng.randint(15, 45)
        self._write(customer, deal_id, amount, title, None, start, start + 364, None, events, rows)

    def _write(
        self, customer, deal_id, amount, title, signed_day, start, end, renewal_of, events, rows
    ) -> int:
        clock = self.clock
        at = clock.at
        contract_id = self.next_contract
        self.next_contract = contract_id + 1
        creator = customer.seller_id
        created_text = at(events[0][2])
        changed_text = at(events[-1][2])
        year = clock.date(clock.day_of(events[0][2]))[:4]
        rows["contracts"].append(
            (
                contract_id,
                created_text,
                changed_text,
                customer.id,
                f"HT{year}{contract_id:06d}",
                title,
                deal_id,
                money(amount),
                "CNY",
                clock.date(signed_day) if signed_day is not None else None,
                clock.date(start),
                clock.date(end),
                events[-1][1],
                changed_text,
                renewal_of,
                "",
                creator,
            )
        )
        changes = rows["contract_status_changes"]
        for from_status, to_status, moment, reason in events:
            change_id = self.next_change
            self.next_change = change_id + 1
            changes.append(
                (change_id, contract_id, customer.id, from_status, to_status, at(moment), creator,
                 reason)
            )  # fmt: skip
        return contract_id
