from django.contrib import admin
from django.http import HttpRequest, HttpResponsePermanentRedirect
from django.templatetags.static import static
from django.urls import include, path

from . import health


def favicon(request: HttpRequest) -> HttpResponsePermanentRedirect:
    """Browsers and tools ask for /favicon.ico whatever the page says (resolved per request:
    the hashed name exists only once static files are collected)."""
    return HttpResponsePermanentRedirect(static("img/favicon.svg"))


urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("favicon.ico", favicon),
    path("readyz", health.readyz, name="readyz"),
    path("", include("apps.accounts.urls")),
    path("oidc/", include("mozilla_django_oidc.urls")),
    path("api/v1/", include("apps.api.urls")),
    path("", include("apps.webmail.urls")),
    path("admin/", admin.site.urls),
]
