"""Work routed by kind (issue 28): every task the project defines lands on the queue of its
kind (sync, index, send, integration, maintenance), none left on the default one but the
workers' ping; a worker started without -Q takes them all; beat spreads the periodic syncs
over its period instead of handing every mailbox to the workers at once."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import override_settings

from apps.mail.services import mailbox_sync_offset
from mssante_web.celery import app


@pytest.mark.parametrize(("task", "queue"), [
    ("mail.mailbox_sync_task", "sync"), ("mail.mailbox_bodies_index_task", "index"),
    ("mail.outbox_send_task", "send"), ("integration.integration_run_task", "integration"),
    ("audit.audit_purge_task", "maintenance"), ("core.ping_task", "celery"),
])
def test_a_task_of_each_kind_lands_on_its_queue(task: str, queue: str) -> None:
    assert app.amqp.router.route({}, task)["queue"].name == queue


def test_every_task_has_its_kind_and_a_plain_worker_takes_every_queue() -> None:
    app.loader.import_default_modules()
    ours = {name for name in app.tasks if not name.startswith("celery.")}
    routed = {name for names in settings.TASK_QUEUES.values() for name in names}
    assert ours - routed == {"core.ping_task"}, "a task without its queue"
    assert routed <= ours, "a route for a task that does not exist"
    # what a worker without -Q consumes (a test may add its own queue to the process's list)
    assert {queue.name for queue in app.conf.task_queues} == {"celery", *settings.TASK_QUEUES}


def test_beat_spreads_the_syncs_over_its_period() -> None:
    with override_settings(MSSANTE_SYNC_INTERVAL=60):
        offsets = [mailbox_sync_offset(mailbox_id=pk) for pk in range(1, 10_001)]
        assert offsets == [mailbox_sync_offset(mailbox_id=pk) for pk in range(1, 10_001)]  # a rhythm
    assert all(0 <= offset <= 54 for offset in offsets)
    per_second = [0] * 55
    for offset in offsets:
        per_second[int(offset)] += 1
    assert max(per_second) < 2 * 10_000 / 54  # no second gets twice its share
