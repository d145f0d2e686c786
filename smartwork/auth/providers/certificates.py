"""Client-certificate sign-in (GPKI) behind a trusted reverse proxy.

nginx verifies the certificate against the configured CA and CRL and passes the result in headers
(README "Certificate sign-in"). Those headers are believed only when the request's direct peer is
one of ``TRUSTED_PROXIES``; anyone else could write them. A verified certificate signs in the
account it is linked to: linked by its holder while signed in another way, or by the HR roster.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ...audit import AuditEventType, record_audit, record_audit_now
from ...errors import Conflict, NotFound
from ...extensions import db
from ...security import is_trusted_proxy
from ...timeutils import utcnow
from ..models import User, UserStatus
from . import Provider, SigninRefused
from . import certificate_provider as _certificate_provider
from .models import ExternalIdentity, IdentitySource

HEADER_VERIFY = "X-SSL-Client-Verify"  # nginx $ssl_client_verify: SUCCESS, NONE or FAILED:reason
HEADER_SUBJECT = "X-SSL-Client-S-DN"  # $ssl_client_s_dn (RFC 2253)
HEADER_ISSUER = "X-SSL-Client-I-DN"  # $ssl_client_i_dn
HEADER_SERIAL = "X-SSL-Client-Serial"  # $ssl_client_serial (hex)
CERTIFICATE_HEADERS = (HEADER_VERIFY, HEADER_SUBJECT, HEADER_ISSUER, HEADER_SERIAL)
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PresentedCertificate:
    """What the trusted proxy says about the client certificate of this request."""

    verify: str
    subject: str
    issuer: str
    serial: str

    @property
    def verified(self) -> bool:
        """True when the proxy verified a certificate against the CA and CRL."""
        return self.verify == "SUCCESS" and bool(self.serial) and bool(self.subject)

    @property
    def failure(self) -> str:
        """The proxy's reason for refusing the certificate ("" unless it failed)."""
        return self.verify.partition(":")[2].strip() if self.verify.startswith("FAILED") else ""

    def description(self) -> str:
        """Subject and issuer, for people."""
        return f"{self.subject} / {self.issuer}"[:1000]


def _header(headers: Mapping[str, str], name: str) -> str:
    # HTTP headers reach WSGI as Latin-1: a value holding raw UTF-8 bytes is re-read as UTF-8.
    value = headers.get(name) or ""
    with contextlib.suppress(UnicodeEncodeError, UnicodeDecodeError):
        value = value.encode("latin-1").decode("utf-8")
    return unescape_dn(value.strip())


_HEX = frozenset("0123456789abcdefABCDEF")


def unescape_dn(dn: str) -> str:
    """Turn a DN's ``\\XX`` byte escapes (nginx writes Hangul as ``\\EA\\B9\\80``) back into text.

    Other escapes (``\\,`` ``\\+`` ``\\\\``) are kept: they are part of the DN's structure.
    """
    out: list[str] = []
    pending = bytearray()
    index = 0
    while index < len(dn):
        pair = dn[index + 1:index + 3]
        if dn[index] == "\\" and len(pair) == 2 and set(pair) <= _HEX:
            pending.append(int(pair, 16))
            index += 3
            continue
        if pending:
            out.append(pending.decode("utf-8", "backslashreplace"))
            pending.clear()
        if dn[index] == "\\" and index + 1 < len(dn):
            out.append(dn[index:index + 2])
            index += 2
            continue
        out.append(dn[index])
        index += 1
    if pending:
        out.append(pending.decode("utf-8", "backslashreplace"))
    return "".join(out)


def normalise_serial(value: str) -> str:
    """A serial number as upper-case hex without separators or leading zeros."""
    digits = "".join(ch for ch in (value or "").upper() if ch in "0123456789ABCDEF")
    return digits.lstrip("0") or ("0" if digits else "")


def presented_certificate(headers: Mapping[str, str], peer: str | None) -> PresentedCertificate | None:
    """The certificate a trusted proxy vouches for, or None when the direct peer is not a trusted proxy."""
    if not is_trusted_proxy(peer):
        return None
    return PresentedCertificate(
        verify=_header(headers, HEADER_VERIFY) or "NONE", subject=_header(headers, HEADER_SUBJECT),
        issuer=_header(headers, HEADER_ISSUER), serial=normalise_serial(_header(headers, HEADER_SERIAL)),
    )


