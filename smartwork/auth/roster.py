"""The HR roster import: one CSV per agency (or several) brings accounts in line with HR.

Always previewable: ``preview_roster`` computes the same plan ``import_roster`` applies (who is
created, updated, moved between agencies, retired) and changes nothing. People are retired only
in agencies the upload declares complete, and retiring more than ``ROSTER_MAX_RETIRE_SHARE`` of an
agency needs a second confirmation: one stray row must not retire everyone else of its agency.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import IO

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from ..audit import AuditEventType, record_audit
from ..errors import Conflict, Invalid, PermissionDenied
from ..extensions import db
from ..timeutils import utcnow
from .activation import issue_activation_link
from .mailer import queue_account_mail
from .models import Agency, Role, RoleAssignment, TokenPurpose, User, UserStatus
from .services import REGIONS, clean_email, clean_employee_number, clean_name, rotate

ROSTER_COLUMNS = ("employee_number", "name", "email", "agency_code", "home_region_code", "status")
# Optional: a client certificate's serial (or subject DN) linked to the person for certificate sign-in.
OPTIONAL_COLUMNS = ("certificate",)
ROSTER_MAX_CHARS = 16 * 1024 * 1024  # ~100,000 rows of a typical roster, with room to spare
ROSTER_MAX_ROWS = 100_000
_IN_CHUNK = 1000  # keeps IN (...) lists well under every driver's parameter limit


@dataclass(frozen=True)
class RosterPerson:
    """One person in a preview list: who, in which agency, and what changes."""

    employee_number: str
    name: str
    agency_code: str
    detail: str = ""


@dataclass(frozen=True)
class AgencyPlan:
    """Per agency named by the roster: rows, people now, and what retiring would take."""

    code: str
    listed: int
    current: int
    complete: bool
    retiring: int

    @property
    def share(self) -> float:
        """The share of the agency's current people the import would retire."""
        return self.retiring / self.current if self.current else 0.0


@dataclass
class RosterReport:
    """What an import changed (or, for a preview, would change), and the rows it refused."""

    created: int = 0
    activation_sent: int = 0
    updated: int = 0
    deactivated: int = 0
    unchanged: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)
    moved: int = 0
    dry_run: bool = False
    created_people: list[RosterPerson] = field(default_factory=list)
    updated_people: list[RosterPerson] = field(default_factory=list)
    moved_people: list[RosterPerson] = field(default_factory=list)
    retired_people: list[RosterPerson] = field(default_factory=list)
    agencies: list[AgencyPlan] = field(default_factory=list)
    max_retire_share: float = 0.0
    # Identifies the plan: an apply given the preview's fingerprint refuses a plan that changed since.
    fingerprint: str = ""

    @property
    def over_limit(self) -> list[AgencyPlan]:
        """Complete agencies whose retirements exceed the configured share."""
        return [plan for plan in self.agencies if plan.complete and plan.share > self.max_retire_share]

    def counts(self) -> dict[str, int]:
        """The counts by name (the audit event and the API carry these)."""
        return {"created": self.created, "updated": self.updated, "moved": self.moved,
                "retired": self.deactivated, "unchanged": self.unchanged, "errors": len(self.errors)}

    def summary_lines(self) -> list[str]:
        """One line per count, for the CLI."""
        return [
            _("Created: %(count)d", count=self.created),
            _("Updated: %(count)d", count=self.updated),
            _("Moved to another agency: %(count)d", count=self.moved),
            _("Deactivated (left service): %(count)d", count=self.deactivated),
            _("Unchanged: %(count)d", count=self.unchanged),
            _("Rows with errors: %(count)d", count=len(self.errors)),
            _("Activation e-mails sent: %(count)d", count=self.activation_sent),
        ]

    def preview_lines(self) -> list[str]:
        """The summary, then every person by category and the per-agency retirement check (CLI)."""
        lines = [_("Preview only: nothing was changed.")] if self.dry_run else []
        lines += self.summary_lines()
        for title, people in ((_("Created"), self.created_people), (_("Updated"), self.updated_people),
                              (_("Moved"), self.moved_people), (_("Retired"), self.retired_people)):
            for person in people:
                lines.append(f"  {title}: {person.employee_number} {person.name} ({person.agency_code})"
                             + (f" {person.detail}" if person.detail else ""))
        for plan in self.agencies:
            lines.append(_("Agency %(code)s: %(listed)d rows, %(current)d people now, complete: %(complete)s, "
                           "retiring %(retiring)d (%(share)d%%)", code=plan.code, listed=plan.listed,
                           current=plan.current, complete=_("yes") if plan.complete else _("no"),
                           retiring=plan.retiring, share=round(plan.share * 100)))
        for plan in self.over_limit:
            lines.append(_("Retiring %(share)d%% of %(code)s is more than the %(max)d%% allowed without a second "
                           "confirmation.", share=round(plan.share * 100), code=plan.code,
                           max=round(self.max_retire_share * 100)))
        return lines


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


