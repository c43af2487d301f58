from typing import Any

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "apps.accounts"
    label = "accounts"
    verbose_name = "Comptes"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in, user_logged_out

        user_logged_out.connect(_signed_out, dispatch_uid="accounts.psc_signed_out")
        user_logged_in.connect(_password_signed_in, dispatch_uid="accounts.password_signed_in")


def _password_signed_in(sender: Any, request: Any, user: Any, **_: Any) -> None:
    """A sign-in with a password (superusers, operators, through /admin/login/): the
    session is marked so that it reaches the admin only, under the same idle and absolute
    limits as a PSC session (``PSCSessionMiddleware``)."""
    import time

    from .oidc import PSCAuthenticationBackend
    from .session_keys import SESSION_LAST_SEEN, SESSION_PASSWORD_SIGNED_IN_AT

    backend = getattr(user, "backend", "")
    if request is None or backend.endswith(PSCAuthenticationBackend.__name__):
        return
    now = time.time()
    request.session[SESSION_PASSWORD_SIGNED_IN_AT] = now
    request.session[SESSION_LAST_SEEN] = now


def _signed_out(sender: Any, request: Any, user: Any, **_: Any) -> None:
    """Sign-out, idle lock, absolute lifetime (all go through Django's logout): the PSC
    session is over for this site, and the mail engine closes what it opened with it."""
    from .signals import psc_session_ended

    psc_session_ended.send(sender=None, user_pk=getattr(user, "pk", None),
                           session_key=getattr(getattr(request, "session", None), "session_key", None))