def certificate_key(provider: Provider, certificate: PresentedCertificate) -> str:
    """What links a certificate to an account: its serial (default) or its subject DN."""
    return certificate.subject if provider.settings.get("match", "serial") == "subject" else certificate.serial


_FAILURES = {
    "certificate has expired": "expired",
    "certificate revoked": "revoked",
    "certificate is not yet valid": "not_yet_valid",
}


def _failure_message(reason: str) -> str:
    kind = _FAILURES.get(reason.lower())
    if kind == "expired":
        return _("Your certificate has expired. Renew it, or sign in another way.")
    if kind == "revoked":
        return _("Your certificate has been revoked. Ask your agency for a new one, or sign in another way.")
    if kind == "not_yet_valid":
        return _("Your certificate is not valid yet. Check your computer's clock, or sign in another way.")
    return _("Your certificate was not issued by an authority this service accepts, or it could not be "
             "verified. Sign in another way.")


def refusal(provider: Provider, headers: Mapping[str, str], peer: str | None) -> SigninRefused | None:
    """Why this request's certificate cannot sign anyone in, or None when it is verified."""
    certificate = presented_certificate(headers, peer)
    if certificate is None:
        # Not through the proxy: the headers (if any) were written by the client itself.
        forged = {name: _header(headers, name)[:200] for name in CERTIFICATE_HEADERS if headers.get(name)}
        return SigninRefused(_("Certificate sign-in works only through the agency network's secure gateway, and "
                               "this request did not come through it."), rule="cert_untrusted_source",
                             details={"peer": peer, "headers": forged})
    details = {"subject": certificate.subject[:300], "issuer": certificate.issuer[:300],
               "serial": certificate.serial[:80], "verify": certificate.verify[:200]}
    if certificate.failure or certificate.verify.startswith("FAILED"):
        return SigninRefused(_failure_message(certificate.failure), rule="cert_failed", details=details)
    if not certificate.verified:
        return SigninRefused(_("No certificate was presented. Choose your certificate when the browser asks for "
                               "one, or sign in another way."), rule="cert_none", details=details)
    return None


def _refuse(provider: Provider, refused: SigninRefused, now: datetime) -> SigninRefused:
    db.session.rollback()
    record_audit_now(AuditEventType.SIGN_IN_FAILED, actor_label=str(refused.details.get("subject", ""))[:254],
                     details={"method": "certificate", "provider": provider.name, "rule": refused.rule,
                              **refused.details}, now=now)
    return refused


def record_refusal(provider: Provider, headers: Mapping[str, str], peer: str | None,
                   now: datetime | None = None) -> SigninRefused:
    """Audit a certificate the proxy refused (its error page lands here) and return the refusal to show."""
    refused = refusal(provider, headers, peer) or SigninRefused(
        _("No certificate was presented. Choose your certificate when the browser asks for one, or sign in "
          "another way."), rule="cert_none")
    return _refuse(provider, refused, now or utcnow())


def sign_in(provider: Provider, headers: Mapping[str, str], peer: str | None, now: datetime | None = None) -> User:
    """The active account linked to the verified certificate of this request; every outcome is audited."""
    now = now or utcnow()
    refused = refusal(provider, headers, peer)
    if refused is not None:
        raise _refuse(provider, refused, now)
    certificate = presented_certificate(headers, peer)
    details = {"subject": certificate.subject[:300], "issuer": certificate.issuer[:300],
               "serial": certificate.serial[:80]}
    identity = _identity(provider, certificate_key(provider, certificate))
    if identity is None:
        raise _refuse(provider, SigninRefused(
            _("This certificate is not linked to an account yet. Sign in once with your password or the "
              "single sign-on, then link it on the certificate page."), rule="cert_not_bound", details=details), now)
    user = identity.user
    if user.status != UserStatus.ACTIVE:
        from ..services import STATUS_MESSAGES

        raise _refuse(provider, SigninRefused(str(STATUS_MESSAGES[user.status]), rule=f"account_{user.status.value}",
                                              details={**details, "employee_number": user.employee_number}), now)
    identity.last_used_at = now
    record_audit(AuditEventType.SIGN_IN, actor=user, now=now,
                 details={"method": "certificate", "provider": provider.name, **details})
    db.session.commit()
    return user


