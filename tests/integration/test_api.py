"""The business tool's API (issue 29) on the real stack: a document the EHPAD's software was
handed is listed for its patient and downloaded byte for byte with the EHPAD's key; another
structure's key sees nothing of it; a revoked key, a wrong INS and too many calls get a JSON
answer in French; every call is in the audit trail."""

from __future__ import annotations

import logging
import time

import pytest
from django.test import Client, override_settings
from django.utils import timezone

from apps.api.services import api_key_issue
from apps.audit.models import AuditEvent
from apps.integration.models import IntegrationEndpoint
from apps.structures.models import Structure
from tests.conftest import PSCSim
from tests.integration.test_business_software import TEST_INS, dui, send_document, sync_and_hand_over

pytestmark = [pytest.mark.integration, pytest.mark.django_db]
__all__ = ["dui"]  # the fixture, used by name


def call(path: str, key: str) -> tuple[int, object, bytes]:
    response = Client().get(f"/api/v1{path}", HTTP_AUTHORIZATION=f"Bearer {key}")
    body = response.json() if response["Content-Type"].startswith("application/json") else None
    return response.status_code, body, response.content


def test_a_tool_lists_and_downloads_its_structures_documents_only(client: Client, psc_sim: PSCSim,
                                                                  dui: IntegrationEndpoint, trust_data: None,
                                                                  caplog: pytest.LogCaptureFixture) -> None:
    subject, cda = send_document(client, receipt=False)
    sync_and_hand_over(dui)
    ehpad = dui.mailbox.structure
    assert ehpad is not None
    client_a, key_a = api_key_issue(structure=ehpad, name="DUI des Glycines")
    other = Structure.objects.create(identifier_type="finess", identifier="690099999", name="Autre EHPAD")
    _client_b, key_b = api_key_issue(structure=other, name="DUI ailleurs")

    status, listed, _raw = call(f"/patients/{TEST_INS}/documents", key_a)
    assert status == 200 and isinstance(listed, list)
    mine = [d for d in listed if d["subject"] == subject]
    assert len(mine) == 1 and mine[0]["type_code"] == "11502-2" and mine[0]["integration"] == "accepted"
    assert mine[0]["patient_ins"] == TEST_INS and mine[0]["mailbox"] == dui.mailbox.address
    status, _json, raw = call(f"/documents/{mine[0]['id']}/cda", key_a)
    assert status == 200 and raw == cda  # byte for byte

    assert call(f"/patients/{TEST_INS}/documents", key_b)[:2] == (200, [])  # B sees nothing of A
    status, answer, _raw = call(f"/documents/{mine[0]['id']}/cda", key_b)
    assert (status, answer["code"]) == (404, "not_found")  # type: ignore[index]

    status, answer, _raw = call("/patients/279035121518988/documents", key_a)  # a wrong key digit
    assert (status, answer) == (400, {"detail": "Ce n'est pas un INS valide.", "code": "refused"})

    time.sleep(1.02 - time.time() % 1)  # a fresh one-second window
    with override_settings(MSSANTE_API_RATE=2):
        codes = [call(f"/patients/{TEST_INS}/documents", key_a)[0] for _ in range(6)]
    assert 429 in codes and codes[0] == 200

    type(client_a).objects.filter(pk=client_a.pk).update(revoked_at=timezone.now())
    caplog.set_level(logging.WARNING, logger="apps.api.api")
    status, answer, _raw = call(f"/patients/{TEST_INS}/documents", key_a)
    assert (status, answer) == (401, {"detail": "Clé d'API absente, inconnue ou révoquée.", "code": "unauthorised"})

    calls = AuditEvent.objects.filter(event="api_call")
    assert calls.filter(actor=f"api:{client_a.prefix}", outcome="ok", structure_id=ehpad.pk).count() >= 3
    assert calls.filter(target=f"document:{mine[0]['id']}").count() == 1
    assert "API call refused: no valid key" in caplog.text  # the operator's log, not the trail
    assert key_a not in "".join(str(e.details) + e.actor for e in calls)  # never the key itself
