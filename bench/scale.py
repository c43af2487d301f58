"""Beyond one machine (issue 28): watchers sharded over thousands of mailboxes, and the cost
of knowing who is signed in.

1. **Two watcher shards and two sync workers** on the deployed site (PostgreSQL, Redis;
   ``InboxWatcher`` with the site's Redis shard store and its on_change that queues the
   INBOX sync, the ``mail_watch`` defaults: membership every 5 s, dead after 10 s, claims for
   12 s, 8 logins at once), each
   in a process of its own, sharing the devstack Dovecot's 2,000 ``veille-NNNN`` mailboxes
   (PLAIN logins: the watch is what is measured, not PSC). Figures: the time for the two to
   hold all 2,000; RSS per watched mailbox; 200 messages delivered over SMTP to mailboxes
   drawn at random, one every 0.15 s, each timed from the end of its SMTP transaction to its
   watcher's notice (IDLE → ``on_change``) and to its row in the index (the sync workers);
   the 2,000 mailboxes are the site's (password logins: the watch and the sync are what is
   measured, not PSC tokens); at delivery 100 one shard is SIGKILLed, and
   the time until the survivor holds all 2,000 is reported (deliveries to the dead shard's
   mailboxes meanwhile are not noticed by IDLE: beat's periodic sync brings them; counted).
2. **Selecting the watch set** on PostgreSQL at 10k and 100k stored sessions (2,000 users,
   2,000 PSC mailboxes): the old path (decode every ``django_session`` row) against the
   ``LiveSession`` table, medians of several runs.

3. **New mail to the index beside a body-index pass**: the deployed roles with a pool per
   kind (``sync``, ``index``) and the watcher, PostgreSQL, Nurse signed in through the PSC
   simulator; 20 deliveries timed from SMTP to the row in the index, alone, then while the
   first body-index pass of a 100k-message mailbox (the devstack's ``bench-100k``, written
   straight into Maildir as ``bench/sync.py`` does) runs in a process of its own.
``SCALE_MAILBOXES``, ``SCALE_DELIVERIES``, ``SCALE_INDEX_DELIVERIES`` shrink a run,
``SCALE_PARTS`` picks parts. The last line is one JSON object.
"""

from __future__ import annotations

import json
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from apps.mail.engine.shards import rendezvous_owner  # noqa: E402
from bench.load import ENV, PORTS, PROFILE, Site, sign_in  # noqa: E402
from bench.newmail import deliver as newmail_deliver  # noqa: E402
from bench.newmail import smtp_to_index  # noqa: E402
from devstack import maildir, stack  # noqa: E402

MAILBOXES = int(os.environ.get("SCALE_MAILBOXES", str(stack.WATCH_BENCH_MAILBOXES)))
DELIVERIES = int(os.environ.get("SCALE_DELIVERIES", "200"))
DURING = int(os.environ.get("SCALE_INDEX_DELIVERIES", "20"))  # new mail alone, then beside the index pass

SHARD = r"""
import json, os, resource, sys, time
sys.path.insert(0, sys.argv[1])
import django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mssante_web.settings")
django.setup()
from apps.core.locks import redis_client
from apps.mail.engine.shards import RedisShardStore, WatchShard
from apps.mail.engine.watching import InboxWatcher
from devstack import stack
from mailproto.imap import AuthMode, ImapCredentials, ImapEndpoint, imap_connect
from mailproto.imap.session import ImapSession

soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
from apps.mail.engine.watching import _sync_inbox

name, namespace, count = sys.argv[2], sys.argv[3], int(sys.argv[4])
users = stack.watch_bench_users()[:count]
pks = json.loads(open(sys.argv[5]).read())  # the site's Mailbox ids, in the users' order
index_of = {pk: n for n, pk in enumerate(pks)}
endpoint = ImapEndpoint("127.0.0.1", int(os.environ["PORT_IMAPS"]), "ssl",
                        ca_file=os.environ["MSSANTE_TLS_CA_FILE"])

def rss_kb():
    with open("/proc/self/status") as status:
        return int(next(line for line in status if line.startswith("VmRSS")).split()[1])

def changed(pk, key):
    print(f"changed {index_of[pk]} {time.time():.4f}", flush=True)
    _sync_inbox(pk, key)  # what the site's watcher does: the INBOX sync asked of a sync worker

watcher = InboxWatcher(
    candidates=lambda: dict.fromkeys(pks, ""),
    opener=lambda pk, key: ImapSession(imap_connect(endpoint, ImapCredentials(
        users[index_of[pk]], AuthMode.PLAIN, os.environ["MSSANTE_DEVSTACK_PASSWORD"]))),
    on_change=changed, refresh_seconds=5.0,
    shard=WatchShard(store=RedisShardStore(redis_client(), namespace=namespace), member=name,
                     dead_after=10.0, ttl=12.0))
print(f"rss {rss_kb()}", flush=True)
said = 0.0
while True:
    watcher.step(timeout=0.5)
    if time.monotonic() - said >= 0.5:
        said = time.monotonic()
        print(f"status {len(watcher.watched)} {rss_kb()} {time.time():.3f}", flush=True)
"""


