"""Demo deals (商机) in the default pipeline, each with its append-only stage history.

About 0.3 deals per company customer, more for customers that buy. Open deals sit mostly in
the early stages; about one in ten has been longer in its stage than the stage allows
(stalled), one in twenty is paused with a reason, and some carry a probability set by hand.
Customers that order won their first deal shortly before their first order; lost deals say
why. Every move has its DealStageChange row, with the seconds spent in the stage before, as
`tend.deals.actions.move_deal` would have written them."""

from tend.core.bulk import next_id
from tend.deals.models import Deal, DealStageChange, Pipeline, StageCategory
from tend.demo import data
from tend.demo.common import DAY, HOUR, CustomerFacts, Weighted, money

DEAL_COLUMNS = (
    "id", "created_at", "updated_at", "name", "customer_id", "contact_id", "pipeline_id",
    "stage_id", "amount", "currency", "expected_close_on", "probability_override", "owner_id",
    "close_reason", "paused", "paused_reason", "stage_entered_at", "closed_at", "notes",
    "created_by_id", "stage_category",
)  # fmt: skip
STAGE_CHANGE_COLUMNS = (
    "id", "deal_id", "customer_id", "from_stage_id", "to_stage_id", "at", "actor_id",
    "actor_label", "seconds_in_previous", "reason",
)  # fmt: skip

OPEN, WON, LOST = "open", "won", "lost"


