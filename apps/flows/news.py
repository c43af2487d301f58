"""The open page's event stream (issue 28): what a signed-in actor may listen to, and how
(a blocking stream in a threaded server, a coroutine under the ASGI ``push`` role)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

from asgiref.sync import sync_to_async

from apps.accounts.selectors import live_session_in_force
from apps.mail.services import mailbox_news, mailbox_news_async

from .actor import Actor, actor_mailbox


def mailbox_news_stream(*, actor: Actor, mailbox_id: int,
                        asynchronous: bool) -> Iterator[bytes] | AsyncIterator[bytes]:
    """The stream of the actor's mailbox (``NotFound`` when it is not theirs); it ends when
    the session does, checked at each keep-alive."""
    mailbox = actor_mailbox(actor, mailbox_id)
    key = actor.session.session_key or ""
    def in_force() -> bool:
        return live_session_in_force(session_key=key)

    if asynchronous:
        return mailbox_news_async(mailbox_id=mailbox.pk, still_signed_in=sync_to_async(in_force))
    return mailbox_news(mailbox_id=mailbox.pk, still_signed_in=in_force)
