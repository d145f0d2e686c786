"""The HR roster import: one CSV per agency (or several) brings accounts in line with HR."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import IO

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from ..errors import Conflict, Invalid
from ..extensions import db
from ..timeutils import utcnow
from .activation import issue_activation_link
from .mailer import queue_account_mail
from .models import Agency, TokenPurpose, User, UserStatus
from .services import REGIONS, clean_email, clean_employee_number, clean_name, rotate

ROSTER_COLUMNS = ("employee_number", "name", "email", "agency_code", "home_region_code", "status")
# Optional: a client certificate's serial (or subject DN) linked to the person for certificate sign-in.
OPTIONAL_COLUMNS = ("certificate",)
ROSTER_MAX_CHARS = 16 * 1024 * 1024  # ~100,000 rows of a typical roster, with room to spare
ROSTER_MAX_ROWS = 100_000
_IN_CHUNK = 1000  # keeps IN (...) lists well under every driver's parameter limit


@dataclass
class RosterReport:
    """What an import changed, and the rows it refused (line number, message)."""

    created: int = 0
    activation_sent: int = 0
    updated: int = 0
    deactivated: int = 0
    unchanged: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)

    def summary_lines(self) -> list[str]:
        """One line per count, for the CLI."""
        return [
            _("Created: %(count)d", count=self.created),
            _("Updated: %(count)d", count=self.updated),
            _("Deactivated (left service): %(count)d", count=self.deactivated),
            _("Unchanged: %(count)d", count=self.unchanged),
            _("Rows with errors: %(count)d", count=len(self.errors)),
            _("Activation e-mails sent: %(count)d", count=self.activation_sent),
        ]


@dataclass
class _RosterRow:
    line: int
    employee_number: str
    name: str
    email: str
    agency_id: int
    region_id: int
    status: UserStatus


class _Unreadable(Exception):
    """The CSV cannot be read past some line; the whole file is refused."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line, self.message = line, message


def _chunks(values: list, size: int = _IN_CHUNK) -> Iterator[list]:
    for start in range(0, len(values), size):
        yield values[start:start + size]


