"""``manage.py mail_watch``: the new-mail watcher, a long-running process type beside the
web and the Celery workers (``apps.mail.engine.watching``). Stops cleanly on SIGTERM
(LOGOUT on every connection); Django's system checks run first, so it refuses to start on
a configuration the checks call an error, as the other processes do."""

from __future__ import annotations

import logging
import signal
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from apps.mail.engine.watching import InboxWatcher

logger = logging.getLogger("apps.mail.watch")


class Command(BaseCommand):
    help = "Hold IMAP IDLE on the INBOX of every mailbox with a live session; sync on change."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--refresh", type=float, default=10.0,
                            help="seconds between two reads of who is signed in (default 10)")

    def handle(self, *args: Any, **options: Any) -> None:
        stopping = False

        def stop(signum: int, frame: FrameType | None) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        watcher = InboxWatcher(refresh_seconds=options["refresh"])
        logger.info("new-mail watcher started (membership read every %s s)", options["refresh"])
        watcher.run(should_stop=lambda: stopping)
        logger.info("new-mail watcher stopped after %s changes", watcher.changes)