def _identity(provider: Provider, key: str) -> ExternalIdentity | None:
    if not key:
        return None
    return db.session.scalar(select(ExternalIdentity).where(
        ExternalIdentity.provider == provider.name, ExternalIdentity.subject == key))


def identities_of(provider: Provider, user: User) -> list[ExternalIdentity]:
    """The certificates linked to ``user``, newest first."""
    return list(db.session.scalars(select(ExternalIdentity).where(
        ExternalIdentity.provider == provider.name, ExternalIdentity.user_id == user.id,
    ).order_by(ExternalIdentity.created_at.desc(), ExternalIdentity.id.desc())))


def bind(provider: Provider, user: User, headers: Mapping[str, str], peer: str | None,
         now: datetime | None = None) -> ExternalIdentity:
    """Link the verified certificate of this request to the signed-in ``user``."""
    now = now or utcnow()
    refused = refusal(provider, headers, peer)
    if refused is not None:
        raise refused
    certificate = presented_certificate(headers, peer)
    key = certificate_key(provider, certificate)
    existing = _identity(provider, key)
    if existing is not None:
        if existing.user_id == user.id:
            return existing
        raise Conflict(_("This certificate is already linked to another account."), rule="certificate_taken")
    identity = ExternalIdentity(user_id=user.id, provider=provider.name, subject=key, created_at=now,
                                description=certificate.description(), source=IdentitySource.BOUND)
    db.session.add(identity)
    record_audit(AuditEventType.CERTIFICATE_BOUND, actor=user, target=user.email, now=now, details={
        "provider": provider.name, "serial": certificate.serial, "subject": certificate.subject[:300]})
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise Conflict(_("This certificate is already linked to another account."), rule="certificate_taken") from None
    return identity


def unbind(provider: Provider, user: User, identity_id: int, now: datetime | None = None) -> None:
    """Unlink one of ``user``'s certificates (another person's is NotFound)."""
    identity = db.session.scalar(select(ExternalIdentity).where(
        ExternalIdentity.id == identity_id, ExternalIdentity.user_id == user.id,
        ExternalIdentity.provider == provider.name))
    if identity is None:
        raise NotFound(_("There is no such certificate on your account."), rule="certificate_not_found")
    record_audit(AuditEventType.CERTIFICATE_UNBOUND, actor=user, target=user.email, now=now or utcnow(),
                 details={"provider": provider.name, "subject": identity.subject[:300]})
    db.session.delete(identity)
    db.session.commit()


def link_from_roster(rows: list[tuple[int, str, str]], *, now: datetime) -> list[tuple[int, str]]:
    """Link roster certificates (line, employee number, serial or subject) to people; flushes, returns errors.

    A person's earlier roster certificate is replaced (renewed); one linked by its holder stays.
    """
    if not rows:
        return []
    try:
        provider = _certificate_provider()
    except NotFound as error:
        return [(rows[0][0], error.message)]
    errors: list[tuple[int, str]] = []
    users = {user.employee_number: user for user in db.session.scalars(
        select(User).where(User.employee_number.in_({number for _line, number, _value in rows})))}
    for line, number, value in rows:
        user = users.get(number)
        key = value if provider.settings.get("match", "serial") == "subject" else normalise_serial(value)
        if user is None or not key:
            continue
        existing = _identity(provider, key)
        if existing is not None:
            if existing.user_id != user.id:
                errors.append((line, _("The certificate %(certificate)s is linked to another account.",
                                       certificate=value)))
            continue
        for old in db.session.scalars(select(ExternalIdentity).where(
                ExternalIdentity.provider == provider.name, ExternalIdentity.user_id == user.id,
                ExternalIdentity.source == IdentitySource.ROSTER)):
            db.session.delete(old)
        db.session.add(ExternalIdentity(user_id=user.id, provider=provider.name, subject=key, created_at=now,
                                        source=IdentitySource.ROSTER))
        db.session.flush()
    return errors
