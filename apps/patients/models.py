"""The patient registry: a professional's list, or a structure's (one of the two)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from mss.ins import Ins


class Patient(models.Model):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True,
                              related_name="patients", verbose_name=_("professional"))
    structure = models.ForeignKey("structures.Structure", on_delete=models.CASCADE, null=True, blank=True,
                                  related_name="patients", verbose_name=_("structure"))
    matricule = models.CharField(_("INS"), max_length=15)
    oid = models.CharField(_("INS OID"), max_length=40)
    qualified = models.BooleanField(_("qualified INS"), default=False)
    birth_name = models.CharField(_("birth name"), max_length=100)
    given_names = models.CharField(_("birth first names"), max_length=200)
    birth_date = models.DateField(_("date of birth"))
    sex = models.CharField(_("sex"), max_length=1)
    birthplace = models.CharField(_("birthplace code"), max_length=5, blank=True)
    used_name = models.CharField(_("used name"), max_length=100, blank=True)
    name_key = models.CharField(max_length=400, blank=True)  # "dupont martin jeanne marie"
    # The patient refuses MSSanté exchanges: compose refuses to write to them, and says why.
    opposed = models.BooleanField(_("opposed to MSSanté exchanges"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("patient")
        verbose_name_plural = _("patients")
        ordering = ["birth_name", "given_names"]
        constraints = [
            models.CheckConstraint(condition=Q(owner__isnull=True) ^ Q(structure__isnull=True),
                                   name="patient_one_list"),
            models.UniqueConstraint(fields=["owner", "matricule"], condition=Q(owner__isnull=False),
                                    name="patient_once_per_professional"),
            models.UniqueConstraint(fields=["structure", "matricule"], condition=Q(structure__isnull=False),
                                    name="patient_once_per_structure"),
        ]
        # Prefix searches as people type (apps.core.search): pattern_ops for PostgreSQL's LIKE.
        indexes = [
            models.Index(fields=["owner", "name_key"], name="patient_owner_name",
                         opclasses=["int8_ops", "varchar_pattern_ops"]),
            models.Index(fields=["owner", "matricule"], name="patient_owner_ins",
                         opclasses=["int8_ops", "varchar_pattern_ops"]),
            models.Index(fields=["owner", "birth_date"], name="patient_owner_born"),
            models.Index(fields=["structure", "name_key"], name="patient_structure_name",
                         opclasses=["int8_ops", "varchar_pattern_ops"]),
        ]

    def __str__(self) -> str:
        return f"{self.birth_name} {self.first_given_name} ({self.matricule})"

    @property
    def first_given_name(self) -> str:
        return self.given_names.split(" ", 1)[0]

    @property
    def ins(self) -> Ins:
        """The INS as the pure package reads it (its register, real or test)."""
        return Ins(self.matricule, self.oid, self.qualified)

    @property
    def display_name(self) -> str:
        """How lists and chips name the patient: birth name, then first given name."""
        return f"{self.birth_name} {self.first_given_name}"


class PatientInformed(models.Model):
    """A professional confirmed, before their first message to this patient, that the
    patient was informed of exchanges by secure messaging (CSP art. R1110-4): when, once."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    matricule = models.CharField(max_length=15)
    informed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["owner", "matricule"], name="patient_informed_once")]

    def __str__(self) -> str:
        return f"{self.matricule} informed {self.informed_at:%Y-%m-%d}"


class Habilitation(models.Model):
    """A patient allowed to write to a professional (all their mailboxes) or to a
    structure's shared mailboxes, or to one mailbox only, until a day or for good. Kept
    behind ``services.habilitation_*`` and ``selectors.habilitation_allows``, so that a
    national habilitation service can replace this local store."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True,
                              related_name="habilitations", verbose_name=_("professional"))
    structure = models.ForeignKey("structures.Structure", on_delete=models.CASCADE, null=True, blank=True,
                                  related_name="habilitations", verbose_name=_("structure"))
    mailbox_id = models.PositiveBigIntegerField(_("only this mailbox"), null=True, blank=True)
    matricule = models.CharField(_("INS"), max_length=15, db_index=True)
    until = models.DateField(_("until"), null=True, blank=True)
    granted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("habilitation")
        verbose_name_plural = _("habilitations")
        constraints = [models.CheckConstraint(condition=Q(owner__isnull=True) ^ Q(structure__isnull=True),
                                              name="habilitation_one_holder")]

    def __str__(self) -> str:
        return f"{self.matricule} → {self.owner or self.structure}"
