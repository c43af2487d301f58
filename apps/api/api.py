"""The business tool's API, v1 (django-ninja: typed schemas, the OpenAPI document generated
from them and served at /api/v1/openapi.json, a docs page at /api/v1/docs).

Every call: a structure's key (``Authorization: Bearer msw_…``), a rate limit per key, one
audit event, and an answer in JSON — errors too, with a French ``detail`` for the person
who reads the software's log and a stable ``code`` for the software.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import HttpBearer
from ninja.throttling import BaseThrottle
from redis.exceptions import RedisError

from apps.audit.services import audit_log
from apps.core.errors import ApplicationError, NotFound
from apps.core.locks import redis_client
from apps.flows.business_api import ReceivedDocument, document_download, patient_documents_list

from .models import ApiClient
from .services import api_client_authenticate

logger = logging.getLogger(__name__)


class KeyAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> ApiClient | None:
        return api_client_authenticate(key=token)


class PerKeyThrottle(BaseThrottle):
    """A fixed window per key and second (``MSSANTE_API_RATE`` calls), counted in Redis: one
    round trip per call; with Redis down, calls are let through (the audit still counts)."""

    def allow_request(self, request: HttpRequest) -> bool:
        client = getattr(request, "auth", None)
        if client is None:
            return True
        key = f"mssweb:api:rate:{client.pk}:{int(time.time())}"
        try:
            pipe = redis_client().pipeline()
            pipe.incr(key)
            pipe.expire(key, 2)
            count, _expiry = pipe.execute()
        except RedisError:
            return True
        return int(count) <= settings.MSSANTE_API_RATE

    def wait(self) -> float:
        return 1.0


api = NinjaAPI(title="mssante-web — API du logiciel métier", version="1", urls_namespace="api_v1",
               auth=KeyAuth(), throttle=[PerKeyThrottle()], docs_url="/docs",
               description="Documents reçus pour un patient (par INS) et leur téléchargement, pour le "
                           "logiciel métier d'une structure. Clé par logiciel (en-tête Authorization: "
                           "Bearer msw_…), créée dans l'administration de la structure.")


class Error(Schema):
    detail: str
    code: str


def _error(request: HttpRequest, status: int, code: str, detail: str) -> HttpResponse:
    return api.create_response(request, {"detail": detail, "code": code}, status=status)


@api.exception_handler(AuthenticationError)
def _unauthorised(request: HttpRequest, exc: Exception) -> HttpResponse:
    # The operator's log, not the audit trail: a call without a valid key acted for nobody
    # (and an <img> in a message must not write the trail, issue 27).
    logger.warning("API call refused: no valid key (%s %s)", request.method, request.path[:200])
    return _error(request, 401, "unauthorised", _("Missing, unknown or revoked API key."))


@api.exception_handler(NotFound)
def _not_found(request: HttpRequest, exc: Exception) -> HttpResponse:
    return _error(request, 404, "not_found", getattr(exc, "user_message", "") or _("Not found."))


@api.exception_handler(ApplicationError)
def _refused(request: HttpRequest, exc: Exception) -> HttpResponse:
    return _error(request, 400, "refused", getattr(exc, "user_message", ""))


@api.exception_handler(ValidationError)
def _invalid(request: HttpRequest, exc: Exception) -> HttpResponse:
    return _error(request, 422, "invalid", _("The request is not what this API expects."))


@api.exception_handler(HttpError)
def _http(request: HttpRequest, exc: Exception) -> HttpResponse:
    status = getattr(exc, "status_code", 400)
    if status == 429:
        return _error(request, 429, "rate_limited", _("Too many calls: slow down and try again in a second."))
    return _error(request, status, "error", _("The request could not be served."))


def _audit(request: HttpRequest, *, target: str, **details: Any) -> None:
    client: ApiClient = request.auth  # type: ignore[attr-defined]
    audit_log(event="api_call", actor=f"api:{client.prefix}", target=target[:200], outcome="ok",
              structure_id=client.structure_id, client=client.name, path=request.path[:200], **details)


@api.get("/patients/{ins}/documents",
         response={200: list[ReceivedDocument], 400: Error, 401: Error, 429: Error},
         summary="Documents reçus pour un patient")
def documents_of_patient(request: HttpRequest, ins: str) -> list[ReceivedDocument]:
    """The documents the structure's linked mailboxes received for this INS, newest first."""
    client: ApiClient = request.auth  # type: ignore[attr-defined]
    found = patient_documents_list(structure_id=client.structure_id, ins=ins)
    _audit(request, target="patient", count=len(found))
    return found


@api.get("/documents/{document_id}/cda", response={200: None, 401: Error, 404: Error, 429: Error},
         summary="Télécharger le document (CDA)")
def document_cda(request: HttpRequest, document_id: int) -> HttpResponse:
    """The CDA R2 document itself, as received."""
    client: ApiClient = request.auth  # type: ignore[attr-defined]
    document, data = document_download(structure_id=client.structure_id, document_id=document_id)
    _audit(request, target=f"document:{document.id}")
    response = HttpResponse(data, content_type="application/xml")
    response["Content-Disposition"] = f'attachment; filename="document-{document.id}.xml"'
    return response
