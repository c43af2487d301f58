from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "apps.core"
    label = "core"

    def ready(self) -> None:
        from django.core.checks import register

        from .checks import fail_closed_check

        register(fail_closed_check, "mssante")
