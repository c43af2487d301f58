"""The reader's reads: a message fetched on demand and parsed once per process
(``message_cached_get``), its body sanitised for the sandboxed frame (cached in Redis per
message version and sanitising policy), its parts and attached messages: the page, its
frame and its images, which all ask within a second, fetch and parse once."""

from __future__ import annotations

import html
import logging

from django.core.cache import cache
from django.utils.translation import gettext as _

from apps.core.errors import ApplicationError, MessageGone
from apps.mail.engine.message_cache import MESSAGES, CachedMessage
from apps.mail.models import Folder, MessageSummary
from apps.mail.services import MailAccess, message_reports
from apps.mail.services.messages import message_cached_get, message_version_key
from mailproto.mime.message import ParsedMessage
from mailproto.mime.receipts import Report
from mailproto.mime.sanitize import POLICY_VERSION, sanitize_html, text_to_html

logger = logging.getLogger(__name__)
CLEAN_CACHE_SECONDS = 600  # sanitising is costly (bench/micro.py): once per message version


def message_parsed_get(*, access: MailAccess, folder: Folder, uid: int) -> ParsedMessage:
    """The parsed message, from the process's message cache."""
    return message_cached_get(access=access, folder=folder, uid=uid).parsed


def body_cache_key(folder: Folder, uid: int, images: bool) -> str:
    """The sanitised body of a message. Its own prefix: an attached message's key ends in a
    part id, which can be "0" or "1" like this one's images flag (they once shared keys)."""
    return f"mssweb:clean-body:{POLICY_VERSION}:{message_version_key(folder=folder, uid=uid)}:{int(images)}"


def attached_cache_key(folder: Folder, uid: int, part_id: str) -> str:
    """The sanitised body of the message attached as part ``part_id``."""
    return f"mssweb:clean-attached:{POLICY_VERSION}:{message_version_key(folder=folder, uid=uid)}:{part_id}"


def message_body_html(*, access: MailAccess, folder: Folder, uid: int, images: bool,
                      cid_url: str) -> tuple[str, int]:
    """The body for the frame (sanitised HTML, or the text as HTML) and how many remote
    images it blocked; remote images kept only when ``images``. ``cid_url`` is where an
    inline image is served, ``__CID__`` standing for its Content-ID."""
    key = body_cache_key(folder, uid, images)
    local = MESSAGES.get(message_version_key(folder=folder, uid=uid))
    if local is not None and key in local.derived:
        return local.derived[key]  # type: ignore[return-value]
    cached = cache.get(key)
    if cached is not None:
        if local is not None:
            local.derived[key] = cached
        return cached  # type: ignore[no-any-return]
    loaded = message_cached_get(access=access, folder=folder, uid=uid)
    parsed = loaded.parsed
    result = sanitize_html(parsed.html, allow_remote=images, cid_url=cid_url) if parsed.html else None
    if result is not None and not result.over_budget:
        value = (result.html, result.remote_images)
    else:
        if result is not None:
            logger.warning("HTML of %s uid %s over the sanitising budget: its text is shown", folder, uid)
        value = (_text_instead(parsed, over_budget=result is not None), 0)
    cache.set(key, value, CLEAN_CACHE_SECONDS)
    loaded.derived[key] = value
    return value


def _text_instead(parsed: ParsedMessage, *, over_budget: bool) -> str:
    """The text part as the body; after HTML too costly to clean, with a line saying so."""
    notice = ('<p class="notice">' + html.escape(_(
        "This message's layout is too complex to be shown safely: here is its text version."))
        + "</p>") if over_budget else ""
    return notice + text_to_html(parsed.text or "")


def attached_message_get(*, access: MailAccess, folder: Folder, uid: int, part_id: str) -> ParsedMessage:
    """A message/rfc822 attachment, parsed like a message of its own (and cached like one,
    under its own key); ``MessageGone`` when the message has no such part."""
    key = f"{message_version_key(folder=folder, uid=uid)}:attached:{part_id}"
    attached = MESSAGES.get(key)
    if attached is None:
        found = message_cached_get(access=access, folder=folder, uid=uid).part(part_id)
        if found is None or found[1] != "message/rfc822":
            raise MessageGone(f"{folder} uid {uid} has no attached message {part_id}")
        attached = MESSAGES.put(key, CachedMessage(found[0]))
    return attached.parsed


def attached_body_html(*, access: MailAccess, folder: Folder, uid: int, part_id: str) -> str:
    """An attached message's body for the frame; its remote images always blocked."""
    key = attached_cache_key(folder, uid, part_id)
    body = cache.get(key)
    if body is None:
        parsed = attached_message_get(access=access, folder=folder, uid=uid, part_id=part_id)
        result = sanitize_html(parsed.html, allow_remote=False, cid_url=None) if parsed.html else None
        body = (result.html if result is not None and not result.over_budget
                else _text_instead(parsed, over_budget=result is not None))
        cache.set(key, body, CLEAN_CACHE_SECONDS)
    return body  # type: ignore[no-any-return]


def message_part_get(*, access: MailAccess, folder: Folder, uid: int, part_id: str = "",
                     cid: str = "") -> tuple[bytes, str, str]:
    """An attachment or inline image (by part id, or by Content-ID): data, declared type and
    file name; ``MessageGone`` when there is no such part."""
    message = message_cached_get(access=access, folder=folder, uid=uid)
    if cid:
        match = next((a for a in message.parsed.attachments if a.content_id == cid), None)
        if match is None:
            raise MessageGone(f"{folder} uid {uid} has no part <{cid}>")
        part_id = match.part_id
    found = message.part(part_id)
    if found is None:
        raise MessageGone(f"{folder} uid {uid} has no part {part_id}")
    return found


def message_reports_shown(*, access: MailAccess, folder: Folder, summary: MessageSummary) -> list[Report]:
    """Receipts and delivery reports about a message this mailbox sent; a failure to fetch
    them never hides the message itself."""
    if folder.role != Folder.Role.SENT:
        return []
    try:
        return message_reports(access=access, summary=summary)
    except ApplicationError as exc:
        logger.info("reports of %s not shown: %s", summary.message_id, exc.detail)
        return []
