from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    """A professional, keyed by their national id (idNat, PSC ``SubjectNameID``).

    ``username`` holds the idNat too, so Django admin and logs show a stable key. Ordinary
    users have no usable password: they only ever sign in through Pro Santé Connect.
    """

    idnat = models.CharField(_("national id (idNat)"), max_length=64, unique=True, null=True,
                             blank=True)
    civility = models.CharField(_("civility"), max_length=8, blank=True)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    @property
    def display_name(self) -> str:
        name = f"{self.first_name} {self.last_name.upper()}".strip()
        return name or self.username
