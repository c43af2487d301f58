"""New mail in seconds (issue "Webmail"): time from SMTP acceptance to the row in the index
for a signed-in user, and the watcher's memory per watched INBOX.

1. The deployed site (container entrypoint, DEBUG off, PostgreSQL, Redis; ``bench/load.py``'s
   ``Site``) with its web, one Celery worker and the new-mail watcher (``watch`` role), and
   **no beat**: nothing but the watcher can bring the mail in. A user signs in through the
   PSC simulator; 50 messages are delivered one by one over SMTP to the MX port, as a remote
   operator's MTA does, one every 1.5 s; for each, the time from the end of the SMTP
   transaction to its row in ``mail_messagesummary`` (polled every 20 ms). p50/p95/max.
2. The watcher in a process of its own holding IDLE on 200 INBOXes (the devstack's
   ``veille-NNN`` mailboxes, PLAIN logins): its RSS with none and with 200 watched, the
   difference per watched INBOX, and a delivery to one of them noticed.
The last line is one JSON object.
"""

from __future__ import annotations

import json
import os
import re
import smtplib
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.load import ENV, PORTS, PROFILE, Site, sign_in  # noqa: E402
from devstack import stack  # noqa: E402

MESSAGES = int(os.environ.get("NEWMAIL_MESSAGES", "50"))
RECIPIENT_KEY = "nurse"
RECIPIENT = next(i for i in stack.IDENTITIES["identities"] if i["key"] == RECIPIENT_KEY)["mailbox"]


class WatchedSite(Site):
    """Web, worker and watcher; no beat (its periodic sync would hide the watcher's part)."""

    ROLES = {"web": [], "worker": ["--concurrency", "2"], "watch": ["--refresh", "2"]}


def deliver(subject: str, to: str) -> float:
    """One message over SMTP to the MX port; returns when the server accepted it."""
    with smtplib.SMTP("127.0.0.1", PORTS.smtp_in) as smtp:
        smtp.sendmail("sophie.bernard@pharmacie.mssante.test", [to],
                      (f"From: Sophie BERNARD <sophie.bernard@pharmacie.mssante.test>\r\nTo: {to}\r\n"
                       f"Subject: {subject}\r\nMessage-ID: <{uuid.uuid4().hex}@newmail.bench>\r\n\r\n"
                       "Bonjour,\r\nle résultat est disponible.\r\n").encode())
    return time.monotonic()


def latency(site: Site) -> dict[str, object]:
    site.start()
    sign_in(site, RECIPIENT_KEY)
    log = site.work / "watch.log"
    deadline = time.monotonic() + 60
    while not re.search(r"new-mail watch of mailbox \d+ started", log.read_text(errors="replace")):
        if time.monotonic() > deadline:
            raise SystemExit("the watcher never started a watch:\n" + log.read_text()[-3000:])
        time.sleep(0.2)
    time.sleep(3)  # the sign-in's own syncs are over
    return smtp_to_index(site, count=MESSAGES, label="newmail", gap=1.5)


def smtp_to_index(site: Site, *, count: int, label: str, gap: float) -> dict[str, object]:
    """``count`` messages to the recipient one by one, ``gap`` s apart, each timed from the
    end of its SMTP transaction to its row in the site's index (bench/scale.py too)."""
    samples = []
    for n in range(count):
        subject = f"{label} {n} {uuid.uuid4().hex[:8]}"
        accepted = deliver(subject, RECIPIENT)
        while not site.sql("SELECT 1 FROM mail_messagesummary WHERE subject = %s", (subject,)):
            if time.monotonic() - accepted > 90:
                raise SystemExit(f"{label} {n} never reached the index")
            time.sleep(0.02)
        samples.append(time.monotonic() - accepted)
        time.sleep(gap)
    ordered = sorted(samples)
    return {"messages": len(samples), "p50_s": round(statistics.median(ordered), 2),
            "p95_s": round(ordered[max(0, int(len(ordered) * 0.95) - 1)], 2),
            "max_s": round(ordered[-1], 2)}


CHILD = r"""
import json, os, sys, time, django
sys.path.insert(0, sys.argv[1])
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mssante_web.settings")
django.setup()
from mailproto.imap import AuthMode, ImapCredentials, ImapEndpoint, imap_connect
from mailproto.imap.session import ImapSession
from apps.mail.engine.watching import InboxWatcher
from devstack import stack

def rss_kb():
    with open("/proc/self/status") as status:
        return int(next(line for line in status if line.startswith("VmRSS")).split()[1])

users = stack.watch_bench_users()[:200]
endpoint = ImapEndpoint("127.0.0.1", int(os.environ["PORT_IMAPS"]), "ssl",
                        ca_file=os.environ["MSSANTE_TLS_CA_FILE"])
seen = []
watcher = InboxWatcher(candidates=lambda: {n: "bench" for n in range(len(users))},
                       opener=lambda n, key: ImapSession(imap_connect(endpoint, ImapCredentials(
                           users[n], AuthMode.PLAIN, os.environ["MSSANTE_DEVSTACK_PASSWORD"]))),
                       on_change=lambda n, key: seen.append(n), refresh_seconds=3600)
before = rss_kb()
started = time.monotonic()
watcher.refresh()
opened = time.monotonic() - started
after = rss_kb()
print(json.dumps({"watched": len(watcher.watched), "rss_before_kb": before, "rss_after_kb": after,
                  "open_s": round(opened, 2)}), flush=True)
sys.stdin.readline()  # the parent delivers to veille-007, then says go on
deadline = time.monotonic() + 20
while 7 not in seen and time.monotonic() < deadline:
    watcher.step(timeout=0.5)
print(json.dumps({"noticed": 7 in seen, "changes": watcher.changes}), flush=True)
watcher.close()
"""


def memory() -> dict[str, object]:
    env = dict(os.environ, **ENV, DJANGO_DEBUG="1", PORT_IMAPS=str(PORTS.imaps),
               DATABASE_URL=f"sqlite:///{tempfile.mkdtemp(prefix='mssweb-newmail-')}/db.sqlite3")
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(ROOT)], cwd=ROOT, env=env, text=True,
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert child.stdout is not None and child.stdin is not None
    opened = json.loads(child.stdout.readline())
    accepted = deliver(f"veille {uuid.uuid4().hex[:6]}", stack.watch_bench_users()[7])
    child.stdin.write("go\n")
    child.stdin.flush()
    noticed = json.loads(child.stdout.readline())
    noticed_after = round(time.monotonic() - accepted, 2)
    child.wait(timeout=60)
    per = (opened["rss_after_kb"] - opened["rss_before_kb"]) / max(1, opened["watched"])
    return {"watched": opened["watched"], "rss_before_mb": round(opened["rss_before_kb"] / 1024, 1),
            "rss_after_mb": round(opened["rss_after_kb"] / 1024, 1), "rss_per_watched_kb": round(per, 1),
            "seconds_to_open_all": opened["open_s"], "delivery_noticed": noticed["noticed"],
            "noticed_within_s": noticed_after}


def main() -> None:
    figures: dict[str, object] = {"profile": PROFILE}
    figures["watcher_memory"] = memory()
    work = Path(tempfile.mkdtemp(prefix="mssweb-newmail-"))
    site = WatchedSite(work)
    try:
        figures["smtp_to_index"] = latency(site)
    finally:
        site.stop()
    figures["target_p95_s"] = 5
    print(json.dumps(figures, ensure_ascii=False))


if __name__ == "__main__":
    main()