class ScaleSite(Site):
    """The deployed site with two sync workers (the watchers' on_change queues INBOX syncs)."""

    ROLES = {"web": [], "worker:sync-a": ["-Q", "sync", "-n", "sync-a@%h", "--concurrency", "1"],
             "worker:sync-b": ["-Q", "sync", "-n", "sync-b@%h", "--concurrency", "1"]}


MAILBOX_ROWS = r"""
import json, os, sys
sys.path.insert(0, sys.argv[1])
import django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mssante_web.settings")
django.setup()
from apps.mail.models import Mailbox
from devstack import stack
users = stack.watch_bench_users()[:int(sys.argv[2])]
Mailbox.objects.bulk_create([Mailbox(address=a, auth_mode=Mailbox.AuthMode.PASSWORD) for a in users],
                            batch_size=1000)
by_address = dict(Mailbox.objects.filter(address__in=users).values_list("address", "pk"))
print(json.dumps([by_address[a] for a in users]))
"""


class Shard:
    """One watcher process, and what it says."""

    def __init__(self, name: str, namespace: str, env: dict[str, str], rows: Path) -> None:
        self.name = name
        self.process = subprocess.Popen([sys.executable, "-c", SHARD, str(ROOT), name, namespace,
                                         str(MAILBOXES), str(rows)], cwd=ROOT, env=env, text=True,
                                        stdout=subprocess.PIPE)
        self.watched = 0
        self.rss_kb = 0
        self.rss_start_kb = 0
        self.history: list[tuple[float, int]] = []
        self.notices: list[tuple[int, float]] = []
        threading.Thread(target=self.read, daemon=True).start()

    def read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            kind, *rest = line.split()
            if kind == "rss":
                self.rss_start_kb = int(rest[0])
            elif kind == "status":
                self.watched, self.rss_kb = int(rest[0]), int(rest[1])
                self.history.append((float(rest[2]), self.watched))
            elif kind == "changed":
                self.notices.append((int(rest[0]), float(rest[1])))


def deliver(number: int, to: str) -> float:
    """``bench/newmail.py``'s delivery; the wall clock when it was accepted (the shard
    processes timestamp their notices with it)."""
    newmail_deliver(f"echelle {number}", to)
    return time.time()


def until(condition: object, timeout: float) -> float:
    started = time.monotonic()
    while not condition():  # type: ignore[operator]
        if time.monotonic() - started > timeout:
            raise SystemExit("not within the time")
        time.sleep(0.1)
    return time.monotonic() - started


class IndexWatch:
    """Polls the site's index for the delivered subjects: when each row arrived."""

    def __init__(self, site: Site) -> None:
        self.site, self.waiting, self.arrived = site, set[str](), dict[str, float]()
        self.lock, self.stop = threading.Lock(), threading.Event()
        threading.Thread(target=self.run, daemon=True).start()

    def run(self) -> None:
        while not self.stop.wait(0.05):
            with self.lock:
                subjects = list(self.waiting)
            if subjects:
                for (subject,) in self.site.sql(
                        "SELECT subject FROM mail_messagesummary WHERE subject = ANY(%s)", (subjects,)):
                    with self.lock:
                        if subject in self.waiting:
                            self.waiting.discard(subject)
                            self.arrived[subject] = time.time()


