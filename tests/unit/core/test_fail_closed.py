"""With DEBUG off the site refuses each development-only setting, one check per case, and
says which setting and why; processes refuse to start on them (gunicorn and Celery load
``mssante_web.startup``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.test import override_settings

from apps.core.checks import fail_closed_check
from tests.tls_material import authority


@pytest.fixture
def production(tmp_path: Path) -> dict[str, Any]:
    """Settings a real deployment has: no check fires on them."""
    ca = tmp_path / "igc-sante.pem"
    ca.write_bytes(authority().pem + authority("AC IGC-SANTE FORT SERVEURS").pem)
    return dict(
        DEBUG=False, PSC_ISSUER="https://auth.esw.esante.gouv.fr/auth/realms/esante-wallet",
        PSC_AUTHORIZATION_ENDPOINT="https://wallet.esw.esante.gouv.fr/auth", PSC_TOKEN_ENDPOINT="",
        PSC_USERINFO_ENDPOINT="", PSC_JWKS_ENDPOINT="", PSC_END_SESSION_ENDPOINT="",
        MSSANTE_IMAP_HOST="imap.operateur.fr", MSSANTE_SMTP_HOST="smtp.operateur.fr",
        MSSANTE_DEVSTACK_PASSWORD="", MSSANTE_NIL="MSW-2026-0042",
        MSSANTE_WHITELIST_URL="https://espacedeconfiance.mssante.fr/listeblanchemssante.xml",
        MSSANTE_WHITELIST_SHA256_URL="", MSSANTE_ANNUAIRE_URL="/srv/annuaire/extraction.zip",
        MSSANTE_EXTRA_TRUSTED_DOMAINS=[], MSSANTE_TLS_CA_FILE=str(ca), OIDC_VERIFY_SSL=True,
        REDIS_URL="redis://:s3cret@redis:6379/0", CELERY_BROKER_URL="redis://:s3cret@redis:6379/0")


def ids(settings: dict[str, Any], **changes: Any) -> list[str]:
    with override_settings(**{**settings, **changes}):
        return [f"{m.id} {m.msg}" for m in fail_closed_check()]


def test_production_settings_pass(production: dict[str, Any]) -> None:
    assert ids(production) == []


def test_nothing_is_checked_with_debug_on(production: dict[str, Any]) -> None:
    assert ids(production, DEBUG=True, MSSANTE_NIL="", MSSANTE_IMAP_HOST="127.0.0.1") == []


@pytest.mark.parametrize("changes,expected", [
    ({"PSC_ISSUER": ""}, "mssante.E001 MSSANTE_PSC_ISSUER is not set"),
    ({"PSC_ISSUER": "http://127.0.0.1:18080/auth/realms/esante-wallet"},
     "mssante.E002 MSSANTE_PSC_ISSUER points at this machine"),
    ({"PSC_TOKEN_ENDPOINT": "https://localhost/token"},
     "mssante.E002 MSSANTE_PSC_TOKEN_ENDPOINT points at this machine"),
    ({"PSC_ISSUER": "http://auth.esw.esante.gouv.fr/auth/realms/esante-wallet"},
     "mssante.E002 MSSANTE_PSC_ISSUER is not https"),
    ({"MSSANTE_IMAP_HOST": "127.0.0.1"}, "mssante.E003 MSSANTE_IMAP_HOST is 127.0.0.1"),
    ({"MSSANTE_SMTP_HOST": "::1"}, "mssante.E003 MSSANTE_SMTP_HOST is ::1"),
    ({"MSSANTE_DEVSTACK_PASSWORD": "x"}, "mssante.E003 MSSANTE_DEVSTACK_PASSWORD is set"),
    ({"MSSANTE_NIL": ""}, "mssante.E004 MSSANTE_NIL is not set"),
    ({"MSSANTE_NIL": "mssante-web-dev"}, "mssante.E004 MSSANTE_NIL is 'mssante-web-dev'"),
    ({"MSSANTE_WHITELIST_URL": "http://espacedeconfiance.mssante.fr/listeblanchemssante.xml"},
     "mssante.E005 MSSANTE_WHITELIST_URL is plain http without"),
    ({"MSSANTE_WHITELIST_SHA256_URL": "http://example.fr/sum"},
     "mssante.E005 MSSANTE_WHITELIST_SHA256_URL is plain http"),
    ({"MSSANTE_ANNUAIRE_URL": "http://example.fr/extraction.zip"},
     "mssante.E005 MSSANTE_ANNUAIRE_URL is plain http"),
    ({"MSSANTE_EXTRA_TRUSTED_DOMAINS": ["test.mssante.fr"]},
     "mssante.W005 MSSANTE_EXTRA_TRUSTED_DOMAINS"),
    ({"MSSANTE_TLS_CA_FILE": ""}, "mssante.E006 MSSANTE_TLS_CA_FILE is not set"),
    ({"MSSANTE_TLS_CA_FILE": "/nonexistent/ca.pem"}, "mssante.E006 MSSANTE_TLS_CA_FILE (/nonexistent/ca.pem) is missing"),
    ({"OIDC_VERIFY_SSL": "/nonexistent/psc-ca.pem"}, "mssante.E006 MSSANTE_PSC_CA_FILE"),
    ({"REDIS_URL": "redis://redis:6379/0"}, "mssante.E007 REDIS_URL has no password"),
])
def test_each_fail_open_setting_is_refused(production: dict[str, Any], changes: dict[str, Any],
                                           expected: str) -> None:
    found = ids(production, **changes)
    assert len(found) == 1 and found[0].startswith(expected), found


def test_a_loopback_redis_without_password_is_accepted(production: dict[str, Any]) -> None:
    assert ids(production, REDIS_URL="redis://127.0.0.1:6379/0",
               CELERY_BROKER_URL="redis://localhost:6379/0") == []


def test_processes_refuse_to_start(production: dict[str, Any]) -> None:
    from mssante_web.startup import refuse_unsafe_configuration

    with override_settings(**{**production, "MSSANTE_NIL": "", "SILENCED_SYSTEM_CHECKS": []}), \
            pytest.raises(SystemExit, match="mssante.E004: MSSANTE_NIL is not set"):
        refuse_unsafe_configuration()
    with override_settings(**{**production, "MSSANTE_NIL": "",
                              "SILENCED_SYSTEM_CHECKS": ["mssante.E004"]}):
        refuse_unsafe_configuration()  # silenced by name: starts


def test_a_missing_static_manifest_is_said_at_start_up(production: dict[str, Any], tmp_path: Path) -> None:
    """Issue 27, point 15: without collectstatic every page was a 500."""
    storages = {"default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
                "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"}}
    found = ids(production, STORAGES=storages, STATIC_ROOT=str(tmp_path))
    assert len(found) == 1 and found[0].startswith("mssante.E008 The static files manifest")
    (tmp_path / "staticfiles.json").write_text("{}")
    assert ids(production, STORAGES=storages, STATIC_ROOT=str(tmp_path)) == []


@pytest.mark.requirement("ECO.4.1.2")
def test_an_audit_retention_under_the_database_floor_is_refused(production: dict[str, Any]) -> None:
    found = ids(production, MSSANTE_AUDIT_RETENTION_DAYS=7)
    assert len(found) == 1 and found[0].startswith("mssante.E009 MSSANTE_AUDIT_RETENTION_DAYS is 7")


@pytest.mark.requirement("ECO.1.1.10")
def test_a_ca_bundle_beyond_igc_sante_is_refused_unless_silenced_by_name(
        production: dict[str, Any], tmp_path: Path) -> None:
    """The devstack's own CA, or any public one, slipped into the operator bundle would let
    a server outside the trust space pass for an operator."""
    bundle = tmp_path / "mixed.pem"
    bundle.write_bytes(authority().pem + authority("Some Public Root CA", unit="Web", organisation="Acme").pem)
    found = ids(production, MSSANTE_TLS_CA_FILE=str(bundle))
    assert len(found) == 1 and found[0].startswith("mssante.E010") and "Some Public Root CA" in found[0]
    bundle.write_text("-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n")
    assert [f[:13] for f in ids(production, MSSANTE_TLS_CA_FILE=str(bundle))] == ["mssante.E010 "]
    bundle.write_bytes(authority().pem)
    assert ids(production, MSSANTE_TLS_CA_FILE=str(bundle)) == []
    from mssante_web.startup import refuse_unsafe_configuration

    foreign = {**production, "MSSANTE_TLS_CA_FILE": str(tmp_path / "foreign.pem")}
    (tmp_path / "foreign.pem").write_bytes(authority("devstack CA", unit="dev", organisation="dev").pem)
    with override_settings(**foreign, SILENCED_SYSTEM_CHECKS=[]), pytest.raises(SystemExit, match="mssante.E010"):
        refuse_unsafe_configuration()
    with override_settings(**foreign, SILENCED_SYSTEM_CHECKS=["mssante.E010"]):
        refuse_unsafe_configuration()  # the operator said so, by name
