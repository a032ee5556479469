"""Demo orders (订单), payments (回款) and how each payment is allocated to orders.

A customer first gets an ordering plan (`plan`): whether it orders at all, how often (a few
key accounts order every week or two, most customers a few times a year), on which days
(seasonal: busy before 春节 and in Q4, quiet in February), and whether it stopped ordering
6–18 months ago (churn). `make` then writes the orders and settles them the way the customer
pays: most pay around the due date, slow payers weeks late, a few bad payers part or nothing.
Companies that settle by statement pay several orders with one transfer, large orders are
sometimes paid with a deposit first. Amounts are whole yuan, counted in cents so that what
is allocated never exceeds a payment or an order."""

from tend.core.bulk import next_id
from tend.demo import data
from tend.demo.common import HOUR, CustomerFacts, SeasonalCalendar, Weighted, money
from tend.orders.models import Order, Payment, PaymentAllocation

ORDER_COLUMNS = (
    "id", "created_at", "updated_at", "customer_id", "contract_id", "number", "description",
    "quantity", "amount", "ordered_on", "due_on", "notes", "created_by_id",
)  # fmt: skip
PAYMENT_COLUMNS = (
    "id", "created_at", "updated_at", "customer_id", "amount", "received_on", "method",
    "reference", "notes", "created_by_id",
)  # fmt: skip
ALLOCATION_COLUMNS = (
    "id", "created_at", "updated_at", "payment_id", "order_id", "amount", "created_by_id",
)  # fmt: skip

PUNCTUAL, SLOW, BAD = 0, 1, 2
LARGE_ORDER = 50_000_00  # cents: orders from here on are sometimes paid with a deposit first


