"""Finding customers by any part of their name, fast at a million rows.

`name LIKE '%…%'` reads every row. Instead each name is cut into overlapping pairs of
characters (华为技术 → 华为, 为技, 技术), kept in an indexed table; a search reads the customers
that hold every pair of the query, then checks the whole query against those few names. Pairs,
not the trigrams of PostgreSQL's pg_trgm or SQLite's FTS5, because Chinese company names are
mostly searched by two characters (华为, 腾讯), which trigrams cannot serve."""

from collections.abc import Iterable

from django.db.models import Q, Value
from django.db.models.functions import Lower, Replace, StrIndex
from django.db.models.lookups import GreaterThan

# A query's pairs beyond this many narrow the result little and cost a lookup each.
MAX_QUERY_GRAMS = 4


# Spaces a name may hold, removed alike in Python (the index) and in SQL (the final check).
SPACES = (" ", "\u3000", "\t")  # ASCII, full-width (全角), tab


def normalize(text: str) -> str:
    text = text.lower()
    for space in SPACES:
        text = text.replace(space, "")
    return text


def _spaceless_lower_name():
    expression = Lower("name")
    for space in SPACES:
        expression = Replace(expression, Value(space), Value(""))
    return expression


def name_grams(name: str) -> set[str]:
    text = normalize(name)
    return {text[index : index + 2] for index in range(len(text) - 1)}


def gram_rows(customers: Iterable[tuple[int, str]]) -> list[tuple[str, int]]:
    """(gram, customer id) rows for (id, name) pairs, as the index table stores them."""
    return [(gram, customer_id) for customer_id, name in customers for gram in name_grams(name)]


def index_names(customers: Iterable[tuple[int, str]], *, new: bool = False) -> None:
    """Index these customers' names, replacing what was indexed before (nothing, if `new`)."""
    from tend.customers.models import CustomerNameGram

    customers = list(customers)
    if not new:
        CustomerNameGram.objects.filter(customer_id__in=[pk for pk, _name in customers]).delete()
    CustomerNameGram.objects.bulk_create(
        [CustomerNameGram(gram=gram, customer_id=pk) for gram, pk in gram_rows(customers)],
        batch_size=1000,
    )


def name_contains(query: str) -> Q:
    """Customers whose name contains `query`, ignoring case and spaces."""
    from tend.customers.models import CustomerNameGram

    grams = name_grams(query)
    if not grams:
        # One character: no pair to look up, so every name is read.
        return Q(name__icontains=query.strip())
    condition = Q()
    # Sorted, so one query always gives the same SQL (and the same plan).
    for gram in sorted(grams)[:MAX_QUERY_GRAMS]:
        condition &= Q(pk__in=CustomerNameGram.objects.filter(gram=gram).values("customer_id"))
    text = normalize(query)
    if len(text) > 2:
        # Holding every pair is not yet containing them in a row (华为技术 vs 技术华为). Checked
        # with a position rather than LIKE: PostgreSQL guesses LIKE '%…%' to match almost
        # nothing and would then read every name instead of the few the pairs found.
        condition &= Q(GreaterThan(StrIndex(_spaceless_lower_name(), Value(text)), 0))
    return condition
