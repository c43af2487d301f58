"""New mail pushed to the open page (issue 28).

A sync that changed a mailbox's index publishes it on the mailbox's Redis channel; the
page's event stream (Server-Sent Events, ``webmail:mailbox_events``) relays it, and the page
then asks for its status at once instead of at its next poll. Nothing is lost when Redis or
the stream is down: the page's slow poll stays the safety net.

Two ways to wait on the channel, the same events: a blocking generator for a threaded
server (the demo's ``runserver``, the tests' live server), and an async one for the ASGI
``push`` role (``uvicorn``), where thousands of open pages cost a coroutine each, not a
worker each.
"""

from __future__ import annotations

import contextlib
import json
import logging
import time
from collections.abc import AsyncIterator, Callable, Iterator, Sequence

import redis
from django.conf import settings
from django.db import transaction

from apps.core.locks import redis_client

logger = logging.getLogger(__name__)

CHANNEL = "mssante:news:{}"  # mailbox id
KEEPALIVE = 15.0  # seconds between two comments on a quiet stream (proxies close idle ones)
RETRY_MS = 3000  # how soon the browser reconnects after the stream ends


def mailbox_changed_publish(*, mailbox_id: int, folders: Sequence[str]) -> None:
    """Tell the open pages of this mailbox that ``folders`` changed, once the index's
    transaction is committed (a page asking at once must find the new rows)."""
    payload = json.dumps({"folders": list(folders)})

    def publish() -> None:
        try:
            redis_client().publish(CHANNEL.format(mailbox_id), payload)
        except redis.RedisError as exc:
            logger.warning("new mail of mailbox %s not pushed (%s): pages see it at their next poll",
                           mailbox_id, exc)

    transaction.on_commit(publish)


def _event(name: str, data: str) -> bytes:
    return f"event: {name}\ndata: {data}\n\n".encode()


def _opening() -> bytes:
    return f"retry: {RETRY_MS}\n: flux ouvert\n\n".encode()


def mailbox_news(*, mailbox_id: int, still_signed_in: Callable[[], bool],
                 seconds: float | None = None) -> Iterator[bytes]:
    """The event stream of one mailbox, blocking (a thread per open page): ``changed``
    events, a comment every ``KEEPALIVE`` s (when ``still_signed_in`` is asked again: a
    stream does not outlive its session), and the end after ``seconds`` (the browser
    reconnects, going through the session checks again)."""
    seconds = settings.MSSANTE_PUSH_SECONDS if seconds is None else seconds
    yield _opening()
    try:
        pubsub = redis_client().pubsub(ignore_subscribe_messages=True)
        pubsub.subscribe(CHANNEL.format(mailbox_id))
    except redis.RedisError as exc:
        logger.warning("event stream of mailbox %s not opened (%s)", mailbox_id, exc)
        return
    try:
        deadline = time.monotonic() + seconds
        quiet_since = time.monotonic()
        while time.monotonic() < deadline:
            message = pubsub.get_message(timeout=min(1.0, max(0.0, deadline - time.monotonic())))
            if message is not None:
                yield _event("changed", message["data"].decode())
                quiet_since = time.monotonic()
            elif time.monotonic() - quiet_since >= KEEPALIVE:
                if not still_signed_in():
                    return
                yield b": keepalive\n\n"
                quiet_since = time.monotonic()
    except redis.RedisError as exc:
        logger.warning("event stream of mailbox %s ended (%s)", mailbox_id, exc)
    finally:
        with contextlib.suppress(redis.RedisError):
            pubsub.close()


async def mailbox_news_async(*, mailbox_id: int, still_signed_in: Callable[[], object],
                             seconds: float | None = None) -> AsyncIterator[bytes]:
    """The same stream for the ASGI ``push`` role: one coroutine per open page.
    ``still_signed_in`` is an async callable there."""
    import redis.asyncio as aioredis

    seconds = settings.MSSANTE_PUSH_SECONDS if seconds is None else seconds
    yield _opening()
    client = aioredis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2)
    pubsub = client.pubsub(ignore_subscribe_messages=True)
    try:
        await pubsub.subscribe(CHANNEL.format(mailbox_id))
        deadline = time.monotonic() + seconds
        quiet_since = time.monotonic()
        while time.monotonic() < deadline:
            message = await pubsub.get_message(timeout=min(1.0, max(0.0, deadline - time.monotonic())))
            if message is not None:
                yield _event("changed", message["data"].decode())
                quiet_since = time.monotonic()
            elif time.monotonic() - quiet_since >= KEEPALIVE:
                if not await still_signed_in():  # type: ignore[misc]
                    return
                yield b": keepalive\n\n"
                quiet_since = time.monotonic()
    except (redis.RedisError, OSError) as exc:
        logger.warning("event stream of mailbox %s ended (%s)", mailbox_id, exc)
    finally:
        try:
            await pubsub.aclose()
            await client.aclose()
        except (redis.RedisError, OSError):
            pass
