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

    def __str__(self) -> str:
        """The name and the national id: how an administrator picks a mailbox's owner."""
        name = f"{self.first_name} {self.last_name.upper()}".strip()
        return f"{name} ({self.idnat})" if name and self.idnat else name or self.username


class ProfessionalExercise(models.Model):
    """One profession a user practises, as PSC said at the last sign-in."""

    class Family(models.TextChoices):
        HEALTH = "health", _("Health professional")
        SOCIAL = "social", _("Social or medico-social professional")
        BY_TITLE = "by_title", _("Professional by title")
        OTHER = "other", _("Other profession")

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="exercises")
    position = models.PositiveSmallIntegerField(default=0)
    profession_code = models.CharField(_("profession code"), max_length=10)
    profession_label = models.CharField(_("profession"), max_length=200)
    profession_system = models.CharField(_("code system"), max_length=20)
    family = models.CharField(_("family"), max_length=10, choices=Family.choices)
    category_code = models.CharField(_("professional category"), max_length=10, blank=True)
    civility = models.CharField(_("practice civility"), max_length=10, blank=True)
    family_name = models.CharField(_("practice family name"), max_length=150, blank=True)
    given_name = models.CharField(_("practice given name"), max_length=150, blank=True)
    savoir_faire_type = models.CharField(_("expertise type"), max_length=10, blank=True)
    savoir_faire_code = models.CharField(_("expertise code"), max_length=20, blank=True)

    class Meta:
        verbose_name = _("professional exercise")
        verbose_name_plural = _("professional exercises")
        ordering = ["user", "position"]

    def __str__(self) -> str:
        return f"{self.profession_label} ({self.profession_code})"


class LiveSession(models.Model):
    """A stored session in which a professional is signed in with Pro Santé Connect (issue
    28): kept by the session store at each save (sign-in, refresh, refresh refused), gone
    with the session (sign-out, cycle, purge). Who is signed in is read here, through
    indexes, instead of decoding every row of ``django_session`` at every beat round and
    watcher pass. Deactivated users and revoked delegations are left out where it is read."""

    session_key = models.CharField(max_length=40, primary_key=True)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="live_sessions")
    psc_active = models.BooleanField(default=False)  # a refresh token is held: mail can be reached
    expires_at = models.DateTimeField()  # the session's expiry, to the minute below

    class Meta:
        indexes = [models.Index(fields=["psc_active", "expires_at"], name="live_session_idx")]

    def __str__(self) -> str:
        return f"{self.user_id} until {self.expires_at:%Y-%m-%d %H:%M}"
