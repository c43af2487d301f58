"""The relying party against a second OpenID Connect provider that this project did not
write: panva's oidc-provider (OpenID Certified), configured as PSC's realm would be (PSC
claims under scope_all, acr eidas1, 120 s access tokens, a client that must use HTTP Basic
at the token endpoint), set up with environment-like settings only: the issuer, the
client, the post-logout URI. Keycloak, the engine PSC runs on, was the first choice; its
distribution comes from the Maven registry, which this project's machines cannot reach
(see docs/architecture.md).

Sign-in, the refresh after expiry with Basic client authentication, userinfo claims mapped
to the professional's identity, and end_session to the configured URI."""

from __future__ import annotations

import contextlib
import html
import json
import re
import secrets
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import jwt
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import rsa
from django.test import Client, override_settings

from apps.accounts import provider as provider_module
from apps.accounts.models import User
from apps.accounts.services import psc_access_token_get
from devstack.psc_sim.app import userinfo_claims
from tests.conftest import IDENTITIES, expire_access_token, session_tokens

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

ROOT = Path(__file__).resolve().parents[2]
SERVER = ROOT / "devstack" / "oidc_provider"
CLIENT_ID = "mssante-web-rp"
CLIENT_SECRET = "second-provider secret/with+reserved:chars"  # noqa: S105 - test client
POST_LOGOUT = "http://127.0.0.1/deconnexion/terminee/?fournisseur=second"
CALLBACK = "http://127.0.0.1/oidc/callback/"  # the test client's host


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def second_provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with running_provider(tmp_path_factory.mktemp("oidc2"), access_token_ttl=120) as issuer:
        yield issuer


