from django.apps import AppConfig


class MailConfig(AppConfig):
    name = "apps.mail"
    label = "mail"
    verbose_name = "Messagerie"

    def ready(self) -> None:
        from apps.accounts.signals import psc_session_ended

        from .engine.pool import psc_session_connections_close

        psc_session_ended.connect(psc_session_connections_close,
                                  dispatch_uid="mail.psc_session_connections_close")
