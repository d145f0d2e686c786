"""Rosters uploaded in the browser wait on disk between the preview and the apply (one host; deleted on apply)."""

from __future__ import annotations

import contextlib
import io
import re
import secrets
import time
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _

from ..auth.roster import ROSTER_MAX_CHARS
from ..errors import Invalid, NotFound

UPLOAD_ID = re.compile(r"(\d{1,12})-([A-Za-z0-9_-]{20,64})")
MAX_AGE_SECONDS = 24 * 3600
# UTF-8 needs at most 4 bytes a character: anything larger is refused before it is written.
MAX_BYTES = 4 * ROSTER_MAX_CHARS


def _directory() -> Path:
    path = Path(current_app.config["ROSTER_UPLOAD_DIR"])
    path.mkdir(parents=True, exist_ok=True)
    return path


def store_upload(owner_id: int, data: bytes) -> str:
    """Keep an uploaded roster for its owner; returns the id the review form carries."""
    if len(data) > MAX_BYTES:
        raise Invalid(_("The roster is larger than %(mb)d MB; split it by agency.", mb=ROSTER_MAX_CHARS // 2**20),
                      field="roster", rule="roster_too_large")
    directory = _directory()
    cutoff = time.time() - MAX_AGE_SECONDS
    for old in directory.glob("*.csv"):  # forgotten previews
        if old.stat().st_mtime < cutoff:
            old.unlink(missing_ok=True)
    upload_id = f"{owner_id}-{secrets.token_urlsafe(24)}"
    (directory / f"{upload_id}.csv").write_bytes(data)
    return upload_id


def _path(owner_id: int, upload_id: str) -> Path:
    match = UPLOAD_ID.fullmatch(upload_id or "")
    path = _directory() / f"{upload_id}.csv"
    # Someone else's upload is as unknown as a missing one.
    if match is None or int(match.group(1)) != owner_id or not path.is_file():
        raise NotFound(_("This upload is no longer available; upload the roster again."), field="roster",
                       rule="upload_not_found")
    return path


def open_upload(owner_id: int, upload_id: str) -> io.StringIO:
    """The uploaded roster as text (a UTF-8 byte order mark removed; other encodings fail on read)."""
    data = _path(owner_id, upload_id).read_bytes()
    try:
        return io.StringIO(data.decode("utf-8-sig"), newline="")
    except UnicodeDecodeError:
        return _Undecodable()


class _Undecodable(io.StringIO):
    """A handle whose read fails as a CP949 file's would, so the roster reports it on line 1."""

    def read(self, *args):
        raise UnicodeDecodeError("utf-8", b"", 0, 1, "not UTF-8")


def discard_upload(owner_id: int, upload_id: str) -> None:
    """Delete an applied upload."""
    with contextlib.suppress(NotFound):
        _path(owner_id, upload_id).unlink(missing_ok=True)
