from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("", include("apps.core.urls")),
    path("", include("apps.accounts.urls")),
    path("oidc/", include("mozilla_django_oidc.urls")),
    path("", include("apps.webmail.urls")),
    path("admin/", admin.site.urls),
]