class OrderMaker:
    def __init__(self, builder, history_days: int):
        self.rng = builder.journey
        self.clock = builder.clock
        self.pick = builder.pick_journey
        today = self.clock.today
        self.calendar = SeasonalCalendar(today - history_days - 1, today - 1)
        self.finance_ids = builder.finance_ids
        self.company_methods = Weighted(
            [method for method, _c, _p in data.PAYMENT_METHODS],
            [weight for _m, weight, _p in data.PAYMENT_METHODS],
        )
        self.person_methods = Weighted(
            [method for method, _c, _p in data.PAYMENT_METHODS],
            [weight for _m, _c, weight in data.PAYMENT_METHODS],
        )
        self.next_order = next_id(Order)
        self.next_payment = next_id(Payment)
        self.next_allocation = next_id(PaymentAllocation)

    def plan(self, customer: CustomerFacts) -> None:
        """Decide whether, how much and on which days the customer orders, and whether it
        stopped (churn: ordering ended 6–18 months ago; some are marked churned since)."""
        rng = self.rng
        clock = self.clock
        if rng.random() >= (0.38 if customer.company else 0.28):
            return
        first = customer.created_day + int(rng.expovariate(1 / 20))
        last = clock.today - 1
        if first > last:
            return
        if rng.random() < 0.15:
            stop = clock.today - rng.randint(183, 540)
            if stop - first >= 14:
                last = customer.stop_day = stop
                if rng.random() < 0.6:
                    customer.churned_at = clock.start_of(
                        stop + rng.randint(60, 150)
                    ) + rng.randrange(9 * HOUR, 18 * HOUR)
        key_account = rng.random() < 0.03
        # Orders per 30 days: a key account orders weekly or so, a typical customer a few
        # times a year.
        rate = rng.uniform(1.5, 5.0) if key_account else rng.lognormvariate(-1.45, 0.9)
        count = min(1 + int(rate * (last - first) / 30 + rng.random()), 150)
        draw = self.calendar.draw
        days = [first] + [draw(rng, first, last) for _ in range(count - 1)]
        days.sort()
        customer.order_days = days
        # A typical order: about CNY 12,000 for a company, 1,500 for a person (medians).
        scale = rng.lognormvariate(14.0, 1.0) if customer.company else rng.lognormvariate(11.9, 0.8)
        customer.scale = int(scale * (2.5 if key_account else 1.0))

    def make(self, customer: CustomerFacts, spans: list[tuple[int, int, int]], rows) -> None:
        """Write the planned orders (linked to the contract covering their day, from
        `spans` of (first day, last day, contract id)), their payments and allocations."""
        if not customer.order_days:
            return
        rng = self.rng
        random = rng.random
        randint = rng.randint
        clock = self.clock
        at = clock.at
        date = clock.date
        pick = self.pick
        today = clock.today
        customer_id = customer.id
        english = customer.english
        items = data.ORDER_ITEMS_EN if english else data.ORDER_ITEMS_ZH
        terms = pick(data.COMPANY_TERMS if customer.company else data.PERSON_TERMS)
        draw = random()
        habit = PUNCTUAL if draw < 0.66 else SLOW if draw < 0.86 else BAD
        order_rows = rows["orders"]
        creator = customer.worker_id
        stop_day = customer.stop_day
        scale = customer.scale
        quantities = data.QUANTITIES
        lognormal = rng.lognormvariate
        start_of = clock.start_of
        parts = []  # (day paid, order id, cents, paid alone)
        for day in customer.order_days:
            order_id = self.next_order
            self.next_order = order_id + 1
            quantity = quantities[int(random() * len(quantities))]
            unit = max(1, int(scale * lognormal(0, 0.45) / quantity / 100)) * 100
            amount = unit * quantity
            due = day + terms if random() >= 0.03 else None
            contract_id = None
            for first, last, span_contract in spans:
                if first <= day <= last:
                    contract_id = span_contract if random() < 0.85 else None
                    break
            moment = start_of(day) + 9 * HOUR + int(random() * 9 * HOUR)
            if customer.converted is None or moment < customer.converted:
                customer.converted = moment  # its first order, unless it signed before
            created = at(moment)
            order_rows.append(
                (
                    order_id,
                    created,
                    created,
                    customer_id,
                    contract_id,
                    f"SO{date(day).replace('-', '')}{order_id:06d}" if random() < 0.8 else "",
                    items[int(random() * len(items))],
                    quantity,
                    money(amount),
                    date(day),
                    date(due) if due is not None else None,
                    "",
                    creator,
                )
            )
            if habit == PUNCTUAL:
                delay = int(random() * 12) - 5  # days after the due date, -5 to 6
            elif habit == SLOW:
                delay = 3 + int(random() * 43)
            else:
                delay = 10 + int(random() * 111)
            paid_on = max(day, (due if due is not None else day) + delay)
            if paid_on >= today:
                continue  # not paid yet: outstanding, and overdue once past its due date
            paid = amount
            if (habit == BAD and random() < 0.3) or random() < 0.015:
                # Never paid, or only part: disputes, cash trouble.
                paid = 0 if random() < 0.5 else amount * randint(2, 8) // 1000 * 100
            if stop_day is not None and day > stop_day - 60 and random() < 0.5:
                paid = 0  # it went quiet owing money
            if paid <= 0:
                continue
            if amount >= LARGE_ORDER and paid == amount and random() < 0.3:
                deposit = amount * 3 // 1000 * 100
                deposit_on = min(day + randint(0, 5), paid_on - 1)
                if deposit_on >= day:
                    parts.append((deposit_on, order_id, deposit, True))
                    paid -= deposit
            parts.append((paid_on, order_id, paid, False))
        self._settle(customer, parts, rows)

    def _settle(self, customer: CustomerFacts, parts: list, rows) -> None:
        """Group the money paid into payments: a deposit alone, the rest per order or, for
        customers paying by statement, everything falling due within their window."""
        if not parts:
            return
        rng = self.rng
        if customer.company:
            window = 30 if len(customer.order_days) >= 20 else self.pick((0, 30, 60, 90, 90, 120))
            methods = self.company_methods
        else:
            window = 0
            methods = self.person_methods
        usual_method = methods.draw(rng)
        parts.sort()
        groups = []
        current = []
        start = None
        for part in parts:
            if part[3]:
                groups.append([part])
            elif current and part[0] <= start + window:
                current.append(part)
            else:
                if current:
                    groups.append(current)
                current = [part]
                start = part[0]
        if current:
            groups.append(current)
        clock = self.clock
        at = clock.at
        date = clock.date
        payment_rows = rows["payments"]
        allocation_rows = rows["allocations"]
        customer_id = customer.id
        creator = self.pick(self.finance_ids) if self.finance_ids else customer.worker_id
        prefixes = data.PAYMENT_REFERENCE_PREFIXES
        for group in groups:
            payment_id = self.next_payment
            self.next_payment = payment_id + 1
            day = max(part[0] for part in group)
            received = at(clock.start_of(day) + rng.randrange(9 * HOUR, 17 * HOUR))
            total = sum(part[2] for part in group)
            if rng.random() < 0.02:
                total += rng.randint(1, 50) * 100_00  # paid ahead: credit left unallocated
            method = usual_method if rng.random() < 0.85 else methods.draw(rng)
            prefix = self.pick(prefixes[method])
            reference = (
                f"{prefix}{date(day).replace('-', '')}{payment_id:08d}"
                if method not in ("cash", "other")
                else ""
            )
            payment_rows.append(
                (
                    payment_id,
                    received,
                    received,
                    customer_id,
                    money(total),
                    date(day),
                    method,
                    reference,
                    "",
                    creator,
                )
            )
            for _day, order_id, cents, _alone in group:
                allocation_id = self.next_allocation
                self.next_allocation = allocation_id + 1
                allocation_rows.append(
                    (allocation_id, received, received, payment_id, order_id, money(cents), creator)
                )