def _read_roster(handle: IO[str], report: RosterReport) -> tuple[list[str], Iterator[tuple[int, list[str]]]] | None:
    """Check size and header; return the header and an iterator of (line, values)."""
    try:
        content = handle.read(ROSTER_MAX_CHARS + 1)
    except UnicodeDecodeError:
        # Spreadsheets in Korea often save CSV as CP949; say so instead of failing with a traceback.
        report.errors.append((1, _("The roster is not UTF-8 text; save it as \"CSV UTF-8\" and try again.")))
        return None
    if len(content) > ROSTER_MAX_CHARS:
        report.errors.append((1, _("The roster is larger than %(mb)d MB; split it by agency.",
                                   mb=ROSTER_MAX_CHARS // (1024 * 1024))))
        return None
    reader = csv.reader(io.StringIO(content.removeprefix("\ufeff"), newline=""))
    try:
        header = [name.strip().lower() for name in next(reader)]
    except StopIteration:
        header = []
    except csv.Error as error:
        report.errors.append((1, str(error)))
        return None
    missing = [name for name in ROSTER_COLUMNS if name not in header]
    unknown = [name for name in header if name not in ROSTER_COLUMNS + OPTIONAL_COLUMNS]
    if missing or unknown or len(set(header)) != len(header):
        report.errors.append((1, _("The header must be exactly: %(columns)s.", columns=",".join(ROSTER_COLUMNS))))
        return None

    def rows() -> Iterator[tuple[int, list[str]]]:
        line_before = reader.line_num
        while True:
            try:
                values = next(reader)
            except StopIteration:
                return
            except csv.Error as error:
                raise _Unreadable(line_before + 1, str(error)) from None
            line = line_before + 1  # where the record starts (a quoted field may span lines)
            line_before = reader.line_num
            if values:  # blank lines are skipped silently
                yield line, values

    return header, rows()


def import_roster(handle: IO[str], *, now: datetime | None = None) -> RosterReport:
    """Apply an HR roster CSV: create, update, and retire people of the listed agencies who left.

    Bad rows are reported with their line number and skipped; the good rows commit once.
    New people listed as active start ``pending`` and get an activation e-mail after the commit.
    """
    now = now or utcnow()
    report = RosterReport()
    parsed = _read_roster(handle, report)
    if parsed is None:
        return report
    header, records = parsed
    try:
        parsed_rows = list(_limited(records))
    except _Unreadable as error:
        # Nothing is applied: a roster cut short would retire everyone after the cut.
        return RosterReport(errors=[(error.line, error.message)])
    agencies = dict(db.session.execute(select(Agency.code, Agency.id)).all())
    regions = dict(db.session.execute(select(REGIONS.c.code, REGIONS.c.id)).all())

    good: list[_RosterRow] = []
    newcomers: list[User] = []
    listed: set[str] = set()  # every employee number named, even on a bad row: never retire those
    present_agencies: set[int] = set()
    seen_numbers: dict[str, int] = {}
    seen_emails: dict[str, int] = {}
    number_at = header.index("employee_number")
    for line, values in parsed_rows:
        row, problems = _parse_roster_row(line, header, values, agencies, regions)
        if number_at < len(values):
            listed.add(values[number_at].strip())  # even if malformed: a typo must not retire anyone
        number = row.get("employee_number", "")
        if number:
            if number in seen_numbers:
                problems.append(_("Employee number %(number)s is already on line %(line)d.",
                                  number=number, line=seen_numbers[number]))
            else:
                seen_numbers[number] = line
        if "agency_id" in row:
            present_agencies.add(row["agency_id"])
        email_key = row.get("email", "").lower()
        if email_key:
            if email_key in seen_emails:
                problems.append(_("The e-mail address %(email)s is already on line %(line)d.",
                                  email=row["email"], line=seen_emails[email_key]))
            else:
                seen_emails[email_key] = line
        if problems:
            report.errors.append((line, "; ".join(problems)))
        else:
            good.append(_RosterRow(line=line, **row))

    by_number = _users_by(User.employee_number, [row.employee_number for row in good])
    by_email = {user.email.lower(): user for user in _users_by(func.lower(User.email),
                                                               [row.email.lower() for row in good]).values()}
    for row in good:
        owner = by_email.get(row.email.lower())
        if owner is not None and owner.employee_number != row.employee_number:
            report.errors.append((row.line, _("The e-mail address %(email)s belongs to employee %(number)s.",
                                              email=row.email, number=owner.employee_number)))
            continue
        user = by_number.get(row.employee_number)
        if user is None:
            # Active in HR means "may have an account": it waits, pending, for its activation link.
            status = UserStatus.PENDING if row.status == UserStatus.ACTIVE else row.status
            user = User(
                employee_number=row.employee_number, name=row.name, email=row.email,
                agency_id=row.agency_id, home_region_id=row.region_id, status=status,
                password_hash=None, created_at=now,
            )
            db.session.add(user)
            if status == UserStatus.PENDING:
                newcomers.append(user)
            report.created += 1
        elif _apply_roster_row(user, row):
            report.updated += 1
        else:
            report.unchanged += 1

    if present_agencies:
        report.deactivated = _retire_leavers(present_agencies, listed)
    if "certificate" in header:
        report.errors.extend(_link_certificates(header, parsed_rows, good, report, now))
    report.errors.sort()
    try:
        db.session.flush()
        for user in newcomers:
            queue_account_mail(user, TokenPurpose.ACTIVATION, issue_activation_link(user, now), now)
        db.session.commit()
    except IntegrityError:
        db.session.rollback()  # a concurrent change took a number or e-mail meanwhile
        raise Conflict(_("The roster conflicts with a change made meanwhile; run the import again."),
                       rule="roster_conflict") from None
    # The mails are outbox rows of the same transaction: the delivery job sends them, with retries.
    report.activation_sent = len(newcomers)
    return report


def _link_certificates(header: list[str], parsed_rows: list[tuple[int, list[str]]], good: list[_RosterRow],
                       report: RosterReport, now: datetime) -> list[tuple[int, str]]:
    """Link the ``certificate`` column of the rows applied (see providers/certificates.py)."""
    from .providers.certificates import link_from_roster

    refused = {line for line, _message in report.errors}
    at = header.index("certificate")
    values = {line: values[at].strip() for line, values in parsed_rows if at < len(values)}
    db.session.flush()  # new people get their ids
    return link_from_roster([(row.line, row.employee_number, values.get(row.line, "")) for row in good
                             if row.line not in refused and values.get(row.line)], now=now)


def _limited(records: Iterator[tuple[int, list[str]]]) -> Iterator[tuple[int, list[str]]]:
    """Pass records through, refusing the file past ROSTER_MAX_ROWS."""
    for count, (line, values) in enumerate(records, start=1):
        if count > ROSTER_MAX_ROWS:
            raise _Unreadable(line, _("The roster has more than %(max)d rows; split it by agency.",
                                      max=ROSTER_MAX_ROWS))
        yield line, values


def _parse_roster_row(line: int, header: list[str], values: list[str], agencies: dict[str, int],
                      regions: dict[str, int]) -> tuple[dict, list[str]]:
    """Check one record's fields; return what could be read and the problems found."""
    problems: list[str] = []
    if len(values) != len(header):
        problems.append(_("Expected %(expected)d fields, found %(found)d.",
                          expected=len(header), found=len(values)))
    raw = {name: (values[index].strip() if index < len(values) else "") for index, name in enumerate(header)}
    row: dict = {}
    for name in ROSTER_COLUMNS:
        if not raw[name]:
            problems.append(_("Missing %(field)s.", field=name))
    cleaners = (("employee_number", clean_employee_number), ("name", clean_name), ("email", clean_email))
    for name, clean in cleaners:
        if raw[name]:
            try:
                row[name] = clean(raw[name])
            except Invalid as error:
                problems.append(error.message)
    if raw["agency_code"]:
        if raw["agency_code"] in agencies:
            row["agency_id"] = agencies[raw["agency_code"]]
        else:
            problems.append(_("Unknown agency %(code)s.", code=raw["agency_code"]))
    if raw["home_region_code"]:
        if raw["home_region_code"] in regions:
            row["region_id"] = regions[raw["home_region_code"]]
        else:
            problems.append(_("Unknown home region %(code)s.", code=raw["home_region_code"]))
    if raw["status"]:
        try:
            row["status"] = UserStatus(raw["status"].lower())
        except ValueError:
            problems.append(_("Unknown status %(status)s; use one of %(allowed)s.", status=raw["status"],
                              allowed=", ".join(status.value for status in UserStatus)))
    return row, problems


def _users_by(key, values: list[str]) -> dict[str, User]:
    """Existing users whose ``key`` is in ``values``, keyed by employee number."""
    found: dict[str, User] = {}
    for chunk in _chunks(sorted(set(values))):
        for user in db.session.scalars(select(User).where(key.in_(chunk))):
            found[user.employee_number] = user
    return found


def _apply_roster_row(user: User, row: _RosterRow) -> bool:
    """Copy the roster's facts onto ``user``; True if anything changed."""
    changes = {
        "name": row.name, "email": row.email, "agency_id": row.agency_id,
        "home_region_id": row.region_id, "status": row.status,
    }
    if user.status == UserStatus.PENDING and row.status == UserStatus.ACTIVE:
        changes["status"] = UserStatus.PENDING  # only the person's activation makes the account active
    changed = False
    for attribute, value in changes.items():
        if getattr(user, attribute) != value:
            setattr(user, attribute, value)
            changed = True
    if changed and row.status != UserStatus.ACTIVE:
        rotate(user)  # a suspended or retired account keeps no live session
    return changed


def _retire_leavers(agency_ids: set[int], listed: set[str]) -> int:
    """Retire people of the roster's agencies who are no longer on it; returns how many."""
    retired = 0
    candidates = db.session.scalars(
        select(User).where(User.agency_id.in_(agency_ids), User.status != UserStatus.RETIRED)
    )
    for user in candidates:
        if user.employee_number not in listed:
            user.status = UserStatus.RETIRED
            rotate(user)
            retired += 1
    return retired
