"""The rules on the worker: a customer's event rules after the change that woke them, and
every scheduled rule over all customers, set-based, each night (Huey discovers `tasks`
modules of installed apps)."""

import logging
import urllib.error
import urllib.request

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from tend.status.events import listening
from tend.status.models import Rule, RuleTrigger
from tend.status.rules import evaluate

logger = logging.getLogger(__name__)


@db_task(retries=2, retry_delay=30)
def evaluate_customers(customer_ids: list[int], trigger: str):
    rules = list(listening(trigger))
    if not rules:
        return 0
    evaluation = evaluate(rules=rules, customer_ids=customer_ids)
    return sum(result.changed for result in evaluation.results)


def _evaluate_scheduled(*triggers: str) -> int:
    evaluation = evaluate(rules=list(Rule.objects.filter(enabled=True, trigger__in=triggers)))
    for result in evaluation.results:
        logger.info(
            "rule %s: %s matched, %s changed, %s waiting, %s refused",
            result.rule.key,
            result.matched,
            result.changed,
            result.waiting,
            result.refused,
        )
    if evaluation.unstable:
        logger.warning("rules flip %s customers back and forth", len(evaluation.unstable))
    return sum(result.changed for result in evaluation.results)


@db_periodic_task(crontab(hour="2", minute="30"), retries=1, retry_delay=900)
def evaluate_nightly_rules():
    # A payment falls overdue with the passing of a day, not with a write: its rules run
    # with the nightly ones, set-based.
    return _evaluate_scheduled(RuleTrigger.SCHEDULE, RuleTrigger.PAYMENT_OVERDUE)


# Monday night, after the nightly run (value tiers from RFM, S8).
@db_periodic_task(crontab(day_of_week="1", hour="3", minute="30"), retries=1, retry_delay=900)
def evaluate_weekly_rules():
    return _evaluate_scheduled(RuleTrigger.WEEKLY)


WEBHOOK_TIMEOUT_SECONDS = 10


class WebhookFailed(Exception):
    pass


@db_task(retries=5, retry_delay=60)
def call_webhook(url: str, body: str):
    """POST a rule's customers to its webhook; a failure is retried (five times, a minute
    apart) and logged."""
    request = urllib.request.Request(
        url,
        data=body.encode("utf-8"),
        headers={"Content-Type": "application/json", "User-Agent": "Tend rules"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=WEBHOOK_TIMEOUT_SECONDS) as response:
            return response.status
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        logger.warning("webhook %s failed: %s", url, error)
        raise WebhookFailed(str(error)) from error
