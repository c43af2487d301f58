"""A business tool allowed to call the API for one structure: its key is shown once, kept
only as a hash (SHA-256 of 32 random bytes: nothing to salt against), revocable."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ApiClient(models.Model):
    structure = models.ForeignKey("structures.Structure", on_delete=models.CASCADE,
                                  related_name="api_clients", verbose_name=_("structure"))
    name = models.CharField(_("name"), max_length=100,
                            help_text=_("The software, as the structure knows it."))
    prefix = models.CharField(_("key prefix"), max_length=12, unique=True, editable=False)
    key_hash = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("API client")
        verbose_name_plural = _("API clients")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"
