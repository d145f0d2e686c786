"""OpenID Connect sign-in (a government SSO) with Authlib: authorization code + PKCE, state, nonce.

The account is the existing active one whose employee number the provider states in a configured
claim; it is created only for agencies the provider's settings list. The ``id_token`` signature
(the provider's JWKS), issuer, audience, expiry and nonce are all verified before anyone signs in.
"""

from __future__ import annotations

import hashlib
import time
from datetime import datetime, timedelta

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from flask import current_app
from flask_babel import gettext as _
from joserfc import jwt
from joserfc.errors import ClaimError, ExpiredTokenError, JoseError
from joserfc.jwk import KeySet
from sqlalchemy import delete, select, update

from ...audit import AuditEventType, record_audit, record_audit_now
from ...errors import SmartworkError
from ...extensions import db
from ...timeutils import utcnow
from ..models import User, UserStatus
from . import Provider, SigninRefused
from .models import ExternalIdentity, IdentitySource, OidcSignin

# Asymmetric algorithms only: a shared-secret (HS*) token could be forged by anyone holding the
# client secret, and accepting "none" would accept anything.
ID_TOKEN_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "ES256", "ES384")
_METADATA_TTL = 3600  # seconds a provider's discovery document and keys are reused
_cache: dict[str, tuple[float, dict]] = {}


def _hash_state(state: str) -> str:
    return hashlib.sha256(state.encode()).hexdigest()


def _timeout() -> float:
    return float(current_app.config["OIDC_HTTP_TIMEOUT_SECONDS"])


def _fetch_json(url: str, *, fresh: bool = False) -> dict:
    """GET a JSON document, cached per process for an hour (``fresh`` skips the cache)."""
    cached = _cache.get(url)
    if cached and not fresh and time.monotonic() - cached[0] < _METADATA_TTL:
        return cached[1]
    response = requests.get(url, timeout=_timeout())
    response.raise_for_status()
    document = response.json()
    _cache[url] = (time.monotonic(), document)
    return document


def provider_metadata(provider: Provider) -> dict:
    """The provider's discovery document; its issuer must be the configured one."""
    issuer = provider.settings["issuer"].rstrip("/")
    url = provider.settings.get("discovery_url") or f"{issuer}/.well-known/openid-configuration"
    metadata = _fetch_json(url)
    if metadata.get("issuer", "").rstrip("/") != issuer:
        raise RuntimeError(f"OIDC provider {provider.name}: discovery says issuer {metadata.get('issuer')!r}")
    return metadata


def _client(provider: Provider, redirect_uri: str) -> OAuth2Session:
    return OAuth2Session(
        provider.settings["client_id"], provider.settings["client_secret"],
        scope=provider.settings.get("scope", "openid profile email"), redirect_uri=redirect_uri,
        code_challenge_method="S256",
        token_endpoint_auth_method=provider.settings.get("token_endpoint_auth_method", "client_secret_basic"),
    )


def begin_signin(provider: Provider, *, redirect_uri: str, next_url: str | None,
                 now: datetime | None = None) -> tuple[str, str]:
    """Start a sign-in: remember a fresh state, nonce and PKCE verifier; return (authorization URL, state)."""
    now = now or utcnow()
    try:
        metadata = provider_metadata(provider)
    except (requests.RequestException, ValueError, RuntimeError) as error:
        current_app.logger.warning("OIDC provider %s unreachable: %s", provider.name, error)
        refusal = _unavailable(provider)
        record_audit_now(AuditEventType.SIGN_IN_FAILED, now=now, details={
            "method": "oidc", "provider": provider.name, "rule": refusal.rule, "error": str(error)[:200]})
        raise refusal from None
    state, nonce, verifier = generate_token(43), generate_token(43), generate_token(64)
    url, _state = _client(provider, redirect_uri).create_authorization_url(
        metadata["authorization_endpoint"], state=state, code_verifier=verifier, nonce=nonce,
    )
    # Abandoned sign-ins are swept as new ones start; a day is far past any state's lifetime.
    db.session.execute(delete(OidcSignin).where(OidcSignin.created_at < now - timedelta(days=1)))
    db.session.add(OidcSignin(provider=provider.name, state_hash=_hash_state(state), nonce=nonce,
                              code_verifier=verifier, next_url=(next_url or "")[:500], created_at=now))
    db.session.commit()
    return url, state


