"""What can be imported, and how each kind's rows are checked, matched and written.

Each kind turns a chunk of converted rows into three piles — to create, to update (with the
fields that change), unchanged — plus row errors, and writes the first two in bulk: plain
tuples through `tend.core.bulk`, an audit entry per record written. Rows match existing
records by the key the user chose; a row whose key an earlier row of the same file already
had is an error, so running the same file twice changes nothing."""

from tend.imports.kinds.activities import ActivityImport
from tend.imports.kinds.base import ChunkResult, ImportKind, RowError
from tend.imports.kinds.contacts import ContactImport
from tend.imports.kinds.customers import CustomerImport
from tend.imports.kinds.orders import OrderImport, PaymentImport
from tend.imports.kinds.states import StateImport

KINDS: dict[str, type[ImportKind]] = {
    "customers": CustomerImport,
    "contacts": ContactImport,
    "activities": ActivityImport,
    "orders": OrderImport,
    "payments": PaymentImport,
    "customer_states": StateImport,
}


def import_kind(key: str) -> type[ImportKind] | None:
    return KINDS.get(key)


__all__ = ["KINDS", "ChunkResult", "ImportKind", "RowError", "import_kind"]
