"""New mail pushed to the open page (issue 28): 20 messages delivered over SMTP one after
the other while Sophie's INBOX is open; each row appears without a reload, brought by the
mailbox's event stream (the poll, every 30 s with push on, would be far too late). The
delay from the end of each SMTP transaction to the row on screen (a MutationObserver in
the page) is written to ``test-artifacts/push-latency.json``: p50, p95, max."""

from __future__ import annotations

import json
import smtplib
import statistics
import time
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser import helpers
from tests.conftest import IDENTITIES, PORTS, PSCSim, imap_plain

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.django_db(transaction=True)]
SOPHIE = IDENTITIES["pharmacist"]["mailbox"]
JULIEN = IDENTITIES["nurse"]["mailbox"]
DELIVERIES = 20

WATCH_ROWS = """() => {
  window.rowSeen = {};
  const rows = document.getElementById("rows");
  new MutationObserver(() => {
    rows.querySelectorAll("tr").forEach((row) => {
      const match = row.textContent.match(/Poussé n°(\\d+)/);
      if (match && !(match[1] in window.rowSeen)) window.rowSeen[match[1]] = Date.now();
    });
  }).observe(rows, {childList: true, subtree: true});
}"""


def test_delivered_mail_is_pushed_to_the_open_inbox(page: Page, site: str, psc_sim: PSCSim, demo_accounts: None,
                                                    celery_worker: Any, watcher: Any, artifacts: Path) -> None:
    helpers.sign_in(page, site, "Sophie BERNARD")
    expect(page.locator("#live[data-events]")).to_have_count(1)  # the page listens
    # The sign-in's own work first (its syncs, the first body-index pass), then the watcher's IDLE.
    time.sleep(3)
    page.evaluate(WATCH_ROWS)
    tag = str(int(time.time()))[-6:]
    delays: list[float] = []
    try:
        for number in range(DELIVERIES):
            subject = f"Poussé n°{number} {tag}"
            with smtplib.SMTP("127.0.0.1", PORTS.smtp_in) as smtp:
                smtp.sendmail(JULIEN, [SOPHIE], (f"From: Julien PETIT <{JULIEN}>\r\nTo: {SOPHIE}\r\n"
                                                 f"Subject: {subject}\r\n\r\nBonjour\r\n").encode())
            accepted = time.time() * 1000
            # far under the 30 s safety poll: only the push brings it this soon
            expect(page.locator("#rows tr", has_text=subject)).to_have_count(1, timeout=12_000)
            seen = page.evaluate(f"window.rowSeen['{number}']")
            delays.append(max(0.0, (seen - accepted) / 1000))
            time.sleep(0.3)
        assert page.evaluate("document.querySelectorAll('#rows tr.arrived').length") >= DELIVERIES
    finally:
        client = imap_plain(SOPHIE)
        try:
            client.select_folder("INBOX")
            uids = client.search(["SUBJECT", tag])
            if uids:
                client.delete_messages(uids)
                client.expunge()
        finally:
            client.logout()
    ordered = sorted(delays)
    figures = {"deliveries": len(delays), "p50_s": round(statistics.median(ordered), 2),
               "p95_s": round(ordered[max(0, int(len(ordered) * 0.95) - 1)], 2), "max_s": round(ordered[-1], 2),
               "all_s": [round(d, 2) for d in delays]}
    (artifacts / "push-latency.json").write_text(json.dumps(figures, indent=1))
    assert len(delays) == DELIVERIES