def complete_signin(provider: Provider, *, state: str | None, expected_state: str | None, code: str | None,
                    error: str | None, redirect_uri: str, now: datetime | None = None) -> tuple[User, str]:
    """Finish a sign-in at the callback; returns (the account, where to go next) or raises SigninRefused.

    ``expected_state`` is the state this browser's session started with. Every outcome is audited.
    """
    now = now or utcnow()
    try:
        return _complete(provider, state, expected_state, code, error, redirect_uri, now)
    except SigninRefused as refusal:
        db.session.rollback()
        details = {"method": "oidc", "provider": provider.name, "rule": refusal.rule, **refusal.details}
        record_audit_now(AuditEventType.SIGN_IN_FAILED, actor_label=str(refusal.details.get("employee_number", "")),
                         details=details, now=now)
        raise


def _complete(provider: Provider, state: str | None, expected_state: str | None, code: str | None,
              error: str | None, redirect_uri: str, now: datetime) -> tuple[User, str]:
    signin = _spend_state(provider, state, expected_state, now)
    if error or not code:
        raise SigninRefused(
            _("The sign-in service %(provider)s did not complete the sign-in. Try again, or use another "
              "sign-in method.", provider=provider.label_ko), rule="sso_provider_error",
            details={"error": (error or "no code")[:200]})
    claims = _verified_claims(provider, signin, code, redirect_uri, now)
    user, created = _account_for(provider, claims, now)
    _remember_identity(provider, user, claims, now)
    details = {"method": "oidc", "provider": provider.name, "subject": str(claims["sub"])[:200]}
    if created:
        details["created"] = True
    record_audit(AuditEventType.SIGN_IN, actor=user, now=now, details=details)
    next_url = signin["next_url"]
    db.session.commit()
    return user, next_url


def _spend_state(provider: Provider, state: str | None, expected_state: str | None, now: datetime) -> dict:
    """Check the state against this browser's session and spend it (committed: it never works twice)."""
    if not state or not expected_state or state != expected_state:
        # Not started in this browser (or already finished here): a forged or replayed callback.
        raise SigninRefused(_("This sign-in did not start in this browser, or it has already been used. "
                              "Start again from the sign-in page."), rule="sso_state_mismatch")
    signin = db.session.scalar(select(OidcSignin).where(
        OidcSignin.state_hash == _hash_state(state), OidcSignin.provider == provider.name))
    if signin is None:
        raise SigninRefused(_("This sign-in is unknown. Start again from the sign-in page."),
                            rule="sso_state_unknown")
    if signin.used_at is not None:
        raise SigninRefused(_("This sign-in has already been used. Start again from the sign-in page."),
                            rule="sso_state_replayed")
    if signin.created_at + current_app.config["OIDC_STATE_LIFETIME"] < now:
        raise SigninRefused(_("This sign-in took too long and has expired. Start again from the sign-in page."),
                            rule="sso_state_expired")
    values = {"nonce": signin.nonce, "code_verifier": signin.code_verifier, "next_url": signin.next_url}
    # A conditional update: of two callbacks racing with one state, exactly one spends it.
    spent = db.session.execute(update(OidcSignin).where(OidcSignin.id == signin.id, OidcSignin.used_at.is_(None))
                               .values(used_at=now))
    db.session.commit()  # spent whatever follows: a refused attempt cannot be retried with this state
    if spent.rowcount != 1:
        raise SigninRefused(_("This sign-in has already been used. Start again from the sign-in page."),
                            rule="sso_state_replayed")
    return values


