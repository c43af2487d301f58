"""The business tool's API describes itself (issue 29): the OpenAPI document served is valid
OpenAPI, every operation needs the key and says how it fails."""

from __future__ import annotations

import pytest
from django.test import Client
from openapi_spec_validator import validate

pytestmark = pytest.mark.django_db


def test_the_openapi_document_is_valid_and_every_operation_needs_the_key() -> None:
    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    validate(schema)
    operations = [op for item in schema["paths"].values() for op in item.values()]
    assert len(operations) >= 2
    for operation in operations:
        assert operation["security"] == [{"KeyAuth": []}]
        assert {"401", "429"} <= set(operation["responses"])
    assert schema["components"]["securitySchemes"]["KeyAuth"]["scheme"] == "bearer"


def test_without_a_key_the_answer_is_json_in_french() -> None:
    response = Client().get("/api/v1/patients/279035121518989/documents")
    assert response.status_code == 401 and response["Content-Type"].startswith("application/json")
    assert response.json() == {"detail": "Clé d'API absente, inconnue ou révoquée.", "code": "unauthorised"}
