"""Keep the zh-hans catalogue complete.

    python scripts/translations.py todo            # list untranslated and fuzzy msgids (JSON)
    python scripts/translations.py apply FILE...   # fill msgstrs from JSON {msgid: msgstr}

`todo` prints a JSON object ready to be filled in; `apply` writes the translations, clears the
fuzzy flags of the entries it fills and compiles the .mo with msgfmt. Run Django's makemessages first
(see docs/architecture.md, "Translations")."""

import json
import subprocess
import sys
from pathlib import Path

import polib

CATALOGUE = Path(__file__).resolve().parents[1] / "tend/locale/zh_Hans/LC_MESSAGES/django.po"


def todo() -> None:
    catalogue = polib.pofile(str(CATALOGUE))
    missing = {
        (f"{entry.msgctxt}\x04{entry.msgid}" if entry.msgctxt else entry.msgid): ""
        for entry in catalogue
        if not entry.obsolete and (not entry.translated() or "fuzzy" in entry.flags)
    }
    print(json.dumps(missing, ensure_ascii=False, indent=1))


def apply(files: list[str]) -> None:
    translations = {}
    for name in files:
        translations.update(json.loads(Path(name).read_text(encoding="utf-8")))
    catalogue = polib.pofile(str(CATALOGUE))
    filled = 0
    for entry in catalogue:
        # A message with a context is keyed "context\u0004msgid", as gettext keys it.
        key = f"{entry.msgctxt}\x04{entry.msgid}" if entry.msgctxt else entry.msgid
        text = translations.get(key)
        if text:
            if entry.msgid_plural:
                # Chinese has one plural form.
                entry.msgstr_plural = {0: text}
            else:
                entry.msgstr = text
            if "fuzzy" in entry.flags:
                entry.flags.remove("fuzzy")
            entry.previous_msgid = None
            entry.previous_msgid_plural = None
            entry.previous_msgctxt = None
            filled += 1
    catalogue.save(str(CATALOGUE))
    # Re-wrapped by gettext itself, so that makemessages leaves the file as it is.
    subprocess.run(["msgcat", "-o", str(CATALOGUE), str(CATALOGUE)], check=True)
    # msgfmt, as Django's compilemessages runs it, so the .mo matches what the tests expect.
    subprocess.run(["msgfmt", "-o", str(CATALOGUE.with_suffix(".mo")), str(CATALOGUE)], check=True)
    print(f"{filled} entries filled")


if __name__ == "__main__":
    command, *rest = sys.argv[1:] or ["todo"]
    todo() if command == "todo" else apply(rest)
