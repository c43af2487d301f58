from django.urls import path

from . import views

app_name = "webmail"
urlpatterns = [
    path("", views.home, name="inbox"),
    path("bal/<int:mailbox_id>/dossier/<int:folder_id>/", views.folder, name="folder"),
    path("bal/<int:mailbox_id>/dossier/<int:folder_id>/etat/", views.folder_status,
         name="folder_status"),
    path("bal/<int:mailbox_id>/synchroniser/", views.mailbox_sync_now, name="sync_now"),
]
