"""Loaded by pytest before anything else (``-p tests.env_plugin``): points Django at the
test-profile devstack, on its own ports, before settings are read."""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from devstack import stack  # noqa: E402

for _key, _value in stack.env_vars("test").items():
    os.environ.setdefault(_key, _value)
os.environ.setdefault("DJANGO_SECRET_KEY", "test-secret-key-not-for-production")
os.environ.setdefault("DJANGO_DEBUG", "0")
# The test client and the live server speak plain http on loopback.
os.environ.setdefault("DJANGO_SECURE_COOKIES", "0")
os.environ.setdefault("DJANGO_SECURE_SSL_REDIRECT", "0")
# Playwright's sync API runs an event loop in the test thread; the ORM calls made by
# fixtures around it are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
os.environ.setdefault("MSSANTE_PLAIN_STATIC", "1")  # no collectstatic manifest in tests
# The deployment-wide IMAP budget and the reaper thread (issue 28) are measured on the
# deployed roles (tests/integration/test_connection_budget.py) and unit-tested with fakes;
# in the test process they would race the tests that count logins on pooled connections.
os.environ.setdefault("MSSANTE_IMAP_IDLE_SLOTS", "0")
# The open pages listen to their mailbox's event stream (the live server is threaded).
os.environ.setdefault("MSSANTE_PUSH", "1")
os.environ.setdefault("MSSANTE_IMAP_REAPER", "0")
(ROOT / "var").mkdir(exist_ok=True)
os.environ.setdefault("DJANGO_TEST_DATABASE", str(ROOT / "var" / "test-db.sqlite3"))