def shards() -> dict[str, object]:
    site = ScaleSite(Path(tempfile.mkdtemp(prefix="mssweb-scale-shards-")))
    site.start()
    rows = site.work / "mailboxes.json"
    rows.write_text(subprocess.run([sys.executable, "-c", MAILBOX_ROWS, str(ROOT), str(MAILBOXES)], cwd=ROOT,
                                   env=site.env, check=True, capture_output=True, text=True).stdout)
    pks = json.loads(rows.read_text())

    def owner(target: int) -> str | None:
        return rendezvous_owner(key=pks[target], members=["shard-a", "shard-b"])

    env = dict(site.env, PORT_IMAPS=str(PORTS.imaps))
    namespace = f"mssante:bench-scale:{uuid.uuid4().hex[:8]}"
    started = time.monotonic()
    pair = [Shard("shard-a", namespace, env, rows), Shard("shard-b", namespace, env, rows)]
    index = IndexWatch(site)
    try:
        opened_in = until(lambda: sum(s.watched for s in pair) == MAILBOXES and all(s.watched for s in pair),
                          timeout=300)
        time.sleep(6)  # a full membership pass after: nothing moves, nothing doubled
        shares = [s.watched for s in pair]
        rss = {s.name: {"start_mb": round(s.rss_start_kb / 1024, 1), "watching_mb": round(s.rss_kb / 1024, 1),
                        "per_watched_kb": round((s.rss_kb - s.rss_start_kb) / max(1, s.watched), 1)}
               for s in pair}
        users = stack.watch_bench_users()[:MAILBOXES]
        rng = random.Random(28)
        sent: list[tuple[int, float]] = []
        killed_at = 0.0
        b_share: set[int] = set()
        for number in range(DELIVERIES):
            if number == DELIVERIES // 2:
                b_share = {n for n, _ in pair[1].notices}  # what B was seen holding (a lower bound)
                pair[1].process.send_signal(signal.SIGKILL)
                killed_at = time.time()
            target = rng.randrange(MAILBOXES)
            if number < DELIVERIES // 2 or owner(target) == "shard-a":  # the dead one's wait for beat
                with index.lock:
                    index.waiting.add(f"echelle {number}")
            sent.append((target, deliver(number, users[target])))
            time.sleep(0.15)
        until(lambda: pair[0].watched == MAILBOXES, timeout=180)
        survivor_full = next(at for at, count in pair[0].history if count == MAILBOXES and at > killed_at)
        time.sleep(2)
        notices = sorted(pair[0].notices + pair[1].notices, key=lambda n: n[1])
        delays, missed, missed_survivor = [], 0, 0
        used: set[int] = set()
        for target, at in sent:
            match = next((i for i, (n, when) in enumerate(notices) if n == target and when >= at - 0.05
                          and i not in used), None)
            if match is None:
                missed += 1
                # the survivor's own share must never miss one
                missed_survivor += owner(target) == "shard-a"
                continue
            used.add(match)
            delays.append(notices[match][1] - at)
        ordered = sorted(delays)
        deadline = time.monotonic() + 60  # what never arrives is counted, not waited for
        while index.waiting and time.monotonic() < deadline:
            time.sleep(0.2)
        never = sorted(index.waiting)
        to_index = sorted(index.arrived[f"echelle {n}"] - at for n, (target, at) in enumerate(sent)
                          if f"echelle {n}" in index.arrived)
        return {
            "to_index_p50_s": round(statistics.median(to_index), 3),
            "to_index_p95_s": round(to_index[max(0, int(len(to_index) * 0.95) - 1)], 3),
            "to_index_max_s": round(to_index[-1], 3), "to_index_n": len(to_index),
            "never_in_the_index": never,
            "mailboxes": MAILBOXES, "shares": shares, "seconds_to_hold_all": round(opened_in, 1),
            "rss": rss, "deliveries": len(sent), "noticed": len(delays),
            "not_noticed_during_takeover": missed, "not_noticed_in_survivors_share": missed_survivor,
            "notice_p50_s": round(statistics.median(ordered), 3) if ordered else None,
            "notice_p95_s": round(ordered[max(0, int(len(ordered) * 0.95) - 1)], 3) if ordered else None,
            "notice_max_s": round(ordered[-1], 3) if ordered else None,
            "killed_shard_share_seen": len(b_share),
            "unwatched_after_kill_s": round(survivor_full - killed_at, 1),
            "total_s": round(time.monotonic() - started, 1),
        }
    finally:
        index.stop.set()
        for shard in pair:
            if shard.process.poll() is None:
                shard.process.terminate()
                shard.process.wait(timeout=30)
        site.stop()


