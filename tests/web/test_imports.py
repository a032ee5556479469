"""The import page (upload, mapping, dry run, import, progress, error report) and list
exports."""

import csv
import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tend.customers.models import Customer
from tend.imports.models import ImportJob, ImportStatus
from tests.factories import make_customer


@pytest.fixture(autouse=True)
def data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path


@pytest.fixture(autouse=True)
def english(settings):
    # The pages' texts are asserted in English; the site's default language is Chinese.
    settings.LANGUAGE_CODE = "en"


def upload(client, content: bytes, name="customers.csv", kind="customers"):
    return client.post(
        "/imports/", {"kind": kind, "file": SimpleUploadedFile(name, content)}, follow=False
    )


CSV = "客户名称,手机,省份\n华为技术,13812345678,广东省\n腾讯科技,13912345678,广东省\n".encode()


@pytest.mark.django_db
def test_upload_shows_the_guessed_mapping_with_examples(client, admin):
    client.force_login(admin)
    response = upload(client, CSV)
    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/imports/{job.pk}/"
    assert job.status == ImportStatus.DRAFT
    page = client.get(response["Location"]).content.decode()
    assert 'name="column-0"' in page
    assert '<option value="name" selected>' in page
    assert '<option value="phone" selected>' in page
    assert "华为技术" in page  # an example value beside its column


@pytest.mark.django_db
def test_dry_run_then_import_for_real(client, admin, django_capture_on_commit_callbacks):
    client.force_login(admin)
    upload(client, CSV)
    job = ImportJob.objects.get()
    form = {"column-0": "name", "column-1": "phone", "column-2": "province", "match_key": "phone"}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/imports/{job.pk}/", {**form, "action": "dry_run"})
    assert response.status_code == 302
    job.refresh_from_db()
    assert (job.status, job.dry_run, job.created_count) == (ImportStatus.DONE, True, 2)
    assert Customer.objects.count() == 0
    page = client.get(f"/imports/{job.pk}/").content.decode()
    assert "Import for real" in page
    assert "hx-trigger" not in page  # finished: the page stops polling

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/imports/{job.pk}/again/")
    real = ImportJob.objects.exclude(pk=job.pk).get()
    assert response["Location"] == f"/imports/{real.pk}/"
    assert (real.status, real.dry_run, real.created_count) == (ImportStatus.DONE, False, 2)
    assert Customer.objects.count() == 2


@pytest.mark.django_db
def test_a_mapping_without_a_required_field_is_refused_on_the_page(client, admin):
    client.force_login(admin)
    upload(client, CSV)
    job = ImportJob.objects.get()
    response = client.post(
        f"/imports/{job.pk}/",
        {"column-0": "", "column-1": "phone", "column-2": "", "match_key": "phone"},
    )
    assert response.status_code == 422
    assert "Required fields have no column" in response.content.decode()
    job.refresh_from_db()
    assert job.status == ImportStatus.DRAFT


@pytest.mark.django_db
def test_errors_are_listed_and_the_report_downloads(
    client, admin, django_capture_on_commit_callbacks
):
    client.force_login(admin)
    upload(client, "客户名称,手机\n华为,123\n".encode())
    job = ImportJob.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            f"/imports/{job.pk}/",
            {"column-0": "name", "column-1": "phone", "match_key": "phone", "action": "import"},
        )
    job.refresh_from_db()
    assert job.status == ImportStatus.ROLLED_BACK
    progress = client.get(f"/imports/{job.pk}/progress/", HTTP_HX_REQUEST="true")
    assert '<td data-label="Value">123</td>' in progress.content.decode()
    report = client.get(f"/imports/{job.pk}/report/")
    assert report.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(report.streaming_content))).active
    assert list(sheet.iter_rows(values_only=True))[1][:3] == (2, "phone", "123")


@pytest.mark.django_db
def test_an_unreadable_file_is_refused_with_a_message(client, admin):
    client.force_login(admin)
    response = upload(client, b"PK\x03\x04broken", name="c.xlsx")
    assert response.status_code == 422
    assert "damaged" in response.content.decode()
    assert ImportJob.objects.count() == 0


@pytest.mark.django_db
def test_another_users_import_is_not_found(client, org):
    client.force_login(org.rep)
    upload(client, CSV)
    job = ImportJob.objects.get()
    client.force_login(org.other_rep)
    assert client.get(f"/imports/{job.pk}/").status_code == 404
    assert "customers.csv" not in client.get("/imports/").content.decode()


@pytest.mark.django_db
def test_export_holds_only_visible_customers_and_neutralises_formulas(client, org):
    make_customer(org.rep, name="=SUM(A1:A2)", phone="13812345678")
    make_customer(org.other_rep, name="别人的客户")
    client.force_login(org.rep)
    response = client.get("/customers/export/", {"format": "csv"})
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    names = [row[1] for row in rows[1:]]
    assert names == ["'=SUM(A1:A2)"]
    xlsx = client.get("/customers/export/", {"format": "xlsx", "q": "SUM"})
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(xlsx.streaming_content))).active
    assert [row[1] for row in sheet.iter_rows(min_row=2, values_only=True)] == ["'=SUM(A1:A2)"]


@pytest.mark.django_db
def test_export_follows_the_lists_filters(client, admin):
    make_customer(admin, name="广东客户", province="广东省")
    make_customer(admin, name="浙江客户", province="浙江省")
    client.force_login(admin)
    response = client.get("/customers/export/", {"format": "csv", "province": "浙江省"})
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert "浙江客户" in text and "广东客户" not in text
