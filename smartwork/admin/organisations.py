"""Admin use cases for agencies, operators and contracts: create and edit, each change audited before/after."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from ..audit import AuditEventType, record_audit
from ..auth.models import Agency, AgencyKind, User
from ..centers.models import Center, Contract, Operator, Ownership
from ..errors import Conflict, Invalid, NotFound
from ..extensions import db
from ..timeutils import utcnow

CODE_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,19}")
OPERATOR_CODE_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,39}")
RATE_MAX = Decimal("9999999999")


def list_agencies() -> list[Agency]:
    """Every agency by code."""
    return list(db.session.scalars(select(Agency).order_by(Agency.code)))


def list_operators() -> list[Operator]:
    """Every operator by code."""
    return list(db.session.scalars(select(Operator).order_by(Operator.code)))


def get_agency(code: str) -> Agency:
    """An agency by code, or NotFound."""
    agency = db.session.scalar(select(Agency).where(Agency.code == code))
    if agency is None:
        raise NotFound(_("No agency has the code %(code)s.", code=code), field="agency", rule="agency_not_found")
    return agency


def get_operator(code: str) -> Operator:
    """An operator by code, or NotFound."""
    operator = db.session.scalar(select(Operator).where(Operator.code == code))
    if operator is None:
        raise NotFound(_("No operator has the code %(code)s.", code=code), field="operator",
                       rule="operator_not_found")
    return operator


def get_contract(contract_id: int) -> Contract:
    """A contract by id, or NotFound."""
    contract = db.session.get(Contract, contract_id)
    if contract is None:
        raise NotFound(_("No such contract."), rule="contract_not_found")
    return contract


def _names(name_ko: str, name_en: str) -> tuple[str, str]:
    name_ko, name_en = " ".join((name_ko or "").split()), " ".join((name_en or "").split())
    if not name_ko or len(name_ko) > 120:
        raise Invalid(_("Enter a Korean name of at most %(max)d characters.", max=120), field="name_ko",
                      rule="bad_name")
    if not name_en or len(name_en) > 160:
        raise Invalid(_("Enter an English name of at most %(max)d characters.", max=160), field="name_en",
                      rule="bad_name")
    return name_ko, name_en


def _commit_or_conflict(field: str) -> None:
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()  # another admin took the code meanwhile
        raise Conflict(_("This code is already in use."), field=field, rule="duplicate_code") from None


# --- agencies ---------------------------------------------------------------------------------


def _agency_facts(agency: Agency) -> dict:
    return {"code": agency.code, "name_ko": agency.name_ko, "name_en": agency.name_en, "kind": agency.kind.value}


def save_agency(actor: User, agency: Agency | None, *, code: str, name_ko: str, name_en: str, kind: AgencyKind,
                now: datetime | None = None) -> Agency:
    """Create an agency (``agency`` None) or edit one; audited with before and after."""
    now = now or utcnow()
    code = (code or "").strip()
    if not CODE_PATTERN.fullmatch(code):
        raise Invalid(_("A code is 1 to 20 letters, digits, hyphens or underscores."), field="code", rule="bad_code")
    name_ko, name_en = _names(name_ko, name_en)
    taken = db.session.scalar(select(Agency.id).where(Agency.code == code))
    if taken is not None and (agency is None or taken != agency.id):
        raise Invalid(_("This code is already in use."), field="code", rule="duplicate_code")
    before = _agency_facts(agency) if agency is not None else None
    if agency is None:
        agency = Agency(code=code, name_ko=name_ko, name_en=name_en, kind=kind)
        db.session.add(agency)
    else:
        agency.code, agency.name_ko, agency.name_en, agency.kind = code, name_ko, name_en, kind
    after = _agency_facts(agency)
    if before != after:
        record_audit(AuditEventType.AGENCY_CHANGE, actor=actor, target=code, now=now,
                     details={"before": before, "after": after})
    _commit_or_conflict("code")
    return agency


# --- operators --------------------------------------------------------------------------------


def _operator_facts(operator: Operator) -> dict:
    return {"code": operator.code, "name_ko": operator.name_ko, "name_en": operator.name_en,
            "ownership": operator.ownership.value}


def save_operator(actor: User, operator: Operator | None, *, code: str, name_ko: str, name_en: str,
                  ownership: Ownership, now: datetime | None = None) -> Operator:
    """Create an operator (``operator`` None) or edit one; audited with before and after."""
    now = now or utcnow()
    code = (code or "").strip()
    if not OPERATOR_CODE_PATTERN.fullmatch(code):
        raise Invalid(_("A code is 1 to 40 letters, digits, hyphens or underscores."), field="code", rule="bad_code")
    name_ko, name_en = _names(name_ko, name_en)
    taken = db.session.scalar(select(Operator.id).where(Operator.code == code))
    if taken is not None and (operator is None or taken != operator.id):
        raise Invalid(_("This code is already in use."), field="code", rule="duplicate_code")
    if operator is not None and ownership != operator.ownership and operator.centers:
        # A center's ownership follows its operator's; changing it here would contradict the centers.
        raise Invalid(_("This operator runs centers; its ownership cannot change."), field="ownership",
                      rule="operator_has_centers")
    before = _operator_facts(operator) if operator is not None else None
    if operator is None:
        operator = Operator(code=code, name_ko=name_ko, name_en=name_en, ownership=ownership)
        db.session.add(operator)
    else:
        operator.code, operator.name_ko, operator.name_en, operator.ownership = code, name_ko, name_en, ownership
    after = _operator_facts(operator)
    if before != after:
        record_audit(AuditEventType.OPERATOR_CHANGE, actor=actor, target=code, now=now,
                     details={"before": before, "after": after})
    _commit_or_conflict("code")
    return operator


# --- contracts --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ContractRow:
    """A contract for the list: the contract, its agency and operator, and how many centers it covers."""

    contract: Contract
    agency: Agency
    operator: Operator
    centers: int


def list_contracts(agency_code: str | None = None) -> list[ContractRow]:
    """Contracts (of one agency when given), by agency, operator and start."""
    query = (select(Contract, Agency, Operator)
             .join(Agency, Agency.id == Contract.agency_id).join(Operator, Operator.id == Contract.operator_id))
    if agency_code:
        query = query.where(Agency.code == agency_code)
    rows = db.session.execute(query.order_by(Agency.code, Operator.code, Contract.starts_on)).all()
    counts = covered_center_counts({operator.id for _c, _a, operator in rows})
    return [ContractRow(contract, agency, operator, len(contract.centers) or counts.get(operator.id, 0))
            for contract, agency, operator in rows]


def covered_center_counts(operator_ids: set[int]) -> dict[int, int]:
    """How many centers each operator runs (a contract covers every center of its operator)."""
    if not operator_ids:
        return {}
    return dict(db.session.execute(
        select(Center.operator_id, func.count()).where(Center.operator_id.in_(operator_ids))
        .group_by(Center.operator_id)
    ).all())


def covered_centers(contract: Contract) -> list[Center]:
    """The centers a contract covers: those it lists, or every center of its operator."""
    if contract.centers:
        return list(contract.centers)
    return list(db.session.scalars(select(Center).where(Center.operator_id == contract.operator_id)
                                   .order_by(Center.code)))


def _contract_facts(contract: Contract, agency_code: str, operator_code: str) -> dict:
    return {"agency": agency_code, "operator": operator_code, "hourly_rate_krw": int(contract.hourly_rate_krw),
            "starts_on": contract.starts_on.isoformat(),
            "ends_on": contract.ends_on.isoformat() if contract.ends_on else None,
            "centers": sorted(center.code for center in contract.centers)}


def parse_center_codes(text: str | None) -> list[str]:
    """Center codes typed one per line or separated by commas or spaces, without repeats."""
    return list(dict.fromkeys(code for code in re.split(r"[\s,]+", text or "") if code))


def _contract_centers(operator: Operator, codes: list[str]) -> list[Center]:
    """The listed centers, each one of ``operator``'s, or Invalid naming the first that is not."""
    if len(codes) > 500:
        raise Invalid(_("List at most %(max)d centers.", max=500), field="centers", rule="too_many_centers")
    found = {center.code: center for center in db.session.scalars(select(Center).where(Center.code.in_(codes)))} \
        if codes else {}
    for code in codes:
        center = found.get(code)
        if center is None or center.operator_id != operator.id:
            raise Invalid(_("%(code)s is not a center of this operator.", code=code[:40]), field="centers",
                          rule="center_not_of_operator")
    return [found[code] for code in codes]


