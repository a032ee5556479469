"""What the demo's record makers share: a weighted draw, the clock that turns times into the
text the databases store, a seasonal calendar for orders, and the facts about one customer
that every maker reads.

Times are whole seconds since the epoch (UTC) and days are local date ordinals, both counted
from the start of today (the anchor): every generated moment lies before it, so a seed gives
the same data all day long and nothing is ever in the future."""

import bisect
import datetime
import random

from tend.demo import data

UNIX_EPOCH_ORDINAL = datetime.date(1970, 1, 1).toordinal()
DAY = 86400
HOUR = 3600


class FastRandom(random.Random):
    """random.Random with randint and randrange that scale one float. The standard ones
    draw bits with rejection and take several times longer, which a million customers with
    a dozen draws each notice; the bias of scaling a float is far below what demo data
    could show."""

    def randint(self, low: int, high: int) -> int:
        return low + int(self.random() * (high - low + 1))

    def randrange(self, start: int, stop: int | None = None) -> int:
        if stop is None:
            return int(self.random() * start)
        return start + int(self.random() * (stop - start))


class Weighted:
    """Draw from weighted items with one random number (faster than random.choices)."""

    def __init__(self, items, weights):
        self.items = list(items)
        self.cumulative = []
        total = 0
        for weight in weights:
            total += weight
            self.cumulative.append(total)
        self.total = total

    def draw(self, rng: random.Random):
        return self.items[bisect.bisect_right(self.cumulative, rng.random() * self.total)]


class Clock:
    """Dates and datetimes as the text both databases store without conversion: naive UTC
    "YYYY-MM-DD HH:MM:SS" on SQLite (how Django keeps them), with "+00" on PostgreSQL. Texts
    are joined from precomputed day and time-of-day parts held in lists: formatting a
    datetime per row would be a good share of a million-customer run. The hottest loops
    join the parts themselves (`day_texts`, `time_texts`, `first_day`)."""

    DAYS_BEFORE = 25_000  # the oldest dates asked for: birthdays of 60-year-olds
    DAYS_AFTER = 3_000  # the latest: ends of contracts not started yet

    def __init__(self, *, anchor: int, anchor_ordinal: int, vendor: str):
        self.anchor = anchor  # the start of today (local), in seconds since the epoch
        self.today = anchor_ordinal  # today's local date ordinal
        suffix = "+00" if vendor == "postgresql" else ""
        # Datetimes: the UTC day's text (with the separating space) and the time of day.
        anchor_day = anchor // DAY
        self.first_day = anchor_day - self.DAYS_BEFORE
        self.day_texts = [
            datetime.date.fromordinal(UNIX_EPOCH_ORDINAL + day).isoformat() + " "
            for day in range(self.first_day, anchor_day + self.DAYS_AFTER)
        ]
        self.time_texts = [
            f"{second // 3600:02d}:{second // 60 % 60:02d}:{second % 60:02d}{suffix}"
            for second in range(DAY)
        ]
        # Dates: local date ordinals.
        self.first_date = anchor_ordinal - self.DAYS_BEFORE
        self.date_texts = [
            datetime.date.fromordinal(ordinal).isoformat()
            for ordinal in range(self.first_date, anchor_ordinal + self.DAYS_AFTER)
        ]

    def at(self, timestamp: int) -> str:
        """A moment (seconds since the epoch) as datetime text."""
        day = timestamp // DAY
        return self.day_texts[day - self.first_day] + self.time_texts[timestamp - day * DAY]

    def date(self, ordinal: int) -> str:
        """A local date ordinal as date text."""
        return self.date_texts[ordinal - self.first_date]

    def start_of(self, ordinal: int) -> int:
        """The first second of a local day."""
        return self.anchor + (ordinal - self.today) * DAY

    def day_of(self, timestamp: int) -> int:
        """The local day a moment falls on."""
        return self.today + (timestamp - self.anchor) // DAY


class SeasonalCalendar:
    """Draws business days with the seasons of Chinese trade: busy before the Spring Festival
    (春节) and at the year's end (双十一, year-end budgets), quiet in the festival week and the
    February after it, slow at weekends."""

    def __init__(self, first: int, last: int):
        self.first = first
        festivals = [datetime.date.fromisoformat(day).toordinal() for day in data.SPRING_FESTIVALS]
        self.cumulative = [0.0]
        total = 0.0
        for ordinal in range(first, last + 1):
            day = datetime.date.fromordinal(ordinal)
            weight = data.MONTH_WEIGHTS[day.month - 1] * data.WEEKDAY_WEIGHTS[day.weekday()]
            nearest = min(festivals, key=lambda festival: abs(festival - ordinal))
            offset = ordinal - nearest
            if -21 <= offset < 0:
                weight *= 1.4  # stocking up before the holiday
            elif 0 <= offset < 7:
                weight *= 0.12  # the festival week
            elif 7 <= offset < 21:
                weight *= 0.6  # slow restart
            total += weight
            self.cumulative.append(total)

    def draw(self, rng: random.Random, low: int, high: int) -> int:
        """A day in [low, high] (ordinals within the calendar), weighted by season."""
        cumulative = self.cumulative
        start = cumulative[low - self.first]
        point = start + rng.random() * (cumulative[high - self.first + 1] - start)
        index = bisect.bisect_right(cumulative, point, low - self.first, high - self.first + 1)
        return self.first + min(max(index - 1, low - self.first), high - self.first)


class CustomerFacts:
    """What the record makers need to know about the customer being generated."""

    __slots__ = (
        "churned_at",
        "company",
        "contact_ids",
        "converted",
        "created",
        "created_day",
        "english",
        "id",
        "order_days",
        "owner_id",
        "scale",
        "seller_id",
        "stop_day",
        "troubled",
        "worker_id",
    )

    def __init__(self, customer_id: int, company: bool, english: bool):
        self.id = customer_id
        self.company = company
        self.english = english
        self.owner_id = None  # None: in the pool
        self.worker_id = None  # who works the customer: the owner, or a pool worker
        self.seller_id = None  # who owns its deals: the owner, or a rep for a pool customer
        self.contact_ids: list[int] = []
        self.created = 0  # seconds since the epoch
        self.created_day = 0
        self.order_days: list[int] = []  # days it orders on, oldest first; empty: never
        self.stop_day = None  # the day it stopped ordering (churn), or None
        self.churned_at = None  # when it was marked churned (seconds), or None
        self.troubled = False  # one of the few customers most complaints come from
        self.scale = 0  # a typical order's amount, in cents
        self.converted = None  # when it first signed or ordered (seconds), or None


def money(cents: int) -> float:
    """Cents as a number both databases store exactly in a two-place decimal column (the
    shortest text of cents/100 is the amount itself)."""
    return cents / 100
