"""Processes that serve or send (gunicorn, Celery workers and beat) refuse to start on a
configuration the system checks call an error: gunicorn does not run Django's checks on
its own, and a worker sends mail as much as the site does."""

from __future__ import annotations

import logging

logger = logging.getLogger("mssante_web.startup")


def refuse_unsafe_configuration() -> None:
    """Run by every serving or sending process when it starts: the fail-closed checks, then
    the sweep of decrypted key files a killed process may have left in /dev/shm."""
    from django.core import checks

    from mailproto.imap.client import stale_key_files_sweep

    stale_key_files_sweep()
    serious = [m for m in checks.run_checks(include_deployment_checks=False)
               if m.is_serious() and not m.is_silenced()]
    if serious:
        for message in serious:
            logger.critical("refusing to start: %s", message)
        raise SystemExit("mssante-web refuses to start: " + "; ".join(
            f"{m.id}: {m.msg}" for m in serious))
