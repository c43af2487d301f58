"""Helpers that act on a devstack mailbox from the server's side, as "another client"."""

from __future__ import annotations

import datetime as dt
import itertools
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

import imapclient

from apps.mail.models import Folder, Mailbox, MessageSummary
from tests.conftest import imap_plain

_counter = itertools.count(1)
SYSTEM_FOLDERS = {"INBOX", "Drafts", "Sent", "Trash", "Archive", "Junk"}


def reset_mailbox(address: str) -> None:
    """Empty every folder and remove user folders."""
    client = imap_plain(address)
    try:
        for _flags, _delim, name in client.list_folders():
            if name not in SYSTEM_FOLDERS:
                client.delete_folder(name)
                continue
            client.select_folder(name)
            uids = client.search("ALL")
            if uids:
                client.add_flags(uids, [imapclient.DELETED], silent=True)
                client.expunge()
    finally:
        client.logout()


def make_message(subject: str = "", sender: str = "Julien Petit <julien.petit@hopital.mssante.test>",
                 attachment: tuple[str, str, bytes] | None = None,
                 body: str = "Bonjour,\nmessage de test.\n", **headers: str) -> bytes:
    number = next(_counter)
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "Claire Martin <claire.martin@medecin.mssante.test>, secretariat@medecin.mssante.test"
    msg["Subject"] = subject or f"Message de test n° {number}"
    msg["Date"] = format_datetime(dt.datetime(2026, 11, 1, 8, 0, tzinfo=dt.UTC)
                                  + dt.timedelta(minutes=number))
    msg["Message-ID"] = make_msgid(domain="test.mssante-web")
    for name, value in headers.items():
        header = name.replace("_", "-")
        del msg[header]
        msg[header] = value
    msg.set_content(body)
    if attachment:
        filename, mime, data = attachment
        maintype, subtype = mime.split("/")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return msg.as_bytes()


def append(address: str, folder: str = "INBOX", flags: tuple[bytes, ...] = (), **kwargs: object) -> int:
    client = imap_plain(address)
    try:
        answer = client.append(folder, make_message(**kwargs), flags=list(flags))  # type: ignore[arg-type]
        return int(answer.split(b"APPENDUID ")[1].split()[1].rstrip(b"]"))
    finally:
        client.logout()


def server_state(address: str, folders: tuple[str, ...] = ("INBOX", "Archive")) -> dict[str, dict[int, tuple[bool, bool]]]:
    """{folder: {uid: (seen, flagged)}} as the server sees it."""
    client = imap_plain(address)
    try:
        state: dict[str, dict[int, tuple[bool, bool]]] = {}
        for name in folders:
            client.select_folder(name, readonly=True)
            uids = client.search("ALL")
            flags = client.get_flags(uids) if uids else {}
            state[name] = {uid: (b"\\Seen" in f, b"\\Flagged" in f) for uid, f in flags.items()}
        return state
    finally:
        client.logout()


def index_state(mailbox_address: str, folders: tuple[str, ...] = ("INBOX", "Archive")) -> dict[str, dict[int, tuple[bool, bool]]]:
    state: dict[str, dict[int, tuple[bool, bool]]] = {}
    for name in folders:
        folder = Folder.objects.filter(mailbox__address=mailbox_address, name=name).first()
        rows = MessageSummary.objects.filter(folder=folder).values_list("uid", "seen", "flagged")
        state[name] = {uid: (seen, flagged) for uid, seen, flagged in rows}
    return state


def uids_with_subject(address: str, folder: str, subject: str) -> list[int]:
    client = imap_plain(address)
    try:
        client.select_folder(folder, readonly=True)
        return list(client.search(["SUBJECT", subject], charset="UTF-8"))
    finally:
        client.logout()


def wait_for_subject(address: str, folder: str, subject: str, timeout: float = 10) -> bool:
    """LMTP delivery is asynchronous: poll until the message is there."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if uids_with_subject(address, folder, subject):
            return True
        time.sleep(0.2)
    return False


def raw_with_subject(address: str, folder: str, subject: str, item: str = "BODY.PEEK[]") -> bytes:
    client = imap_plain(address)
    try:
        client.select_folder(folder, readonly=True)
        uid = client.search(["SUBJECT", subject], charset="UTF-8")[0]
        answer = client.fetch([uid], [item])[uid]
        return next(v for k, v in answer.items() if k.startswith(b"BODY"))
    finally:
        client.logout()


SYNCHRO = "synchro@medecin.mssante.test"
GP_MAILBOX = "claire.martin@medecin.mssante.test"


def synchro_inbox(*, expected: int | None = None, owner_address: str = GP_MAILBOX,
                  wait: float = 15.0) -> tuple[Mailbox, Folder]:
    """The technical synchro@ mailbox as the caller filled it, owned by the demo user of
    ``owner_address`` (demo accounts seeded), and its INBOX synced: once, or until it holds
    ``expected`` messages (SMTP delivery through LMTP is asynchronous)."""
    import time

    from apps.mail import services

    owner = Mailbox.objects.get(address=owner_address).owner
    box = Mailbox.objects.create(address=SYNCHRO, auth_mode=Mailbox.AuthMode.PASSWORD, owner=owner)
    deadline = time.monotonic() + wait
    while True:
        services.mailbox_sync(access=services.MailAccess(mailbox=box), only=["INBOX"])
        inbox = Folder.objects.get(mailbox=box, role="inbox")
        count = MessageSummary.objects.filter(folder=inbox).count()
        if expected is None or count == expected or time.monotonic() > deadline:
            return box, inbox
        time.sleep(0.3)


def synchro_mailbox(messages: int, owner_address: str = GP_MAILBOX) -> Mailbox:
    """The technical synchro@ mailbox, emptied, given ``messages`` messages, owned by the
    demo user of ``owner_address`` (demo accounts seeded) and synced once."""
    from apps.mail import services

    reset_mailbox(SYNCHRO)
    for i in range(messages):
        append(SYNCHRO, subject=f"message {i}")
    box, _ = synchro_inbox(owner_address=owner_address)
    services.mailbox_sync(access=services.MailAccess(mailbox=box))
    return box


def outbox_send_pending() -> None:
    """What the worker does with the outbox (these tests run it in-process)."""
    from apps.mail import services
    from apps.mail.models import OutboxMessage

    for outgoing in OutboxMessage.objects.filter(status="pending"):
        services.outbox_process(outbox_id=outgoing.pk)


def fresh_patient_list(idnat: str) -> None:
    """The demo seeds the patient in her doctor's list, allowed to write: these tests start
    from a list without her."""
    from apps.patients.models import Habilitation, Patient, PatientInformed

    Patient.objects.filter(owner__idnat=idnat).delete()
    Habilitation.objects.filter(owner__idnat=idnat).delete()
    PatientInformed.objects.filter(owner__idnat=idnat).delete()
