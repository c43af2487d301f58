"""The PSC simulator is a real OIDC provider: the flow's checks must hold on its side too."""

from __future__ import annotations

import base64
import hashlib
import secrets
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
import pytest
import requests

from tests.conftest import ENV, IDENTITIES, PSCSim

pytestmark = pytest.mark.integration
CALLBACK = "http://127.0.0.1:9/oidc/callback/"
_BASE = ENV["MSSANTE_PSC_ISSUER"] + "/protocol/openid-connect"
ENDPOINTS = {"authorization": _BASE + "/auth", "token": _BASE + "/token",
             "jwks": _BASE + "/certs", "userinfo": _BASE + "/userinfo", "logout": _BASE + "/logout"}


def authorize_url(challenge: str, nonce: str = "n-123", **extra: str) -> str:
    params = {"response_type": "code", "client_id": ENV["MSSANTE_PSC_CLIENT_ID"],
              "redirect_uri": CALLBACK, "scope": "openid scope_all", "state": "s-1",
              "nonce": nonce, "acr_values": "eidas1", "code_challenge": challenge,
              "code_challenge_method": "S256", **extra}
    return ENDPOINTS["authorization"] + "?" + urlencode(params)


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=")
    return verifier, challenge.decode()


def code_for(identity: str, challenge: str) -> str:
    location = PSCSim.pick_identity(authorize_url(challenge), identity)
    query = parse_qs(urlsplit(location).query)
    assert query["state"] == ["s-1"]
    return query["code"][0]


def exchange(code: str, verifier: str) -> requests.Response:
    return requests.post(ENDPOINTS["token"], data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK,
        "code_verifier": verifier, "client_id": ENV["MSSANTE_PSC_CLIENT_ID"],
        "client_secret": ENV["MSSANTE_PSC_CLIENT_SECRET"]}, timeout=5)


def jwks_key(token: str) -> jwt.PyJWK:
    keys = requests.get(ENDPOINTS["jwks"], timeout=5).json()["keys"]
    kid = jwt.get_unverified_header(token)["kid"]
    return jwt.PyJWK(next(k for k in keys if k["kid"] == kid))


def test_code_flow_with_pkce_and_nonce_gives_psc_tokens(psc_sim: PSCSim) -> None:
    verifier, challenge = pkce()
    tokens = exchange(code_for("gp", challenge), verifier).json()
    assert tokens["expires_in"] == 120 and tokens["refresh_token"]
    id_claims = jwt.decode(tokens["id_token"], jwks_key(tokens["id_token"]), algorithms=["RS256"],
                           audience=ENV["MSSANTE_PSC_CLIENT_ID"], issuer=ENV["MSSANTE_PSC_ISSUER"])
    assert id_claims["nonce"] == "n-123"
    assert id_claims["SubjectNameID"] == IDENTITIES["gp"]["idnat"]
    access = jwt.decode(tokens["access_token"], jwks_key(tokens["access_token"]),
                        algorithms=["RS256"], audience=ENV["MSSANTE_PSC_CLIENT_ID"])
    assert access["email"] == IDENTITIES["gp"]["mailbox"]
    assert access["exp"] - access["iat"] == 120


def test_code_is_single_use_and_bound_to_the_verifier(psc_sim: PSCSim) -> None:
    verifier, challenge = pkce()
    code = code_for("nurse", challenge)
    assert exchange(code, "not-the-verifier").json()["error"] == "invalid_grant"
    # A failed attempt burns the code, like Keycloak.
    assert exchange(code, verifier).status_code == 400


def test_authorization_requires_pkce_and_nonce(psc_sim: PSCSim) -> None:
    for url in (authorize_url("", code_challenge_method=""), authorize_url("x", nonce="")):
        answer = requests.get(url, allow_redirects=False, timeout=5)
        assert answer.status_code == 302
        assert parse_qs(urlsplit(answer.headers["Location"]).query)["error"] == ["invalid_request"]


def test_userinfo_as_json_and_as_signed_jwt(psc_sim: PSCSim) -> None:
    verifier, challenge = pkce()
    tokens = exchange(code_for("social", challenge), verifier).json()
    endpoint = ENDPOINTS["userinfo"]
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    as_json = requests.get(endpoint, headers=headers, timeout=5)
    assert as_json.headers["Content-Type"].startswith("application/json")
    claims = as_json.json()
    assert claims["SubjectNameID"] == IDENTITIES["social"]["idnat"]
    exercise = claims["SubjectRefPro"]["exercices"][0]
    assert exercise["codeProfession"] == IDENTITIES["social"]["profession_code"]
    assert exercise["activities"][0]["raisonSocialeSite"] == "CCAS de Villeurbanne"
    psc_sim.configure(userinfo_format="jwt")
    as_jwt = requests.get(endpoint, headers=headers, timeout=5)
    assert as_jwt.headers["Content-Type"].startswith("application/jwt")
    decoded = jwt.decode(as_jwt.text, jwks_key(as_jwt.text), algorithms=["RS256"],
                         audience=ENV["MSSANTE_PSC_CLIENT_ID"])
    assert decoded["SubjectRefPro"] == claims["SubjectRefPro"]


def test_refresh_rotates_and_end_session_revokes(psc_sim: PSCSim) -> None:
    verifier, challenge = pkce()
    tokens = exchange(code_for("pharmacist", challenge), verifier).json()
    data = {"grant_type": "refresh_token", "client_id": ENV["MSSANTE_PSC_CLIENT_ID"],
            "client_secret": ENV["MSSANTE_PSC_CLIENT_SECRET"]}
    first = requests.post(ENDPOINTS["token"],
                          data={**data, "refresh_token": tokens["refresh_token"]}, timeout=5).json()
    assert first["access_token"] != tokens["access_token"]
    replay = requests.post(ENDPOINTS["token"],
                           data={**data, "refresh_token": tokens["refresh_token"]}, timeout=5)
    assert replay.status_code == 400
    logout = requests.get(ENDPOINTS["logout"], params={
        "id_token_hint": tokens["id_token"], "post_logout_redirect_uri": "http://127.0.0.1:9/bye/",
        "state": "xyz"}, allow_redirects=False, timeout=5)
    assert logout.headers["Location"] == "http://127.0.0.1:9/bye/?state=xyz"
    after = requests.post(ENDPOINTS["token"],
                          data={**data, "refresh_token": first["refresh_token"]}, timeout=5)
    assert after.status_code == 400


def test_unknown_client_and_foreign_redirect_are_refused(psc_sim: PSCSim) -> None:
    _, challenge = pkce()
    bad_client = requests.get(authorize_url(challenge, client_id="intruder"), timeout=5)
    assert bad_client.status_code == 400
    evil = requests.get(authorize_url(challenge, redirect_uri="https://evil.example/cb"), timeout=5,
                        allow_redirects=False)
    assert evil.status_code == 400
