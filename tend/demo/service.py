"""Demo after-sales service: tickets (工单) with their threads, and feedback (反馈) with the
history of its escalations.

About 0.2 tickets per customer, mostly from customers that buy. Complaints are concentrated:
about 3% of customers are troubled and raise several each (and more, more urgent tickets),
while suggestions and praise are spread thinly over everyone. Statuses follow age: old
tickets and feedback are closed, recent ones still open. Times agree with each other as the
service actions would have left them: the first response is the first public reply, a
resolution time and a satisfaction only on resolved or closed tickets, escalations only
upwards and before the feedback was resolved."""

from tend.core.bulk import next_id
from tend.demo import data
from tend.demo.common import DAY, HOUR, CustomerFacts, Weighted
from tend.service.models import Feedback, FeedbackEscalation, Ticket, TicketComment

TICKET_COLUMNS = (
    "id", "created_at", "updated_at", "customer_id", "contact_id", "subject", "description",
    "priority", "status", "assignee_id", "opened_by_id", "opened_at", "first_response_at",
    "resolved_at", "satisfaction", "satisfaction_comment",
)  # fmt: skip
COMMENT_COLUMNS = ("id", "ticket_id", "author_id", "body", "public", "from_customer", "at")
FEEDBACK_COLUMNS = (
    "id", "created_at", "updated_at", "customer_id", "contact_id", "ticket_id", "kind",
    "severity", "subject", "description", "status", "escalation_level", "resolution",
    "received_at", "resolved_at", "created_by_id",
)  # fmt: skip
ESCALATION_COLUMNS = ("id", "feedback_id", "from_level", "to_level", "by_id", "at", "reason")

# Seconds to the first response, by priority: (fastest, slowest).
RESPONSE_TIMES = {
    "urgent": (5 * 60, 2 * HOUR),
    "high": (15 * 60, 8 * HOUR),
    "normal": (30 * 60, 24 * HOUR),
    "low": (HOUR, 72 * HOUR),
}
DONE_TICKETS = ("resolved", "closed")
DONE_FEEDBACK = ("resolved", "closed")


def _by_age(weights_by_age):
    return [
        (age, Weighted(list(weights), list(weights.values()))) for age, weights in weights_by_age
    ]


# (older than this many days, status weights): the first that applies decides.
TICKET_STATUSES = _by_age(
    [
        (30, {"closed": 80, "resolved": 17, "waiting_on_customer": 3}),
        (
            7,
            {"closed": 40, "resolved": 30, "in_progress": 15, "waiting_on_customer": 10, "open": 5},
        ),
        (-1, {"open": 35, "in_progress": 35, "waiting_on_customer": 15, "resolved": 15}),
    ]
)
FEEDBACK_STATUSES = _by_age(
    [
        (30, {"closed": 70, "resolved": 25, "in_progress": 5}),
        (7, {"closed": 30, "resolved": 30, "in_progress": 20, "acknowledged": 15, "new": 5}),
        (-1, {"new": 30, "acknowledged": 30, "in_progress": 25, "resolved": 15}),
    ]
)


