from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class WhitelistDomain(models.Model):
    """One entry of the MSSanté domain whitelist (a domain repeats once per operator)."""

    name = models.CharField(_("domain"), max_length=253, db_index=True)
    description = models.CharField(_("description"), max_length=300, blank=True)
    operator_dn = models.CharField(_("operator certificate DN"), max_length=500, blank=True)
    responsible_contact = models.CharField(_("responsible contact"), max_length=300, blank=True)
    support_contact = models.CharField(_("support contact"), max_length=300, blank=True)
    updated_at = models.DateTimeField(_("updated"), null=True, blank=True)

    class Meta:
        verbose_name = _("whitelisted domain")
        verbose_name_plural = _("whitelisted domains")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class WhitelistImport(models.Model):
    """Every attempt to load the list, kept for the administrators (failures alert)."""

    at = models.DateTimeField(auto_now_add=True)
    source = models.CharField(max_length=500)
    ok = models.BooleanField(default=False)
    entries = models.PositiveIntegerField(default=0)
    domains = models.PositiveIntegerField(default=0)
    sha256 = models.CharField(max_length=64, blank=True)
    generated_at = models.DateTimeField(null=True, blank=True)
    repaired = models.BooleanField(default=False)
    error = models.CharField(max_length=500, blank=True)

    class Meta:
        verbose_name = _("whitelist import")
        verbose_name_plural = _("whitelist imports")
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {'OK' if self.ok else self.error}"


class DirectoryImport(models.Model):
    """Each directory import that went through: when, from where, and the date of the
    extraction itself (what the profile page tells a professional their mailboxes came from)."""

    at = models.DateTimeField(_("imported at"), auto_now_add=True)
    source = models.CharField(_("source"), max_length=500)
    extracted_at = models.DateTimeField(_("extraction date"), null=True, blank=True)
    rows = models.PositiveIntegerField(_("mailboxes"), default=0)

    class Meta:
        verbose_name = _("directory import")
        verbose_name_plural = _("directory imports")
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} ({self.rows})"


class DirectoryFields(models.Model):
    """The columns kept from the Annuaire Santé extraction, plus normalised search keys."""

    address = models.CharField(_("address"), max_length=254, unique=True)
    mailbox_type = models.CharField(_("mailbox type"), max_length=3, blank=True)
    idnat = models.CharField(_("national id"), max_length=64, blank=True, db_index=True)
    civility = models.CharField(_("civility"), max_length=10, blank=True)
    family_name = models.CharField(_("family name"), max_length=150, blank=True)
    given_name = models.CharField(_("given name"), max_length=150, blank=True)
    profession_code = models.CharField(_("profession code"), max_length=10, blank=True)
    profession_label = models.CharField(_("profession"), max_length=200, blank=True)
    savoir_faire_label = models.CharField(_("expertise"), max_length=200, blank=True)
    structure_name = models.CharField(_("structure"), max_length=300, blank=True)
    structure_ref = models.CharField(_("structure identifier"), max_length=320, blank=True, db_index=True)
    service = models.CharField(_("service"), max_length=300, blank=True)
    address_lines = models.CharField(_("postal address"), max_length=500, blank=True)
    postcode = models.CharField(_("postcode"), max_length=10, blank=True, db_index=True)
    city = models.CharField(_("city"), max_length=150, blank=True)
    department = models.CharField(_("department"), max_length=5, blank=True)
    # Accent- and case-free search keys ("helene" finds "Hélène"), prefix-searched.
    name_key = models.CharField(max_length=300, blank=True, db_index=True)  # "family given"
    given_key = models.CharField(max_length=150, blank=True, db_index=True)
    city_key = models.CharField(max_length=150, blank=True, db_index=True)
    structure_key = models.CharField(max_length=300, blank=True, db_index=True)
    profession_key = models.CharField(max_length=200, blank=True, db_index=True)
    row_hash = models.CharField(max_length=32, blank=True)

    class Meta:
        abstract = True


class DirectoryEntry(DirectoryFields):
    """A mailbox of the national directory, as searched by the site."""

    class Meta:
        verbose_name = _("directory entry")
        verbose_name_plural = _("directory entries")

    def __str__(self) -> str:
        return self.address

    @property
    def display_name(self) -> str:
        name = f"{self.given_name} {self.family_name}".strip()
        return name or self.structure_name or self.address


class DirectoryStaging(DirectoryFields):
    """Where an import lands before one transaction switches the directory over to it."""

    class Meta:
        verbose_name = "directory staging row"

    def __str__(self) -> str:
        return self.address
