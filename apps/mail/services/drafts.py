"""Drafts live in the IMAP Drafts folder (\\Draft), each save replacing the last."""

from __future__ import annotations

import logging
from email.message import EmailMessage

from mailproto.imap import ImapUnavailable

from ..engine.access import MailAccess, mailbox_session
from ..models import Folder, MessageSummary
from ..sync import mailbox_index_sync
from .messages import folder_counts_refresh

logger = logging.getLogger(__name__)


def draft_save(*, access: MailAccess, message: EmailMessage, replaces: int | None) -> int | None:
    """Store the draft in the IMAP Drafts folder (\\Draft), replacing the previous version.
    Returns its new UID (UIDPLUS) so that the next save or the sending can remove it."""
    mailbox = access.mailbox
    drafts = Folder.objects.filter(mailbox=mailbox, role=Folder.Role.DRAFTS).first()
    name = drafts.name if drafts else "Drafts"
    with mailbox_session(access=access) as session:
        uid = session.append(name, message.as_bytes(), flags=[b"\\Draft", b"\\Seen"])
        if replaces:
            session.expunge(name, [replaces])
        if drafts:  # the Drafts list shows the new version at once (an incremental sync)
            try:
                mailbox_index_sync(mailbox=mailbox, session=session, only=[name])
            except ImapUnavailable as exc:
                logger.info("Drafts of %s not refreshed after saving: %s", mailbox.address, exc)
    if drafts and replaces:
        MessageSummary.objects.filter(folder=drafts, uid=replaces).delete()
    return uid


def draft_discard(*, access: MailAccess, uid: int) -> None:
    drafts = Folder.objects.filter(mailbox=access.mailbox, role=Folder.Role.DRAFTS).first()
    name = drafts.name if drafts else "Drafts"
    with mailbox_session(access=access) as session:
        session.expunge(name, [uid])
    if drafts:
        MessageSummary.objects.filter(folder=drafts, uid=uid).delete()
        folder_counts_refresh(folder=drafts)
