"""Celery application: Redis broker, tasks discovered in each app's ``tasks.py``."""

import os

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mssante_web.settings")

app = Celery("mssante_web")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.worker_init.connect
@signals.beat_init.connect
def _refuse_unsafe_configuration(**_: object) -> None:
    from mssante_web.startup import refuse_unsafe_configuration

    refuse_unsafe_configuration()
