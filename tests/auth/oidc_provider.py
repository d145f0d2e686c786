"""A small but real OpenID Connect provider for the SSO tests, run as its own process.

``python -m tests.auth.oidc_provider`` binds 127.0.0.1 on a free port and prints the port. It
serves discovery, a JWKS with a fresh RSA key, an authorization endpoint with a login form
(authorization code, PKCE S256 required), a token endpoint (client secret, single-use codes,
the verifier checked) issuing RS256 id_tokens, and userinfo. Tests register clients and users
over HTTP (``PUT /clients/<id>``, ``PUT /users/<sub>``); a user's ``id_token`` settings make
the provider misbehave on purpose: another audience, an expired token, a foreign signing key.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import threading
import time
from urllib.parse import urlencode

from flask import Flask, abort, jsonify, redirect, request
from joserfc import jwt
from joserfc.jwk import RSAKey
from markupsafe import escape
from werkzeug.serving import make_server

KEY = RSAKey.generate_key(2048, parameters={"kid": "provider-key-1", "use": "sig", "alg": "RS256"})
FOREIGN_KEY = RSAKey.generate_key(2048, parameters={"kid": "provider-key-1", "use": "sig", "alg": "RS256"})

app = Flask(__name__)
state: dict[str, dict] = {"clients": {}, "users": {}, "codes": {}, "tokens": {}}
lock = threading.Lock()


def issuer() -> str:
    return request.host_url.rstrip("/")


@app.get("/.well-known/openid-configuration")
def discovery():
    base = issuer()
    return jsonify({
        "issuer": base, "authorization_endpoint": f"{base}/authorize", "token_endpoint": f"{base}/token",
        "jwks_uri": f"{base}/jwks", "userinfo_endpoint": f"{base}/userinfo",
        "response_types_supported": ["code"], "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"], "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
    })


@app.get("/jwks")
def jwks():
    return jsonify({"keys": [KEY.as_dict(private=False)]})


@app.put("/clients/<client_id>")
def put_client(client_id: str):
    with lock:
        state["clients"][client_id] = request.get_json()
    return "", 204


@app.put("/users/<sub>")
def put_user(sub: str):
    with lock:
        state["users"][sub] = request.get_json()
    return "", 204


def _authorization_request() -> dict:
    args = request.args
    client = state["clients"].get(args.get("client_id", ""))
    if client is None or args.get("redirect_uri") not in client["redirect_uris"]:
        abort(400, "unknown client or redirect_uri")
    if args.get("response_type") != "code" or "openid" not in args.get("scope", "").split():
        abort(400, "response_type=code and scope openid required")
    if args.get("code_challenge_method") != "S256" or not args.get("code_challenge"):
        abort(400, "PKCE (S256) required")
    return dict(args)


@app.route("/authorize", methods=["GET", "POST"])
def authorize():
    params = _authorization_request()
    if request.method == "GET" or request.form.get("username") not in state["users"]:
        error = "<p>unknown user</p>" if request.method == "POST" else ""
        return (f"<!doctype html><title>Sign in</title>{error}<form method=post>"
                f"<label>User <input name=username></label><button>Sign in</button></form>",
                200 if request.method == "GET" else 401)
    code = secrets.token_urlsafe(24)
    with lock:
        state["codes"][code] = {**params, "sub": request.form["username"], "issued": time.time()}
    query = {"code": code, **({"state": params["state"]} if "state" in params else {})}
    return redirect(f"{params['redirect_uri']}?{urlencode(query)}")


def _client_credentials() -> tuple[str, str]:
    if request.authorization and request.authorization.type == "basic":
        return request.authorization.username or "", request.authorization.password or ""
    return request.form.get("client_id", ""), request.form.get("client_secret", "")


@app.post("/token")
def token():
    client_id, secret = _client_credentials()
    client = state["clients"].get(client_id)
    if client is None or not secrets.compare_digest(client["secret"], secret):
        return jsonify({"error": "invalid_client"}), 401
    with lock:
        grant = state["codes"].pop(request.form.get("code", ""), None)  # single use
    if (request.form.get("grant_type") != "authorization_code" or grant is None
            or grant["client_id"] != client_id or grant["redirect_uri"] != request.form.get("redirect_uri")
            or time.time() - grant["issued"] > 60):
        return jsonify({"error": "invalid_grant"}), 400
    verifier = request.form.get("code_verifier", "")
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    if not secrets.compare_digest(challenge, grant["code_challenge"]):
        return jsonify({"error": "invalid_grant", "error_description": "PKCE verification failed"}), 400
    user = state["users"][grant["sub"]]
    settings = user.get("id_token", {})
    now = int(time.time())
    lifetime = int(settings.get("lifetime", 300))
    claims = {
        "iss": issuer(), "sub": grant["sub"], "aud": settings.get("aud", client_id),
        # An expired token was also issued in the past, as one replayed or delayed would be.
        "iat": now if lifetime > 0 else now + lifetime - 300, "exp": now + lifetime,
        "auth_time": now, **({"nonce": grant["nonce"]} if "nonce" in grant else {}),
        **user.get("claims", {}),
    }
    signing_key = FOREIGN_KEY if settings.get("foreign_key") else KEY
    id_token = jwt.encode({"alg": "RS256", "kid": signing_key.kid}, claims, signing_key)
    access_token = secrets.token_urlsafe(24)
    with lock:
        state["tokens"][access_token] = grant["sub"]
    return jsonify({"access_token": access_token, "token_type": "Bearer", "expires_in": 300, "id_token": id_token})


@app.get("/userinfo")
def userinfo():
    header = request.headers.get("Authorization", "")
    sub = state["tokens"].get(header.removeprefix("Bearer ").strip())
    if sub is None:
        return jsonify({"error": "invalid_token"}), 401
    return jsonify({"sub": sub, **state["users"][sub].get("userinfo", {})})


@app.errorhandler(400)
def bad_request(error):
    return f"<!doctype html><title>Error</title><p>{escape(error.description)}</p>", 400


def main() -> None:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    print(server.server_port, flush=True)
    server.serve_forever()  # until the test session terminates the process


if __name__ == "__main__":
    main()
