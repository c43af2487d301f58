"""What a page or an API call hands a flow: typed, already bounded by whoever parsed the
request (``apps.webmail.forms`` for the pages), never an ``HttpRequest``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from apps.mail.services import OutgoingFile

from .health_documents import HealthDocumentFields

RECIPIENT_FIELDS = ("to", "cc", "bcc")  # À, Cc, Cci: the form's names, in the page's order


@dataclass
class ComposeForm:
    to: list[str]
    mailbox: int
    cc: list[str] = field(default_factory=list)
    bcc: list[str] = field(default_factory=list)  # envelope only when sent; kept in drafts
    subject: str = ""
    body: str = ""
    in_reply_to: str = ""
    references: str = ""
    draft_uid: int | None = None
    origin: str = ""  # "mailbox:folder:uid" of the message forwarded
    forward: str = ""  # "inline" (its attachments kept) or "attached" (the whole .eml)
    keep: list[str] = field(default_factory=list)  # part ids of the attachments kept
    read_receipt: bool = False
    dsn: bool = False
    html: str = ""  # from the rich-text editor, cleaned; ``body`` is then its text version
    # Addresses left in each recipient field's text input ("to", "cc", "bcc").
    typed: dict[str, list[str]] = field(default_factory=dict)
    drop: str = ""  # a chip's "×" pressed without JavaScript: "field:address" goes
    document: HealthDocumentFields | None = None  # "Joindre un document de santé"
    no_reply: bool = False  # to a patient: "le patient ne peut pas répondre" (X-MSS-MES: FIN)
    patient_informed: bool = False  # the professional confirms the patient was informed (R1110-4)

    def recipients(self, name: str) -> list[str]:
        """The chips of field ``name`` ("to", "cc" or "bcc")."""
        return list(getattr(self, name))


@dataclass(frozen=True)
class Uploads:
    """The files chosen in the form: their size as declared (or as far as the capped upload
    handler let them come), known before anything is read, and how to read them."""

    declared: int
    read: Callable[[], list[OutgoingFile]]


def compose_origin(value: str) -> tuple[int, int, int] | None:
    """"mailbox:folder:uid" of the message a reply, forward or draft starts from."""
    try:
        mailbox_id, folder_id, uid = (int(x) for x in value.split(":"))
    except ValueError:
        return None
    return mailbox_id, folder_id, uid
