from __future__ import annotations

from django.db.models import QuerySet

from apps.accounts.models import User

from .models import Membership


def membership_list_for_user(*, user: User) -> QuerySet[Membership]:
    return Membership.objects.filter(user=user).select_related("structure").order_by(
        "structure__name")