@dataclass
class _Plan:
    """What an import would do: rows matched to accounts (None: new), and the leavers to retire."""

    rows: list[tuple[_RosterRow, User | None]]
    leavers: list[User]
    agency_codes: dict[int, str]
    # (line, employee number, certificate serial or subject) from the optional ``certificate`` column.
    certificates: list[tuple[int, str, str]] = field(default_factory=list)


def preview_roster(handle: IO[str], *, complete_agencies: Iterable[str] = (), restrict_to_agency: int | None = None,
                   now: datetime | None = None) -> RosterReport:
    """What ``import_roster`` would do with the same input, changing nothing (the preview)."""
    report = RosterReport(dry_run=True)
    plan_roster(handle, report, complete_agencies=complete_agencies, restrict_to_agency=restrict_to_agency)
    db.session.rollback()  # nothing was changed; end the read transaction
    return report


def plan_roster(handle: IO[str], report: RosterReport, *, complete_agencies: Iterable[str] = (),
                restrict_to_agency: int | None = None) -> _Plan | None:
    """Read and check a roster and fill ``report`` with what applying it would do; writes nothing.

    Returns None when the whole file is refused (its errors are in the report). Raises ``Invalid``
    when a code declared complete is unknown or has no rows, and ``PermissionDenied`` when
    ``restrict_to_agency`` is set (an agency's own system) and the roster names another agency.
    """
    report.max_retire_share = float(current_app.config["ROSTER_MAX_RETIRE_SHARE"])
    parsed = _read_roster(handle, report)
    if parsed is None:
        return None
    header, records = parsed
    try:
        parsed_rows = list(_limited(records))
    except _Unreadable as error:
        # Nothing is applied: a roster cut short would retire everyone after the cut.
        report.errors[:] = [(error.line, error.message)]
        return None
    agencies = dict(db.session.execute(select(Agency.code, Agency.id)).all())
    regions = dict(db.session.execute(select(REGIONS.c.code, REGIONS.c.id)).all())
    codes = {agency_id: code for code, agency_id in agencies.items()}

    good: list[_RosterRow] = []
    listed: set[str] = set()  # every employee number named, even on a bad row: never retire those
    rows_per_agency: dict[int, int] = {}
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
            rows_per_agency[row["agency_id"]] = rows_per_agency.get(row["agency_id"], 0) + 1
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

    if restrict_to_agency is not None and set(rows_per_agency) - {restrict_to_agency}:
        raise PermissionDenied(_("This roster names another agency; an agency's system may only send its own "
                                 "people."), field="agency_code", rule="other_agency")
    complete_ids = _complete_agency_ids(complete_agencies, agencies, rows_per_agency, restrict_to_agency)

    by_number = _users_by(User.employee_number, [row.employee_number for row in good])
    by_email = {user.email.lower(): user for user in _users_by(func.lower(User.email),
                                                               [row.email.lower() for row in good]).values()}
    matched: list[tuple[_RosterRow, User | None]] = []
    for row in good:
        owner = by_email.get(row.email.lower())
        if owner is not None and owner.employee_number != row.employee_number:
            report.errors.append((row.line, _("The e-mail address %(email)s belongs to employee %(number)s.",
                                              email=row.email, number=owner.employee_number)))
            continue
        user = by_number.get(row.employee_number)
        if restrict_to_agency is not None and user is not None and user.agency_id != restrict_to_agency:
            report.errors.append((row.line, _("Employee %(number)s belongs to another agency.",
                                              number=row.employee_number)))
            continue
        matched.append((row, user))
        person = RosterPerson(row.employee_number, row.name, codes[row.agency_id])
        if user is None:
            report.created += 1
            report.created_people.append(person)
            continue
        changes = _roster_changes(user, row)
        if "agency_id" in changes:
            report.moved += 1
            report.moved_people.append(RosterPerson(row.employee_number, row.name, codes[row.agency_id],
                                                    f"{codes[user.agency_id]} → {codes[row.agency_id]}"))
        elif changes:
            report.updated += 1
            report.updated_people.append(RosterPerson(row.employee_number, row.name, codes[row.agency_id],
                                                      ", ".join(sorted(changes))))
        else:
            report.unchanged += 1

    leavers = _leavers(complete_ids, listed)
    report.deactivated = len(leavers)
    report.retired_people = [RosterPerson(user.employee_number, user.name, codes[user.agency_id])
                             for user in leavers]
    current = _current_people(set(rows_per_agency))
    retiring: dict[int, int] = {}
    for user in leavers:
        retiring[user.agency_id] = retiring.get(user.agency_id, 0) + 1
    report.agencies = [
        AgencyPlan(code=codes[agency_id], listed=rows_per_agency[agency_id], current=current.get(agency_id, 0),
                   complete=agency_id in complete_ids, retiring=retiring.get(agency_id, 0))
        for agency_id in sorted(rows_per_agency, key=codes.__getitem__)
    ]
    report.errors.sort()
    report.fingerprint = _fingerprint(report)
    return _Plan(rows=matched, leavers=leavers, agency_codes=codes,
                 certificates=_certificate_column(header, parsed_rows, matched))


