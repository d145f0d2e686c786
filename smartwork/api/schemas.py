"""The API's shared fields and schemas: instants in Korea time, days, clock times, ids, problems, pages,
and the small output schemas several domains nest (a region, a center, a space).

Endpoint modules import shared schemas from here, never from each other.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, date, datetime, time
from typing import Any

import marshmallow as ma

from ..centers.models import SpaceKind
from ..timeutils import SEOUL

MAX_PER_PAGE = 100
# The oldest and newest instants the API accepts; far-off years only produce overflow, not bookings.
FIRST_YEAR, LAST_YEAR = 2000, 2100
INT32_MAX = 2**31 - 1


def _check_year(value: date) -> None:
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise ma.ValidationError(f"Must be between the years {FIRST_YEAR} and {LAST_YEAR}.")


class Instant(ma.fields.AwareDateTime):
    """An instant: read with any offset (naive refused), stored in UTC, written in Korea time."""

    def _deserialize(self, value, attr, data, **kwargs) -> datetime:
        result = super()._deserialize(value, attr, data, **kwargs)
        _check_year(result)
        try:
            return result.astimezone(UTC)
        except OverflowError as error:
            raise ma.ValidationError("Out of range.") from error

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        return super()._serialize(value.astimezone(SEOUL), attr, obj, **kwargs)


class Day(ma.fields.Date):
    """A calendar day (YYYY-MM-DD) within the years the API accepts."""

    def _deserialize(self, value, attr, data, **kwargs) -> date:
        result = super()._deserialize(value, attr, data, **kwargs)
        _check_year(result)
        return result


CLOCK_PATTERN = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"


class Clock(ma.fields.Field):
    """A wall-clock time HH:MM in Korea time."""

    def __init__(self, **kwargs):
        metadata = {"type": "string", "pattern": CLOCK_PATTERN, "example": "09:00", **kwargs.pop("metadata", {})}
        super().__init__(metadata=metadata, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str) or not re.match(CLOCK_PATTERN, value):
            raise ma.ValidationError("Not a valid time; use HH:MM.")
        return time(int(value[:2]), int(value[3:]))

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else value.strftime("%H:%M")


def Id(**kwargs) -> ma.fields.Integer:  # noqa: N802  (a field factory reads like a field class)
    """A positive database id (int32, so PostgreSQL never overflows)."""
    return ma.fields.Integer(strict=True, validate=ma.validate.Range(min=1, max=INT32_MAX), **kwargs)


class Input(ma.Schema):
    """Base of request schemas: unknown fields are refused, so nothing is mass-assigned."""

    class Meta:
        unknown = ma.RAISE


class Output(ma.Schema):
    """Base of response schemas."""

    class Meta:
        ordered = True


class ProblemSchema(Output):
    """An RFC 9457 problem document with the rule that refused and the field it concerns."""

    type = ma.fields.String(required=True)
    title = ma.fields.String(required=True)
    status = ma.fields.Integer(required=True)
    detail = ma.fields.String(required=True)
    rule = ma.fields.String(required=True, metadata={"description": "The rule that refused, as a slug."})
    field = ma.fields.String(metadata={"description": "The input field the problem concerns."})
    allowed = ma.fields.Raw(allow_none=True, metadata={"description": "What would have been accepted."})
    errors = ma.fields.Dict(metadata={"description": "Every invalid input field and its messages."})


class PageArgs(Input):
    """Page through a list."""

    page = ma.fields.Integer(load_default=1, validate=ma.validate.Range(min=1, max=10_000))
    per_page = ma.fields.Integer(load_default=20, validate=ma.validate.Range(min=1, max=MAX_PER_PAGE))


class PageMeta(Output):
    """The page fields every list response carries."""

    page = ma.fields.Integer(required=True)
    per_page = ma.fields.Integer(required=True)
    next_page = ma.fields.Integer(required=True, allow_none=True)


# --- shared output schemas (nested by several domains) -------------------------------------------


class RegionOut(Output):
    """A 시군구 (municipality) and its 시도."""

    code = ma.fields.String(required=True)
    name_ko = ma.fields.String(required=True)
    name_en = ma.fields.String(required=True)
    sido_code = ma.fields.String(required=True)
    sido_name_ko = ma.fields.String(required=True)
    sido_name_en = ma.fields.String(required=True)


class SpaceOut(Output):
    """A bookable space of a center."""

    id = ma.fields.Integer(required=True)
    code = ma.fields.String(required=True)
    kind = ma.fields.Enum(SpaceKind, by_value=True, required=True)
    capacity = ma.fields.Integer(required=True)
    features = ma.fields.List(ma.fields.String(), required=True)
    is_active = ma.fields.Boolean(required=True)


class CenterBrief(Output):
    """A center's code and names (where a booking or report belongs)."""

    id = ma.fields.Integer(required=True)
    code = ma.fields.String(required=True)
    name_ko = ma.fields.String(required=True)
    name_en = ma.fields.String(required=True)


class SpaceBrief(Output):
    """A space's id, code and kind (inside a booking)."""

    id = ma.fields.Integer(required=True)
    code = ma.fields.String(required=True)
    kind = ma.fields.Enum(SpaceKind, by_value=True, required=True)


_PAGE_SCHEMAS: dict[str, type[ma.Schema]] = {}


def page_of(item_schema: type[ma.Schema], name: str, **extra_fields) -> type[ma.Schema]:
    """A list-response schema: ``items`` of ``item_schema`` plus the page fields."""
    if name not in _PAGE_SCHEMAS:
        attrs = {"items": ma.fields.List(ma.fields.Nested(item_schema), required=True), **extra_fields}
        _PAGE_SCHEMAS[name] = type(name, (PageMeta,), attrs)
    return _PAGE_SCHEMAS[name]


def paginate(items: Sequence, page: int, per_page: int, has_more: bool | None = None) -> dict[str, Any]:
    """Slice ``items`` to one page (or take them as the page when ``has_more`` is given)."""
    if has_more is None:
        start = (page - 1) * per_page
        chunk, has_more = list(items[start:start + per_page]), len(items) > start + per_page
    else:
        chunk = list(items)
    return {"items": chunk, "page": page, "per_page": per_page, "next_page": page + 1 if has_more else None}
