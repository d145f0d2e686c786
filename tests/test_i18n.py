"""Korean first: every translatable string in the code has a Korean translation."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
KO_PO = ROOT / "smartwork" / "translations" / "ko" / "LC_MESSAGES" / "messages.po"
METHOD_MAP = [("smartwork/**.py", "python"), ("smartwork/templates/**.html", "jinja2")]
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None}


def source_messages() -> set[str]:
    found = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
        str(ROOT), METHOD_MAP, keywords=KEYWORDS
    ):
        found.add(message[0] if isinstance(message, tuple) else message)
    return found


def test_korean_catalog_translates_every_message():
    with KO_PO.open("rb") as handle:
        catalog = read_po(handle, locale="ko")
    translated = {
        (m.id[0] if isinstance(m.id, tuple) else m.id)
        for m in catalog
        if m.id and (m.string[0] if isinstance(m.string, tuple) else m.string)
    }
    missing = sorted(source_messages() - translated)
    assert not missing, (
        f"{len(missing)} strings lack Korean (run `.venv/bin/python scripts/i18n_sync.py`): {missing[:20]}"
    )


def test_korean_is_the_default_language(client):
    response = client.get("/auth/login")
    assert '<html lang="ko">' in response.text
    assert "로그인" in response.text


def test_placeholders_survive_translation():
    with KO_PO.open("rb") as handle:
        catalog = read_po(handle, locale="ko")
    import re

    placeholder = re.compile(r"%\((\w+)\)[sd]")
    for message in catalog:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if len(ids) == 1:
            for string in strings:
                if string:
                    assert set(placeholder.findall(string)) == set(placeholder.findall(ids[0])), message.id
        else:  # plural: Korean has one form, which may use the count even where English's singular does not
            wanted = set().union(*(placeholder.findall(msgid) for msgid in ids))
            for string in strings:
                assert set(placeholder.findall(string)) <= wanted, message.id