def _certificate_column(header: list[str], parsed_rows: list[tuple[int, list[str]]],
                        matched: list[tuple[_RosterRow, User | None]]) -> list[tuple[int, str, str]]:
    """The optional ``certificate`` column of the rows to apply (linked by providers/certificates.py)."""
    if "certificate" not in header:
        return []
    at = header.index("certificate")
    values = {line: values[at].strip() for line, values in parsed_rows if at < len(values)}
    return [(row.line, row.employee_number, values[row.line]) for row, _user in matched if values.get(row.line)]


def import_roster(
    handle: IO[str],
    *,
    complete_agencies: Iterable[str] = (),
    confirm_large_retirement: bool = False,
    expected_fingerprint: str | None = None,
    restrict_to_agency: int | None = None,
    actor: User | None = None,
    source: str = "cli",
    now: datetime | None = None,
) -> RosterReport:
    """Apply an HR roster CSV: create, update, move, and retire leavers of the agencies declared complete.

    Bad rows are reported with their line number and skipped; the good rows commit once, with one
    audit event listing the counts and every retirement. Retiring more than the configured share
    of an agency needs ``confirm_large_retirement``; with ``expected_fingerprint`` (from a preview)
    a plan that changed meanwhile is refused. New people listed as active start ``pending`` with no
    password; their activation mails are outbox rows of the same transaction.
    """
    now = now or utcnow()
    report = RosterReport()
    plan = plan_roster(handle, report, complete_agencies=complete_agencies, restrict_to_agency=restrict_to_agency)
    if plan is None:
        return report
    if expected_fingerprint is not None and expected_fingerprint != report.fingerprint:
        db.session.rollback()
        raise Conflict(_("The roster or the accounts changed since the preview; preview it again."),
                       rule="roster_preview_stale")
    if report.over_limit and not confirm_large_retirement:
        refused = {plan.code: round(plan.share, 4) for plan in report.over_limit}
        db.session.rollback()
        raise Conflict(_("This import would retire more than %(max)d%% of an agency (%(agencies)s); confirm the "
                         "retirements a second time.", max=round(report.max_retire_share * 100),
                         agencies=", ".join(refused)),
                       field="confirm_large_retirement", rule="retirement_over_limit", allowed=refused)

    _keep_an_admin(plan)
    newcomers: list[User] = []
    for row, user in plan.rows:
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
        else:
            _apply_roster_row(user, row)

    _retire_leavers(plan.leavers)
    if plan.certificates:
        from .providers.certificates import link_from_roster  # providers build on auth, not the reverse

        db.session.flush()  # new people get their ids
        report.errors.extend(link_from_roster(plan.certificates, now=now))
        report.errors.sort()
    record_audit(
        AuditEventType.ROSTER_IMPORT, actor=actor, actor_label=None if actor or source == "web" else source,
        target=",".join(plan_.code for plan_ in report.agencies)[:200],
        details={
            "source": source,
            "counts": report.counts(),
            "complete_agencies": [plan_.code for plan_ in report.agencies if plan_.complete],
            "confirmed_large_retirement": bool(report.over_limit),
            "retired": [person.employee_number for person in report.retired_people],
        },
        now=now,
    )
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


