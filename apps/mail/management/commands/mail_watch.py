"""``manage.py mail_watch``: the new-mail watcher, a long-running process type beside the
web and the Celery workers (``apps.mail.engine.watching``). Stops cleanly on SIGTERM
(LOGOUT on every connection, its share handed to the other watchers at once); run as
many as needed: they share the mailboxes (``apps.mail.engine.shards``). Django's system
checks run first, so it refuses to start on a configuration the checks call an error, as
the other processes do."""

from __future__ import annotations

import logging
import signal
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from apps.core.locks import redis_client
from apps.mail.engine.shards import RedisShardStore, WatchShard
from apps.mail.engine.watching import InboxWatcher

logger = logging.getLogger("apps.mail.watch")


class Command(BaseCommand):
    help = "Hold IMAP IDLE on the INBOX of every mailbox with a live session; sync on change."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--refresh", type=float, default=5.0,
                            help="seconds between two reads of who is signed in (default 5)")
        parser.add_argument("--dead-after", type=float, default=10.0,
                            help="a watcher not heard of for this long is gone (default 10 s)")
        parser.add_argument("--claim-ttl", type=float, default=12.0,
                            help="a mailbox's claim not renewed for this long is free (default 12 s)")

    def handle(self, *args: Any, **options: Any) -> None:
        stopping = False

        def stop(signum: int, frame: FrameType | None) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        refresh = options["refresh"]
        # A claim outlives several passes: a slow pass (logins at start-up) must not let it lapse.
        shard = WatchShard(store=RedisShardStore(redis_client()),
                           dead_after=max(options["dead_after"], 2 * refresh),
                           ttl=max(options["claim_ttl"], 4 * refresh))
        watcher = InboxWatcher(refresh_seconds=refresh, shard=shard)
        logger.info("new-mail watcher %s started (membership read every %s s)", shard.member, refresh)
        watcher.run(should_stop=lambda: stopping)
        logger.info("new-mail watcher stopped after %s changes", watcher.changes)
