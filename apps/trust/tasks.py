from __future__ import annotations

from celery import shared_task

from . import services


@shared_task(name="trust.whitelist_refresh_task")
def whitelist_refresh_task() -> int:
    result = services.whitelist_refresh()
    return len(result.domains) if result else 0


# The national directory is a million rows and more: longer limits than the default.
@shared_task(name="trust.annuaire_refresh_task", soft_time_limit=3000, time_limit=3300)
def annuaire_refresh_task() -> int:
    report = services.annuaire_refresh()
    return report.rows if report else 0
