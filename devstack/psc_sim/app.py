#!/usr/bin/env python3
"""A Pro Santé Connect simulator: a real OpenID Connect provider on loopback.

It speaks PSC's dialect (Keycloak realm paths, ``scope_all``, ``acr_values``, PSC claims such
as ``SubjectNameID`` and ``SubjectRefPro``), enforces authorization code + PKCE S256 + nonce,
signs RS256 ID tokens and JWT access tokens (120 s, like PSC) that Dovecot and Postfix
validate locally, rotates refresh tokens (30 min) and ends sessions. Its login page lets a
person pick one of the demo identities in ``devstack/identities.json``.

A small ``/_sim`` API lets tests bend it (JWT userinfo, another acr, a wrong nonce or
audience, a foreign signing key, failing refresh) and read what happened (logout calls).
It binds to 127.0.0.1 only and keeps everything in memory, so a restart forgets sessions.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import html
import json
import secrets
import threading
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import unquote_plus, urlencode, urlsplit

import jwt
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from flask import Flask, Response, jsonify, redirect, request

ROOT = Path(__file__).resolve().parent.parent
IDENTITIES = {i["key"]: i for i in json.loads(
    (ROOT / "identities.json").read_text(encoding="utf-8"))["identities"]}
REALM = "/auth/realms/esante-wallet"
OIDC = REALM + "/protocol/openid-connect"
KID = "psc-sim-1"
REALM_UUID = "550dc1c8-d97b-4b1e-ac8c-8eb4471cf9dd"
CLIENTS = {"mssante-web": "devstack-secret-not-for-production"}
DEFAULT_CONFIG: dict[str, Any] = {
    "userinfo_format": "json",       # or "jwt" (application/jwt, signed like the ID token)
    "acr": None,                     # force the acr claim (default: the first requested value)
    "access_token_lifetime": 120,    # PSC: 120 s
    "refresh_token_lifetime": 1800,  # PSC: 30 min
    "id_token_nonce": None,          # force a wrong nonce into the ID token
    "id_token_aud": None,            # force another audience into the ID token
    "sign_with": "signing",          # or "foreign": tokens signed by a key not in the JWKS
    "id_token_lifetime": 300,        # negative: an already expired ID token
    "id_token_tamper": False,        # alter the ID token's payload after signing
    "userinfo_sign_with": None,      # "foreign": JWT userinfo signed by a key not in the JWKS
    "claims_override": None,         # dict merged into userinfo (malformed claim sets)
    "refresh_fails": False,          # the token endpoint refuses refresh grants
    # client authentications the token endpoint accepts (and discovery lists)
    "auth_methods": ["client_secret_basic", "client_secret_post"],
}

app = Flask(__name__)
lock = threading.Lock()
codes: dict[str, dict[str, Any]] = {}
refresh_tokens: dict[str, dict[str, Any]] = {}
events: list[dict[str, Any]] = []
config: dict[str, Any] = dict(DEFAULT_CONFIG)
keys: dict[str, Any] = {}
state_path = Path(".")


def issuer() -> str:
    return request.host_url.rstrip("/") + REALM


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def sign(claims: dict[str, Any]) -> str:
    key = keys[config["sign_with"]]
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": KID})


def verify(token: str, *, check_exp: bool = True) -> dict[str, Any]:
    return jwt.decode(token, keys["signing"].public_key(), algorithms=["RS256"],
                      options={"verify_aud": False, "verify_exp": check_exp})


def loopback_uri(uri: str) -> bool:
    """RFC 8252-style: any port on loopback; the simulator never redirects elsewhere."""
    parts = urlsplit(uri)
    return parts.scheme in ("http", "https") and parts.hostname in ("127.0.0.1", "localhost")


def error_page(message: str, status: int = 400) -> Response:
    body = f"<!doctype html><meta charset=utf-8><title>Erreur PSC</title><p>{html.escape(message)}</p>"
    return Response(body, status=status, mimetype="text/html")


def redirect_with(uri: str, **params: str) -> Response:
    sep = "&" if "?" in uri else "?"
    return redirect(uri + sep + urlencode({k: v for k, v in params.items() if v is not None}))


def client_from_request() -> str | None:
    auth = request.authorization
    if auth and auth.type == "basic":
        method = "client_secret_basic"
        # RFC 6749 §2.3.1: the id and secret are form-urlencoded inside Basic.
        client_id, secret = unquote_plus(auth.username or ""), unquote_plus(auth.password or "")
    else:
        method = "client_secret_post"
        client_id, secret = request.form.get("client_id"), request.form.get("client_secret")
    if method not in config["auth_methods"]:
        return None
    events.append({"event": "client_auth", "method": method})
    if client_id in CLIENTS and secrets.compare_digest(CLIENTS[client_id], secret or ""):
        return client_id
    return None


def sub_for(identity: dict[str, Any]) -> str:
    return f"f:{REALM_UUID}:{identity['idnat']}"


def userinfo_claims(identity: dict[str, Any]) -> dict[str, Any]:
    """Claims shaped like real PSC userinfo (see shared/fixtures/mssante/psc_userinfo_*)."""
    activities = []
    for a in identity["activities"]:
        activities.append({
            "codeModeExercice": a["mode"], "codeSecteurDactivite": a["sector"],
            "codeSectionPharmacien": "", "codeRole": "", "codeGenreActivite": "",
            "numeroSiretSite": a["siret"], "numeroSirenSite": a["siret"][:9],
            "numeroFinessSite": a["finess"], "numeroFinessetablissementJuridique": a["finess_ej"],
            "identifiantTechniqueDeLaStructure": a["tech_id"], "raisonSocialeSite": a["name"],
            "enseigneCommercialeSite": "", "complementDestinataire": "",
            "complementPointGeographique": "", "numeroVoie": "", "indiceRepetitionVoie": "",
            "codeTypeDeVoie": "", "libelleVoie": "", "mentionDistribution": "",
            "bureauCedex": f"{a['postcode']} {a['city']}", "codePostal": a["postcode"],
            "codeCommune": "", "codePays": "", "telephone": "", "telephone2": "",
            "telecopie": "", "adresseEMail": "", "codeDepartement": a["postcode"][:2],
            "ancienIdentifiantDeLaStructure": "", "autoriteDenregistrement": "",
        })
    first = identity["activities"][0]
    return {
        "sub": sub_for(identity),
        "SubjectNameID": identity["idnat"],
        "preferred_username": identity["idnat"],
        "given_name": identity["given_name"],
        "family_name": identity["family_name"],
        "SubjectOrganization": first["name"],
        "SubjectOrganizationID": first["tech_id"],
        "SubjectRole": [f"{identity['profession_code']}^1.2.250.1.213.1.1.5.5"],
        "Secteur_Activite": f"{first['sector']}^1.2.250.1.71.4.2.4",
        "PSI_Locale": "1.2.250.1.213.1.3.1.1",
        "UITVersion": "1.0",
        "authMode": "EXT_AUTH",
        "otherIds": [{"identifiant": identity["idnat"], "origine": "RPPS", "qualite": 1}],
        "SubjectRefPro": {
            "codeCivilite": identity["civility"],
            "exercices": [{
                "codeProfession": identity["profession_code"],
                "codeCategorieProfessionnelle": identity["profession_category"],
                "codeCiviliteDexercice": identity["exercise_civility"],
                "nomDexercice": identity["family_name"],
                "prenomDexercice": identity["given_name"],
                "codeTypeSavoirFaire": identity["savoir_faire_type"],
                "codeSavoirFaire": identity["savoir_faire_code"],
                "activities": activities,
            }],
        },
    }


def access_token_for(grant: dict[str, Any], client_id: str, now: int) -> str:
    identity = IDENTITIES[grant["identity"]]
    return sign({
        "iss": grant["iss"], "sub": sub_for(identity), "aud": [client_id], "azp": client_id,
        "typ": "Bearer", "iat": now, "exp": now + int(config["access_token_lifetime"]),
        "jti": str(uuid.uuid4()), "sid": grant["sid"], "scope": grant["scope"],
        "acr": grant["acr"], "email": identity["mailbox"],
        "SubjectNameID": identity["idnat"], "preferred_username": identity["idnat"],
        "given_name": identity["given_name"], "family_name": identity["family_name"],
    })


def token_response(grant: dict[str, Any], client_id: str, access_token: str, now: int,
                   include_nonce: bool) -> dict[str, Any]:
    identity = IDENTITIES[grant["identity"]]
    id_claims = {
        "iss": grant["iss"], "sub": sub_for(identity),
        "aud": config["id_token_aud"] or client_id, "azp": client_id,
        "iat": now, "exp": now + int(config["id_token_lifetime"]), "auth_time": grant["auth_time"],
        "acr": grant["acr"],
        "sid": grant["sid"], "typ": "ID",
        "at_hash": b64url(hashlib.sha256(access_token.encode()).digest()[:16]),
        "SubjectNameID": identity["idnat"], "preferred_username": identity["idnat"],
        "given_name": identity["given_name"], "family_name": identity["family_name"],
    }
    if include_nonce:
        id_claims["nonce"] = config["id_token_nonce"] or grant["nonce"]
    refresh = secrets.token_urlsafe(32)
    with lock:
        refresh_tokens[refresh] = dict(grant, exp=now + int(config["refresh_token_lifetime"]),
                                       client_id=client_id)
    id_token = sign(id_claims)
    if config["id_token_tamper"]:
        header, _, signature = id_token.split(".")
        forged = b64url(json.dumps(dict(id_claims, SubjectNameID="899700999999")).encode())
        id_token = f"{header}.{forged}.{signature}"
    return {
        "access_token": access_token, "token_type": "Bearer",
        "expires_in": int(config["access_token_lifetime"]),
        "refresh_token": refresh, "refresh_expires_in": int(config["refresh_token_lifetime"]),
        "id_token": id_token, "scope": grant["scope"], "session_state": grant["sid"],
        "not-before-policy": 0,
    }


# ---------------------------------------------------------------- discovery and keys

def discovery() -> Response:
    iss = issuer()
    base = iss + "/protocol/openid-connect"
    return jsonify({
        "issuer": iss,
        "authorization_endpoint": base + "/auth",
        "token_endpoint": base + "/token",
        "userinfo_endpoint": base + "/userinfo",
        "end_session_endpoint": base + "/logout",
        "introspection_endpoint": base + "/token/introspect",
        "jwks_uri": base + "/certs",
        "response_types_supported": ["code"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "userinfo_signing_alg_values_supported": ["RS256"],
        "code_challenge_methods_supported": ["S256"],
        "scopes_supported": ["openid", "scope_all"],
        "acr_values_supported": ["eidas1", "eidas2", "eidas3"],
        "token_endpoint_auth_methods_supported": list(config["auth_methods"]),
        "claims_parameter_supported": False,
    })


app.add_url_rule(REALM + "/.well-known/openid-configuration", "discovery", discovery)
app.add_url_rule(REALM + "/.well-known/wallet-openid-configuration", "wallet_discovery", discovery)


@app.get(OIDC + "/certs")
def certs() -> Response:
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(keys["signing"].public_key()))
    jwk.update({"kid": KID, "use": "sig", "alg": "RS256"})
    return jsonify({"keys": [jwk]})


# ---------------------------------------------------------------- authorization

PAGE = """<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><title>Pro Santé Connect (simulateur)</title>
<link rel="icon" href="data:,">
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{{font-family:system-ui,sans-serif;background:#f3f5f9;margin:0;color:#1b1f2a}}
main{{max-width:34rem;margin:3rem auto;background:#fff;padding:2rem;border-radius:12px;
box-shadow:0 2px 12px #0002}}
h1{{font-size:1.3rem;margin-top:0}} .sim{{color:#8a3b00;font-size:.9rem}}
button{{display:block;width:100%;text-align:left;margin:.4rem 0;padding:.8rem 1rem;
border:1px solid #c9d1e0;border-radius:8px;background:#fff;font-size:1rem;cursor:pointer}}
button:hover,button:focus{{border-color:#000091;outline:2px solid #000091}}
small{{color:#505a6b}} .cancel{{text-align:center;color:#505a6b}}
</style></head><body><main>
<h1>Pro Santé Connect</h1>
<p class="sim">Simulateur local pour le développement : aucune carte CPS ni e-CPS n'est
demandée. Choisissez l'identité avec laquelle vous connecter.</p>
<form method="post">
{hidden}
{buttons}
<button class="cancel" name="action" value="cancel">Annuler</button>
</form></main></body></html>"""


@app.route(OIDC + "/auth", methods=["GET", "POST"])
def authorize() -> Response:
    params = request.values
    client_id = params.get("client_id", "")
    redirect_uri = params.get("redirect_uri", "")
    if client_id not in CLIENTS:
        return error_page("Client inconnu.")
    if not loopback_uri(redirect_uri):
        return error_page("redirect_uri refusée.")
    state = params.get("state")
    if params.get("response_type") != "code":
        return redirect_with(redirect_uri, error="unsupported_response_type", state=state)
    scopes = params.get("scope", "").split()
    if "openid" not in scopes:
        return redirect_with(redirect_uri, error="invalid_scope", state=state)
    if params.get("code_challenge_method") != "S256" or not params.get("code_challenge"):
        return redirect_with(redirect_uri, error="invalid_request",
                             error_description="PKCE S256 required", state=state)
    if not params.get("nonce"):
        return redirect_with(redirect_uri, error="invalid_request",
                             error_description="nonce required", state=state)
    if request.method == "GET":
        hidden = "\n".join(
            f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
            for k, v in params.items())
        buttons = "\n".join(
            f'<button name="identity" value="{html.escape(key)}">'
            f'{html.escape(i["given_name"])} {html.escape(i["family_name"])}<br>'
            f'<small>{html.escape(i["label"])} · {html.escape(i["activities"][0]["name"])}</small>'
            f'</button>' for key, i in IDENTITIES.items())
        return Response(PAGE.format(hidden=hidden, buttons=buttons), mimetype="text/html")
    if params.get("action") == "cancel":
        return redirect_with(redirect_uri, error="access_denied",
                             error_description="L'utilisateur a annulé", state=state)
    identity = params.get("identity", "")
    if identity not in IDENTITIES:
        return error_page("Identité inconnue.")
    requested_acr = (params.get("acr_values") or "eidas1").split()
    now = int(time.time())
    code = secrets.token_urlsafe(24)
    with lock:
        codes[code] = {
            "client_id": client_id, "redirect_uri": redirect_uri, "identity": identity,
            "nonce": params["nonce"], "code_challenge": params["code_challenge"],
            "scope": " ".join(scopes), "acr": config["acr"] or requested_acr[0],
            "exp": now + 60, "auth_time": now, "sid": str(uuid.uuid4()), "iss": issuer(),
        }
    return redirect_with(redirect_uri, code=code, state=state, session_state=codes[code]["sid"])


# ---------------------------------------------------------------- tokens

def oauth_error(error: str, description: str, status: int = 400) -> Response:
    response = jsonify({"error": error, "error_description": description})
    response.status_code = status
    return response


@app.post(OIDC + "/token")
def token() -> Response:
    client_id = client_from_request()
    if client_id is None:
        return oauth_error("invalid_client", "client authentication failed", 401)
    now = int(time.time())
    grant_type = request.form.get("grant_type")
    if grant_type == "authorization_code":
        with lock:
            grant = codes.pop(request.form.get("code", ""), None)
        if grant is None or grant["exp"] < now or grant["client_id"] != client_id:
            return oauth_error("invalid_grant", "code unknown, used or expired")
        if request.form.get("redirect_uri") != grant["redirect_uri"]:
            return oauth_error("invalid_grant", "redirect_uri mismatch")
        verifier = request.form.get("code_verifier", "")
        challenge = b64url(hashlib.sha256(verifier.encode()).digest())
        if not verifier or not secrets.compare_digest(challenge, grant["code_challenge"]):
            return oauth_error("invalid_grant", "PKCE verification failed")
        access = access_token_for(grant, client_id, now)
        events.append({"event": "login", "identity": grant["identity"], "sid": grant["sid"]})
        return jsonify(token_response(grant, client_id, access, now, include_nonce=True))
    if grant_type == "refresh_token":
        if config["refresh_fails"]:
            return oauth_error("invalid_grant", "Session not active")
        with lock:
            grant = refresh_tokens.pop(request.form.get("refresh_token", ""), None)
        if grant is None or grant["exp"] < now or grant["client_id"] != client_id:
            return oauth_error("invalid_grant", "Token is not active")
        access = access_token_for(grant, client_id, now)
        events.append({"event": "refresh", "identity": grant["identity"], "sid": grant["sid"]})
        return jsonify(token_response(grant, client_id, access, now, include_nonce=False))
    return oauth_error("unsupported_grant_type", str(grant_type))


def bearer_claims() -> dict[str, Any] | None:
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        return None
    try:
        return verify(header[7:])
    except jwt.PyJWTError:
        return None


@app.route(OIDC + "/userinfo", methods=["GET", "POST"])
def userinfo() -> Response:
    claims = bearer_claims()
    if claims is None:
        response = oauth_error("invalid_token", "token invalid or expired", 401)
        response.headers["WWW-Authenticate"] = 'Bearer error="invalid_token"'
        return response
    identity = next(i for i in IDENTITIES.values() if i["idnat"] == claims["SubjectNameID"])
    info = userinfo_claims(identity)
    if config["claims_override"]:
        info.update(config["claims_override"])
    if config["userinfo_format"] == "jwt":
        key = keys[config["userinfo_sign_with"] or config["sign_with"]]
        signed = jwt.encode(dict(info, iss=claims["iss"], aud=claims["azp"]), key,
                            algorithm="RS256", headers={"kid": KID})
        return Response(signed, mimetype="application/jwt")
    return jsonify(info)


@app.post(OIDC + "/token/introspect")
def introspect() -> Response:
    if client_from_request() is None:
        return oauth_error("invalid_client", "client authentication failed", 401)
    try:
        claims = verify(request.form.get("token", ""))
    except jwt.PyJWTError:
        return jsonify({"active": False})
    return jsonify(dict(claims, active=True, client_id=claims["azp"]))


@app.get(OIDC + "/logout")
def logout() -> Response:
    hint = request.args.get("id_token_hint", "")
    target = request.args.get("post_logout_redirect_uri", "")
    state = request.args.get("state")
    try:
        claims = verify(hint, check_exp=False)
    except jwt.PyJWTError:
        return error_page("id_token_hint invalide.")
    with lock:
        for key in [k for k, v in refresh_tokens.items() if v["sid"] == claims.get("sid")]:
            del refresh_tokens[key]
    events.append({"event": "logout", "sid": claims.get("sid"), "sub": claims.get("sub"),
                   "post_logout_redirect_uri": target, "state": state})
    if target and loopback_uri(target):
        return redirect_with(target, state=state)
    return Response("<!doctype html><meta charset=utf-8><p>Vous êtes déconnecté de Pro Santé "
                    "Connect.</p>", mimetype="text/html")


# ---------------------------------------------------------------- test controls

@app.route("/_sim/config", methods=["GET", "POST"])
def sim_config() -> Response:
    if request.method == "POST":
        changes = request.get_json(force=True) or {}
        unknown = set(changes) - set(DEFAULT_CONFIG)
        if unknown:
            return oauth_error("invalid_request", f"unknown keys {sorted(unknown)}")
        config.update(changes)
    return jsonify(config)


@app.post("/_sim/reset")
def sim_reset() -> Response:
    config.clear()
    config.update(DEFAULT_CONFIG)
    events.clear()
    return jsonify(config)


@app.get("/_sim/events")
def sim_events() -> Response:
    return jsonify(events)


@app.post("/_sim/mint")
def sim_mint() -> Response:
    """Mint an access token directly: for protocol tests (expired, foreign key...)."""
    body = request.get_json(force=True) or {}
    identity = body.get("identity", "gp")
    now = int(time.time())
    grant = {"identity": identity, "iss": issuer(), "sid": str(uuid.uuid4()),
             "scope": "openid scope_all", "acr": "eidas1"}
    saved = dict(config)
    config["sign_with"] = body.get("sign_with", "signing")
    config["access_token_lifetime"] = int(body.get("lifetime", 120))
    try:
        token_value = access_token_for(grant, body.get("client_id", "mssante-web"), now)
    finally:
        config.clear()
        config.update(saved)
    return jsonify({"access_token": token_value})


@app.get("/healthz")
def healthz() -> Response:
    return jsonify({"status": "ok"})


def main() -> None:
    global state_path
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--state", type=Path, required=True)
    args = parser.parse_args()
    state_path = args.state
    for name in ("signing", "foreign"):
        keys[name] = load_pem_private_key((args.state / "psc" / f"{name}.key").read_bytes(), None)
    from werkzeug.serving import make_server
    server = make_server("127.0.0.1", args.port, app, threaded=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