def _keep_an_admin(plan: _Plan) -> None:
    """Refuse a roster that would retire or suspend every active administrator (nobody could fix it).

    The admins are read under a row lock (PostgreSQL), as the admin console's last-admin rule does.
    """
    admins = set(db.session.scalars(
        select(RoleAssignment.user_id).join(User, User.id == RoleAssignment.user_id)
        .where(RoleAssignment.role == Role.ADMIN, User.status == UserStatus.ACTIVE).with_for_update()
    ))
    leaving = {user.id for user in plan.leavers}
    leaving |= {user.id for row, user in plan.rows if user is not None and row.status != UserStatus.ACTIVE}
    if admins and admins <= leaving:
        db.session.rollback()
        raise Conflict(_("This roster would leave no active administrator; keep at least one."),
                       rule="last_admin")


def _complete_agency_ids(codes: Iterable[str], agencies: dict[str, int], rows_per_agency: dict[int, int],
                         restrict_to_agency: int | None) -> set[int]:
    """The ids of the agencies declared complete; each must be known and named by the roster."""
    chosen: set[int] = set()
    for code in codes:
        code = (code or "").strip()
        if not code:
            continue
        if code not in agencies:
            raise Invalid(_("Unknown agency %(code)s.", code=code), field="complete_agencies", rule="unknown_agency")
        if restrict_to_agency is not None and agencies[code] != restrict_to_agency:
            raise PermissionDenied(_("This roster names another agency; an agency's system may only send its own "
                                     "people."), field="complete_agencies", rule="other_agency")
        if agencies[code] not in rows_per_agency:
            # An agency with no rows would lose everyone: that is never what a roster means.
            raise Invalid(_("Agency %(code)s is declared complete but has no rows in the roster.", code=code),
                          field="complete_agencies", rule="complete_agency_not_listed")
        chosen.add(agencies[code])
    return chosen


def _fingerprint(report: RosterReport) -> str:
    """A short digest of the plan: the same roster against the same accounts gives the same value."""
    digest = hashlib.sha256()
    for people in (report.created_people, report.updated_people, report.moved_people, report.retired_people):
        for person in people:
            digest.update(f"{person.employee_number}|{person.name}|{person.agency_code}|{person.detail}\n".encode())
        digest.update(b"--\n")
    digest.update(repr(sorted(report.counts().items())).encode())
    return digest.hexdigest()[:20]


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


def _roster_changes(user: User, row: _RosterRow) -> dict[str, object]:
    """The roster's facts that differ from ``user`` (attribute → new value); changes nothing."""
    wanted = {
        "name": row.name, "email": row.email, "agency_id": row.agency_id,
        "home_region_id": row.region_id, "status": row.status,
    }
    changes = {attribute: value for attribute, value in wanted.items() if getattr(user, attribute) != value}
    if user.status == UserStatus.PENDING and row.status == UserStatus.ACTIVE:
        changes.pop("status", None)  # only the person's activation makes the account active
    return changes


def _apply_roster_row(user: User, row: _RosterRow) -> bool:
    """Copy the roster's facts onto ``user``; True if anything changed."""
    changes = _roster_changes(user, row)
    for attribute, value in changes.items():
        setattr(user, attribute, value)
    if changes and row.status != UserStatus.ACTIVE:
        rotate(user)  # a suspended or retired account keeps no live session
    return bool(changes)


def _leavers(agency_ids: set[int], listed: set[str]) -> list[User]:
    """People of the complete agencies who are not retired and not on the roster."""
    if not agency_ids:
        return []
    candidates = db.session.scalars(
        select(User).where(User.agency_id.in_(agency_ids), User.status != UserStatus.RETIRED)
        .order_by(User.employee_number)
    )
    return [user for user in candidates if user.employee_number not in listed]


def _current_people(agency_ids: set[int]) -> dict[int, int]:
    """How many people (not retired) each agency has now."""
    if not agency_ids:
        return {}
    return dict(db.session.execute(
        select(User.agency_id, func.count()).where(User.agency_id.in_(agency_ids), User.status != UserStatus.RETIRED)
        .group_by(User.agency_id)
    ).all())


def _retire_leavers(leavers: list[User]) -> int:
    """Retire the people a complete agency's roster no longer lists; returns how many."""
    for user in leavers:
        user.status = UserStatus.RETIRED
        rotate(user)
    return len(leavers)
