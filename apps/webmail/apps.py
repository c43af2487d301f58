from django.apps import AppConfig


class WebmailConfig(AppConfig):
    name = "apps.webmail"
    label = "webmail"
    verbose_name = "Webmail"

    def ready(self) -> None:
        from apps.mail.services.inbox_rules import inbox_rule_register

        from . import signals  # noqa: F401 - connects the receivers
        from .services.patient_rule import patient_inbox_rule

        inbox_rule_register(patient_inbox_rule)