class DealMaker:
    def __init__(self, builder):
        self.rng = builder.journey
        self.clock = builder.clock
        self.pick = builder.pick_journey
        pipeline = Pipeline.objects.filter(is_default=True).first()
        stages = list(pipeline.stages.order_by("order", "id")) if pipeline else []
        self.pipeline_id = pipeline.pk if pipeline else None
        self.open_stages = [s for s in stages if s.category == StageCategory.OPEN]
        self.won_stages = [s for s in stages if s.category == StageCategory.WON]
        self.lost_stages = [s for s in stages if s.category == StageCategory.LOST]
        # Deals need a default pipeline with somewhere to start, to win and to lose.
        self.enabled = bool(self.open_stages and self.won_stages and self.lost_stages)
        weights = data.OPEN_STAGE_WEIGHTS
        self.open_places = Weighted(
            range(len(self.open_stages)),
            [weights[i] if i < len(weights) else weights[-1] for i in range(len(self.open_stages))],
        )
        self.next_deal = next_id(Deal)
        self.next_change = next_id(DealStageChange)

    def make(self, customer: CustomerFacts, rows) -> tuple[list, list]:
        """Write the customer's deals. Returns the won ones and the open ones in the last open
        stage (negotiation), each as (deal id, day, amount in cents, product), for contracts."""
        won, negotiating = [], []
        if not (customer.company and self.enabled):
            return won, negotiating
        rng = self.rng
        random = rng.random
        ordering = bool(customer.order_days)
        if random() >= (0.35 if ordering else 0.12):
            return won, negotiating
        count = 1 + (random() < 0.3) + (random() < 0.1)
        for number in range(count):
            draw = random()
            if ordering and number == 0:
                outcome = WON if draw < 0.55 else LOST if draw < 0.75 else OPEN
            elif ordering:
                outcome = WON if draw < 0.25 else LOST if draw < 0.55 else OPEN
            else:
                outcome = LOST if draw < 0.4 else OPEN
            if outcome == OPEN and customer.stop_day is not None:
                outcome = LOST  # a customer that went away leaves no deal open
            self._deal(customer, outcome, number, won, negotiating, rows)
        return won, negotiating

    def _closing_day(self, customer: CustomerFacts, outcome: str, number: int) -> int:
        rng = self.rng
        today = self.clock.today
        last = today - 1 if customer.stop_day is None else min(today - 1, customer.stop_day + 90)
        if outcome == WON:
            first_order = customer.order_days[0]
            if number == 0:
                return max(customer.created_day, first_order - rng.randint(1, 20))
            return rng.randint(first_order, customer.stop_day or today - 1)
        return rng.randint(customer.created_day, max(customer.created_day, last))

    def _deal(self, customer, outcome, number, won, negotiating, rows) -> None:
        rng = self.rng
        random = rng.random
        randint = rng.randint
        clock = self.clock
        at = clock.at
        pick = self.pick
        english = customer.english
        open_stages = self.open_stages
        office = rng.randrange(9 * HOUR, 18 * HOUR)
        paused = stalled = False
        if outcome == OPEN:
            place = self.open_places.draw(rng)
            limit = open_stages[place].stalled_after_days
            if random() < 0.05:
                paused = True
                days_back = randint(1, 120)
            elif limit and random() < 0.105:
                stalled = True
                days_back = limit + randint(1, 60)
            else:
                days_back = randint(1, limit - 1) if limit and limit > 1 else randint(1, 60)
            end = clock.start_of(clock.today - days_back) + office
            end = max(end, customer.created + HOUR)
        else:
            if outcome == WON:
                place = len(open_stages) - 1 if random() < 0.6 else randint(0, len(open_stages) - 1)
            else:
                place = self.open_places.draw(rng)
            end = clock.start_of(self._closing_day(customer, outcome, number)) + office
        # The stages it went through, the start skipped now and then (a qualified lead).
        path = [stage for stage in open_stages[:place] if random() >= 0.15]
        path.append(open_stages[place])
        closing_index = None
        if outcome == WON:
            closing_index = len(path)
            path.append(self.won_stages[0])
        elif outcome == LOST:
            closing_index = len(path)
            path.append(self.lost_stages[0])
        # Times, backwards from the closing move (or from entering the current stage).
        last_index = closing_index if closing_index is not None else len(path) - 1
        times = [0] * len(path)
        times[last_index] = end
        for index in range(last_index - 1, -1, -1):
            times[index] = times[index + 1] - randint(2, 25) * DAY - rng.randrange(8 * HOUR)
        earliest = customer.created + 1800
        if times[0] < earliest:
            span, available = end - times[0], max(0, end - earliest)
            times = [end - (end - moment) * available // span for moment in times]
        if outcome == WON and len(self.won_stages) > 1 and random() < 0.4:
            after = end + randint(14, 60) * DAY
            if after < clock.anchor:
                path.append(self.won_stages[1])
                times.append(after)
        products = data.PRODUCTS_EN if english else data.PRODUCTS_ZH
        product = pick(products)
        names = data.DEAL_NAMES_EN if english else data.DEAL_NAMES_ZH
        amount = min(max(int(rng.lognormvariate(11.3, 1.1)), 5_000), 2_000_000) // 100 * 100_00
        reason = ""
        if outcome == WON:
            reason = pick(data.WON_REASONS_EN if english else data.WON_REASONS_ZH)
        elif outcome == LOST:
            reason = pick(data.LOST_REASONS_EN if english else data.LOST_REASONS_ZH)
        deal_id = self.next_deal
        self.next_deal = deal_id + 1
        seller = customer.seller_id
        stage = path[-1]
        override = None
        if outcome == OPEN and random() < 0.1:
            override = min(95, max(5, stage.probability + pick((-20, -10, 10, 15))))
        end_day = clock.day_of(end)
        expected = clock.today + randint(-15, 120) if outcome == OPEN else end_day + randint(-20, 5)
        changes = rows["deal_stage_changes"]
        customer_id = customer.id
        previous = None
        for index, stage_now in enumerate(path):
            change_id = self.next_change
            self.next_change = change_id + 1
            changes.append(
                (
                    change_id,
                    deal_id,
                    customer_id,
                    previous.pk if previous else None,
                    stage_now.pk,
                    at(times[index]),
                    seller,
                    "",
                    times[index] - times[index - 1] if index else None,
                    reason if index == closing_index else "",
                )
            )
            previous = stage_now
        contact_ids = customer.contact_ids
        rows["deals"].append(
            (
                deal_id,
                at(times[0]),
                at(times[-1]),
                pick(names).format(product=product),
                customer_id,
                pick(contact_ids) if contact_ids and random() < 0.8 else None,
                self.pipeline_id,
                stage.pk,
                money(amount),
                "CNY",
                clock.date(expected),
                override,
                seller,
                reason,
                paused,
                pick(data.PAUSE_REASONS_EN if english else data.PAUSE_REASONS_ZH) if paused else "",
                at(times[-1]),
                at(end) if closing_index is not None else None,
                "",
                seller,
                stage.category,
            )
        )
        if outcome == WON:
            won.append((deal_id, end_day, amount, product))
            if customer.converted is None or end < customer.converted:
                customer.converted = end
        elif outcome == OPEN and place == len(open_stages) - 1 and not stalled:
            negotiating.append((deal_id, end_day, amount, product))
