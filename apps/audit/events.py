"""The audit trail's catalogue: every kind of event the site records, closed (issue 25).
``audit_log`` refuses a kind outside it, so the list below is the list of actions the
trail holds (ECO.4.1.1: author, time, action, and the request it came from)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Event(models.TextChoices):
    SIGNIN = "signin", _("Signed in")
    SIGNIN_REFUSED = "signin_refused", _("Sign-in refused")
    SIGNOUT = "signout", _("Signed out")
    IDLE_LOCK = "idle_lock", _("Session locked after inactivity")
    SESSION_EXPIRED = "session_expired", _("Session expired")
    TOKEN_REFRESH_FAILED = "token_refresh_failed", _("Pro Santé Connect token not renewed")
    MESSAGE_READ = "message_read", _("Message read")
    MESSAGE_SENT = "message_sent", _("Message sent")
    MESSAGE_MOVED = "message_moved", _("Message moved")
    MESSAGE_DELETED = "message_deleted", _("Message deleted")
    MESSAGE_MARKED = "message_marked", _("Message marked (read, unread, flagged)")
    DRAFT_SAVED = "draft_saved", _("Draft saved")
    FOLDER_CHANGED = "folder_changed", _("Folder created, renamed, deleted or emptied")
    VACATION_CHANGED = "vacation_changed", _("Out-of-office reply changed")
    ATTACHMENT_DOWNLOADED = "attachment_downloaded", _("Attachment opened or downloaded")
    DOCUMENT_OPENED = "document_opened", _("Health document opened")
    HABILITATION_CHANGED = "habilitation_changed", _("Patient's right to write changed")
    DELEGATION_CHANGED = "delegation_changed", _("Delegation changed")
    CERTIFICATE_CHANGED = "certificate_changed", _("Mailbox certificate changed")
    ADMIN_CHANGE = "admin_change", _("Change in the administration")
    AUDIT_EXPORTED = "audit_exported", _("Audit trail exported")
    API_CALL = "api_call", _("Call of the business tool's API")
    DOCUMENTS_HANDED_AGAIN = "documents_handed_again", _("Documents handed to the business software again")
