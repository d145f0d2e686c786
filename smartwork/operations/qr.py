"""Check-in QR codes: one per active space, as inline SVG for a printable A4 sheet."""

from __future__ import annotations

from dataclasses import dataclass

import segno
from flask import url_for
from markupsafe import Markup
from werkzeug.routing import BuildError

from ..centers.models import Center, Space


@dataclass(frozen=True)
class QrLabel:
    """One label of the sheet: the space, its check-in URL and the QR code as SVG markup."""

    space: Space
    url: str
    svg: Markup


def checkin_url(space: Space) -> str:
    """The absolute URL a phone opens to check in to ``space``."""
    try:
        return url_for("bookings.checkin", space_id=space.id, _external=True)
    except BuildError:
        # The bookings pages may not be mounted (a trimmed deployment): same path, built by hand.
        return url_for("home.index", _external=True).rstrip("/") + f"/bookings/checkin/{space.id}"


def qr_svg(data: str, title: str = "") -> Markup:
    """A QR code (error correction M) as an inline <svg> element; segno escapes the title."""
    code = segno.make(data, error="m", micro=False)
    return Markup(code.svg_inline(scale=4, border=2, svgclass="qr-code", lineclass=None, title=title or None))


def qr_sheet(center: Center) -> list[QrLabel]:
    """One label per active space of the center, by kind and code."""
    spaces = sorted((s for s in center.spaces if s.is_active), key=lambda s: (s.kind.value, s.code))
    labels = []
    for space in spaces:
        url = checkin_url(space)
        labels.append(QrLabel(space=space, url=url, svg=qr_svg(url, title=space.code)))
    return labels
