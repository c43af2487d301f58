"""Who still stands behind a pooled IMAP connection (issue 28): read by each process's pool
reaper, from ``LiveSession`` through its indexes."""

from __future__ import annotations

from collections.abc import Collection

from django.utils import timezone

from apps.accounts.models import LiveSession


def pool_owner_users(*, owners: Collection[str]) -> dict[str, int]:
    """Of the pool's credential owners ("user:12" for a page's connections, "session:abc"
    for a worker's), those with a PSC session in force — stored, not expired, its tokens
    held, the user active — and whose user they are. "certificate" is nobody's: left out."""
    user_ids = {int(owner[5:]) for owner in owners if owner.startswith("user:") and owner[5:].isdigit()}
    keys = {owner[8:] for owner in owners if owner.startswith("session:")}
    live = LiveSession.objects.filter(psc_active=True, expires_at__gt=timezone.now(), user__is_active=True)
    found: dict[str, int] = {}
    if user_ids:
        for user_id in live.filter(user_id__in=user_ids).values_list("user_id", flat=True).distinct():
            found[f"user:{user_id}"] = user_id
    if keys:
        for key, user_id in live.filter(session_key__in=keys).values_list("session_key", "user_id"):
            found[f"session:{key}"] = user_id
    return found
