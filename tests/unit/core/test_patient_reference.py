"""No INS in the audit trail nor in the logs (issue 27, point 9): ``document_opened`` stored
the patient's INS in its details (exported as CSV, logged at INFO), the habilitation events
had it as their target. Every event kind the code records, fed an INS in its target and its
details, stores and logs the pseudonymous patient reference instead."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest

from apps.audit.models import AuditEvent
from apps.audit.services import audit_log
from apps.core.crypto import ins_pseudonymised, patient_reference

pytestmark = pytest.mark.django_db
INS = "279035121518989"
CORSICA = "184122A00400544"
ROOT = Path(__file__).resolve().parents[3]


def _event_kinds() -> set[str]:
    """Every event name the code passes to audit_log or request_audit."""
    found: set[str] = set()
    for path in (ROOT / "apps").rglob("*.py"):
        found |= set(re.findall(r'event="([a-z_]+)"', path.read_text()))
    found |= {"message_moved", "message_deleted"}  # named through a table in action_views
    return found


def test_every_event_kind_keeps_no_ins(caplog: pytest.LogCaptureFixture) -> None:
    kinds = _event_kinds()
    assert {"document_opened", "habilitation_changed", "message_read", "signin"} <= kinds
    with caplog.at_level(logging.INFO):
        for kind in sorted(kinds):
            audit_log(event=kind, actor="899700123450", target=f"{INS}@patient.mssante.fr",
                      patient=INS, note=f"INS {CORSICA}, key wrong 279035121518988")
    for row in AuditEvent.objects.all():
        stored = f"{row.target} {row.details}"
        assert INS not in stored and CORSICA not in stored, row.event
        assert patient_reference(INS) in stored and "279035121518988" in stored  # not an INS: kept
    assert INS not in caplog.text and CORSICA not in caplog.text


def test_the_reference_is_stable_and_not_the_ins() -> None:
    assert patient_reference(INS) == patient_reference(f" {INS.lower()} ") != patient_reference(CORSICA)
    assert re.fullmatch(r"P-[0-9a-f]{16}", patient_reference(INS))
    assert ins_pseudonymised(f"a {INS} b") == f"a {patient_reference(INS)} b"
