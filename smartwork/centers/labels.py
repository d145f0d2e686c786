"""Display labels of the centers' enums (ownership, kind, status, space kind, closure kind, weekday, feature).

Forms, views, templates and services all read them here; services never import forms.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from .models import CenterKind, CenterStatus, ClosureKind, Ownership, SpaceKind

OWNERSHIP_LABELS = {Ownership.PUBLIC: _l("Public"), Ownership.PRIVATE: _l("Private")}
KIND_LABELS = {CenterKind.RESIDENTIAL: _l("Residential"), CenterKind.TRAVEL: _l("Travel hub")}
SPACE_KIND_LABELS = {
    SpaceKind.DESK: _l("Desk"),
    SpaceKind.BOOTH: _l("Booth"),
    SpaceKind.MEETING_ROOM: _l("Meeting room"),
    SpaceKind.VIDEO_ROOM: _l("Video room"),
}
WEEKDAY_LABELS = [_l("Mon"), _l("Tue"), _l("Wed"), _l("Thu"), _l("Fri"), _l("Sat"), _l("Sun")]
# Space features are stored as short keys (seed: "monitor", "dual monitor", ...); spaces,
# hyphens and underscores are equivalent, so "dual monitor" and "dual_monitor" read the same.
FEATURE_LABELS = {
    "monitor": _l("Monitor"),
    "dual_monitor": _l("Dual monitors"),
    "docking": _l("Laptop dock"),
    "window": _l("Window seat"),
    "standing": _l("Standing desk"),
    "display": _l("Large display"),
    "projector": _l("Projector"),
    "whiteboard": _l("Whiteboard"),
    "video": _l("Video conferencing"),
    "video_conferencing": _l("Video conferencing"),
    "phone": _l("Phone"),
    "speakerphone": _l("Speakerphone"),
    "printer": _l("Printer"),
    "locker": _l("Locker"),
    "quiet": _l("Quiet zone"),
    "accessible": _l("Wheelchair accessible"),
}


def feature_label(key: str) -> object:
    """The translated label of a space feature key; unknown keys are shown as stored."""
    normalised = str(key).strip().lower().replace(" ", "_").replace("-", "_")
    return FEATURE_LABELS.get(normalised, key)


STATUS_LABELS = {
    CenterStatus.PLANNED: _l("Planned"),
    CenterStatus.UNDER_CONSTRUCTION: _l("Under construction"),
    CenterStatus.OPEN: _l("Open"),
    CenterStatus.SUSPENDED: _l("Suspended"),
    CenterStatus.CLOSED: _l("Closed"),
}

CLOSURE_KIND_LABELS = {
    ClosureKind.MAINTENANCE: _l("Maintenance"),
    ClosureKind.EVENT: _l("Event"),
    ClosureKind.HOLIDAY: _l("Holiday"),
}
