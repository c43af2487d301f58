"""Every refusal of the API is JSON with French words and a stable code (issue 29): the
operator's server down, attachments over the limit, PSC down, a bad document; the operator
gets a log line where the software's user cannot act."""

from __future__ import annotations

import logging

import pytest
from django.test import Client
from django.utils import translation

from apps.api.services import api_key_issue
from apps.core.errors import MailServerUnavailable, ProviderUnavailable
from apps.flows import sending
from apps.structures.models import Structure

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("raised", "status", "code", "words", "logged"), [
    (MailServerUnavailable("imap down"), 503, "mail_server_unavailable", "ne répond pas", "operator's server"),
    (sending.AttachmentsTooLarge("big", user_message="Trop lourd."), 413, "too_large", "Trop lourd.", ""),
    (ProviderUnavailable("psc down"), 503, "psc_unavailable", "Pro Santé Connect", "PSC unreachable"),
])
def test_a_refusal_is_json_in_french_with_its_code(monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
                                                   raised: Exception, status: int, code: str, words: str,
                                                   logged: str) -> None:
    structure = Structure.objects.create(identifier_type="finess", identifier="690000001", name="EHPAD")
    _client, key = api_key_issue(structure=structure, name="DUI")

    def fails(**_: object) -> object:
        raise raised

    monkeypatch.setattr("apps.api.api.tool_message_send", fails)
    caplog.set_level(logging.WARNING, logger="apps.api.api")
    with translation.override("fr"):
        response = Client().post("/api/v1/messages", {"mailbox": "a@b.fr", "to": ["c@d.fr"]},
                                 content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {key}",
                                 HTTP_ACCEPT_LANGUAGE="fr")
    assert response.status_code == status and response.json()["code"] == code
    assert words in response.json()["detail"]
    assert (logged in caplog.text) if logged else "API call" not in caplog.text
