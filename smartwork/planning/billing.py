"""What agencies owe private operators: hours their staff used × the contract's hourly rate.

Used hours are the booked duration (ends_at − starts_at) of bookings that were checked in
(status checked_in or completed) at a private center, counted in the local month the booking
starts. Each booking's local day picks the contract in force that day. Sums happen in SQL,
grouped by operator, center and day, so the Python side only sees a few hundred rows.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from flask_babel import gettext as _
from sqlalchemy import func, select

from ..auth.models import Agency, User
from ..bookings.models import Booking, BookingStatus
from ..centers.models import Center, Contract, Operator, Ownership
from ..errors import NotFound
from ..extensions import db
from ..timeutils import local_day_bounds, local_today
from .common import Column, Table

BILLED_STATUSES = (BookingStatus.CHECKED_IN, BookingStatus.COMPLETED)
SEOUL_OFFSET = "+9 hours"  # Korea keeps no daylight saving time, so a fixed offset is exact.


def month_bounds(month: date) -> tuple[datetime, datetime]:
    """UTC instants where the local month starts and the next one starts."""
    first = month.replace(day=1)
    following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return local_day_bounds(first)[0], local_day_bounds(following)[0]


def previous_month(now: datetime | None = None) -> date:
    """The first day of last month (the month usually invoiced)."""
    first = local_today(now).replace(day=1)
    return date(first.year - (first.month == 1), (first.month - 2) % 12 + 1, 1)


def _local_day_expr():
    """SQL for a booking's local start date on the bound engine."""
    if db.session.get_bind().dialect.name == "postgresql":
        return func.date(func.timezone("Asia/Seoul", Booking.starts_at))
    return func.date(Booking.starts_at, SEOUL_OFFSET)


def _minutes_expr():
    """SQL for a booking's duration in minutes on the bound engine."""
    if db.session.get_bind().dialect.name == "postgresql":
        return func.extract("epoch", Booking.ends_at - Booking.starts_at) / 60
    return (func.julianday(Booking.ends_at) - func.julianday(Booking.starts_at)) * 1440


