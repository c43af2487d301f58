from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from importlib import import_module

from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase
from django.db.models import QuerySet

from apps.core.prepared import PreparedQuery

from .models import ProfessionalExercise, User
from .session_keys import SESSION_LAST_SEEN, SESSION_SIGNED_IN_AT


@dataclass(frozen=True)
class SessionInfo:
    signed_in_at: dt.datetime | None
    ends_at: dt.datetime | None
    idle_lock_minutes: int


_ACTIVE_USER: PreparedQuery[User] = PreparedQuery(
    lambda user_id: User.objects.filter(pk=user_id, is_active=True)[:1], params={"user_id": int})


def user_get_active(*, user_id: int) -> User | None:
    """The signed-in user of a request (every request asks, from SQL compiled once); None
    once deactivated, which ends their sessions at the next page."""
    return _ACTIVE_USER.first(user_id=user_id)


def exercise_list_for_user(*, user: User) -> QuerySet[ProfessionalExercise]:
    return ProfessionalExercise.objects.filter(user=user).order_by("position")


def session_info_get(*, session: SessionBase) -> SessionInfo:
    signed_in = session.get(SESSION_SIGNED_IN_AT)
    last_seen = session.get(SESSION_LAST_SEEN, signed_in)
    if signed_in is None:
        return SessionInfo(None, None, settings.MSSANTE_IDLE_TIMEOUT // 60)
    end = min(float(signed_in) + settings.MSSANTE_SESSION_MAX_AGE,
              float(last_seen) + settings.MSSANTE_IDLE_TIMEOUT)
    return SessionInfo(dt.datetime.fromtimestamp(float(signed_in), dt.UTC),
                       dt.datetime.fromtimestamp(end, dt.UTC), settings.MSSANTE_IDLE_TIMEOUT // 60)


def session_user_get(*, session_key: str) -> tuple[int | None, str]:
    """(user id, idNat) of whoever a stored session belongs to; (None, "") when none: a
    worker acting on a session key must know whether that person owns the mailbox or holds
    a delegation for it."""
    session = import_module(settings.SESSION_ENGINE).SessionStore(session_key=session_key)
    user_id = session.get("_auth_user_id") if session_key else None
    if not user_id:
        return None, ""
    idnat = User.objects.filter(pk=int(user_id)).values_list("idnat", flat=True).first()
    return int(user_id), idnat or ""


def live_session_in_force(*, session_key: str) -> bool:
    """Whether this stored session is a PSC session still in force (``LiveSession``: not
    expired, tokens held, its user active): what an open event stream asks now and then."""
    from django.utils import timezone

    from .models import LiveSession

    return LiveSession.objects.filter(session_key=session_key, psc_active=True, expires_at__gt=timezone.now(),
                                      user__is_active=True).exists()
