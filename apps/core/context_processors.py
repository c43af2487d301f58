from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def site(request: HttpRequest) -> dict[str, object]:
    # PUSH: the open list listens to its mailbox's event stream and polls slowly (issue 28).
    return {"SITE_NAME": "mssante-web", "DEBUG": settings.DEBUG, "PUSH": settings.MSSANTE_PUSH}
