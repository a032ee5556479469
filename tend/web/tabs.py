"""Tabs on the customer page (deals, contracts, orders, tickets…). Each app registers its tab
from its AppConfig.ready(); the page shows the tab bar and loads a tab's panel on demand, so
the customer page itself costs the same number of queries however many tabs there are."""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class CustomerTab:
    key: str
    label: object  # a lazy translation
    # The panel's partial; it receives `customer` and whatever `context` returns.
    template: str
    # (request, customer) -> dict: the panel's data, read through the app's selectors.
    context: Callable
    order: int = 50


_TABS: dict[str, CustomerTab] = {}


def register_tab(tab: CustomerTab) -> None:
    _TABS[tab.key] = tab


def customer_tabs() -> list[CustomerTab]:
    return sorted(_TABS.values(), key=lambda tab: (tab.order, tab.key))


def customer_tab(key: str) -> CustomerTab | None:
    return _TABS.get(key)