def _unavailable(provider: Provider) -> SigninRefused:
    return SigninRefused(
        _("The sign-in service %(provider)s cannot be reached right now. Try again later, or use another "
          "sign-in method.", provider=provider.label_ko), rule="sso_unavailable")


def _verified_claims(provider: Provider, signin: dict, code: str, redirect_uri: str, now: datetime) -> dict:
    """Exchange the code (with the PKCE verifier) and verify the id_token; its claims, plus userinfo."""
    try:
        metadata = provider_metadata(provider)
        token = _client(provider, redirect_uri).fetch_token(
            metadata["token_endpoint"], grant_type="authorization_code", code=code,
            code_verifier=signin["code_verifier"], timeout=_timeout(),
        )
    except (AuthlibBaseError, requests.RequestException, ValueError, RuntimeError) as error:
        raise SigninRefused(
            _("The sign-in service %(provider)s did not complete the sign-in. Try again, or use another "
              "sign-in method.", provider=provider.label_ko), rule="sso_provider_error",
            details={"error": str(error)[:200]}) from None
    id_token = token.get("id_token")
    if not id_token:
        raise _bad_token("no id_token")
    claims = _verify_id_token(provider, metadata, id_token, signin["nonce"], now)
    employee_claim = provider.settings.get("claim", "employee_number")
    if claims.get(employee_claim) in (None, "") and metadata.get("userinfo_endpoint") and token.get("access_token"):
        claims = {**_userinfo(metadata["userinfo_endpoint"], token["access_token"], claims["sub"]), **claims}
    return claims


def _bad_token(reason: str) -> SigninRefused:
    return SigninRefused(_("The sign-in service's answer could not be verified, so you were not signed in. "
                           "Start again from the sign-in page."), rule="sso_token_invalid",
                         details={"reason": reason[:200]})


def _verify_id_token(provider: Provider, metadata: dict, id_token: str, nonce: str, now: datetime) -> dict:
    """Signature against the provider's JWKS, then issuer, audience, expiry and nonce."""
    decoded = None
    for fresh in (False, True):  # a key we have not seen: the provider may have rotated; fetch once more
        try:
            keys = KeySet.import_key_set(_fetch_json(metadata["jwks_uri"], fresh=fresh))
            decoded = jwt.decode(id_token, keys, algorithms=list(ID_TOKEN_ALGORITHMS))
            break
        except (requests.RequestException, ValueError, JoseError) as error:
            reason = f"{type(error).__name__}: {error}"
    if decoded is None:
        raise _bad_token(reason)
    registry = jwt.JWTClaimsRegistry(
        now=int(now.timestamp()), leeway=int(current_app.config["OIDC_CLOCK_LEEWAY_SECONDS"]),
        iss={"essential": True, "value": provider.settings["issuer"].rstrip("/")},
        aud={"essential": True, "value": provider.settings["client_id"]},
        sub={"essential": True}, exp={"essential": True}, iat={"essential": True},
        nonce={"essential": True, "value": nonce},
    )
    claims = decoded.claims
    try:
        registry.validate(claims)
        _check_authorized_party(provider, claims)
    except ExpiredTokenError:
        raise SigninRefused(_("The sign-in service's answer has already expired, so you were not signed in. "
                              "Start again from the sign-in page."), rule="sso_token_expired",
                            details={"exp": claims.get("exp")}) from None
    except ClaimError as error:
        raise _claim_refusal(error.claim, claims) from None
    return claims


def _check_authorized_party(provider: Provider, claims: dict) -> None:
    """With several audiences, the token must name us as the party it was issued to (OIDC Core 3.1.3.7)."""
    from joserfc.errors import InvalidClaimError

    audience = claims.get("aud")
    if isinstance(audience, list) and len(audience) > 1 and claims.get("azp") != provider.settings["client_id"]:
        raise InvalidClaimError("aud")


