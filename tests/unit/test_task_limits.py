"""Every Celery task has soft and hard time limits, a task stopped at its limit is not
handed to another worker, and the sync lock outlives the hard limit (it expired after
900 s while tasks had no limit: the same message went to fresh workers until none was left)."""

from __future__ import annotations

from django.conf import settings

from apps.mail.engine import sync_runs
from mssante_web.celery import app


def test_every_task_has_time_limits() -> None:
    app.loader.import_default_modules()
    ours = {name: task for name, task in app.tasks.items() if not name.startswith("celery.")}
    assert len(ours) >= 7
    for name, task in ours.items():
        soft = task.soft_time_limit or app.conf.task_soft_time_limit
        hard = task.time_limit or app.conf.task_time_limit
        assert soft and hard and soft < hard, name


def test_a_task_at_its_limit_is_acknowledged_not_redelivered() -> None:
    assert app.conf.task_acks_on_failure_or_timeout is True
    assert app.conf.task_reject_on_worker_lost is False


def test_the_sync_lock_outlives_the_hard_limit() -> None:
    assert sync_runs.SYNC_LOCK_SECONDS > settings.CELERY_TASK_TIME_LIMIT
