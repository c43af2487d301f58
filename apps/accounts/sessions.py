"""Django's database sessions (``SESSION_ENGINE``), read with SQL compiled once: every
request reads its session, and Django's compiling of that one-row query cost more than
the query. Expiry is checked on the row read, as Django's own filter does.

The store also keeps ``LiveSession`` (issue 28): at each save, the session's user, whether
it still holds a PSC refresh token and its expiry (to the minute: a session saved at every
request writes the row at most once a minute, remembered in the session itself); the row
goes when the session is deleted (sign-out, a key cycled) or purged."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.sessions.backends import db
from django.contrib.sessions.models import Session
from django.utils import timezone

from apps.core.prepared import PreparedQuery

from .session_keys import SESSION_PSC_ACTIVE

_SESSION: PreparedQuery[Session] = PreparedQuery(
    lambda session_key: Session.objects.filter(session_key=session_key)[:1], params={"session_key": str})
LIVE_MARK = "_live"  # the (user, active, expiry minute) last written to LiveSession


class SessionStore(db.SessionStore):
    def _get_session_from_db(self) -> Any:
        row = _SESSION.first(session_key=self.session_key)
        if row is None or row.expire_date <= timezone.now():
            self._session_key = None
            return None
        return row

    def _live_state(self) -> list[Any] | None:
        user_id = self.get("_auth_user_id")
        if not user_id:
            return None
        minute = self.get_expiry_date().replace(second=0, microsecond=0)
        return [str(user_id), bool(self.get(SESSION_PSC_ACTIVE)), minute.isoformat()]

    def save(self, must_create: bool = False) -> None:
        state = self._live_state()
        changed = state != self.get(LIVE_MARK)
        if changed:
            self[LIVE_MARK] = state
        super().save(must_create=must_create)
        if changed and self.session_key:
            self._live_write(state)

    def _live_write(self, state: list[Any] | None) -> None:
        from .models import LiveSession

        if state is None:
            LiveSession.objects.filter(session_key=self.session_key).delete()
            return
        LiveSession.objects.update_or_create(session_key=self.session_key, defaults={
            "user_id": int(state[0]), "psc_active": state[1],
            "expires_at": dt.datetime.fromisoformat(state[2])})

    def delete(self, session_key: str | None = None) -> None:
        from .models import LiveSession

        key = session_key or self.session_key
        super().delete(session_key)
        if key:
            LiveSession.objects.filter(session_key=key).delete()

    def cycle_key(self) -> None:
        """A new key for the same data (sign-in): the row follows the key."""
        self.pop(LIVE_MARK, None)
        super().cycle_key()

    @classmethod
    def clear_expired(cls) -> None:
        from .models import LiveSession

        super().clear_expired()
        LiveSession.objects.filter(expires_at__lt=timezone.now()).delete()