SELECT = r"""
import datetime as dt, json, os, statistics, sys, time
sys.path.insert(0, sys.argv[1])
import django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mssante_web.settings")
django.setup()
from django.contrib.sessions.models import Session
from django.db import connection
from django.utils import timezone
from apps.accounts.models import LiveSession, User
from apps.accounts.session_keys import SESSION_PSC_ACTIVE
from apps.accounts.sessions import SessionStore
from apps.mail.engine.sync_runs import mailboxes_with_live_session
from apps.mail.models import Mailbox

USERS = 2000
now = timezone.now()
users = User.objects.bulk_create([User(username=f"u{n}", idnat=f"8100{n:07d}") for n in range(USERS)])
Mailbox.objects.bulk_create([Mailbox(address=f"u{n}@medecin.mssante.test", owner=u,
                                     auth_mode=Mailbox.AuthMode.PSC_XOAUTH2) for n, u in enumerate(users)])
store = SessionStore()

def add(count, offset):
    sessions, lives = [], []
    for n in range(offset, offset + count):
        user = users[n % USERS]
        # most stored sessions are old ones (signed out long ago, expired): 1 in 20 is live
        live = (n // USERS) % 20 == 0  # each user one live session at 10k; 3 at 100k
        data = {"_auth_user_id": str(user.pk), SESSION_PSC_ACTIVE: live, "oidc_access_token": "x" * 900}
        expiry = now + dt.timedelta(hours=4 if live else -1 if n % 3 else 2)
        key = f"k{n:039d}"
        sessions.append(Session(session_key=key, session_data=store.encode(data), expire_date=expiry))
        lives.append(LiveSession(session_key=key, user=user, psc_active=live, expires_at=expiry))
    Session.objects.bulk_create(sessions, batch_size=2000)
    LiveSession.objects.bulk_create(lives, batch_size=2000)

def old_path():
    found = {}
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        data = session.get_decoded()
        if data.get("_auth_user_id") and data.get(SESSION_PSC_ACTIVE):
            found.setdefault(int(data["_auth_user_id"]), session.session_key)
    return found

def timed(work, runs):
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        result = work()
        times.append((time.perf_counter() - started) * 1000)
    return round(statistics.median(times), 2), result

figures = {}
done = 0
for total in (10_000, 100_000):
    add(total - done, done)
    done = total
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    old_ms, old = timed(old_path, 3)
    new_ms, new = timed(mailboxes_with_live_session, 7)
    assert len(new) == len(old), (len(new), len(old))
    figures[str(total)] = {"old_decode_all_ms": old_ms, "live_session_table_ms": new_ms, "watched": len(new)}
print(json.dumps(figures))
"""


