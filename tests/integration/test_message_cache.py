"""One opened-message cache per process, large messages included: the page, its frame,
its cid images, thumbnails and downloads of a 4 MB message (over Redis' 2 MB raw cap) fetch
it from the operator once and parse it once; keys never collide between a message and the
message attached to it."""

from __future__ import annotations

import re
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any

import pytest
from django.test import Client

from apps.mail.engine.message_cache import MESSAGES
from apps.mail.models import MessageSummary
from mailproto.imap.session import ImapSession
from mailproto.mime import message as mime_message
from tests.conftest import PSCSim, django_signin, imap_plain
from tests.integration.mail_server import reset_mailbox, synchro_inbox

pytestmark = [pytest.mark.integration, pytest.mark.django_db]
ADDRESS = "synchro@medecin.mssante.test"


def big_message(subject: str) -> bytes:
    msg = EmailMessage()
    msg["From"] = "Service d'imagerie <imagerie@hopital.mssante.test>"
    msg["To"] = ADDRESS
    msg["Subject"] = subject
    msg["Message-ID"] = make_msgid(domain="test.mssante-web")
    cids = [make_msgid(domain="img.test")[1:-1] for _ in range(3)]
    msg.set_content("Compte rendu en pièce jointe.")
    msg.add_alternative("<p>Compte rendu</p>" + "".join(f'<img src="cid:{c}">' for c in cids),
                        subtype="html")
    html_part = msg.get_payload()[1]
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 200
    for cid in cids:
        html_part.add_related(png, maintype="image", subtype="png", cid=f"<{cid}>")
    msg.add_attachment(b"%PDF-1.4\n" + bytes(range(256)) * 16 * 1024, maintype="application",
                       subtype="pdf", filename="scanner.pdf")  # 4 MB
    return msg.as_bytes()


def test_a_large_message_is_fetched_and_parsed_once(client: Client, psc_sim: PSCSim,
                                                     demo_accounts: None, seeded_mail: None,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    reset_mailbox(ADDRESS)
    raw = big_message("Scanner thoracique")
    assert len(raw) > 4 * 1024 * 1024
    imap = imap_plain(ADDRESS)
    try:
        imap.append("INBOX", raw)
    finally:
        imap.logout()
    box, inbox = synchro_inbox()
    row = MessageSummary.objects.get(folder=inbox, subject="Scanner thoracique")
    django_signin(client, "gp")

    fetches: list[int] = []
    parses: list[int] = []
    real_fetch, real_tree = ImapSession.fetch_raw, mime_message.message_tree
    monkeypatch.setattr(ImapSession, "fetch_raw",
                        lambda self, *a, **k: (fetches.append(1), real_fetch(self, *a, **k))[1])

    def counted_tree(data: bytes) -> Any:
        parses.append(len(data))
        return real_tree(data)

    monkeypatch.setattr("apps.mail.engine.message_cache.message_tree", counted_tree)
    MESSAGES.clear()
    base = f"/bal/{box.pk}/dossier/{inbox.pk}/message/{row.uid}/"
    page = client.get(base).content.decode()
    frame = client.get(base + "contenu/").content.decode()
    images = re.findall(r'src="([^"]*/piece/cid/[^"]+)"', frame)
    assert len(images) == 3
    for image in images:
        answer = client.get(image.replace("&amp;", "&"))
        assert answer.status_code == 200 and answer["Content-Type"] == "image/png"
    pdf = re.search(r'href="(' + re.escape(base) + r'piece/\d+/)" download', page).group(1)
    download = client.get(pdf)
    assert b"".join(download.streaming_content if download.streaming else [download.content]) \
        .startswith(b"%PDF-1.4")
    assert fetches == [1]  # once from the operator, for the page, frame, 3 images and the PDF
    assert len(parses) == 1 and parses[0] >= len(raw)  # and parsed once (CRLF on the server)
    assert MESSAGES.weight >= len(raw)


def test_the_cache_is_bounded_in_bytes_and_time(monkeypatch: pytest.MonkeyPatch) -> None:
    from apps.mail.engine.message_cache import CachedMessage, MessageCache

    cache = MessageCache(max_bytes=10_000, ttl=60)
    for number in range(5):
        cache.put(f"k{number}", CachedMessage(b"x" * 2000))  # weighs 4,000
    assert cache.weight <= 10_000
    assert cache.get("k0") is None and cache.get("k4") is not None  # oldest out first
    huge = CachedMessage(b"x" * 20_000)
    assert cache.put("huge", huge) is huge and cache.get("huge") is None  # served, not kept
    clock = [1000.0]
    monkeypatch.setattr("apps.mail.engine.message_cache.time.monotonic", lambda: clock[0])
    cache.put("short", CachedMessage(b"y"))
    clock[0] += 61
    assert cache.get("short") is None


def test_a_message_shared_through_redis_is_encrypted_there(psc_sim: PSCSim, demo_accounts: None) -> None:
    """Issue 27, point 12: raw messages up to 2 MB sat in Redis in clear for 120 s."""
    from django.core.cache import cache

    from apps.mail import services
    from apps.mail.services.messages import message_cached_get, message_version_key
    from tests.integration.mail_server import append

    reset_mailbox(ADDRESS)
    append(ADDRESS, subject="Résultat confidentiel", body="Glycémie 1,32 g/L")
    box, inbox = synchro_inbox(expected=1)
    uid = MessageSummary.objects.get(folder=inbox).uid
    access = services.MailAccess(mailbox=box)
    raw = message_cached_get(access=access, folder=inbox, uid=uid).raw
    stored = cache.get(f"mssweb:raw:{message_version_key(folder=inbox, uid=uid)}")
    assert isinstance(stored, bytes) and b"Glyc" not in stored and b"Subject" not in stored
    MESSAGES.clear()  # another process: it reads the shared copy back
    assert message_cached_get(access=access, folder=inbox, uid=uid).raw == raw