def save_contract(actor: User, contract: Contract | None, *, agency: Agency, operator: Operator,
                  hourly_rate_krw: Decimal | int, starts_on: date, ends_on: date | None,
                  center_codes: list[str] | None = None, now: datetime | None = None) -> Contract:
    """Create a contract (``contract`` None) or edit one; audited as a contract change with before and after.

    A contract covers the listed centers of a private operator, or all of them when ``center_codes``
    is empty, from ``starts_on`` to ``ends_on`` (inclusive, open-ended when None); two contracts of
    one agency with one operator may not overlap.
    """
    now = now or utcnow()
    if operator.ownership != Ownership.PRIVATE:
        raise Invalid(_("Contracts are for private operators; public centers take every civil servant."),
                      field="operator", rule="operator_not_private")
    rate = Decimal(hourly_rate_krw if hourly_rate_krw is not None else -1)
    if rate < 0 or rate > RATE_MAX or rate != rate.to_integral_value():
        raise Invalid(_("Enter an hourly rate in whole won, zero or more."), field="hourly_rate_krw",
                      rule="bad_rate")
    if ends_on is not None and ends_on < starts_on:
        raise Invalid(_("The end date must not be before the start date."), field="ends_on", rule="dates_order")
    centers = _contract_centers(operator, list(center_codes or []))
    others = db.session.scalars(
        select(Contract).where(Contract.agency_id == agency.id, Contract.operator_id == operator.id)
        .with_for_update()
    )
    for other in others:
        if contract is not None and other.id == contract.id:
            continue
        if other.starts_on <= (ends_on or date.max) and starts_on <= (other.ends_on or date.max):
            raise Conflict(_("Another contract of this agency with this operator covers some of these dates "
                             "(from %(start)s).", start=other.starts_on.isoformat()), field="starts_on",
                           rule="contract_overlap")
    before = None
    if contract is not None:
        old_agency = db.session.get(Agency, contract.agency_id)
        old_operator = db.session.get(Operator, contract.operator_id)
        before = _contract_facts(contract, old_agency.code, old_operator.code)
        contract.agency_id, contract.operator_id = agency.id, operator.id
        contract.hourly_rate_krw, contract.starts_on, contract.ends_on = rate, starts_on, ends_on
        contract.centers = centers
    else:
        contract = Contract(agency_id=agency.id, operator_id=operator.id, hourly_rate_krw=rate,
                            starts_on=starts_on, ends_on=ends_on, centers=centers)
        db.session.add(contract)
    after = _contract_facts(contract, agency.code, operator.code)
    if before != after:
        db.session.flush()
        record_audit(AuditEventType.CONTRACT_CHANGE, actor=actor, target=f"contract {contract.id}", now=now,
                     details={"contract_id": contract.id, "before": before, "after": after})
    db.session.commit()
    return contract
