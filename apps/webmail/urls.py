from django.urls import path

from . import compose_views, directory_views, views

app_name = "webmail"
urlpatterns = [
    path("", views.home, name="inbox"),
    path("bal/<int:mailbox_id>/dossier/<int:folder_id>/", views.folder, name="folder"),
    path("bal/<int:mailbox_id>/dossier/<int:folder_id>/etat/", views.folder_status,
         name="folder_status"),
    path("bal/<int:mailbox_id>/synchroniser/", views.mailbox_sync_now, name="sync_now"),
    path("annuaire/", directory_views.directory, name="directory"),
    path("annuaire/<int:pk>/", directory_views.contact, name="contact"),
    path("annuaire/suggestions/", directory_views.suggestions, name="suggestions"),
    path("ecrire/", compose_views.compose, name="compose"),
    path("ecrire/destinataire/", directory_views.recipient_check, name="recipient_check"),
]
