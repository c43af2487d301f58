"""Celery tasks: thin wrappers around apps.audit.services."""

from __future__ import annotations

from celery import shared_task

from .services import audit_purge


@shared_task(name="audit.audit_purge_task", soft_time_limit=600, time_limit=660)
def audit_purge_task() -> int:
    return audit_purge()
