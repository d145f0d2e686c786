"""A booking's status changes only in smartwork/bookings/ (DESIGN §4): an AST scan of the package."""

from __future__ import annotations

import ast
from pathlib import Path

import smartwork

PACKAGE = Path(smartwork.__file__).parent
OWNER = PACKAGE / "bookings"


def _mentions(node: ast.AST, names: set[str]) -> bool:
    return any(
        (isinstance(n, ast.Name) and n.id in names) or (isinstance(n, ast.Attribute) and n.attr in names)
        for n in ast.walk(node)
    )


def _chain_updates_booking(call: ast.Call) -> bool:
    """True if the call chain holds ``update(Booking)`` (``update(Booking).where(…).values(…)``)."""
    return any(
        isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "update"
        and any(_mentions(arg, {"Booking"}) for arg in n.args)
        for n in ast.walk(call.func)
    )


def status_writes(source: str) -> list[int]:
    """Lines that write a booking's status: ``x.status = BookingStatus…`` / ``booking.status = …``,
    ``setattr(x, "status", BookingStatus…)``, or ``update(Booking)….values(status=…)``."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Attribute) and target.attr == "status" and (
                    _mentions(node.value, {"BookingStatus"})
                    or "booking" in ast.unparse(target.value).lower()
                ):
                    lines.append(node.lineno)
        elif isinstance(node, ast.Call):
            func = node.func
            sets_status = (
                isinstance(func, ast.Name) and func.id == "setattr" and len(node.args) == 3
                and isinstance(node.args[1], ast.Constant) and node.args[1].value == "status"
                and _mentions(node.args[2], {"BookingStatus"})
            )
            updates_status = (
                isinstance(func, ast.Attribute) and func.attr == "values" and _chain_updates_booking(node)
                and any(k.arg == "status" or k.arg is None for k in node.keywords)
            )
            if sets_status or updates_status:
                lines.append(node.lineno)
    return sorted(lines)


def test_the_scanner_sees_every_way_of_writing_the_status():
    old_code = (
        "booking.status = BookingStatus.CANCELLED\n"
        "row.status = BookingStatus.RELEASED\n"
        "db.session.execute(update(Booking).where(Booking.id == 1).values(status=BookingStatus.CANCELLED))\n"
        "db.session.execute(update(Booking).values(**values))\n"
        "setattr(b, 'status', BookingStatus.CHECKED_IN)\n"
    )
    assert status_writes(old_code) == [1, 2, 3, 4, 5]
    others = (
        "center.status = CenterStatus.OPEN\n"
        "entry.status = WaitlistStatus.CANCELLED\n"
        "update(Center).values(status=CenterStatus.OPEN)\n"
        "status = 200\n"
    )
    assert status_writes(others) == []


def test_nothing_outside_bookings_writes_a_booking_status():
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if OWNER in path.parents:
            continue
        offenders += [f"{path.relative_to(PACKAGE)}:{line}" for line in status_writes(path.read_text())]
    assert offenders == []


def test_inside_bookings_only_transitions_writes_it():
    # Every change goes through one function each in bookings/transitions.py.
    writers = {
        path.name for path in OWNER.rglob("*.py") if path.name != "transitions.py" and status_writes(path.read_text())
    }
    assert writers == set()
