from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Mailbox(models.Model):
    """An MSSanté mailbox (BAL) at an operator, and how this site authenticates to it."""

    class Kind(models.TextChoices):
        PERSONAL = "PER", _("Personal mailbox")
        ORGANISATIONAL = "ORG", _("Organisational mailbox")
        APPLICATION = "APP", _("Application mailbox")
        CABINET = "CAB", _("Practice mailbox")

    class AuthMode(models.TextChoices):
        PSC_XOAUTH2 = "psc_xoauth2", _("Pro Santé Connect (XOAUTH2)")
        CLIENT_CERTIFICATE = "client_certificate", _("Client certificate")
        PASSWORD = "password", _("Password (development stack only)")

    address = models.EmailField(_("address"), unique=True)
    kind = models.CharField(_("type"), max_length=3, choices=Kind.choices, default=Kind.PERSONAL)
    display_name = models.CharField(_("display name"), max_length=200, blank=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                              blank=True, related_name="mailboxes", verbose_name=_("owner"))
    auth_mode = models.CharField(_("authentication"), max_length=32, choices=AuthMode.choices,
                                 default=AuthMode.PSC_XOAUTH2)
    # Empty means the operator defaults from settings (MSSANTE_IMAP_* / MSSANTE_SMTP_*).
    imap_host = models.CharField(_("IMAP host"), max_length=255, blank=True)
    imap_port = models.PositiveIntegerField(_("IMAP port"), null=True, blank=True)
    smtp_host = models.CharField(_("SMTP host"), max_length=255, blank=True)
    smtp_port = models.PositiveIntegerField(_("SMTP port"), null=True, blank=True)
    client_cert_file = models.CharField(_("client certificate (PEM path)"), max_length=500,
                                        blank=True)
    client_key_file = models.CharField(_("client key (PEM path)"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("mailbox")
        verbose_name_plural = _("mailboxes")
        ordering = ["address"]

    def __str__(self) -> str:
        return self.address
