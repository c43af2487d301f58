from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntegrationConfig(AppConfig):
    """The business tool (issue 29): documents received in a structure's mailbox handed to its
    software as HL7 MDM^T02 over MLLP, and the answer sent back to their sender."""

    name = "apps.integration"
    label = "integration"
    verbose_name = _("Business software integration")

    def ready(self) -> None:
        from apps.mail.engine.inbox_rules import inbox_rule_register

        from .services import integration_inbox_rule

        inbox_rule_register(integration_inbox_rule)
