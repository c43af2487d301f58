"""Django's database sessions (``SESSION_ENGINE``), read with SQL compiled once: every
request reads its session, and Django's compiling of that one-row query cost more than
the query. Expiry is checked on the row read, as Django's own filter does."""

from __future__ import annotations

from typing import Any

from django.contrib.sessions.backends import db
from django.contrib.sessions.models import Session
from django.utils import timezone

from apps.core.prepared import PreparedQuery

_SESSION: PreparedQuery[Session] = PreparedQuery(
    lambda session_key: Session.objects.filter(session_key=session_key)[:1], params={"session_key": str})


class SessionStore(db.SessionStore):
    def _get_session_from_db(self) -> Any:
        row = _SESSION.first(session_key=self.session_key)
        if row is None or row.expire_date <= timezone.now():
            self._session_key = None
            return None
        return row
