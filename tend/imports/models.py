"""Import jobs and the column mappings users save."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from tend.core.models import TimestampedModel


class ImportStatus(models.TextChoices):
    # Uploaded; the user has yet to confirm how columns map to fields.
    DRAFT = "draft", _("Waiting for the column mapping")
    PENDING = "pending", _("Waiting to start")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    # Nothing was written: validation found errors, the file could not be read, or the run
    # failed or was interrupted and its one transaction rolled back.
    ROLLED_BACK = "rolled_back", _("Rolled back, nothing written")


class ImportJob(TimestampedModel):
    kind = models.CharField(_("kind"), max_length=32)
    file_name = models.CharField(_("file"), max_length=255)
    # Where the uploaded file is kept (relative to the data directory's imports folder).
    stored_name = models.CharField(max_length=255)
    file_sha256 = models.CharField(max_length=64, db_index=True)
    file_size = models.BigIntegerField(default=0)
    encoding = models.CharField(_("encoding"), max_length=32, blank=True)
    # {column header: field name}; columns mapped to "" are ignored.
    mapping = models.JSONField(default=dict)
    match_key = models.CharField(_("match by"), max_length=32)
    options = models.JSONField(default=dict, blank=True)
    dry_run = models.BooleanField(_("dry run"), default=False)
    status = models.CharField(
        _("status"), max_length=16, choices=ImportStatus.choices, default=ImportStatus.PENDING
    )
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    unchanged_count = models.PositiveIntegerField(default=0)
    error_count = models.PositiveIntegerField(default=0)
    message = models.TextField(blank=True)
    # The first errors, for the page; all of them (up to a cap) are in the XLSX report.
    errors_sample = models.JSONField(default=list, blank=True)
    report_name = models.CharField(max_length=255, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        "accounts.User", on_delete=models.CASCADE, related_name="import_jobs"
    )

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        indexes = [models.Index(fields=["created_by", "-created_at"], name="import_job_user")]

    def __str__(self) -> str:
        return f"{self.kind}: {self.file_name}"

    @property
    def is_finished(self) -> bool:
        return self.status in (ImportStatus.DONE, ImportStatus.ROLLED_BACK)


class ColumnMapping(models.Model):
    """The last mapping a user confirmed for a kind of import, offered again next time."""

    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=32)
    # {normalised header: field name}
    mapping = models.JSONField(default=dict)
    match_key = models.CharField(max_length=32, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="one_mapping_per_user_kind")
        ]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.kind}"
