"""Imports at the real size limit (TEND_IMPORT_MAX_BYTES, 100 MB), with real files of about
100 MB written here: through the import page, the `tend import` command and the readers.

Each file is written fast (one block of rows repeated) and deleted after its test. Uploads
exactly at the limit only go through the upload step, which reads the header and a sample:
running an import of a million rows is not what these tests are about."""

import hashlib
import html
import shutil

import pytest
from django.conf import settings as django_settings
from django.utils import translation

from tend.cli.main import EXIT_USAGE, main
from tend.customers.models import Customer
from tend.imports.actions import upload_import_file
from tend.imports.models import ImportJob, ImportStatus
from tend.imports.readers import CSV_FIELD_LIMIT, MAX_COLUMNS, FileRejected
from tests.factories import make_customer
from tests.web.helpers import signed_in_client

MB = 1024 * 1024
LIMIT = django_settings.TEND_IMPORT_MAX_BYTES
HEADER = "客户名称,手机,省份,地址\n".encode()
TOO_LARGE = {
    "en": "The file is larger than 100 MB: split it into smaller files.",
    "zh-hans": "文件超过 100 MB：请拆分成较小的文件。",
}
HUGE_CELL = {
    "en": (
        "Row %(row)s has a cell of more than 1,000,000 characters, so the file is not a proper "
        "table (is a quotation mark left open?). Correct that row and upload the file again."
    ),
    "zh-hans": (
        "第 %(row)s 行有一个单元格超过 1,000,000 个字符，文件不是规整的表格（是否有引号未闭合？）。"
        "请改正该行后重新上传文件。"
    ),
}
LANGUAGES = ["en", "zh-hans"]


@pytest.fixture(autouse=True)
def data_dir(settings, tmp_path):
    """The data directory and Django's temporary upload files in tmp_path, emptied after the
    test: the files here are 100 MB each."""
    settings.DATA_DIR = tmp_path / "data"
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path / "uploads")
    (tmp_path / "uploads").mkdir()
    yield tmp_path
    for child in tmp_path.iterdir():
        if child.is_dir():
            shutil.rmtree(child)
        else:
            child.unlink()


def stored_files(tmp_path) -> list:
    """Whatever is left in the imports directory and among Django's temporary uploads."""
    folders = [tmp_path / "data" / "imports", tmp_path / "uploads"]
    return [path for folder in folders if folder.exists() for path in folder.iterdir()]


def good_rows(count: int, start: int = 0) -> bytes:
    return "".join(
        f"客户{number:06d},138{number:08d},广东省,深圳市南山区科技园{number}号\n"
        for number in range(start, start + count)
    ).encode()


def write_csv_of_size(path, size: int):
    """A well-formed customers CSV of exactly `size` bytes: the header, one block of rows
    repeated, and a last row of ASCII padding to reach the exact length."""
    block = good_rows(1000)
    repeats, rest = divmod(size - len(HEADER), len(block))
    with open(path, "wb") as out:
        out.write(HEADER)
        for _ in range(repeats):
            out.write(block)
        if rest:
            out.write(b"P" * (rest - 1) + b"\n")
    assert path.stat().st_size == size
    return path


