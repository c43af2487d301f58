from django.apps import AppConfig


class WebmailConfig(AppConfig):
    name = "apps.webmail"
    label = "webmail"
    verbose_name = "Webmail"

    def ready(self) -> None:
        from apps.flows import signin  # noqa: F401 - connects the sign-in receiver
