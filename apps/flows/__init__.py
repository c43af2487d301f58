"""The use cases (issue 24): what a page, or an API call, does, as functions with typed
input (``inputs``) and output, between the pages (``apps.webmail``: parse, call, render) and
the domains (mail, documents, patients, trust, accounts, structures). By concern: sending
(trust-space and size checks, the outbox), the compose flow, the reader's reads, the
buttons' actions, read receipts asked of the user, health documents, the user's
preferences, and what a sign-in sets going (``signin``)."""

from .actions import folder_manage_apply, folder_name_available, message_action_apply
from .compose import (
    ComposeOutcome,
    OriginGone,
    compose_prefill,
    compose_submit,
    draft_autosave,
    forwarded_get,
)
from .preferences import image_sender_add, image_sender_remove, signature_set
from .reading import (
    attached_body_html,
    attached_message_get,
    message_body_html,
    message_parsed_get,
    message_part_get,
    message_reports_shown,
)
from .receipts import MDN_SENT, receipt_requested, receipt_respond
from .sending import (
    AttachmentsTooLarge,
    RecipientsRefused,
    attachments_size_check,
    attachments_total_check,
    message_compose_send,
)

__all__ = [
    "MDN_SENT", "AttachmentsTooLarge", "ComposeOutcome", "OriginGone", "RecipientsRefused",
    "attached_body_html", "attached_message_get", "attachments_size_check", "attachments_total_check",
    "compose_prefill",
    "compose_submit", "draft_autosave", "folder_manage_apply", "folder_name_available",
    "forwarded_get", "image_sender_add", "image_sender_remove", "message_action_apply",
    "message_body_html", "message_compose_send", "message_parsed_get", "message_part_get",
    "message_reports_shown", "receipt_requested", "receipt_respond", "signature_set",
]
