"""Which mailbox hands its documents to which business software, and the state of each
message and document handed over: kept in the database, so that a worker that dies, a
software that is down or a broker that restarts loses nothing and sends nothing twice
(a document is sent again only under its own control id, which the software recognises)."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _


def _control_id() -> str:
    return f"MSW{uuid.uuid4().hex[:17].upper()}"


class IntegrationEndpoint(models.Model):
    """The business software (DUI) a structure's mailbox hands received documents to."""

    mailbox = models.OneToOneField("mail.Mailbox", on_delete=models.CASCADE, related_name="integration",
                                   verbose_name=_("mailbox"))
    software = models.CharField(_("software"), max_length=100,
                                help_text=_("Its name, as the people reading the mailbox know it."))
    host = models.CharField(_("host"), max_length=255)
    port = models.PositiveIntegerField(_("port"))
    tls = models.BooleanField(_("TLS"), default=True)
    receiving_application = models.CharField(_("receiving application (MSH-5)"), max_length=100, blank=True)
    receiving_facility = models.CharField(_("receiving facility (MSH-6)"), max_length=100, blank=True)
    type_codes = models.CharField(_("document types"), max_length=500, blank=True,
                                  help_text=_("LOINC codes separated by commas; empty: every document."))
    enabled = models.BooleanField(_("enabled"), default=True)
    # The INBOX's last uid looked at (and its uidvalidity): each message is handed over once.
    checked_uid = models.PositiveIntegerField(null=True, blank=True, editable=False)
    checked_uidvalidity = models.BigIntegerField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("business software link")
        verbose_name_plural = _("business software links")

    def __str__(self) -> str:
        return f"{self.software} ← {self.mailbox}"

    def clean(self) -> None:
        """A link reads its mailbox with nobody signed in: a certificate mailbox, never one
        opened with a person's Pro Santé Connect token."""
        from django.core.exceptions import ValidationError

        if self.mailbox_id and self.mailbox.auth_mode == self.mailbox.AuthMode.PSC_XOAUTH2:
            raise ValidationError({"mailbox": _("A business software link needs an application mailbox "
                                                "(client certificate): nobody's session opens it.")})

    def wants(self, type_code: str) -> bool:
        codes = {c.strip() for c in self.type_codes.split(",") if c.strip()}
        return not codes or type_code in codes


class HandedMessage(models.Model):
    """A received message with health documents, to hand over and then answer its sender."""

    class State(models.TextChoices):
        NEW = "new", _("to open")
        OPENED = "opened", _("documents found")
        UNREADABLE = "unreadable", _("no readable document")
        ANSWERED = "answered", _("sender answered")

    endpoint = models.ForeignKey(IntegrationEndpoint, on_delete=models.CASCADE, related_name="messages")
    folder = models.ForeignKey("mail.Folder", on_delete=models.SET_NULL, null=True, related_name="+")
    uid = models.PositiveIntegerField()
    message_id = models.CharField(max_length=255)
    sender = models.CharField(max_length=254, blank=True)
    subject = models.CharField(max_length=500, blank=True)
    receipt_to = models.CharField(max_length=254, blank=True)  # asked a read receipt: answered by an MDN
    state = models.CharField(max_length=10, choices=State.choices, default=State.NEW, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["endpoint", "message_id"], name="handed_message_once")]

    def __str__(self) -> str:
        return f"{self.subject} ({self.sender})"


class DocumentDelivery(models.Model):
    """One CDA of a handed message, sent as one MDM^T02."""

    class State(models.TextChoices):
        PENDING = "pending", _("to send")
        ACCEPTED = "accepted", _("integrated")
        REFUSED = "refused", _("refused")

    message = models.ForeignKey(HandedMessage, on_delete=models.CASCADE, related_name="documents")
    key = models.CharField(max_length=255)  # the CDA's path in the package
    type_code = models.CharField(max_length=20, blank=True)
    title = models.CharField(max_length=300, blank=True)
    # Whose document: the business tool's API finds a patient's documents by INS.
    patient_ins = models.CharField(max_length=15, blank=True, db_index=True)
    patient_name = models.CharField(max_length=200, blank=True)
    effective = models.DateTimeField(null=True, blank=True)  # the act's date
    control_id = models.CharField(max_length=20, default=_control_id, unique=True)
    state = models.CharField(max_length=8, choices=State.choices, default=State.PENDING, db_index=True)
    error_code = models.CharField(max_length=8, blank=True)
    error_label = models.CharField(max_length=200, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_try_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)  # when the software's ACK came

    class Meta:
        constraints = [models.UniqueConstraint(fields=["message", "key"], name="delivery_once")]

    def __str__(self) -> str:
        return f"{self.title or self.key} ({self.get_state_display()})"


class ToolMessage(models.Model):
    """A message or draft a structure's business software asked the site to write (the API,
    issue 29): kept so that the software can ask what became of it (queued, sent, delivered,
    read, integrated, refused with a 90x code) without reading the mailbox itself."""

    structure = models.ForeignKey("structures.Structure", on_delete=models.CASCADE, related_name="+")
    client = models.CharField(max_length=120)  # the API client, as "name (prefix…)"
    mailbox = models.ForeignKey("mail.Mailbox", on_delete=models.CASCADE, related_name="+")
    # the outbox row while it exists (a draft has none: it is in the Drafts folder)
    outbox = models.OneToOneField("mail.OutboxMessage", on_delete=models.SET_NULL, null=True, blank=True,
                                  related_name="tool_message")
    message_id = models.CharField(max_length=255, db_index=True)
    subject = models.CharField(max_length=500, blank=True)
    draft_uid = models.PositiveIntegerField(null=True, blank=True)
    acting_idnat = models.CharField(max_length=40, blank=True)  # the professional the call acted for
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("message from the business software")
        verbose_name_plural = _("messages from the business software")

    def __str__(self) -> str:
        return f"{self.subject} ({self.client})"
