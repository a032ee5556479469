"""`field__in_list=values`: membership in a long list of values, for bulk readers (imports).

Django's `__in` writes one placeholder per value. On PostgreSQL that makes every query text
different and long, so psycopg parses each one afresh instead of from its cache (measured: a
tenth of a 100,000-row import went to splitting such queries), and the server plans a list of
hundreds of constants. Here PostgreSQL gets `= ANY(%s)` with one array parameter; SQLite keeps
a plain IN, which it runs as well as anything."""

from django.core.exceptions import EmptyResultSet
from django.db.models import Field, ForeignObject, Lookup


class InList(Lookup):
    lookup_name = "in_list"
    prepare_rhs = False

    def get_prep_lookup(self):
        field = self.lhs.output_field
        return [field.get_prep_value(value) for value in self.rhs]

    def as_sql(self, compiler, connection):
        values = [self.lhs.output_field.get_db_prep_value(v, connection) for v in self.rhs]
        if not values:
            raise EmptyResultSet
        lhs, lhs_params = self.process_lhs(compiler, connection)
        if connection.vendor == "postgresql":
            return f"{lhs} = ANY(%s)", (*lhs_params, values)
        return f"{lhs} IN ({', '.join(['%s'] * len(values))})", (*lhs_params, *values)


# Related fields keep lookups of their own, so they are told too (customer_id__in_list=…).
Field.register_lookup(InList)
ForeignObject.register_lookup(InList)


def in_list_sql(column: str, values: list, vendor: str) -> tuple[str, list]:
    """The same test for hand-written SQL: (condition, parameters) for an already quoted
    column."""
    if vendor == "postgresql":
        return f"{column} = ANY(%s)", [list(values)]
    return f"{column} IN ({', '.join(['%s'] * len(values))})", list(values)
