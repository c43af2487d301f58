"""What the document tests share: the agency's validator, compiled once for the session
(compiling the schematrons is the slow part; each module made its own)."""

from __future__ import annotations

from pathlib import Path

import pytest

from apps.documents.validation import Validator
from tests.conftest import shared_fixture


@pytest.fixture(scope="session")
def validator() -> Validator:
    from django.conf import settings

    return Validator(material=shared_fixture("cda", "ans-TestContenuCDA-3-0-validation"),
                     cache=Path(settings.MSSANTE_CDA_VALIDATION_CACHE))
