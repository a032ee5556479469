"""The victim's import job, which another rep must not reach."""

from django.core.files.uploadedfile import SimpleUploadedFile

from tend.imports.actions import upload_import_file
from tend.imports.models import ImportJob

WEB_RECORDS = {"imports/": "import_job"}
SECRETS = ["秘密导入.csv"]


def build(victim, org, admin):
    victim.import_job = upload_import_file(
        actor=victim.owner,
        kind="customers",
        source=SimpleUploadedFile("x", "客户名称\n秘密客户\n".encode()).file,
        file_name="秘密导入.csv",
    )


def state(victim):
    return tuple(ImportJob.objects.filter(pk=victim.import_job.pk).values_list("status", "mapping"))
