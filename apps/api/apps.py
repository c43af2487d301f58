from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    """The business tool's HTTP API (issue 29): what the structure's software may ask of the
    site, with a key per client, on the same use cases as the pages."""

    name = "apps.api"
    label = "api"
    verbose_name = _("Business tool API")
