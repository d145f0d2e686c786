"""Extract messages, update the catalogs and fill Korean strings from i18n-work/*.json.

Usage: python scripts/i18n_sync.py [--check]
The Korean catalog must translate every message; --check only reports what is missing.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "smartwork" / "translations"
POT = TRANSLATIONS / "messages.pot"
BIN = Path(sys.executable).parent


def pybabel(*args: str) -> None:
    subprocess.run([str(BIN / "pybabel"), "-q", *args], check=True, cwd=ROOT)


def load_work() -> dict[str, str]:
    merged: dict[str, str] = {}
    for path in sorted((ROOT / "i18n-work").glob("*.json")):
        merged.update(json.loads(path.read_text(encoding="utf-8")))
    return merged


def main() -> int:
    check = "--check" in sys.argv
    pybabel("extract", "-F", "babel.cfg", "-k", "_l", "-k", "lazy_gettext", "--no-location",
            "--sort-output", "-o", str(POT), ".")
    for locale in ("ko", "en"):
        po = TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po"
        if po.exists():
            pybabel("update", "-i", str(POT), "-d", str(TRANSLATIONS), "-l", locale,
                    "--no-fuzzy-matching", "--ignore-obsolete")
        else:
            pybabel("init", "-i", str(POT), "-d", str(TRANSLATIONS), "-l", locale)
    ko_path = TRANSLATIONS / "ko" / "LC_MESSAGES" / "messages.po"
    with ko_path.open("rb") as handle:
        catalog = read_po(handle, locale="ko")
    work = load_work()
    missing = []
    for message in catalog:
        if not message.id:
            continue
        if isinstance(message.id, tuple):
            key = "|".join(message.id)
            value = work.get(key) or work.get(message.id[0])
            if value and not check:
                message.string = (value,)
            if not (message.string and message.string[0]):
                missing.append(key)
        else:
            value = work.get(message.id)
            if value and not check:
                message.string = value
            if not message.string:
                missing.append(message.id)
    if not check:
        with ko_path.open("wb") as handle:
            write_po(handle, catalog, width=0, sort_output=True)
    for msgid in missing:
        print(f"missing ko: {msgid}")
    print(f"{len(catalog) - 1} messages, {len(missing)} without Korean")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
