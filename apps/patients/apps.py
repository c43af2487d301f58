from django.apps import AppConfig


class PatientsConfig(AppConfig):
    name = "apps.patients"
    label = "patients"
    verbose_name = "Patients"

    def ready(self) -> None:
        """The patients' rule runs in every INBOX sync (mail's inbox-rule hook)."""
        from apps.mail.engine.inbox_rules import inbox_rule_register

        from .inbox_rule import patient_inbox_rule

        inbox_rule_register(patient_inbox_rule)
