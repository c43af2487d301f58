"""Writes for structures. Sign-in calls ``structure_memberships_sync`` with what PSC says."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction

from .activities import Activity, Practice
from .models import Membership, Structure


def structure_upsert_from_activity(*, activity: Activity) -> Structure:
    identifier_type, identifier = activity.structure_key
    structure, _ = Structure.objects.update_or_create(
        identifier_type=identifier_type, identifier=identifier,
        defaults={"name": activity.name or identifier, "finess_legal": activity.finess_legal,
                  "sector": activity.sector, "postcode": activity.postcode,
                  "city": activity.city})
    return structure


@transaction.atomic
def structure_memberships_sync(*, user: AbstractBaseUser, exercises: Iterable[Practice]) -> list[Membership]:
    """Make the user's PSC memberships exactly what PSC says today."""
    kept: list[Membership] = []
    for exercise in exercises:
        for activity in exercise.activities:
            structure = structure_upsert_from_activity(activity=activity)
            membership, _ = Membership.objects.update_or_create(
                user_id=user.pk, structure=structure, profession_code=exercise.profession_code,
                defaults={"exercise_mode": activity.mode, "source": Membership.Source.PSC})
            kept.append(membership)
    (Membership.objects.filter(user_id=user.pk, source=Membership.Source.PSC)
     .exclude(pk__in=[m.pk for m in kept]).delete())
    return kept


def membership_staff_sync(*, user: AbstractBaseUser) -> None:
    """A structure administrator needs the admin (``is_staff``); someone who no longer
    administers any structure loses it, unless a superuser or given other admin rights."""
    administers = Membership.objects.filter(user_id=user.pk, is_admin=True).exists()
    staff = administers or user.is_superuser or user.groups.exists() or user.user_permissions.exists()  # type: ignore[attr-defined]
    if user.is_staff != staff:  # type: ignore[attr-defined]
        user.is_staff = staff  # type: ignore[attr-defined]
        user.save(update_fields=["is_staff"])  # type: ignore[misc]
