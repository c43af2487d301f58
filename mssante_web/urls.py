from django.contrib import admin
from django.urls import include, path

from . import health

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("", include("apps.accounts.urls")),
    path("oidc/", include("mozilla_django_oidc.urls")),
    path("", include("apps.webmail.urls")),
    path("admin/", admin.site.urls),
]
