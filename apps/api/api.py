"""The business tool's API, v1 (django-ninja: typed schemas, the OpenAPI document generated
from them and served at /api/v1/openapi.json, a docs page at /api/v1/docs).

Every call: a structure's key (``Authorization: Bearer msw_…``), a rate limit per key, one
audit event, and an answer in JSON — errors too, with a French ``detail`` for the person
who reads the software's log and a stable ``code`` for the software.
"""

from __future__ import annotations

import base64
import binascii
import logging
import time
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Schema, Status
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import HttpBearer
from ninja.throttling import BaseThrottle
from redis.exceptions import RedisError

from apps.accounts.bearer import PSCTokenRefused, psc_token_session, psc_token_user
from apps.audit.services import audit_log
from apps.core.errors import ApplicationError, MailServerUnavailable, NotFound, ProviderUnavailable
from apps.core.locks import redis_client
from apps.flows.business_api import ReceivedDocument, document_download, patient_documents_list
from apps.flows.business_messages import (
    ToolCaller,
    ToolMessageRequest,
    ToolMessageState,
    tool_message_send,
    tool_message_state,
)
from apps.flows.given_documents import GivenCdaRefused
from apps.flows.health_documents import HealthDocumentFields
from apps.flows.sending import AttachmentsTooLarge

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
    findings: list[str] = []  # a CDA refused: the agency's first failed assertions


def _error(request: HttpRequest, status: int, code: str, detail: str) -> HttpResponse:
    return api.create_response(request, {"detail": detail, "code": code}, status=status)


@api.exception_handler(AuthenticationError)
def _unauthorised(request: HttpRequest, exc: Exception) -> HttpResponse:
    # The operator's log, not the audit trail: a call without a valid key acted for nobody
    # (and an <img> in a message must not write the trail, issue 27).
    logger.warning("API call refused: no valid key (%s %s)", request.method, request.path[:200])
    return _error(request, 401, "unauthorised", _("Missing, unknown or revoked API key."))


def _answered(exc_type: type[Exception], status: int, code: str, log: str = "",
              level: int = logging.WARNING) -> None:
    """``exc_type`` answered ``status`` with its French words and ``code``; ``log``, a line
    for the operator with the exception's detail."""
    def handler(request: HttpRequest, exc: Exception | type[Exception]) -> HttpResponse:
        if log:
            logger.log(level, log, getattr(exc, "detail", ""))
        return _error(request, status, code, getattr(exc, "user_message", ""))

    api.add_exception_handler(exc_type, handler)


_answered(PSCTokenRefused, 403, "psc_token_refused",
          "API call refused: the professional's PSC token was not accepted (%s)")
_answered(ProviderUnavailable, 503, "psc_unavailable",
          "API call for a professional not served: PSC unreachable (%s)", logging.ERROR)
_answered(AttachmentsTooLarge, 413, "too_large")
_answered(MailServerUnavailable, 503, "mail_server_unavailable",
          "API call not served: the operator's server is unavailable (%s)")


@api.exception_handler(GivenCdaRefused)
def _cda_refused(request: HttpRequest, exc: Exception) -> HttpResponse:
    return api.create_response(request, {"detail": getattr(exc, "user_message", ""), "code": "cda_refused",
                                         "findings": list(getattr(exc, "findings", ()))}, status=400)


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


PSC_TOKEN_HEADER = "X-PSC-Token"  # noqa: S105 - a header name


def _caller(request: HttpRequest) -> ToolCaller:
    """The key's structure, and the professional whose PSC token came with the call."""
    client: ApiClient = request.auth  # type: ignore[attr-defined]
    token = request.headers.get(PSC_TOKEN_HEADER, "")
    if not token:
        return ToolCaller(structure_id=client.structure_id, client=str(client))
    user = psc_token_user(access_token=token)
    return ToolCaller(structure_id=client.structure_id, client=str(client), acting=user,
                      session_key=psc_token_session(user=user, access_token=token))


class PatientIn(Schema):
    ins: str
    ins_kind: str = "NIR"
    birth_name: str
    given_names: str
    birth_date: str
    sex: str
    birth_place: str = ""


class DocumentIn(Schema):
    pdf: str  # base64
    type_code: str
    title: str = ""
    act_date: str = ""
    patient: PatientIn


class MessageIn(Schema):
    mailbox: str
    to: list[str] = []
    cc: list[str] = []
    subject: str = ""
    body: str = ""
    read_receipt: bool = False
    delivery_report: bool = False
    draft: bool = False
    author_idnat: str = ""
    patient_informed: bool = False
    document: DocumentIn | None = None
    cda: str | None = None  # base64: a CDA R2 your software built (level 1), checked before it leaves


def _base64(value: str, words: str) -> bytes:
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ApplicationError("not base64", user_message=words) from exc


def _document(given: DocumentIn | None) -> HealthDocumentFields | None:
    if given is None:
        return None
    pdf = _base64(given.pdf, _("The PDF must be given in base64."))
    patient = given.patient
    return HealthDocumentFields(pdf=pdf, pdf_name="document.pdf", ins=patient.ins, ins_kind=patient.ins_kind,
                                birth_name=patient.birth_name, given_names=patient.given_names,
                                birth_date=patient.birth_date, sex=patient.sex, type_code=given.type_code,
                                title=given.title, birth_place=patient.birth_place, act_date=given.act_date)


@api.post("/messages", response={201: ToolMessageState, 400: Error, 401: Error, 403: Error, 413: Error,
                                 422: Error, 429: Error, 503: Error},
          summary="Envoyer un message (ou créer un brouillon), avec un document de santé")
def message_send(request: HttpRequest, payload: MessageIn) -> Status:
    """From an application mailbox of the structure, or for a professional (their PSC access
    token in ``X-PSC-Token``) from a mailbox they may write. ``document``: the site builds
    the CDA R2 N1 and its IHE_XDM.zip from the PDF and the patient's traits; ``cda``: a CDA
    R2 N1 your software built, sent only if the agency's checks pass (else 400
    ``cda_refused`` with the first failed assertions)."""
    caller = _caller(request)
    state = tool_message_send(caller=caller, request=ToolMessageRequest(
        mailbox=payload.mailbox, to=tuple(payload.to[:100]), cc=tuple(payload.cc[:100]),
        subject=payload.subject, body=payload.body, read_receipt=payload.read_receipt,
        dsn=payload.delivery_report, draft=payload.draft,
        author_idnat=payload.author_idnat, document=_document(payload.document),
        cda=_base64(payload.cda, _("The CDA must be given in base64.")) if payload.cda else None,
        patient_informed=payload.patient_informed))
    _audit(request, target=f"message:{state.id}", mailbox=state.mailbox, draft=payload.draft,
           acting=caller.acting.idnat if caller.acting else "")
    return Status(201, state)


@api.get("/messages/{message_id}", response={200: ToolMessageState, 401: Error, 403: Error, 404: Error,
                                             409: Error, 429: Error, 503: Error},
         summary="Ce qu'est devenu un message envoyé par le logiciel")
def message_state(request: HttpRequest, message_id: int) -> ToolMessageState:
    """Queued, sent or failed, then the delivery reports and read receipts received about
    it: delivered, read, integrated, or refused by the recipient's software (code 900–906,
    in words)."""
    state = tool_message_state(caller=_caller(request), message_id=message_id)
    _audit(request, target=f"message:{state.id}")
    return state
