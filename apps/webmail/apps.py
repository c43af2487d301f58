from django.apps import AppConfig


class WebmailConfig(AppConfig):
    name = "apps.webmail"
    label = "webmail"
    verbose_name = "Webmail"

    def ready(self) -> None:
        from . import signals  # noqa: F401 - connects the receivers
