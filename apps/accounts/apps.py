from typing import Any

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "apps.accounts"
    label = "accounts"
    verbose_name = "Comptes"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_out

        user_logged_out.connect(_signed_out, dispatch_uid="accounts.psc_signed_out")


def _signed_out(sender: Any, request: Any, user: Any, **_: Any) -> None:
    """Sign-out, idle lock, absolute lifetime (all go through Django's logout): the PSC
    session is over for this site, and the mail engine closes what it opened with it."""
    from .signals import psc_session_ended

    psc_session_ended.send(sender=None, user_pk=getattr(user, "pk", None),
                           session_key=getattr(getattr(request, "session", None), "session_key", None))
