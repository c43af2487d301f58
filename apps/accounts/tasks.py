from __future__ import annotations

from celery import shared_task

from . import services


# Expired sessions are deleted on a schedule: a database backup must not carry the
# (encrypted) PSC tokens of sessions that are long over.
@shared_task(name="accounts.session_purge_task", soft_time_limit=300, time_limit=360)
def session_purge_task() -> int:
    return services.session_purge()
