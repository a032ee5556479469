"""The Simplified Chinese catalogue is complete, consistent with the code and compiled.

The .po file is parsed here with a small reader of our own (no extra dependency); the gettext
tools (xgettext, msgfmt …) are needed to extract and compile: without them these tests skip,
except in CI, where a missing tool is a failure."""

import gettext
import os
import re
import shutil
import subprocess
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse
from django.utils import translation

import tend
from tend.core.validators import normalize_credit_code, normalize_phone

PACKAGE_DIR = Path(tend.__file__).resolve().parent
MESSAGES_DIR = PACKAGE_DIR / "locale" / "zh_Hans" / "LC_MESSAGES"
PO_FILE = MESSAGES_DIR / "django.po"
MO_FILE = MESSAGES_DIR / "django.mo"
# The options the catalogue is made with: `cd tend && django-admin makemessages -l zh_Hans
# --no-location --ignore "migrations/*"`.
MAKEMESSAGES_OPTIONS = {
    "locale": ["zh_Hans"],
    "no_location": True,
    "ignore_patterns": ["migrations/*"],
}


# --- reading a .po file -------------------------------------------------------------------


@dataclass
class Entry:
    msgid: str = ""
    msgid_plural: str | None = None
    msgctxt: str | None = None
    msgstrs: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    line: int = 0

    @property
    def key(self) -> tuple[str | None, str]:
        return (self.msgctxt, self.msgid)


ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}
KEYWORD = re.compile(r'^(msgctxt|msgid_plural|msgid|msgstr)(?:\[(\d+)\])?\s+(".*")\s*$')


def _unquote(quoted: str) -> str:
    assert quoted.startswith('"') and quoted.endswith('"'), quoted
    return re.sub(r"\\(.)", lambda match: ESCAPES[match.group(1)], quoted[1:-1])


def read_po(path: Path) -> list[Entry]:
    """Every entry of a .po file, the header (msgid "") included; obsolete entries (#~) are
    left out, as msgfmt leaves them out."""
    entries: list[Entry] = []
    entry: Entry | None = None
    target: tuple[str, int | None] | None = None

    def finish():
        if entry is not None and target is not None:
            entries.append(entry)

    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#~"):
            continue
        if line.startswith("#"):
            if target is not None and target[0] == "msgstr":
                finish()
                entry, target = None, None
            entry = entry or Entry(line=number)
            if line.startswith("#,"):
                entry.flags.update(flag.strip() for flag in line[2:].split(",") if flag.strip())
            continue
        match = KEYWORD.match(line)
        if match:
            keyword, index, quoted = match.groups()
            if keyword in ("msgctxt", "msgid") and target is not None and target[0] == "msgstr":
                finish()
                entry = None
            entry = entry or Entry(line=number)
            target = (keyword, int(index) if index is not None else None)
            _append(entry, target, _unquote(quoted))
        elif line.startswith('"') and target is not None:
            _append(entry, target, _unquote(line))
        else:
            raise AssertionError(f"{path}:{number}: cannot read {raw!r}")
    finish()
    return entries


def _append(entry: Entry, target: tuple[str, int | None], text: str) -> None:
    keyword, index = target
    if keyword == "msgstr":
        slot = index or 0
        entry.msgstrs[slot] = entry.msgstrs.get(slot, "") + text
    else:
        setattr(entry, keyword, (getattr(entry, keyword) or "") + text)


def catalogue() -> list[Entry]:
    return [entry for entry in read_po(PO_FILE) if entry.msgid != ""]


def describe(entry: Entry) -> str:
    return f"{PO_FILE.name}:{entry.line} {entry.msgid!r}"


PLACEHOLDER = re.compile(
    r"%\([^)]+\)[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]"  # %(name)s, %(seconds).1f
    r"|%[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]"  # %s, %d
    r"|\{[A-Za-z_]\w*\}|\{\}"  # {name}, {}
    r"|</?[A-Za-z][^>]*>"  # HTML tags
)


def placeholders(text: str) -> Counter:
    return Counter(PLACEHOLDER.findall(text.replace("%%", "")))


def require_tool(name: str) -> None:
    if shutil.which(name) is None:
        message = f"`{name}` is not installed: install GNU gettext (apt-get install gettext)."
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