class ServiceMaker:
    def __init__(self, builder):
        self.rng = builder.journey
        self.clock = builder.clock
        self.pick = builder.pick_journey
        self.service_ids = builder.service_ids
        self.manager_ids = builder.manager_ids
        self.priorities = Weighted(["low", "normal", "high", "urgent"], [20, 55, 18, 7])
        self.troubled_priorities = Weighted(["low", "normal", "high", "urgent"], [5, 40, 35, 20])
        self.ratings = Weighted([1, 2, 3, 4, 5], [2, 3, 10, 35, 50])
        self.troubled_ratings = Weighted([1, 2, 3, 4, 5], [25, 25, 25, 15, 10])
        self.complaint_severities = Weighted(
            ["low", "medium", "high", "critical"], [15, 40, 35, 10]
        )
        self.suggestion_severities = Weighted(["low", "medium"], [70, 30])
        self.next_ticket = next_id(Ticket)
        self.next_comment = next_id(TicketComment)
        self.next_feedback = next_id(Feedback)
        self.next_escalation = next_id(FeedbackEscalation)

    def make(self, customer: CustomerFacts, rows) -> None:
        rng = self.rng
        random = rng.random
        ordering = bool(customer.order_days)
        customer.troubled = random() < (0.06 if ordering else 0.005)
        if customer.troubled:
            tickets = rng.randint(2, 5)
            complaints = rng.randint(3, 8)
        else:
            tickets = (random() < (0.17 if ordering else 0.04)) + (random() < 0.03)
            complaints = 1 if random() < 0.006 else 0
        suggestions = (random() < 0.03) + (random() < 0.003)
        praise = 1 if random() < 0.025 else 0
        if not (tickets or complaints or suggestions or praise):
            return
        today = self.clock.today
        first = customer.order_days[0] if ordering else customer.created_day
        last = today - 1 if customer.stop_day is None else min(today - 1, customer.stop_day + 60)
        first = min(first, last)
        opened = [self._ticket(customer, first, last, rows) for _ in range(tickets)]
        kinds = ["complaint"] * complaints + ["suggestion"] * suggestions + ["praise"] * praise
        for kind in kinds:
            self._feedback(customer, kind, first, last, opened, rows)

    def _handler(self, customer: CustomerFacts) -> int:
        return self.pick(self.service_ids) if self.service_ids else customer.worker_id

    def _ticket(self, customer: CustomerFacts, first: int, last: int, rows) -> tuple[int, int]:
        rng = self.rng
        random = rng.random
        randint = rng.randint
        clock = self.clock
        at = clock.at
        pick = self.pick
        english = customer.english
        limit = clock.anchor - 60  # nothing happens after the start of today
        day = randint(first, last)
        opened = clock.start_of(day) + rng.randrange(8 * HOUR, 20 * HOUR)
        age = clock.today - day
        status = next(weights for older, weights in TICKET_STATUSES if age > older).draw(rng)
        priority = (self.troubled_priorities if customer.troubled else self.priorities).draw(rng)
        fastest, slowest = RESPONSE_TIMES[priority]
        responded = None
        if status != "open" or random() < 0.4:
            responded = min(opened + randint(fastest, slowest), limit)
        resolved = None
        satisfaction = None
        satisfaction_comment = ""
        if status in DONE_TICKETS:
            resolved = min(responded + randint(HOUR, 10 * DAY), limit)
            if random() < 0.55:
                satisfaction = (self.troubled_ratings if customer.troubled else self.ratings).draw(
                    rng
                )
                if random() < 0.3:
                    satisfaction_comment = pick(
                        data.SATISFACTION_COMMENTS_EN if english else data.SATISFACTION_COMMENTS_ZH
                    )
        assignee = self._handler(customer)
        ticket_id = self.next_ticket
        self.next_ticket = ticket_id + 1
        # The thread: the first public reply is the first response; then the customer's
        # words, internal notes and further replies; a closing reply at the resolution.
        comments = []
        replies = data.TICKET_REPLIES_EN if english else data.TICKET_REPLIES_ZH
        if responded is not None and random() < 0.8:
            comments.append((responded, pick(replies), True, False))
        start = responded if responded is not None else opened
        end = resolved if resolved is not None else limit
        for _ in range(randint(0, 2)):
            moment = start + int(random() * max(0, end - start))
            kind = random()
            if kind < 0.4:
                words = data.TICKET_CUSTOMER_WORDS_EN if english else data.TICKET_CUSTOMER_WORDS_ZH
                comments.append((moment, pick(words), True, True))
            elif kind < 0.7 or responded is None:
                notes = data.TICKET_NOTES_EN if english else data.TICKET_NOTES_ZH
                comments.append((moment, pick(notes), False, False))
            else:
                comments.append((moment, pick(replies), True, False))
        if resolved is not None and random() < 0.6:
            comments.append((resolved, pick(replies), True, False))
        comments.sort()
        comment_rows = rows["ticket_comments"]
        for moment, body, public, from_customer in comments:
            comment_id = self.next_comment
            self.next_comment = comment_id + 1
            comment_rows.append(
                (comment_id, ticket_id, assignee, body, public, from_customer, at(moment))
            )
        opened_text = at(opened)
        last_change = max([opened, responded or 0, resolved or 0] + [c[0] for c in comments])
        contact_ids = customer.contact_ids
        rows["tickets"].append(
            (
                ticket_id,
                opened_text,
                at(last_change),
                customer.id,
                pick(contact_ids) if contact_ids and random() < 0.7 else None,
                pick(data.TICKET_SUBJECTS_EN if english else data.TICKET_SUBJECTS_ZH),
                pick(data.TICKET_DESCRIPTIONS_EN if english else data.TICKET_DESCRIPTIONS_ZH),
                priority,
                status,
                assignee,
                self._handler(customer),
                opened_text,
                at(responded) if responded is not None else None,
                at(resolved) if resolved is not None else None,
                satisfaction,
                satisfaction_comment,
            )
        )
        return ticket_id, opened

    def _feedback(self, customer, kind, first, last, tickets, rows) -> None:
        rng = self.rng
        random = rng.random
        randint = rng.randint
        clock = self.clock
        at = clock.at
        pick = self.pick
        english = customer.english
        limit = clock.anchor - 60
        day = randint(first, last)
        received = clock.start_of(day) + rng.randrange(8 * HOUR, 20 * HOUR)
        age = clock.today - day
        status = next(weights for older, weights in FEEDBACK_STATUSES if age > older).draw(rng)
        if kind == "complaint":
            severity = self.complaint_severities.draw(rng)
            subjects = data.COMPLAINT_SUBJECTS_EN if english else data.COMPLAINT_SUBJECTS_ZH
        elif kind == "suggestion":
            severity = self.suggestion_severities.draw(rng)
            subjects = data.SUGGESTION_SUBJECTS_EN if english else data.SUGGESTION_SUBJECTS_ZH
        else:
            severity = "low"
            subjects = data.PRAISE_SUBJECTS_EN if english else data.PRAISE_SUBJECTS_ZH
        resolved = None
        resolution = ""
        if status in DONE_FEEDBACK:
            resolved = min(received + randint(2 * HOUR, 15 * DAY), limit)
            if kind == "complaint" or random() < 0.3:
                resolution = pick(data.RESOLUTIONS_EN if english else data.RESOLUTIONS_ZH)
        feedback_id = self.next_feedback
        self.next_feedback = feedback_id + 1
        # Serious complaints go up: to a manager, some on to an executive, before resolution.
        level = "agent"
        last_change = resolved or received
        if kind == "complaint" and severity in ("high", "critical") and random() < 0.45:
            steps = ["manager", "executive"] if random() < 0.35 else ["manager"]
            until = resolved if resolved is not None else limit
            moment = received
            reasons = data.ESCALATION_REASONS_EN if english else data.ESCALATION_REASONS_ZH
            for step in steps:
                moment = moment + int(random() * max(0, until - moment) * 0.5)
                escalation_id = self.next_escalation
                self.next_escalation = escalation_id + 1
                by = pick(self.manager_ids) if self.manager_ids else self._handler(customer)
                rows["feedback_escalations"].append(
                    (escalation_id, feedback_id, level, step, by, at(moment), pick(reasons))
                )
                level = step
            last_change = max(last_change, moment)
        ticket_id = None
        if tickets and kind == "complaint" and random() < 0.5:
            earlier = [ticket for ticket, opened in tickets if opened <= received]
            if earlier:
                ticket_id = pick(earlier)
        contact_ids = customer.contact_ids
        rows["feedback"].append(
            (
                feedback_id,
                at(received),
                at(last_change),
                customer.id,
                pick(contact_ids) if contact_ids and random() < 0.6 else None,
                ticket_id,
                kind,
                severity,
                pick(subjects),
                pick(data.FEEDBACK_DESCRIPTIONS_EN if english else data.FEEDBACK_DESCRIPTIONS_ZH),
                status,
                level,
                resolution,
                at(received),
                at(resolved) if resolved is not None else None,
                self._handler(customer),
            )
        )
