"""Load and faults (issue "Reliability"): the site as deployed, under 50 signed-in users.

gunicorn through the container's entrypoint with production settings (DEBUG off, the
fail-closed checks on, PostgreSQL, Redis), a Celery worker and beat (sync every 5 s),
against the devstack. 50 sessions signed in through the PSC simulator each loop over:
the folder list, opening a message (page and body frame), a search, the compose
suggestions; every tenth round one of them sends a message. Meanwhile a hostile message
(a 16 KB From of no-break spaces and encoded words, a 400 KB body of nested <div>) is
appended every 3 s to the users' INBOX and synced by the worker.

Run 1: 60 s, no fault: 0 errors expected. Run 2: the same, with Dovecot restarted at 1/3
and Redis at 2/3: every page must answer (a French error page at worst, never a 500 or a
dropped connection), and every message queued in the outbox must reach its recipient
exactly once (beat's retry task picks up tasks Redis lost).

Figures per run: requests/s, p50/p95 per page, status counts, outbox sent/lost/twice.
The last line is one JSON object. LOAD_SECONDS shortens the runs (default 60).
"""

from __future__ import annotations

import html
import json
import os
import re
import signal
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import imapclient
import psycopg
import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from devstack import stack  # noqa: E402

PROFILE = os.environ.get("MSSANTE_DEVSTACK_PROFILE", "test")
ENV = stack.env_vars(PROFILE)
PORTS = stack.PROFILES[PROFILE]
USERS = 50
SECONDS = float(os.environ.get("LOAD_SECONDS", "60"))
IDENTITIES = [i for i in stack.IDENTITIES["identities"] if i["mailbox"]]
RECIPIENT = next(i for i in IDENTITIES if i["key"] == "nurse")["mailbox"]
FRENCH_ERROR = ("ne répond pas", "Réessayez", "réessayer", "pris fin", "erreur")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def imap(address: str) -> imapclient.IMAPClient:
    """A PLAIN login to look from the server's side; waits for a free slot (Dovecot allows
    10 connections per user and address, and the site's workers keep theirs pooled)."""
    context = ssl.create_default_context(cafile=ENV["MSSANTE_TLS_CA_FILE"])
    deadline = time.monotonic() + 60
    while True:
        client = imapclient.IMAPClient("127.0.0.1", PORTS.imaps, ssl=True, ssl_context=context)
        try:
            client.login(address, ENV["MSSANTE_DEVSTACK_PASSWORD"])
            return client
        except imapclient.exceptions.LoginError as exc:
            client.shutdown()
            if b"LIMIT" not in str(exc).encode() or time.monotonic() > deadline:
                raise
            time.sleep(1)


def hostile_message() -> bytes:
    nbsp_from = ("=?utf-8?q?" + "=C2=A0" * 60 + "?= ") * 40 + "<x@hopital.mssante.test>"
    body = "<div>" * 20000 + "texte" + "</div>" * 20000
    return (f"From: {nbsp_from}\r\nTo: {RECIPIENT}\r\nSubject: hostile {uuid.uuid4().hex[:6]}\r\n"
            f"Message-ID: <{uuid.uuid4().hex}@load.test>\r\nMIME-Version: 1.0\r\n"
            f"Content-Type: text/html; charset=utf-8\r\n\r\n{body}\r\n").encode()


TICK = os.sysconf("SC_CLK_TCK")


def tree_cpu(pid: int) -> float:
    """CPU seconds (user + system) used so far by ``pid`` and its live descendants: the
    site's gunicorn master and workers, apart from the load generator's own."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        own = (int(fields[11]) + int(fields[12])) / TICK
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return 0.0
    return own + sum(tree_cpu(int(child)) for child in children)


def machine_cpu() -> float:
    """CPU seconds every core spent busy so far (/proc/stat)."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    return (sum(values) - values[3] - values[4]) / TICK  # all but idle and iowait