# --- the reader itself --------------------------------------------------------------------


def test_the_po_reader_reads_flags_plurals_continuations_and_skips_obsolete_entries(tmp_path):
    po = tmp_path / "sample.po"
    po.write_text(
        'msgid ""\nmsgstr ""\n"Language: zh_Hans\\n"\n\n'
        '#, fuzzy, python-format\nmsgid "Hello %(name)s"\nmsgstr "你好"\n\n'
        'msgid ""\n"Long "\n"text with \\"quotes\\""\nmsgstr ""\n"长"\n"文本"\n\n'
        'msgctxt "month"\nmsgid "May"\nmsgid_plural "Mays"\nmsgstr[0] "五月"\n\n'
        '#~ msgid "Gone"\n#~ msgstr "没了"\n',
        encoding="utf-8",
    )
    header, hello, long_text, may = read_po(po)
    assert header.msgid == "" and header.msgstrs == {0: "Language: zh_Hans\n"}
    assert (hello.msgid, hello.msgstrs, hello.flags) == (
        "Hello %(name)s",
        {0: "你好"},
        {"fuzzy", "python-format"},
    )
    assert (long_text.msgid, long_text.msgstrs[0]) == ('Long text with "quotes"', "长文本")
    assert (may.key, may.msgid_plural, may.msgstrs) == (("month", "May"), "Mays", {0: "五月"})


def test_placeholders_are_found_in_every_style():
    assert placeholders("%(count)d of %(total)d, %s and %d in %(seconds).1f s, 100%% {name}") == (
        Counter(["%(count)d", "%(total)d", "%s", "%d", "%(seconds).1f", "{name}"])
    )
    assert placeholders("<strong>%(name)s</strong>") == Counter(
        ["<strong>", "%(name)s", "</strong>"]
    )


# --- the committed catalogue --------------------------------------------------------------


def test_every_entry_is_translated_and_none_is_fuzzy():
    entries = read_po(PO_FILE)
    header = [entry for entry in entries if entry.msgid == ""]
    assert len(header) == 1
    assert "fuzzy" not in header[0].flags
    assert "Plural-Forms: nplurals=1; plural=0;" in header[0].msgstrs[0]
    assert "Content-Type: text/plain; charset=UTF-8" in header[0].msgstrs[0]

    messages = catalogue()
    assert len(messages) > 400
    untranslated = [describe(e) for e in messages if not all(e.msgstrs.values()) or not e.msgstrs]
    fuzzy = [describe(e) for e in messages if "fuzzy" in e.flags]
    assert untranslated == [], f"Untranslated: {untranslated}"
    assert fuzzy == [], f"Fuzzy: {fuzzy}"
    # zh has one plural form: exactly msgstr[0] for each plural entry.
    plural_forms = {describe(e): sorted(e.msgstrs) for e in messages if e.msgid_plural is not None}
    assert plural_forms and set(map(tuple, plural_forms.values())) == {(0,)}


def test_every_msgid_appears_once():
    keys = Counter(entry.key for entry in catalogue())
    assert [key for key, count in keys.items() if count > 1] == []


def test_placeholders_match_between_msgid_and_msgstr():
    mismatches = []
    for entry in catalogue():
        expected = placeholders(entry.msgid)
        if entry.msgid_plural is not None:
            # A placeholder may stand in only one of the English forms (e.g. {{ counter }}).
            expected = expected | placeholders(entry.msgid_plural)
        for index, msgstr in entry.msgstrs.items():
            found = placeholders(msgstr)
            if found != expected:
                mismatches.append(
                    f"{describe(entry)} msgstr[{index}]: {dict(found)} != {dict(expected)}"
                )
    assert mismatches == [], "\n".join(mismatches)


def test_translations_are_chinese_where_the_english_is_words():
    """A msgstr left in English (copied msgid) is not a translation. Names of commands,
    settings and product names may stay as they are."""
    allowed_same = {"Tend", ", "}  # a list separator has no words (it becomes 、)
    copied = [
        describe(e)
        for e in catalogue()
        if e.msgid not in allowed_same and not re.search(r"[\u4e00-\u9fff]", e.msgstrs.get(0, ""))
    ]
    assert copied == []