def selection_cost() -> dict[str, object]:
    import psycopg

    pg = f"postgres://mssante@127.0.0.1:{PORTS.postgres}"
    db = f"scale_{os.getpid()}"
    with psycopg.connect(f"{pg}/mssante", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{db}"')
    env = dict(os.environ, **ENV, DJANGO_DEBUG="1", DATABASE_URL=f"{pg}/{db}")
    try:
        subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env,
                       check=True)
        out = subprocess.run([sys.executable, "-c", SELECT, str(ROOT)], cwd=ROOT, env=env, check=True,
                             capture_output=True, text=True).stdout
        return json.loads(out.strip().splitlines()[-1])
    finally:
        with psycopg.connect(f"{pg}/mssante", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')


class QueuedSite(Site):
    """The deployed roles with a pool per kind of work, as the compose file's scale profile:
    new-mail syncs never wait behind body indexing. No beat: only the watcher brings mail."""

    ROLES = {"web": [], "worker:sync": ["-Q", "sync,send,integration,maintenance,celery", "-n", "sync@%h",
                                        "--concurrency", "2"],
             "worker:index": ["-Q", "index", "-n", "index@%h", "--concurrency", "1"], "watch": []}


INDEXER = r"""
import os, sys, time
sys.path.insert(0, sys.argv[1])
import django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mssante_web.settings")
django.setup()
from apps.mail.engine.access import mail_access_for_certificate
from apps.mail.engine.body_indexing import mailbox_bodies_index
from apps.mail.engine.sync_runs import mailbox_sync
from apps.mail.models import Mailbox

mailbox, _ = Mailbox.objects.get_or_create(address=sys.argv[2],
                                           defaults={"auth_mode": Mailbox.AuthMode.PASSWORD})
access = mail_access_for_certificate(mailbox=mailbox)
started = time.monotonic()
mailbox_sync(access=access)
print(f"synced {time.monotonic() - started:.1f}", flush=True)
total, more = 0, True
while more:
    done, more = mailbox_bodies_index(access=access, budget=20)
    total += done
    print(f"indexed {total}", flush=True)
"""


def beside_body_indexing() -> dict[str, object]:
    """New mail to the index (Nurse signed in, the watcher, a sync pool), alone and then while
    a 100k-message mailbox's first body-index pass runs beside it (in a process of its own,
    on the same machine and database, as the index pool runs it)."""
    big = "bench-100k@medecin.mssante.test"
    if not (stack.state_dir(PROFILE) / "mail" / "medecin.mssante.test" / "bench-100k").exists():
        maildir.fill(PROFILE, big, 100_000)  # as bench/sync.py does (it fills it again itself)
        os.sync()  # the writeback of 100,000 files must not compete with the timings
    site = QueuedSite(Path(tempfile.mkdtemp(prefix="mssweb-scale-site-")))
    indexer = None
    try:
        site.start()
        sign_in(site, "nurse")
        time.sleep(8)  # the sign-in's own syncs and Nurse's body index are over
        figures: dict[str, object] = {"alone": smtp_to_index(site, count=DURING, label="seule", gap=1.0)}
        indexer = subprocess.Popen([sys.executable, "-c", INDEXER, str(ROOT), big], cwd=ROOT, env=site.env,
                                   text=True, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        assert indexer.stdout is not None
        synced = indexer.stdout.readline().split()
        figures["big_mailbox_synced_s"] = float(synced[1]) if len(synced) > 1 else None
        figures["during_body_index"] = smtp_to_index(site, count=DURING, label="pendant", gap=1.0)
        line = ""
        while indexer.poll() is None and not line.startswith("indexed"):
            line = indexer.stdout.readline()
        figures["bodies_indexed_meanwhile"] = int(line.split()[1]) if line.startswith("indexed") else None
        figures["index_pass_still_running"] = indexer.poll() is None
        return figures
    finally:
        if indexer is not None and indexer.poll() is None:
            indexer.kill()
        site.stop()


def main() -> None:
    """``SCALE_PARTS`` (default ``shards,selection,index``) runs some of the three."""
    parts = os.environ.get("SCALE_PARTS", "shards,selection,index").split(",")
    figures: dict[str, object] = {}
    for part, name, measure in (("shards", "watch_shards", shards),
                                ("selection", "watch_set_selection_postgres", selection_cost),
                                ("index", "new_mail_to_index", beside_body_indexing)):
        if part in parts:
            figures[name] = measure()
            print(json.dumps(figures[name]), flush=True)
    print(json.dumps(figures), flush=True)


if __name__ == "__main__":
    main()