class Site:
    """The deployed site: database, migrations, seed, gunicorn, worker and beat."""

    def __init__(self, work: Path) -> None:
        self.work = work
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.db = f"load_{os.getpid()}"
        pg = f"postgres://mssante@127.0.0.1:{PORTS.postgres}"
        with psycopg.connect(f"{pg}/mssante", autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{self.db}"')
        self.database_url = f"{pg}/{self.db}"
        self.env = {k: v for k, v in os.environ.items()
                    if not k.startswith(("DJANGO_", "MSSANTE_", "REDIS_", "CELERY_", "DATABASE_"))}
        self.env.update(ENV, DJANGO_DEBUG="0", DJANGO_SECRET_KEY="load-" + uuid.uuid4().hex * 2,
                        DJANGO_ALLOWED_HOSTS="127.0.0.1", DJANGO_SECURE_SSL_REDIRECT="0",
                        DJANGO_SECURE_COOKIES="0", DATABASE_URL=self.database_url,
                        REDIS_URL=f"redis://127.0.0.1:{PORTS.redis}/6", MSSANTE_PLAIN_STATIC="1",
                        MSSANTE_SYNC_INTERVAL="5", PORT=str(self.port), WEB_CONCURRENCY="4",
                        PATH=f"{ROOT / '.venv' / 'bin'}:{os.environ['PATH']}")
        # What a comparison may change for one run: the kept PostgreSQL connection, the
        # gunicorn worker model (GUNICORN_CMD_ARGS="--worker-class gthread --threads 4"),
        # the deployment-wide IMAP budget and the reaper (issue 28).
        self.env.update({k: os.environ[k] for k in ("MSSANTE_DB_CONN_MAX_AGE", "GUNICORN_CMD_ARGS",
                                                     "MSSANTE_IMAP_IDLE_SLOTS", "MSSANTE_IMAP_REAPER")
                         if k in os.environ})
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self.restarts: Counter[str] = Counter()
        self.supervising = threading.Event()

    def run(self, *args: str) -> None:
        subprocess.run(["sh", "docker/entrypoint.sh", *args], cwd=ROOT, env=self.env, check=True,
                       stdout=subprocess.DEVNULL)

    ROLES = {"web": [], "worker": ["--concurrency", "2"], "beat": ["-s", "{work}/beat-schedule"]}

    def spawn(self, role: str) -> None:
        """``role`` is the image's role, or "role:name" for a second process of one role
        (a worker per queue)."""
        args = [a.replace("{work}", str(self.work)) for a in self.ROLES[role]]
        log = (self.work / f"{role.replace(':', '-')}.log").open("ab")
        self.processes[role] = subprocess.Popen(["sh", "docker/entrypoint.sh", role.split(":")[0], *args],
                                                cwd=ROOT, env=self.env, stdout=log,
                                                stderr=subprocess.STDOUT)

    def supervise(self) -> None:
        """What the container platform does (compose: restart: unless-stopped): a process
        that exits is started again, and counted (kombu 5.7's Redis transport can die on an
        acknowledgement in flight when the broker restarts)."""
        while self.supervising.wait(1):
            for role, process in list(self.processes.items()):
                if process.poll() is not None and self.supervising.is_set():
                    self.restarts[role] += 1
                    self.spawn(role)

    def start(self) -> None:
        self.run("migrate", "--noinput")
        subprocess.run([sys.executable, "-m", "devstack.seed_demo", "--profile", PROFILE],
                       cwd=ROOT, env=self.env, check=True, stdout=subprocess.DEVNULL)
        for role in self.ROLES:
            self.spawn(role)
        self.supervising.set()
        threading.Thread(target=self.supervise, daemon=True).start()
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(self.base + "/healthz", timeout=5).ok:
                    return
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                raise SystemExit((self.work / "web.log").read_text()[-3000:])
            time.sleep(0.5)

    def sql(self, query: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with psycopg.connect(self.database_url) as conn:
            return conn.execute(query, params).fetchall()

    def stop(self) -> None:
        self.supervising.clear()
        for process in self.processes.values():
            process.send_signal(signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        with psycopg.connect(f"postgres://mssante@127.0.0.1:{PORTS.postgres}/mssante",
                             autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.db}" WITH (FORCE)')


def sign_in(site: Site, identity: str) -> tuple[requests.Session, str]:
    """A PSC sign-in through the simulator's real pages; returns the session and the
    INBOX's URL."""
    session = requests.Session()
    start = session.get(site.base + "/oidc/authenticate/", allow_redirects=False, timeout=30)
    page = requests.get(start.headers["Location"], timeout=30)
    fields = {html.unescape(k): html.unescape(v) for k, v in
              re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page.text)}
    fields["identity"] = identity
    answer = requests.post(start.headers["Location"].split("?")[0], data=fields,
                           allow_redirects=False, timeout=30)
    inbox = session.get(answer.headers["Location"], timeout=60)
    assert inbox.ok and "/dossier/" in inbox.url, inbox.status_code
    return session, inbox.url


class Load:
    def __init__(self, site: Site, users: list[tuple[requests.Session, str]], run: str) -> None:
        self.site, self.users, self.run = site, users, run
        self.times: dict[str, list[float]] = defaultdict(list)
        self.statuses: Counter[str] = Counter()
        self.sent: list[str] = []
        self.stop = threading.Event()
        self.lock = threading.Lock()

    def get(self, user: requests.Session, kind: str, url: str, **kw: Any) -> requests.Response | None:
        started = time.perf_counter()
        try:
            response = user.request(kw.pop("method", "GET"), url, timeout=30, **kw)
        except requests.RequestException as exc:
            with self.lock:
                self.statuses[f"connection:{type(exc).__name__}"] += 1
            return None
        elapsed = (time.perf_counter() - started) * 1000
        if response.status_code >= 500:
            french = any(word in response.text for word in FRENCH_ERROR) and \
                "Traceback" not in response.text
            label = f"{response.status_code}-french" if french and response.status_code != 500 \
                else str(response.status_code)
        else:
            label = str(response.status_code // 100) + "xx"
        with self.lock:
            self.times[kind].append(elapsed)
            self.statuses[label] += 1
        return response

    def user_loop(self, number: int) -> None:
        user, inbox = self.users[number]
        mailbox = re.search(r"/bal/(\d+)/", inbox).group(1)  # type: ignore[union-attr]
        rounds = 0
        while not self.stop.is_set():
            rounds += 1
            listing = self.get(user, "list", inbox)
            uids = re.findall(r'/message/(\d+)/"', listing.text) if listing is not None else []
            if uids:
                message = f"{inbox}message/{uids[rounds % len(uids)]}/"
                self.get(user, "open", message)
                self.get(user, "frame", message + "contenu/")
            self.get(user, "search", f"{self.site.base}/bal/{mailbox}/recherche/", params={"q": "compte"})
            self.get(user, "suggestions", f"{self.site.base}/annuaire/suggestions/", params={"q": "ma"})
            if rounds % 10 == number % 10:
                self.send(user)

    def send(self, user: requests.Session) -> None:
        form = self.get(user, "compose", f"{self.site.base}/ecrire/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text) if form else None
        if token is None:
            return
        subject = f"load-{self.run}-{uuid.uuid4().hex[:10]}"
        answer = self.get(user, "send", f"{self.site.base}/ecrire/", method="POST",
                          allow_redirects=False, data={"csrfmiddlewaretoken": token.group(1),
                                                       "to": RECIPIENT, "subject": subject,
                                                       "body": "charge"})
        if answer is not None and answer.status_code == 302:
            with self.lock:
                self.sent.append(subject)

    def hostile_loop(self) -> None:
        while not self.stop.wait(3):
            try:
                client = imap(IDENTITIES[0]["mailbox"])
                try:
                    client.append("INBOX", hostile_message())
                finally:
                    client.logout()
            except Exception:  # noqa: BLE001 - Dovecot restarting: the next one
                with self.lock:
                    self.statuses["hostile-append-failed"] += 1

    def go(self, faults: bool) -> dict[str, Any]:
        threads = [threading.Thread(target=self.user_loop, args=(n,)) for n in range(len(self.users))]
        threads.append(threading.Thread(target=self.hostile_loop))
        web = self.site.processes["web"].pid
        cpu_before = tree_cpu(web), os.times(), machine_cpu()
        started = time.monotonic()
        for thread in threads:
            thread.start()
        restarts = []
        if faults:
            time.sleep(SECONDS / 3)
            restarts.append(restart("dovecot"))
            time.sleep(SECONDS / 3)
            restarts.append(restart("redis"))
            time.sleep(max(0.0, SECONDS - (time.monotonic() - started)))
        else:
            time.sleep(SECONDS)
        self.stop.set()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - started
        cpu_after = tree_cpu(self.site.processes["web"].pid), os.times(), machine_cpu()
        total = sum(len(v) for v in self.times.values())
        result: dict[str, Any] = {
            "seconds": round(elapsed, 1), "requests": total, "per_second": round(total / elapsed, 1),
            "pages": {kind: {"n": len(v), "p50_ms": round(statistics.median(v), 1),
                             "p95_ms": round(sorted(v)[max(0, int(len(v) * 0.95) - 1)], 1)}
                      for kind, v in sorted(self.times.items())},
            "statuses": dict(self.statuses),
            "errors": sum(n for label, n in self.statuses.items()
                          if label.startswith("connection") or label in ("500", "502", "504")),
        }
        if not faults:  # a restarted gunicorn would lose its workers' counts
            generator = (cpu_after[1].user + cpu_after[1].system - cpu_before[1].user - cpu_before[1].system)
            result["cpu_ms_per_request"] = {
                "site": round((cpu_after[0] - cpu_before[0]) * 1000 / total, 2),
                "load_generator": round(generator * 1000 / total, 2),
                "whole_machine": round((cpu_after[2] - cpu_before[2]) * 1000 / total, 2)}
        if restarts:
            result["restarts_s"] = restarts
        result["outbox"] = self.outbox_outcome()
        return result

    def outbox_outcome(self) -> dict[str, int]:
        """Wait for the outbox to drain (beat retries lost tasks every 60 s), then count each
        queued subject in the recipient's INBOX."""
        deadline = time.monotonic() + 150
        while time.monotonic() < deadline:
            # A row a dead worker still holds (its lease) is not waited for: reported delayed.
            pending = self.site.sql(
                "SELECT count(*) FROM mail_outboxmessage WHERE status = 'pending' "
                "OR (status = 'sending' AND next_attempt_at <= now())")[0][0]
            if pending == 0:
                break
            time.sleep(2)
        # Postfix defers what Dovecot refused while it restarted (retried after minutes):
        # flushed now, as an operator would; then LMTP delivers asynchronously.
        postfix = stack.state_dir(PROFILE) / "postfix"
        subprocess.run(["postqueue", "-c", str(postfix), "-f"], capture_output=True, check=False)
        deadline = time.monotonic() + 30
        while True:
            client = imap(RECIPIENT)
            try:
                client.select_folder("INBOX", readonly=True)
                counts = [len(client.search(["SUBJECT", subject])) for subject in self.sent]
            finally:
                client.logout()
            if 0 not in counts or time.monotonic() > deadline:
                break
            time.sleep(2)
        rows = dict(self.site.sql("SELECT subject, status FROM mail_outboxmessage WHERE subject LIKE %s",
                                  (f"load-{self.run}-%",)))
        missing = [subject for subject, count in zip(self.sent, counts, strict=True) if count == 0]
        # Not delivered yet but still in the outbox (a dead worker's lease, a retry waiting):
        # delayed, not lost. Lost: neither delivered nor kept.
        held = [s for s in missing if rows.get(s) in ("pending", "sending")]
        return {"queued": len(self.sent), "delivered_once": counts.count(1),
                "twice_or_more": sum(1 for c in counts if c > 1),
                "delayed_in_outbox": len(held), "lost": len(missing) - len(held),
                "failed": sum(1 for status in rows.values() if status == "failed")}


def restart(service: str) -> float:
    """Stop one devstack service and start it again; returns the seconds it was down."""
    started = time.monotonic()
    state = stack.state_dir(PROFILE)
    if service == "dovecot":
        subprocess.run(["doveadm", "-c", str(state / "dovecot" / "dovecot.conf"), "stop"],
                       capture_output=True, check=False)
    else:
        pid = stack.read_pid(stack.pid_files(PROFILE)["redis"])
        if pid:
            os.kill(pid, signal.SIGTERM)
    port = PORTS.imaps if service == "dovecot" else PORTS.redis
    while stack.port_open(port) and time.monotonic() - started < 20:
        time.sleep(0.1)
    with open(os.devnull, "w") as quiet:
        subprocess.run([sys.executable, str(ROOT / "devstack" / "stack.py"), "start", "--profile",
                        PROFILE], stdout=quiet, check=True)
    return round(time.monotonic() - started, 2)


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="mssweb-load-"))
    site = Site(work)
    try:
        site.start()
        users = [sign_in(site, IDENTITIES[n % len(IDENTITIES)]["key"]) for n in range(USERS)]
        figures: dict[str, Any] = {"users": USERS, "web_workers": int(site.env["WEB_CONCURRENCY"]),
                                   "no_fault": Load(site, users, "a").go(faults=False)}
        figures["no_fault"]["process_restarts"] = dict(site.restarts)
        figures["dovecot_and_redis_restarted"] = Load(site, users, "b").go(faults=True)
        figures["dovecot_and_redis_restarted"]["process_restarts"] = dict(site.restarts)
    finally:
        site.stop()
    print(json.dumps(figures, ensure_ascii=False))


if __name__ == "__main__":
    main()