def write_csv_with_huge_cells(path, *, first_huge_row: int, huge_rows: int = 4):
    """A CSV just under the limit that is not a proper table: good rows (one of them with an
    address over two lines, in quotes), then a handful of rows whose name is a quoted cell of
    many megabytes with line breaks in it, as when a quote is left open over pasted text."""
    head = HEADER + good_rows(3) + '客户A,13900000001,浙江省,"杭州市\n西湖区"\n'.encode()
    head += good_rows(first_huge_row - 6, start=10)
    tail = ",13900000002,浙江省,杭州市\n".encode()
    cell_size = (LIMIT - MB - len(head)) // huge_rows - len(tail) - 2
    line = b"x" * 99 + b"\n"
    huge_row = b'"' + line * (cell_size // len(line)) + b'"' + tail
    with open(path, "wb") as out:
        out.write(head)
        for _ in range(huge_rows):
            out.write(huge_row)
    size = path.stat().st_size
    assert LIMIT - 2 * MB < size < LIMIT
    assert len(huge_row) > 20 * CSV_FIELD_LIMIT
    return path


def post_upload(client, path):
    with open(path, "rb") as handle:
        return client.post("/imports/", {"kind": "customers", "file": handle})


def page_text(response) -> str:
    return html.unescape(response.content.decode())


def test_the_limit_is_the_default_100_mb():
    assert LIMIT == 100 * MB
    assert django_settings.TEND_UPLOAD_LIMITS["/imports/"] == LIMIT


# -- the import page ---------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_an_upload_one_byte_over_the_limit_is_refused_and_leaves_nothing(admin, tmp_path, language):
    existing = make_customer(admin, name="已有客户", phone="13700000000")
    path = write_csv_of_size(tmp_path / "customers.csv", LIMIT + 1)
    response = post_upload(signed_in_client(admin, language), path)
    assert response.status_code == 422
    assert TOO_LARGE[language] in page_text(response)
    assert ImportJob.objects.count() == 0
    assert stored_files(tmp_path) == []
    assert list(Customer.objects.values_list("pk", flat=True)) == [existing.pk]


@pytest.mark.parametrize(
    "language,nothing_saved",
    [
        ("en", "Nothing was saved. Go back, make it smaller and try again."),
        ("zh-hans", "没有保存任何内容。请返回，减小内容后重试。"),
    ],
)
def test_an_upload_a_megabyte_over_the_limit_is_refused_before_it_is_read(
    admin, tmp_path, language, nothing_saved
):
    path = write_csv_of_size(tmp_path / "customers.csv", LIMIT + MB)
    response = post_upload(signed_in_client(admin, language), path)
    assert response.status_code == 413
    text = page_text(response)
    # The same words as the upload's own byte count, not the generic "request body" ones.
    assert TOO_LARGE[language] in text
    assert nothing_saved in text
    assert ImportJob.objects.count() == 0
    assert stored_files(tmp_path) == []
    assert Customer.objects.count() == 0


def test_an_upload_exactly_at_the_limit_passes_the_size_check(admin, tmp_path):
    path = write_csv_of_size(tmp_path / "customers.csv", LIMIT)
    response = post_upload(signed_in_client(admin), path)
    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/imports/{job.pk}/"
    assert (job.status, job.file_size, job.encoding) == (ImportStatus.DRAFT, LIMIT, "utf-8")
    stored = tmp_path / "data" / "imports" / job.stored_name
    assert stored.stat().st_size == LIMIT
    assert job.file_sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert job.options["headers"] == ["客户名称", "手机", "省份", "地址"]
    assert job.options["sample"][0] == [
        "客户000000",
        "13800000000",
        "广东省",
        "深圳市南山区科技园0号",
    ]
    assert job.mapping == {
        "客户名称": "name",
        "手机": "phone",
        "省份": "province",
        "地址": "address",
    }
    assert Customer.objects.count() == 0


# -- the command line --------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_cli_refuses_a_file_over_the_limit_and_writes_nothing(
    admin, tmp_path, monkeypatch, capsys, language
):
    monkeypatch.setenv("TEND_LANGUAGE", language)
    existing = make_customer(admin, name="已有客户", phone="13700000000")
    path = write_csv_of_size(tmp_path / "customers.csv", LIMIT + 1)
    code = main(["import", "customers", str(path), "--as", "admin"])
    out = capsys.readouterr()
    assert code == EXIT_USAGE
    assert out.err.strip() == TOO_LARGE[language]
    assert out.out == ""
    assert ImportJob.objects.count() == 0
    assert stored_files(tmp_path) == []
    assert list(Customer.objects.values_list("pk", flat=True)) == [existing.pk]


