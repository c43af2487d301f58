"""Latency of the operator-facing operations every page depends on, on the devstack:
an XOAUTH2 IMAP login, the inbox list of the vertical slice, and an SMTP submission.

Prints one JSON object on its last line (milliseconds, p50/p95 over N runs)."""

from __future__ import annotations

import json
import os
import smtplib
import ssl
import statistics
import sys
import time
from email.message import EmailMessage
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from devstack import seed, stack  # noqa: E402
from mailproto.imap import (  # noqa: E402
    AuthMode,
    ImapCredentials,
    ImapEndpoint,
    imap_connect,
)
from mailproto.imap.session import ImapSession  # noqa: E402

RUNS = 30
PROFILE = os.environ.get("MSSANTE_DEVSTACK_PROFILE", "test")


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {"p50": round(statistics.median(ordered), 1),
            "p95": round(ordered[int(len(ordered) * 0.95) - 1], 1)}


def main() -> None:
    env = stack.env_vars(PROFILE)
    seed.seed(PROFILE)
    gp = stack.IDENTITIES["identities"][0]["mailbox"]
    # Bench mail goes to the application mailbox, so the GP's seeded inbox stays as tests expect.
    sink = stack.IDENTITIES["application_mailboxes"][0]["address"]
    endpoint = ImapEndpoint("127.0.0.1", int(env["MSSANTE_IMAP_PORT"]), "ssl",
                            ca_file=env["MSSANTE_TLS_CA_FILE"])

    def token() -> str:
        answer = requests.post(env["MSSANTE_PSC_SIM_ADMIN"] + "/mint", json={"identity": "gp"},
                               timeout=5)
        return str(answer.json()["access_token"])

    login, inbox, submit = [], [], []
    context = ssl.create_default_context(cafile=env["MSSANTE_TLS_CA_FILE"])
    for i in range(RUNS):
        value = token()
        started = time.perf_counter()
        session = ImapSession(imap_connect(endpoint, ImapCredentials(gp, AuthMode.XOAUTH2, value)))
        login.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        session.examine("INBOX")
        session.summaries(sorted(session.uids())[-50:])
        inbox.append((time.perf_counter() - started) * 1000)
        session.close()
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = gp, sink, f"bench {i}"
        message.set_content("bench")
        started = time.perf_counter()
        with smtplib.SMTP("127.0.0.1", int(env["MSSANTE_SMTP_PORT"]), timeout=10) as smtp:
            smtp.starttls(context=context)
            smtp.auth("XOAUTH2", lambda c=None, v=value: "" if c else
                      f"user={gp}\x01auth=Bearer {v}\x01\x01", initial_response_ok=True)
            smtp.send_message(message)
        submit.append((time.perf_counter() - started) * 1000)
    print(json.dumps({"runs": RUNS, "imap_xoauth2_login_ms": percentiles(login),
                      "inbox_50_summaries_ms": percentiles(inbox),
                      "smtp_starttls_xoauth2_send_ms": percentiles(submit)}))


if __name__ == "__main__":
    main()
