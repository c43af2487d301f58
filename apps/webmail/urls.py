from django.urls import path

from . import views

app_name = "webmail"
urlpatterns = [
    path("", views.inbox, name="inbox"),
]
