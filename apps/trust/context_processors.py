"""Staff see, on every page, when the trust space's whitelist is missing or stale: compose
then cannot check any colleague's address."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.translation import gettext as _

from .selectors import whitelist_status


def whitelist_banner(request: HttpRequest) -> dict[str, str]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.is_staff:
        return {}
    status = whitelist_status()
    if status.empty:
        text = _("The MSSanté domain whitelist is not loaded: no recipient can be checked, so "
                 "nothing can be sent. Import it (manage.py whitelist_import) or check the "
                 "last import's error.")
    elif status.stale:
        text = _("The MSSanté domain whitelist is %(hours)s hours old (refreshed every 24 h): "
                 "check the refresh task and the last import's error.") % {
                     "hours": int(status.age_hours or 0)}
    else:
        return {}
    if status.last_error:
        text += " " + _("Last error: %(error)s") % {"error": status.last_error}
    return {"whitelist_banner": text}
