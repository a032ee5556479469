"""Shared model parts: timestamps and soft delete with a deletion batch, so that a record
deleted together with its parent comes back together with it."""

from django.conf import settings
from django.db import models
from django.db.models import F
from django.db.models.expressions import OrderBy
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class TimestampedModel(models.Model):
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True


class SoftDeletableModel(TimestampedModel):
    deleted_at = models.DateTimeField(_("deleted at"), null=True, blank=True, editable=False)
    deleted_by = models.ForeignKey(
        "accounts.User",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    # Every record deleted by one user action shares one batch id; restore brings the batch back.
    deletion_batch = models.UUIDField(null=True, blank=True, editable=False, db_index=True)

    class Meta:
        abstract = True

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


def in_language(record, name: str, language: str | None = None) -> str:
    """The zh or en variant of a bilingual field, falling back to the other when empty."""
    language = language or get_language() or "zh-hans"
    first, second = ("zh", "en") if language.startswith("zh") else ("en", "zh")
    return getattr(record, f"{name}_{first}") or getattr(record, f"{name}_{second}")


class Guided(models.Model):
    """A step of a journey a person is guided through — a deal's stage, a customer's state:
    a label and guidance (definition, goal, methods, tools) in Chinese and English."""

    label_zh = models.CharField(_("label (Chinese)"), max_length=100)
    label_en = models.CharField(_("label (English)"), max_length=100, blank=True)
    definition_zh = models.TextField(_("definition (Chinese)"), blank=True)
    definition_en = models.TextField(_("definition (English)"), blank=True)
    goal_zh = models.TextField(_("goal (Chinese)"), blank=True)
    goal_en = models.TextField(_("goal (English)"), blank=True)
    methods_zh = models.TextField(_("methods (Chinese)"), blank=True)
    methods_en = models.TextField(_("methods (English)"), blank=True)
    tools_zh = models.TextField(_("tools (Chinese)"), blank=True)
    tools_en = models.TextField(_("tools (English)"), blank=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return in_language(self, "label")

    def guidance(self, language: str | None = None) -> dict:
        return {
            name: in_language(self, name, language)
            for name in ("definition", "goal", "methods", "tools")
        }


class CustomerScopedTotal(models.Model):
    """A row of totals kept by the database (tend.core.summaries), keyed among others by the
    customer's owner and team — the keys of the visibility rule — so that
    `customer_scope(user)` filters it as it filters customers."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    team = models.ForeignKey(
        "accounts.Team",
        null=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )

    class Meta:
        abstract = True


class NullsLastIndex(models.Index):
    """An index that serves `ORDER BY field DESC NULLS LAST` (how lists sort nullable dates).

    PostgreSQL needs NULLS LAST declared in the index to use it for that order; SQLite cannot
    declare it, and needs no declaration: it sorts nulls last on DESC by itself."""

    def create_sql(self, model, schema_editor, using="", **kwargs):
        if schema_editor.connection.vendor == "postgresql":
            return super().create_sql(model, schema_editor, using=using, **kwargs)
        plain = self.clone()
        plain.expressions = tuple(
            OrderBy(expression.expression, descending=expression.descending)
            if isinstance(expression, OrderBy)
            else expression
            for expression in self.expressions
        )
        return models.Index.create_sql(plain, model, schema_editor, using=using, **kwargs)


def sort_index(
    *leading: str, sort: str, name: str, nullable: bool = False, condition=None
) -> models.Index:
    """An index for lists filtered by `leading` columns and sorted by `sort` (e.g.
    "-last_contact_at"), ties broken by id in the same direction, exactly as
    `tend.core.pagination.keyset_page` orders: a nullable column with its nulls last."""
    descending = sort.startswith("-")
    field = sort.lstrip("-")
    expressions = [
        *(F(column) for column in leading),
        OrderBy(F(field), descending=descending, nulls_last=True if nullable else None),
        OrderBy(F("id"), descending=descending),
    ]
    index_class = NullsLastIndex if nullable else models.Index
    return index_class(*expressions, name=name, condition=condition)
