"""Which records can sit in the recycle bin. Each app registers its soft-deletable models in
its AppConfig.ready(), so the bin, restore, purge and a customer's deletion know every kind
without importing the apps that own them.

A kind that belongs to a customer (`customer_field` set) is deleted with its customer in the
same batch, listed under that customer, visible to whoever may see the customer, and comes
back with it. A kind with its own visibility (a lead, a customer) passes `scope`."""

from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Model, Q


@dataclass(frozen=True)
class BinKind:
    key: str
    model: type[Model]
    # The field holding the customer id, or None when the record is not a customer's child.
    customer_field: str | None = "customer"
    # Lower ranks are purged first, so children go before the records they point at.
    purge_rank: int = 50
    # (user) -> Q over the model, for kinds whose visibility is not their customer's.
    scope: Callable | None = None
    # (customer_id) -> None, after anything of that customer came back (e.g. to recompute
    # the customer's time nodes from its activities).
    after_restore: Callable | None = None

    @property
    def label(self):
        return self.model._meta.verbose_name

    def customer_id_of(self, record) -> int | None:
        if self.customer_field is None:
            return record.pk if self.key == "customer" else None
        return getattr(record, f"{self.customer_field}_id")


_KINDS: dict[str, BinKind] = {}


def register(kind: BinKind) -> None:
    _KINDS[kind.key] = kind


def bin_kinds() -> list[BinKind]:
    return list(_KINDS.values())


def bin_kind(key: str) -> BinKind | None:
    return _KINDS.get(key)


def bin_kind_of(record) -> BinKind:
    for kind in _KINDS.values():
        if isinstance(record, kind.model):
            return kind
    raise LookupError(f"{type(record).__name__} is not registered with the recycle bin")


def customer_children() -> list[BinKind]:
    """Kinds deleted and restored together with their customer."""
    return [kind for kind in _KINDS.values() if kind.customer_field]


def nothing(_user) -> Q:
    return Q(pk__in=[])
