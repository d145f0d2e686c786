"""How the matrix calls each endpoint: URL values, query strings, bodies and the order of requests."""

from __future__ import annotations

from datetime import timedelta

from smartwork.timeutils import local_today

ROLES = ("anonymous", "employee", "other", "manager", "other_manager", "planner", "admin")

# Requests that change what later requests see run after the others, in this order.
LATE = (
    "POST planning.delete_target",
    "POST bookings.calendar_token",
    "POST bookings.calendar_revoke",
    "POST api.token_revoke",
)
# They end the signed-in session: last of all.
SIGNS_OUT = ("POST operations.kiosk_start", "POST auth.logout")


def url_values(world) -> dict[str, object]:
    """Values for every URL variable the app's rules use; objects belong to ``world.employee``."""
    return {
        "code": world.center.code,
        "booking_id": world.booking.id,
        "space_id": world.desk.id,
        "series_id": world.series.id,
        "entry_id": world.waitlist_entry.id,
        "token_id": world.api_token.id,
        "token": world.feed_token,
        "closure_id": world.closure.id,
        "target_id": world.target.id,
        "agency_code": world.employee.agency.code,
        "user_id": world.employee.id,
        "employee_number": world.employee.employee_number,
        "operator_code": world.center.operator.code,
        "contract_id": _contract_id(world),
        "name": "complete_ended",
        "key": "rollout",
        "fmt": "csv",
        "filename": "css/app.css",
        "provider": "gov-sso",
        "identity_id": 1,
        "message_id": 999_999,  # no such outbox message: the admin's retry answers 404
    }


def _contract_id(world) -> int:
    """A contract of the employee's agency with the center's operator (made once per world)."""
    from sqlalchemy import select

    from smartwork.centers.models import Contract
    from smartwork.extensions import db
    from tests import factories as f

    existing = db.session.scalar(select(Contract.id).where(Contract.agency_id == world.employee.agency_id))
    if existing is None:
        existing = f.contract(world.employee.agency, world.center.operator).id
        db.session.commit()
    return existing


def query_string(key: str) -> dict[str, str]:
    """Query arguments for GET endpoints that need some to answer 200."""
    day = (local_today() + timedelta(days=2)).isoformat()
    return {
        "GET api_centers.search": {"region": "11140", "date": day, "start": "09:00", "end": "10:00"},
        "GET api_centers.availability": {"date": day},
    }.get(key, {})


def ordered(keys) -> list[str]:
    """Reads and harmless writes first, then state-changing ones, then those that sign out."""
    def rank(key: str) -> tuple:
        if key in SIGNS_OUT:
            return (3, SIGNS_OUT.index(key))
        if key in LATE:
            return (2, LATE.index(key))
        return (0 if key.startswith("GET ") else 1, key)

    return sorted(keys, key=rank)
