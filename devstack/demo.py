#!/usr/bin/env python3
"""`make demo`: start the stack, migrate, seed, then run web + Celery worker + beat + the
new-mail watcher.

Ctrl-C stops everything this command started, the operator stack included (a stack that
was already running before is left running).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from devstack import stack  # noqa: E402

PROFILE = "demo"
WEB = os.environ.get("MSSANTE_DEMO_ADDR", "127.0.0.1:8000")


def main() -> int:
    already_up = stack.status_quiet(PROFILE)
    stack.start(PROFILE)
    # runserver is threaded: it holds the open pages' event streams itself (MSSANTE_PUSH).
    env = dict(os.environ, **stack.env_vars(PROFILE), DJANGO_DEBUG="1", MSSANTE_PUSH="1",
               DJANGO_SETTINGS_MODULE="mssante_web.settings", PYTHONUNBUFFERED="1")
    (ROOT / "var").mkdir(exist_ok=True)
    python = sys.executable
    manage = [python, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "--noinput", "-v", "0"], env=env, check=True, cwd=ROOT)
    subprocess.run([python, "-m", "devstack.seed_demo", "--profile", PROFILE], env=env, check=True,
                   cwd=ROOT)
    logs = stack.state_dir(PROFILE) / "log"
    children = [
        subprocess.Popen([*manage, "runserver", WEB], env=env, cwd=ROOT),
        subprocess.Popen([python, "-m", "celery", "-A", "mssante_web", "worker", "-l", "INFO",
                          "--concurrency", "2", "-n", f"demo@{os.uname().nodename}"],
                         env=env, cwd=ROOT, stdout=open(logs / "celery-worker.log", "ab"),
                         stderr=subprocess.STDOUT),
        subprocess.Popen([python, "-m", "celery", "-A", "mssante_web", "beat", "-l", "INFO",
                          "-s", str(stack.state_dir(PROFILE) / "celerybeat-schedule")],
                         env=env, cwd=ROOT, stdout=open(logs / "celery-beat.log", "ab"),
                         stderr=subprocess.STDOUT),
        # New mail in seconds: IMAP IDLE on the INBOX of whoever is signed in.
        subprocess.Popen([*manage, "mail_watch"], env=env, cwd=ROOT,
                         stdout=open(logs / "mail-watch.log", "ab"), stderr=subprocess.STDOUT),
    ]
    print(f"""
  mssante-web tourne sur http://{WEB}/
  Cliquez « Se connecter avec Pro Santé Connect » puis choisissez une identité :""")
    for identity in stack.IDENTITIES["identities"]:
        name = f"{identity['given_name']} {identity['family_name']}"
        print(f"    - {name:18} {identity['label']:50} {identity['mailbox']}")
    print(f"""  Administration Django : http://{WEB}/admin/ (identité « administrateur »)
  Journaux de la pile : {logs}
  Ctrl-C arrête tout ce que cette commande a démarré.
""", flush=True)
    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        while not stopping and all(child.poll() is None for child in children):
            time.sleep(0.5)
    finally:
        for child in children:
            if child.poll() is None:
                child.terminate()
        for child in children:
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()
        if not already_up:
            stack.stop(PROFILE)
    return 0


if __name__ == "__main__":
    sys.exit(main())
