from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Structure(models.Model):
    """A place where professionals practise: a hospital site, a practice, an EHPAD, a CCAS."""

    class IdentifierType(models.TextChoices):
        FINESS = "finess", "FINESS"
        SIRET = "siret", "SIRET"
        TECHNICAL = "technical", _("PSC technical id")
        NAME = "name", _("name and postcode")

    identifier_type = models.CharField(_("identifier type"), max_length=12,
                                       choices=IdentifierType.choices)
    identifier = models.CharField(_("identifier"), max_length=300)
    name = models.CharField(_("name"), max_length=300)
    finess_legal = models.CharField(_("legal entity FINESS"), max_length=20, blank=True)
    sector = models.CharField(_("activity sector"), max_length=20, blank=True)
    postcode = models.CharField(_("postcode"), max_length=10, blank=True)
    city = models.CharField(_("city"), max_length=200, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("structure")
        verbose_name_plural = _("structures")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["identifier_type", "identifier"],
                                               name="structure_identifier_unique")]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    """A user practising in a structure. PSC memberships are rewritten at each sign-in;
    those an administrator adds by hand (source "admin") are kept."""

    class Source(models.TextChoices):
        PSC = "psc", "Pro Santé Connect"
        ADMIN = "admin", _("administrator")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="memberships")
    structure = models.ForeignKey(Structure, on_delete=models.CASCADE, related_name="memberships")
    profession_code = models.CharField(_("profession code"), max_length=10, blank=True)
    exercise_mode = models.CharField(_("practice mode"), max_length=10, blank=True)
    source = models.CharField(_("source"), max_length=8, choices=Source.choices,
                              default=Source.PSC)
    is_admin = models.BooleanField(_("structure administrator"), default=False)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [models.UniqueConstraint(fields=["user", "structure", "profession_code"],
                                               name="membership_unique")]

    def __str__(self) -> str:
        return f"{self.user} @ {self.structure}"