@contextlib.contextmanager
def running_provider(work: Path, access_token_ttl: int, end_session_origin: str = "",
                     callback: str = CALLBACK, post_logout: str = POST_LOGOUT) -> Iterator[str]:
    node = shutil.which("node")
    assert node, "Node.js is installed by devstack/install.sh"
    assert (SERVER / "node_modules" / "oidc-provider").is_dir(), "run make install (npm ci)"
    port = free_port()
    issuer = f"http://127.0.0.1:{port}"
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key))
    jwk.pop("key_ops", None)  # PyJWT writes ["sign"]: the provider also verifies with it
    jwk.update(kid="second-1", use="sig", alg="RS256")
    identities = {}
    for name, identity in IDENTITIES.items():
        claims = userinfo_claims(identity)
        claims.pop("sub")
        identities[name] = claims
    config = work / "config.json"
    config.write_text(json.dumps({
        "port": port, "issuer": issuer, "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
        "redirect_uris": [callback], "post_logout_redirect_uris": [post_logout],
        "signing_jwk": jwk, "cookie_key": secrets.token_hex(16), "identities": identities,
        "access_token_ttl": access_token_ttl,
        "end_session_origin": end_session_origin.replace("PORT", str(port))}))
    log = work / "server.log"
    process = subprocess.Popen([node, str(SERVER / "server.mjs"), str(config)], cwd=SERVER,
                               stdout=log.open("wb"), stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                if requests.get(issuer + "/.well-known/openid-configuration", timeout=1).ok:
                    break
            except requests.ConnectionError:
                pass
            if time.monotonic() > deadline or process.poll() is not None:
                raise AssertionError(log.read_text())
            time.sleep(0.2)
        yield issuer
    finally:
        process.terminate()
        process.wait(timeout=10)


@contextlib.contextmanager
def site_pointed_at(issuer: str, post_logout: str = POST_LOGOUT) -> Iterator[str]:
    """The site pointed at a provider by its issuer alone (discovery does the rest)."""
    endpoints = {f"PSC_{n}_ENDPOINT": "" for n in ("AUTHORIZATION", "TOKEN", "USERINFO", "JWKS",
                                                    "END_SESSION")}
    provider_module._cached = None
    with override_settings(PSC_ISSUER=issuer, PSC_DISCOVERY_URL="", OIDC_RP_CLIENT_ID=CLIENT_ID,
                           OIDC_RP_CLIENT_SECRET=CLIENT_SECRET, PSC_TOKEN_AUTH_METHOD="",
                           PSC_POST_LOGOUT_REDIRECT_URI=post_logout, OIDC_VERIFY_SSL=True,
                           **endpoints):
        yield issuer
    provider_module._cached = None


@pytest.fixture
def configured(second_provider: str) -> Iterator[str]:
    with site_pointed_at(second_provider) as issuer:
        yield issuer


def signin(client: Client, browser: requests.Session, identity: str) -> Any:
    """Through the provider's own pages, as a browser would: authorization, its login
    page, its redirects, until it sends the person back to the site's callback."""
    start = client.get("/oidc/authenticate/")
    assert start.status_code == 302
    url = start["Location"]
    answer = browser.get(url, allow_redirects=False, timeout=10)
    for _ in range(10):
        location = answer.headers.get("Location")
        if answer.status_code == 200 and "/interaction/" in answer.url:
            action = re.search(r'action="([^"]+)"', answer.text)
            assert action, answer.text
            answer = browser.post(urljoin(answer.url, action.group(1)),
                                  data={"identity": identity}, allow_redirects=False, timeout=10)
            continue
        assert answer.status_code in (302, 303) and location, answer.text
        target = urljoin(answer.url, location)
        if urlsplit(target).path == "/oidc/callback/":
            back = urlsplit(target)
            assert back.netloc == "127.0.0.1", target
            return client.get(back.path, {k: v[0] for k, v in parse_qs(back.query).items()})
        answer = browser.get(target, allow_redirects=False, timeout=10)
    raise AssertionError("the provider never sent the person back")


def events(issuer: str) -> list[dict[str, Any]]:
    return list(requests.get(issuer + "/_test/events", timeout=5).json())


def test_signin_maps_the_psc_claims(client: Client, configured: str) -> None:
    callback = signin(client, requests.Session(), "nurse")
    assert callback.status_code == 302 and callback["Location"] == "/", callback
    expected = IDENTITIES["nurse"]
    user = User.objects.get(idnat=expected["idnat"])
    assert (user.first_name, user.last_name) == (expected["given_name"], expected["family_name"])
    assert user.exercises.get().profession_code == expected["profession_code"]
    assert client.get("/profil/").status_code == 200
    tokens = session_tokens(client)
    assert tokens and tokens.refresh_token and tokens.id_token
    assert jwt.decode(tokens.id_token, options={"verify_signature": False})["acr"] == "eidas1"
    # The code was exchanged with HTTP Basic: the client is registered for nothing else.
    assert {"event": "token", "grant_type": "authorization_code",
            "client_auth": "client_secret_basic"} in events(configured)


def test_refresh_after_expiry_uses_basic_client_authentication(client: Client, configured: str) -> None:
    signin(client, requests.Session(), "gp")
    old = session_tokens(client)
    expire_access_token(client)
    session = client.session
    fresh = psc_access_token_get(session=session)
    session.save()
    assert fresh != old.access_token
    stored = session_tokens(client)
    assert stored.access_token == fresh and 100 < stored.access_expires_at - time.time() <= 120
    assert {"event": "token", "grant_type": "refresh_token",
            "client_auth": "client_secret_basic"} in events(configured)
    # The new access token is good at the provider's userinfo, with the PSC claims.
    userinfo = requests.get(provider_module.provider_metadata().userinfo_endpoint,
                            headers={"Authorization": f"Bearer {fresh}"}, timeout=5)
    assert userinfo.ok and userinfo.json()["SubjectNameID"] == IDENTITIES["gp"]["idnat"]


def test_a_refresh_refused_by_the_provider_is_logged_with_its_error(
        client: Client, configured: str, caplog: pytest.LogCaptureFixture) -> None:
    signin(client, requests.Session(), "pharmacist")
    with override_settings(OIDC_RP_CLIENT_SECRET="not-the-secret"):
        expire_access_token(client)
        session = client.session
        with pytest.raises(Exception, match="refresh refused"):
            psc_access_token_get(session=session)
    assert "HTTP 401 invalid_client" in caplog.text
    assert not session_tokens(client) or not session_tokens(client).refresh_token


def test_end_session_returns_to_the_configured_uri(client: Client, configured: str) -> None:
    browser = requests.Session()
    signin(client, browser, "educator")
    id_token = session_tokens(client).id_token
    response = client.post("/oidc/logout/")
    assert "_auth_user_id" not in client.session
    location = response["Location"]
    end_session = provider_module.provider_metadata().end_session_endpoint
    assert location.startswith(end_session + "?")
    query = parse_qs(urlsplit(location).query)
    assert query["post_logout_redirect_uri"] == [POST_LOGOUT]
    assert query["id_token_hint"] == [id_token] and query["client_id"] == [CLIENT_ID]
    # The provider asks to confirm, then sends the person to the configured URI.
    page = browser.get(location, allow_redirects=False, timeout=10)
    form = re.search(r'<form[^>]*action="([^"]+)"[^>]*>(.*?)</form>', page.text, re.S)
    assert form, page.text
    fields = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', form.group(2)))
    fields = {k: html.unescape(v) for k, v in fields.items()}
    fields["logout"] = "yes"
    confirm = browser.post(urljoin(page.url, html.unescape(form.group(1))), data=fields,
                           allow_redirects=False, timeout=10)
    assert confirm.status_code in (302, 303), confirm.text
    back = confirm.headers["Location"]
    assert back.startswith(POST_LOGOUT), back
    assert "state=" in back
    assert {"event": "end_session"} in events(configured)


@pytest.mark.requirement("ECO.1.2.7")
def test_a_really_expired_access_token_is_refreshed(client: Client, tmp_path: Path) -> None:
    """With 2 s access tokens, nothing marked by hand: the provider itself refuses the old
    token once it has expired, and the site refreshes before using it."""
    with running_provider(tmp_path, access_token_ttl=2) as issuer, site_pointed_at(issuer):
        signin(client, requests.Session(), "nurse")
        old = session_tokens(client)
        userinfo = provider_module.provider_metadata().userinfo_endpoint
        time.sleep(3)
        refused = requests.get(userinfo, headers={"Authorization": f"Bearer {old.access_token}"},
                               timeout=5)
        assert refused.status_code == 401
        session = client.session
        fresh = psc_access_token_get(session=session)
        session.save()
        assert fresh != old.access_token
        again = requests.get(userinfo, headers={"Authorization": f"Bearer {fresh}"}, timeout=5)
        assert again.ok and again.json()["SubjectNameID"] == IDENTITIES["nurse"]["idnat"]
        assert {"event": "token", "grant_type": "refresh_token",
                "client_auth": "client_secret_basic"} in events(issuer)


def test_sign_out_reaches_a_provider_whose_end_session_is_on_another_origin(client: Client,
                                                                           tmp_path: Path) -> None:
    """Issue 27, point 13: with only discovery to go by, the site's CSP ``form-action``
    named the issuer's origin, not the end_session endpoint's, and Chromium blocked the
    redirect that follows the sign-out form: the provider's logout was never called. The
    signed-in pages now allow the endpoint the sign-in discovered."""
    with running_provider(tmp_path, access_token_ttl=120, end_session_origin="http://localhost:PORT") as issuer, \
            site_pointed_at(issuer):
        end_session = provider_module.provider_metadata().end_session_endpoint
        origin = end_session.split("/session")[0]
        assert origin.startswith("http://localhost:") and not issuer.startswith(origin)
        signin(client, requests.Session(), "educator")
        page = client.get("/", follow=True)
        form_action = page["Content-Security-Policy"].split("form-action", 1)[1].split(";")[0]
        assert origin in form_action.split()  # the sign-out form may lead there
        response = client.post("/oidc/logout/")
        assert response["Location"].startswith(end_session + "?") and "_auth_user_id" not in client.session
