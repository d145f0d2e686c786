"""The password policy: long enough, not a common password, not the person's own identifiers.

Length beats composition rules (NIST SP 800-63B): at least ``PASSWORD_MIN_LENGTH`` characters
(12 by default), checked against the 20,000 most common passwords shipped in
``smartwork/data/common-passwords.txt`` (Django's list, BSD licence; see data/LICENSES.md).
A common password with digits or symbols tacked on ("iloveyou2024!!") is refused as well.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _

from ..errors import Invalid

COMMON_PASSWORDS_FILE = Path(__file__).resolve().parent.parent / "data" / "common-passwords.txt"
DEFAULT_MIN_LENGTH = 12
MAX_LENGTH = 200
_TRAILING_NOISE = re.compile(r"[\d\W_]+$")
_LEADING_NOISE = re.compile(r"^[\d\W_]+")


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """The shipped list, lowercased (read once per process)."""
    with COMMON_PASSWORDS_FILE.open(encoding="utf-8") as handle:
        return frozenset(line.strip().lower() for line in handle if line.strip())


def is_common(password: str) -> bool:
    """True for a listed password, or a listed one (4+ characters) padded with digits or symbols."""
    listed = common_passwords()
    lowered = password.lower()
    if lowered in listed:
        return True
    core = _LEADING_NOISE.sub("", _TRAILING_NOISE.sub("", lowered))
    # A core of only digits/symbols ("123456789012") is empty here; the full string was checked above.
    return (len(core) >= 4 and core in listed) or len(set(lowered)) <= 2


def min_length() -> int:
    """The configured minimum length (never below 12)."""
    return max(DEFAULT_MIN_LENGTH, int(current_app.config.get("PASSWORD_MIN_LENGTH", DEFAULT_MIN_LENGTH)))


def validate_password(password: str, *, field: str = "new_password", identifiers: tuple[str, ...] = ()) -> None:
    """Raise ``Invalid`` (on ``field``) unless ``password`` meets the policy."""
    minimum = min_length()
    if len(password) < minimum or len(password) > MAX_LENGTH:
        raise Invalid(_("Use at least %(min)d characters (a short sentence is easy to remember).", min=minimum),
                      field=field, rule="weak_password")
    if is_common(password):
        raise Invalid(_("This password is one of the most common ones; choose another."),
                      field=field, rule="common_password")
    lowered = password.lower()
    for identifier in identifiers:
        # The e-mail's local part or the employee number is the first thing an attacker tries.
        base = (identifier or "").split("@")[0].lower()
        if len(base) >= 4 and base in lowered:
            raise Invalid(_("The password must not contain your e-mail address or employee number."),
                          field=field, rule="personal_password")