def _as_date(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _contract_for(contracts: list[Contract], day: date, center_id: int) -> Contract | None:
    covering = [c for c in contracts if c.covers(day) and c.covers_center(center_id)]
    return max(covering, key=lambda c: c.starts_on) if covering else None


def _amount(minutes: int, rate: Decimal | None) -> Decimal:
    if rate is None:
        return Decimal(0)
    return (Decimal(minutes) * rate / 60).quantize(Decimal(1), rounding=ROUND_HALF_UP)


def _usage_rows(month: date, agency_id: int | None):
    """(agency_id, operator_id, center_id, local day, minutes) for billed private bookings in the month."""
    start, end = month_bounds(month)
    day = _local_day_expr().label("day")
    stmt = (
        select(User.agency_id, Center.operator_id, Booking.center_id, day, func.sum(_minutes_expr()))
        .join(User, User.id == Booking.user_id)
        .join(Center, Center.id == Booking.center_id)
        .where(
            Booking.status.in_(BILLED_STATUSES),
            Booking.starts_at >= start,
            Booking.starts_at < end,
            Center.ownership == Ownership.PRIVATE,
        )
        .group_by(User.agency_id, Center.operator_id, Booking.center_id, day)
    )
    if agency_id is not None:
        stmt = stmt.where(User.agency_id == agency_id)
    return [(a, o, c, _as_date(d), round(float(m or 0))) for a, o, c, d, m in db.session.execute(stmt)]


def _contracts_by_pair(agency_id: int | None) -> dict[tuple[int, int], list[Contract]]:
    stmt = select(Contract)
    if agency_id is not None:
        stmt = stmt.where(Contract.agency_id == agency_id)
    pairs: dict[tuple[int, int], list[Contract]] = defaultdict(list)
    for contract in db.session.scalars(stmt):
        pairs[(contract.agency_id, contract.operator_id)].append(contract)
    return pairs


@dataclass
class InvoiceLine:
    """Hours at one center of one operator at one rate."""

    operator_id: int
    operator_name: str
    center_id: int
    center_code: str
    center_name: str
    rate: Decimal | None  # None: no contract covered these days
    minutes: int = 0

    @property
    def hours(self) -> float:
        return round(self.minutes / 60, 2)

    @property
    def amount(self) -> Decimal:
        return _amount(self.minutes, self.rate)


@dataclass
class Invoice:
    """One agency's bill for one month."""

    agency: Agency
    month: date
    lines: list[InvoiceLine] = field(default_factory=list)

    @property
    def minutes(self) -> int:
        return sum(line.minutes for line in self.lines)

    @property
    def hours(self) -> float:
        return round(self.minutes / 60, 2)

    @property
    def total(self) -> Decimal:
        return sum((line.amount for line in self.lines), Decimal(0))

    @property
    def unbilled_minutes(self) -> int:
        """Minutes used on days no contract covered (shown, not charged)."""
        return sum(line.minutes for line in self.lines if line.rate is None)


def get_agency(code: str) -> Agency:
    """An agency by code, or NotFound."""
    agency = db.session.scalar(select(Agency).where(Agency.code == code))
    if agency is None:
        raise NotFound(_("This agency does not exist."), rule="agency_not_found")
    return agency


def invoice(agency: Agency, month: date) -> Invoice:
    """The invoice of ``agency`` for the local month ``month``: one line per operator, center and rate."""
    contracts = _contracts_by_pair(agency.id)
    lines: dict[tuple[int, int, Decimal | None], int] = defaultdict(int)
    for _agency, operator_id, center_id, day, minutes in _usage_rows(month, agency.id):
        contract = _contract_for(contracts.get((agency.id, operator_id), []), day, center_id)
        lines[(operator_id, center_id, contract.hourly_rate_krw if contract else None)] += minutes
    result = Invoice(agency=agency, month=month.replace(day=1))
    if not lines:
        return result
    centers = {
        row.id: row
        for row in db.session.execute(
            select(Center.id, Center.code, Center.name_ko, Operator.name_ko.label("operator_name"))
            .join(Operator, Operator.id == Center.operator_id)
            .where(Center.id.in_({center_id for _o, center_id, _r in lines}))
        )
    }
    for (operator_id, center_id, rate), minutes in lines.items():
        row = centers[center_id]
        result.lines.append(
            InvoiceLine(operator_id, row.operator_name, center_id, row.code, row.name_ko, rate, minutes)
        )
    result.lines.sort(key=lambda line: (line.operator_name, line.center_name, line.rate or 0))
    return result


def invoice_table(result: Invoice) -> Table:
    """The invoice lines as a table."""
    table = Table(
        "invoice",
        _("Invoice of %(agency)s for %(month)s", agency=result.agency.name_ko, month=result.month.strftime("%Y-%m")),
        [
            Column(_("Operator")),
            Column(_("Center")),
            Column(_("Hours used"), True),
            Column(_("Hourly rate (KRW)"), True),
            Column(_("Amount (KRW)"), True),
        ],
    )
    for line in result.lines:
        table.rows.append(
            [
                line.operator_name,
                line.center_name,
                line.hours,
                None if line.rate is None else int(line.rate),
                int(line.amount),
            ]
        )
    table.footer = [_("Total"), "", result.hours, "", int(result.total)]
    return table


@dataclass
class AgencyBill:
    """One agency's month in the billing summary."""

    agency_id: int
    code: str
    name: str
    minutes: int = 0
    amount: Decimal = Decimal(0)
    unbilled_minutes: int = 0


def billing_summary(month: date) -> list[AgencyBill]:
    """Every agency that used private centers in ``month``: hours and amount owed, largest first."""
    contracts = _contracts_by_pair(None)
    per_rate: dict[tuple[int, int, int, Decimal | None], int] = defaultdict(int)
    for agency_id, operator_id, center_id, day, minutes in _usage_rows(month, None):
        contract = _contract_for(contracts.get((agency_id, operator_id), []), day, center_id)
        # Round per operator, center and rate exactly as the invoice lines do.
        per_rate[(agency_id, operator_id, center_id, contract.hourly_rate_krw if contract else None)] += minutes
    if not per_rate:
        return []
    bills: dict[int, AgencyBill] = {}
    agencies = {
        row.id: row
        for row in db.session.execute(
            select(Agency.id, Agency.code, Agency.name_ko).where(Agency.id.in_({key[0] for key in per_rate}))
        )
    }
    for (agency_id, _operator, _center, rate), minutes in per_rate.items():
        row = agencies[agency_id]
        bill = bills.setdefault(agency_id, AgencyBill(agency_id, row.code, row.name_ko))
        bill.minutes += minutes
        bill.amount += _amount(minutes, rate)
        bill.unbilled_minutes += minutes if rate is None else 0
    return sorted(bills.values(), key=lambda bill: (-bill.amount, bill.code))


def billing_summary_table(month: date) -> Table:
    """The month's billing summary as a table."""
    bills = billing_summary(month)
    table = Table(
        "billing",
        _("Private-center use by agency, %(month)s", month=month.strftime("%Y-%m")),
        [
            Column(_("Agency")),
            Column(_("Hours used"), True),
            Column(_("Hours without a contract"), True),
            Column(_("Amount (KRW)"), True),
        ],
    )
    for bill in bills:
        table.rows.append(
            [bill.name, round(bill.minutes / 60, 2), round(bill.unbilled_minutes / 60, 2), int(bill.amount)]
        )
        table.links.append(bill.code)
    table.footer = [
        _("Total"),
        round(sum(b.minutes for b in bills) / 60, 2),
        round(sum(b.unbilled_minutes for b in bills) / 60, 2),
        int(sum((b.amount for b in bills), Decimal(0))),
    ]
    return table
