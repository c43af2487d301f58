from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "apps.audit"
    label = "audit"
    verbose_name = "Journal d'audit"

    def ready(self) -> None:
        from apps.core.admin_scope import admin_changed

        from .receivers import admin_change_record

        admin_changed.connect(admin_change_record, dispatch_uid="audit.admin_change")
