from django.urls import path

from . import action_views, compose_views, directory_views, reader_views, search_views, views

app_name = "webmail"
urlpatterns = [
    path("", views.home, name="inbox"),
    path("bal/<int:mailbox_id>/dossier/<int:folder_id>/", views.folder, name="folder"),
    path("bal/<int:mailbox_id>/dossier/<int:folder_id>/etat/", views.folder_status,
         name="folder_status"),
    path("bal/<int:mailbox_id>/synchroniser/", views.mailbox_sync_now, name="sync_now"),
    path("bal/<int:mailbox_id>/dossier/<int:folder_id>/message/<int:uid>/", reader_views.message,
         name="message"),
    path("bal/<int:mailbox_id>/dossier/<int:folder_id>/message/<int:uid>/contenu/",
         reader_views.message_body, name="message_body"),
    path("bal/<int:mailbox_id>/dossier/<int:folder_id>/message/<int:uid>/piece/<str:part_id>/",
         reader_views.message_part, name="message_part"),
    path("bal/<int:mailbox_id>/dossier/<int:folder_id>/message/<int:uid>/piece/<str:part_id>/lire/",
         reader_views.attached_message, name="attached_message"),
    path("bal/<int:mailbox_id>/dossier/<int:folder_id>/message/<int:uid>/piece/<str:part_id>/lire/contenu/",
         reader_views.attached_body, name="attached_body"),
    path("bal/<int:mailbox_id>/dossier/<int:folder_id>/message/<int:uid>/piece/cid/<str:cid>/",
         reader_views.message_part, name="message_cid"),
    path("bal/<int:mailbox_id>/dossier/<int:folder_id>/actions/", action_views.message_action,
         name="message_action"),
    path("bal/<int:mailbox_id>/recherche/", search_views.search, name="search"),
    path("bal/<int:mailbox_id>/dossiers/", action_views.folder_manage, name="folder_manage"),
    path("bal/<int:mailbox_id>/dossier/<int:folder_id>/message/<int:uid>/source/",
         reader_views.message_source, name="message_source"),
    path("annuaire/", directory_views.directory, name="directory"),
    path("annuaire/<int:pk>/", directory_views.contact, name="contact"),
    path("annuaire/suggestions/", directory_views.suggestions, name="suggestions"),
    path("ecrire/", compose_views.compose, name="compose"),
    path("ecrire/brouillon/", compose_views.draft_autosave, name="draft_autosave"),
    path("envoi/", compose_views.outbox, name="outbox"),
    path("envoi/<int:pk>/reessayer/", compose_views.outbox_retry_view, name="outbox_retry"),
    path("ecrire/destinataire/", directory_views.recipient_check, name="recipient_check"),
]
