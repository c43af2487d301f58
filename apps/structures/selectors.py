from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import QuerySet

from .models import Membership


def membership_list_for_user(*, user: AbstractBaseUser) -> QuerySet[Membership]:
    return Membership.objects.filter(user_id=user.pk).select_related("structure").order_by(
        "structure__name")


def structure_ids_administered(*, user: AbstractBaseUser) -> frozenset[int]:
    """The structures whose administrator the user is (what the admin shows them)."""
    return frozenset(Membership.objects.filter(user_id=user.pk, is_admin=True)
                     .values_list("structure_id", flat=True))