def _claim_refusal(claim: str, claims: dict) -> SigninRefused:
    if claim == "aud":
        return SigninRefused(_("The sign-in service's answer was issued for another application, so you were "
                               "not signed in."), rule="sso_wrong_audience", details={"aud": claims.get("aud")})
    if claim == "iss":
        return SigninRefused(_("The sign-in service's answer came from an unexpected issuer, so you were not "
                               "signed in."), rule="sso_wrong_issuer", details={"iss": claims.get("iss")})
    if claim == "nonce":
        return SigninRefused(_("The sign-in service's answer does not belong to this sign-in, so you were not "
                               "signed in. Start again from the sign-in page."), rule="sso_nonce_mismatch")
    return _bad_token(f"claim {claim}")


def _userinfo(endpoint: str, access_token: str, subject: str) -> dict:
    """The userinfo claims, only if they are about the id_token's subject."""
    try:
        response = requests.get(endpoint, headers={"Authorization": f"Bearer {access_token}"}, timeout=_timeout())
        response.raise_for_status()
        info = response.json()
    except (requests.RequestException, ValueError):
        return {}
    return info if isinstance(info, dict) and info.get("sub") == subject else {}


def _account_for(provider: Provider, claims: dict, now: datetime) -> tuple[User, bool]:
    """The active account with the stated employee number (created only for listed agencies), and whether it is new."""
    from .. import services

    employee_claim = provider.settings.get("claim", "employee_number")
    number = str(claims.get(employee_claim) or "").strip()
    if not number:
        raise SigninRefused(_("The sign-in service did not state your employee number, so your account cannot "
                              "be found."), rule="sso_claim_missing", details={"claim": employee_claim})
    user = db.session.scalar(select(User).where(User.employee_number == number))
    created = False
    if user is None:
        user = _create_if_allowed(provider, claims, number, now)
        created = user is not None
    if user is None:
        raise SigninRefused(
            _("No smartwork account has the employee number %(number)s. Ask your agency's HR office to add you "
              "to the roster.", number=number), rule="sso_unknown_employee", details={"employee_number": number})
    if user.status != UserStatus.ACTIVE:
        raise SigninRefused(str(services.STATUS_MESSAGES[user.status]), rule=f"account_{user.status.value}",
                            details={"employee_number": number})
    return user, created


def _create_if_allowed(provider: Provider, claims: dict, number: str, now: datetime) -> User | None:
    """Create the account only when the provider's settings allow it for the stated agency."""
    from .. import services

    agency_code = str(claims.get(provider.settings.get("agency_claim", "agency_code")) or "")
    if not agency_code or agency_code not in (provider.settings.get("auto_create_agencies") or ()):
        return None
    try:
        user = services.create_user(employee_number=number, email=str(claims.get("email") or ""),
                                    name=str(claims.get("name") or ""), agency_code=agency_code, now=now)
    except SmartworkError as error:
        raise SigninRefused(
            _("Your account could not be created from what the sign-in service stated: %(reason)s",
              reason=error.message), rule="sso_cannot_create",
            details={"employee_number": number, "reason": error.rule}) from None
    return user


def _remember_identity(provider: Provider, user: User, claims: dict, now: datetime) -> None:
    """Link the provider's subject to the account (the admin console lists how people sign in)."""
    subject = str(claims["sub"])[:500]
    identity = db.session.scalar(select(ExternalIdentity).where(
        ExternalIdentity.provider == provider.name, ExternalIdentity.subject == subject))
    if identity is None:
        identity = ExternalIdentity(provider=provider.name, subject=subject, user_id=user.id,
                                    source=IdentitySource.SIGN_IN, created_at=now,
                                    description=str(claims.get("name") or "")[:1000])
        db.session.add(identity)
    elif identity.user_id != user.id:
        # The provider moved this subject to another employee number: follow HR, and say so.
        record_audit(AuditEventType.SIGN_IN, actor=user, now=now, details={
            "method": "oidc", "provider": provider.name, "relinked_from": identity.user_id})
        identity.user_id = user.id
    identity.last_used_at = now

