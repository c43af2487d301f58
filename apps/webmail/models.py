"""A professional's own settings for the webmail: signatures and image senders."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from apps.mail.models import Mailbox


class Signature(models.Model):
    """The signature a user puts under what they write from one mailbox (a GP signs
    differently from the practice's shared mailbox)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="signatures")
    mailbox = models.ForeignKey(Mailbox, on_delete=models.CASCADE, related_name="signatures")
    text = models.TextField(_("signature"), max_length=2000, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "mailbox"], name="signature_unique")]

    def __str__(self) -> str:
        return f"{self.user_id} / {self.mailbox_id}"


class ImageSender(models.Model):
    """A sender whose remote images this user always shows ("toujours pour cet expéditeur")."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="image_senders")
    address = models.EmailField(max_length=254)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "address"], name="image_sender_unique")]
        ordering = ["address"]

    def __str__(self) -> str:
        return self.address