def test_the_catalogue_holds_every_string_the_code_marks_for_translation(tmp_path, monkeypatch):
    for tool in ("xgettext", "msguniq", "msgmerge"):
        require_tool(tool)
    copy = tmp_path / "tend"
    shutil.copytree(
        PACKAGE_DIR,
        copy,
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "node_modules", "*.po", "*.mo"),
    )
    (copy / "locale").mkdir(exist_ok=True)
    monkeypatch.chdir(copy)
    # LOCALE_PATHS points into the copy, so makemessages never writes the committed catalogue.
    with override_settings(LOCALE_PATHS=[copy / "locale"]):
        call_command("makemessages", verbosity=0, **MAKEMESSAGES_OPTIONS)
    extracted = [
        e for e in read_po(copy / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po") if e.msgid
    ]
    assert len(extracted) > 400  # the extraction itself worked

    committed = {entry.key: entry for entry in catalogue()}
    missing = [entry.msgid for entry in extracted if entry.key not in committed]
    assert missing == [], (
        f"Strings marked for translation are missing from the zh_Hans catalogue: {missing}. "
        "Run `cd tend && DJANGO_SETTINGS_MODULE=tend.config.settings.test ../.venv/bin/python "
        "-m django makemessages -l zh_Hans --no-location --ignore 'migrations/*'`, translate "
        "them and run compilemessages."
    )
    plural_changed = [
        entry.msgid
        for entry in extracted
        if entry.key in committed and committed[entry.key].msgid_plural != entry.msgid_plural
    ]
    assert plural_changed == []


def test_the_compiled_catalogue_is_up_to_date(tmp_path):
    require_tool("msgfmt")
    fresh = tmp_path / "django.mo"
    # The same command Django's compilemessages runs.
    result = subprocess.run(
        ["msgfmt", "--check-format", "-o", str(fresh), str(PO_FILE)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    with fresh.open("rb") as compiled:
        expected = gettext.GNUTranslations(compiled)._catalog
    assert MO_FILE.exists(), "django.mo is missing: run `django-admin compilemessages -l zh_Hans`"
    with MO_FILE.open("rb") as compiled:
        committed = gettext.GNUTranslations(compiled)._catalog
    stale = sorted(str(key) for key in expected.keys() ^ committed.keys())
    stale += sorted(
        str(key) for key in expected.keys() & committed.keys() if expected[key] != committed[key]
    )
    assert stale == [], f"django.mo is older than django.po, run compilemessages: {stale}"
    assert len(committed) == len(catalogue()) + 1  # + the header; one plural form in zh


# --- through Django -----------------------------------------------------------------------


def test_django_serves_the_chinese_catalogue():
    with translation.override("zh-hans"):
        assert translation.gettext("Customers") == "客户"
        assert translation.gettext("Log activity") == "记录跟进"
        assert translation.gettext("Public pool") == "公海"
        assert (
            translation.ngettext("%(shown)s customer", "%(shown)s customers", 3) % {"shown": 3}
            == "3 个客户"
        )
    with translation.override("en"):
        assert translation.gettext("Customers") == "Customers"


def test_validation_messages_are_chinese():
    with translation.override("zh-hans"):
        with pytest.raises(ValidationError) as phone:
            normalize_phone("12345")
        with pytest.raises(ValidationError) as credit_code:
            normalize_credit_code("12345")
        # The messages are lazy: read them while Chinese is active.
        assert phone.value.messages == [
            "请输入有效的电话号码：手机号（如 13812345678）或带区号的座机号（如 010-12345678）。"
        ]
        assert credit_code.value.messages == ["请输入有效的 18 位统一社会信用代码。"]
    with translation.override("en"):
        assert phone.value.messages == [
            "Enter a valid phone number: a mobile number (e.g. 13812345678) or a landline with "
            "its area code (e.g. 010-12345678)."
        ]


def test_the_login_page_is_chinese_for_a_chinese_browser(client, db):
    response = client.get(reverse("web:login"), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 200
    page = response.content.decode()
    assert '<html lang="zh-hans">' in page
    assert "登录" in page
    assert "Sign in" not in page


def test_the_login_page_stays_english_for_an_english_browser(client, db):
    response = client.get(reverse("web:login"), HTTP_ACCEPT_LANGUAGE="en")
    page = response.content.decode()
    assert "Sign in" in page
    assert "登录" not in page
