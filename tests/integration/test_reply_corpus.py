"""Reply, reply-all, forward (inline and attached) and the read receipt never answer 500, on
any message of a corpus of broken and hostile ones delivered unchanged to the real Dovecot:
encoded CR/LF in Message-ID, From and Subject, nested comments, runs of no-break spaces,
missing headers, a multipart without its boundary, 8-bit bytes in headers, an attached
message with hostile headers, thousands of References, and every hostile HTML body of the
sanitiser's tests. Any answer is fine but a server error; each compose page keeps the
original's subject or says in French why it cannot."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from apps.mail.models import MessageSummary
from tests.conftest import PSCSim, django_signin, imap_plain
from tests.integration.mail_server import reset_mailbox, synchro_inbox
from tests.unit.mail.test_sanitize import HOSTILE

pytestmark = [pytest.mark.integration, pytest.mark.django_db]
ADDRESS = "synchro@medecin.mssante.test"
NBSP = "\u00a0"


def raw(headers: str, body: str = "Corps du message.\r\n",
        content_type: str = "text/plain; charset=utf-8") -> bytes:
    head = headers.strip("\r\n").replace("\n", "\r\n")
    return (f"{head}\r\nMIME-Version: 1.0\r\nContent-Type: {content_type}\r\n\r\n{body}").encode(
        "utf-8", "surrogateescape")


def corpus() -> list[bytes]:
    to = f"To: {ADDRESS}"
    ok_from = "From: Julien Petit <julien.petit@hopital.mssante.test>"
    messages = [
        raw(f"{ok_from}\n{to}\nSubject: CRLF id\nMessage-ID: =?utf-8?q?=3Ca=0D=0Ab=40x=3E?=\n"
            "Disposition-Notification-To: =?utf-8?q?x=0D=0ABcc=3A_evil=40x.fr?="),
        raw(f"From: {'(' * 1000}x@hopital.mssante.test\n{to}\nSubject: comments\n"
            "Message-ID: <c1@x>\nDisposition-Notification-To: <julien.petit@hopital.mssante.test>"),
        raw(f"From: {NBSP * 2000}dr.x@hopital.mssante.test\n{to}\nSubject: nbsp\nMessage-ID: <n@x>"),
        raw(f"From: =?utf-8?q?Dr_X=0D=0ABcc=3A_y=40z?= <x@hopital.mssante.test>\n{to}\n"
            "Subject: =?utf-8?q?sujet=0D=0AX-Injected=3A_1?=\nMessage-ID: <inj@x>\n"
            "References: " + " ".join(f"<r{i}@x>" for i in range(5000))),
        raw(f"{to}\n"),  # no From, Subject, Date or Message-ID
        raw(f"{ok_from}\n{to}\nSubject: boundary missing\nMessage-ID: <b@x>",
            body="--zz\r\nContent-Type: text/plain\r\n\r\npartie\r\n",
            content_type="multipart/mixed"),
        f"{ok_from}\r\n{to}\r\nSubject: octets \xe9t\xe9 \xff\r\nMessage-ID: <8bit@x>\r\n\r\ncorps\r\n"
        .encode("latin-1"),
        raw(f"{ok_from}\n{to}\nSubject: attached\nMessage-ID: <att@x>",
            body=("--B\r\nContent-Type: text/plain\r\n\r\nvoir pièce jointe\r\n--B\r\n"
                  "Content-Type: message/rfc822\r\n\r\n"
                  f"From: {'<' * 500}\r\nSubject: =?utf-8?q?=0D=0A?=\r\nMessage-ID: =?x?q?=0A?=\r\n\r\n"
                  "dedans\r\n--B--\r\n"), content_type='multipart/mixed; boundary="B"'),
    ]
    for number, html in enumerate(HOSTILE):
        messages.append(raw(f"{ok_from}\n{to}\nSubject: hostile {number}\nMessage-ID: <h{number}@x>\n"
                            "Disposition-Notification-To: julien.petit@hopital.mssante.test",
                            body=html, content_type="text/html; charset=utf-8"))
    return messages


def test_reply_forward_and_receipts_never_fail_on_the_corpus(client: Client, psc_sim: PSCSim,
                                                             demo_accounts: None) -> None:
    reset_mailbox(ADDRESS)
    messages = corpus()
    imap = imap_plain(ADDRESS)
    try:
        for message in messages:
            imap.append("INBOX", message)
    finally:
        imap.logout()
    box, inbox = synchro_inbox()
    uids = list(MessageSummary.objects.filter(folder=inbox).values_list("uid", flat=True))
    assert len(uids) == len(messages)
    django_signin(client, "gp")

    answered: dict[str, int] = {}
    for uid in uids:
        origin = f"{box.pk}:{inbox.pk}:{uid}"
        page = client.get(f"/bal/{box.pk}/dossier/{inbox.pk}/message/{uid}/")
        assert page.status_code == 200, (uid, page.status_code)
        for mode in ("reply", "all", "forward", "attached"):
            compose = client.get("/ecrire/", {"mode": mode, "origine": origin})
            assert compose.status_code == 200, (uid, mode, compose.status_code)
            text = compose.content.decode()
            # Nothing of an encoded header made it into a header field as a new line.
            for field in re.findall(r'name="(?:to|cc|subject)"[^>]*value="([^"]*)"', text):
                assert "\n" not in field and "\r" not in field, (uid, mode, field)
        if "accuse/" in page.content.decode():
            for action in ("send", "decline"):
                receipt = client.post(f"/bal/{box.pk}/dossier/{inbox.pk}/message/{uid}/accuse/",
                                      {"action": action})
                assert receipt.status_code < 500, (uid, action, receipt.status_code)
                answered[action] = answered.get(action, 0) + 1
    assert answered.get("send", 0) >= 2  # the corpus asks for receipts, hostile ones included
