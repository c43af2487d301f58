"""Background sync: what beat picks, what sign-in and folder opening queue, and a real
Celery worker syncing a mailbox into the same database the site reads."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import redis
from django.test import Client
from django.utils import timezone
from django.utils.html import escape

from apps.mail import services
from apps.mail.models import Folder, Mailbox, MessageSummary
from devstack import stack
from tests.conftest import ENV, IDENTITIES, PSCSim, django_signin, test_database_url
from tests.integration.mail_server import append, synchro_mailbox

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]
ROOT = Path(__file__).resolve().parents[2]
SYNCHRO = "synchro@medecin.mssante.test"


def queued_tasks() -> list[dict]:
    client = redis.Redis.from_url(ENV["REDIS_URL"])
    try:
        from django.conf import settings

        # every queue: tasks are routed by kind (issue 28), syncs to "sync"
        return [json.loads(raw)["headers"] for queue in ("celery", *settings.TASK_QUEUES)
                for raw in client.lrange(queue, 0, -1)]
    finally:
        client.close()


@pytest.fixture(autouse=True)
def empty_queue(devstack: dict[str, str]) -> None:
    redis.Redis.from_url(ENV["REDIS_URL"]).flushdb()


def test_beat_picks_live_psc_sessions_and_certificate_mailboxes(client: Client, psc_sim: PSCSim,
                                                                demo_accounts: None) -> None:
    assert {m.address for m in Mailbox.objects.filter(pk__in=[c[0] for c in services.mailbox_sync_candidates()])} == {
        a["address"] for a in stack.IDENTITIES["application_mailboxes"]}  # nobody signed in: certificate ones only
    django_signin(client, "nurse")
    candidates = dict(services.mailbox_sync_candidates())
    nurse = Mailbox.objects.get(address=IDENTITIES["nurse"]["mailbox"])
    assert candidates[nurse.pk] == client.session.session_key
    nurse.next_sync_after = timezone.now() + dt.timedelta(minutes=5)
    nurse.save()
    assert nurse.pk not in dict(services.mailbox_sync_candidates())  # in backoff
    client.post("/oidc/logout/")
    assert nurse.pk not in dict(services.mailbox_sync_candidates())


def test_sign_in_and_folder_opening_queue_syncs(client: Client, psc_sim: PSCSim, demo_accounts: None,
                                                seeded_mail: None) -> None:
    django_signin(client, "pharmacist")
    tasks = [t for t in queued_tasks() if t["task"] == "mail.mailbox_sync_task"]
    pharmacist = Mailbox.objects.get(address=IDENTITIES["pharmacist"]["mailbox"])
    assert any(f"{pharmacist.pk}," in t["argsrepr"] for t in tasks)
    # the task names the session by an encrypted reference, never by its key (issue 27)
    assert client.session.session_key not in tasks[0]["argsrepr"] and "'gAAAA" in tasks[0]["argsrepr"]
    page = client.get("/", follow=True)  # the first screen, fetched inline
    # Other tests write to this mailbox too (and a devstack kept between runs keeps their
    # mail): the seeded message is indexed, the newest is at the top of the page.
    rows = MessageSummary.objects.filter(folder__mailbox=pharmacist, folder__role="inbox")
    assert rows.filter(subject__startswith="Disponibilité d'un antibiotique").exists()
    newest = rows.order_by("-date", "-uid").first()
    assert newest is not None and escape(newest.subject) in page.content.decode()


def test_polling_reports_new_mail_and_counts(client: Client, psc_sim: PSCSim, demo_accounts: None) -> None:
    mailbox = synchro_mailbox(1)
    django_signin(client, "gp")
    inbox = Folder.objects.get(mailbox=mailbox, name="INBOX")
    newest = MessageSummary.objects.get(folder=inbox).uid
    url = f"/bal/{mailbox.pk}/dossier/{inbox.pk}/etat/?depuis={newest}"
    quiet = client.get(url, HTTP_X_MSS_BACKGROUND="1").content.decode()
    assert "nouveaux messages" not in quiet and 'hx-swap-oob="true"' in quiet
    append(SYNCHRO, subject="second")
    services.mailbox_sync(access=services.MailAccess(mailbox=mailbox))  # what the worker does
    fresh = client.get(url, HTTP_X_MSS_BACKGROUND="1").content.decode()
    assert "De nouveaux messages sont arrivés" in fresh
    assert '<span class="count"' in fresh
    # The plain newest-first list takes the new rows in place (issue 16), a sender outside
    # the trust space marked as such; the page asked from the newest it shows.
    append(SYNCHRO, subject="troisième", sender="Inconnu <quelquun@gmail.com>")
    services.mailbox_sync(access=services.MailAccess(mailbox=mailbox))
    direct = client.get(url + "&direct=1", HTTP_X_MSS_BACKGROUND="1").content.decode()
    arrived = direct.split('<template id="arrived">')[1].split("</template>")[0]
    assert arrived.count("<tr ") == 2 and arrived.index("troisième") < arrived.index("second")
    assert "Hors espace de confiance" in arrived.split("second")[0]
    assert "Hors espace de confiance" not in arrived.split("second")[1]
    assert "2 messages viennent d" in direct and "De nouveaux messages sont arrivés" not in direct
    newest = MessageSummary.objects.filter(folder=inbox).order_by("-uid").first().uid
    assert "<template" not in client.get(f"/bal/{mailbox.pk}/dossier/{inbox.pk}/etat/?depuis={newest}&direct=1",
                                         HTTP_X_MSS_BACKGROUND="1").content.decode()


def test_list_page_runs_a_constant_number_of_queries(client: Client, psc_sim: PSCSim, demo_accounts: None,
                                                     django_assert_max_num_queries) -> None:  # type: ignore[no-untyped-def]
    mailbox = synchro_mailbox(60)
    django_signin(client, "gp")
    inbox = Folder.objects.get(mailbox=mailbox, name="INBOX")
    url = f"/bal/{mailbox.pk}/dossier/{inbox.pk}/"
    client.get(url)  # warm the session
    with django_assert_max_num_queries(5):
        page = client.get(url)
    assert page.content.decode().count('<tr class="') == 50
    older = client.get(url + "?" + page.context["next_page"])
    assert older.content.decode().count('<tr class="') == 10


def test_another_users_mailbox_is_not_found(client: Client, psc_sim: PSCSim, demo_accounts: None) -> None:
    django_signin(client, "nurse")
    gp = Mailbox.objects.get(address=IDENTITIES["gp"]["mailbox"])
    folder = Folder.objects.create(mailbox=gp, name="INBOX", role="inbox")
    assert client.get(f"/bal/{gp.pk}/dossier/{folder.pk}/").status_code == 404
    assert client.post(f"/bal/{gp.pk}/synchroniser/").status_code == 404


def test_a_real_worker_syncs_a_certificate_mailbox(devstack: dict[str, str], tmp_path: Path) -> None:
    lab = stack_lab_mailbox()
    env = dict(os.environ, **ENV, DATABASE_URL=test_database_url())
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "mssante_web", "worker", "--pool", "solo", "-l", "WARNING",
         "-n", f"sync-{os.getpid()}@localhost", "--without-mingle", "--without-gossip"],
        cwd=ROOT, env=env, stdout=open(tmp_path / "worker.log", "wb"), stderr=subprocess.STDOUT)
    try:
        from apps.mail.tasks import mailbox_sync_task

        assert mailbox_sync_task.delay(lab.pk).get(timeout=60) == "done"
    finally:
        worker.terminate()
        worker.wait(timeout=20)
    assert Folder.objects.get(mailbox=lab, name="INBOX").last_sync_at is not None
    assert MessageSummary.objects.filter(folder__mailbox=lab).exists()


def stack_lab_mailbox() -> Mailbox:
    from devstack import stack

    address = stack.IDENTITIES["application_mailboxes"][0]["address"]
    certs = ENV["MSSANTE_CLIENT_CERT_DIR"]
    return Mailbox.objects.create(address=address, kind=Mailbox.Kind.APPLICATION,
                                  auth_mode=Mailbox.AuthMode.CLIENT_CERTIFICATE,
                                  client_cert_file=f"{certs}/{address}.pem",
                                  client_key_file=f"{certs}/{address}.key")


def test_task_retries_with_backoff_when_the_server_is_down(devstack: dict[str, str]) -> None:
    from celery.exceptions import Retry

    from apps.mail.tasks import mailbox_sync_task

    lab = stack_lab_mailbox()
    lab.imap_port = 1
    lab.save()
    with pytest.raises(Retry) as retry:
        mailbox_sync_task.apply(args=[lab.pk], throw=True)
    assert retry.value.when == 30  # the first of the exponential delays