def test_the_cli_reports_the_row_of_a_huge_cell_and_writes_nothing(
    admin, tmp_path, monkeypatch, capsys
):
    monkeypatch.setenv("TEND_LANGUAGE", "en")
    path = write_csv_with_huge_cells(tmp_path / "customers.csv", first_huge_row=13)
    code = main(["import", "customers", str(path), "--as", "admin"])
    out = capsys.readouterr()
    assert code == 1
    assert HUGE_CELL["en"] % {"row": 13} in out.out
    assert "Nothing written" in out.out
    assert "Traceback" not in out.err
    job = ImportJob.objects.get()
    assert (job.status, job.message) == (ImportStatus.ROLLED_BACK, HUGE_CELL["en"] % {"row": 13})
    assert Customer.objects.count() == 0


# -- files that are not tables -----------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_huge_cell_among_the_first_rows_refuses_the_upload_naming_the_row(
    admin, tmp_path, language
):
    path = write_csv_with_huge_cells(tmp_path / "customers.csv", first_huge_row=6)
    response = post_upload(signed_in_client(admin, language), path)
    assert response.status_code == 422
    assert HUGE_CELL[language] % {"row": 6} in page_text(response)
    assert ImportJob.objects.count() == 0
    assert stored_files(tmp_path) == []
    assert Customer.objects.count() == 0


@pytest.mark.parametrize("language", LANGUAGES)
def test_huge_cells_further_down_roll_the_run_back_naming_the_row(
    admin, tmp_path, language, django_capture_on_commit_callbacks
):
    # The run happens on the worker, in the language the user chose in their account.
    admin.language = language
    admin.save(update_fields=["language"])
    existing = make_customer(admin, name="已有客户", phone="13700000000")
    client = signed_in_client(admin, language=None)
    path = write_csv_with_huge_cells(tmp_path / "customers.csv", first_huge_row=13)
    response = post_upload(client, path)
    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert job.options["sample"][3] == ["客户A", "13900000001", "浙江省", "杭州市\n西湖区"]
    form = {
        "column-0": "name",
        "column-1": "phone",
        "column-2": "province",
        "column-3": "address",
        "match_key": "phone",
        "action": "import",
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/imports/{job.pk}/", form)
    assert response.status_code == 302
    job.refresh_from_db()
    message = HUGE_CELL[language] % {"row": 13}
    assert (job.status, job.message, job.created_count) == (ImportStatus.ROLLED_BACK, message, 0)
    assert message in page_text(client.get(f"/imports/{job.pk}/"))
    assert list(Customer.objects.values_list("pk", flat=True)) == [existing.pk]


@pytest.mark.parametrize("language", LANGUAGES)
def test_text_without_line_breaks_is_refused_by_its_number_of_columns(admin, tmp_path, language):
    """99 MB on one line: the header would have 50 million columns."""
    path = tmp_path / "customers.csv"
    path.write_bytes("客户名称,手机,".encode() + b"a," * (99 * MB // 2) + b"\n")
    with translation.override(language), pytest.raises(FileRejected) as caught:
        upload_import_file(actor=admin, kind="customers", source=path, file_name=path.name)
    columns = 99 * MB // 2 + 3
    expected = {
        "en": f"Row 1 has {columns} columns; a table can have at most {MAX_COLUMNS}.",
        "zh-hans": f"第 1 行有 {columns} 列，表格最多只能有 {MAX_COLUMNS} 列。",
    }
    assert str(caught.value.message).startswith(expected[language])
    assert ImportJob.objects.count() == 0
    assert stored_files(tmp_path) == []


def test_a_row_of_millions_of_cells_is_refused_naming_the_row(admin, tmp_path):
    path = tmp_path / "customers.csv"
    path.write_bytes(HEADER + good_rows(2) + b"a," * (99 * MB // 2) + b"\n" + good_rows(2))
    with pytest.raises(FileRejected) as caught:
        upload_import_file(actor=admin, kind="customers", source=path, file_name=path.name)
    assert str(caught.value.message).startswith(f"Row 4 has {99 * MB // 2 + 1} columns")
    assert ImportJob.objects.count() == 0
    assert stored_files(tmp_path) == []
