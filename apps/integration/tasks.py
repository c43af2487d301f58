"""Celery tasks: thin wrappers around apps.integration.services."""

from __future__ import annotations

from celery import shared_task

from . import services


@shared_task(name="integration.integration_run_task", soft_time_limit=540, time_limit=570)
def integration_run_task(endpoint_id: int) -> int:
    return services.integration_run(endpoint_id=endpoint_id)


@shared_task(name="integration.integration_retry_task", soft_time_limit=50, time_limit=60)
def integration_retry_task() -> int:
    return services.integration_retry()
