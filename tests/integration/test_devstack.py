"""The operator stack starts from a checkout however deep its path: a unix socket's path may
not pass 107 bytes, and CI chooses the folder (sockets used to live under .devstack/)."""

from __future__ import annotations

import hashlib
import shutil
import smtplib
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from devstack import stack

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
PROBE = "probe"  # a profile of its own, on its own ports: the test stack keeps running


def deep_checkout(base: Path, length: int) -> Path:
    """A folder whose path is ``length`` characters long, holding a copy of devstack/."""
    folder = base.resolve()
    while len(str(folder)) < length:
        folder = folder / ("d" * min(200, length - len(str(folder)) - 1))
        folder.mkdir(mode=0o755)
    shutil.copytree(ROOT / "devstack", folder / "devstack", ignore=shutil.ignore_patterns("__pycache__"))
    return folder


def test_the_stack_starts_and_delivers_from_a_150_character_path() -> None:
    # Not pytest's tmp_path: its folders are private to root, and PostgreSQL and Dovecot's
    # delivery run as their own users, who must reach the checkout (as in any real one).
    base = Path(tempfile.mkdtemp(prefix="mssweb-deep-", dir="/tmp"))
    base.chmod(0o755)
    checkout = deep_checkout(base, 150)
    assert len(str(checkout)) == 150
    command = [sys.executable, str(checkout / "devstack" / "stack.py")]
    runtime = Path("/tmp") / f"mssweb-{hashlib.sha256(str(checkout).encode()).hexdigest()[:12]}-{PROBE}"
    try:
        started = subprocess.run([*command, "start", "--profile", PROBE], capture_output=True, text=True,
                                 timeout=240, stdin=subprocess.DEVNULL)
        assert started.returncode == 0, started.stdout + started.stderr
        status = subprocess.run([*command, "status", "--profile", PROBE], capture_output=True, text=True,
                                timeout=30)
        assert status.returncode == 0, status.stdout
        assert runtime.is_dir()  # where the sockets went
        # Postfix hands mail to Dovecot's LMTP socket, the longest socket path in use.
        address = stack.IDENTITIES["identities"][0]["mailbox"]
        with smtplib.SMTP("127.0.0.1", stack.PROFILES[PROBE].smtp_in, timeout=10) as smtp:
            assert smtp.sendmail("x@medecin.mssante.test", [address], b"Subject: chemin long\r\n\r\nbonjour\r\n") == {}
        local, domain = address.split("@")
        new = checkout / ".devstack" / PROBE / "mail" / domain / local / "Maildir" / "new"
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and not (new.is_dir() and any(new.iterdir())):
            time.sleep(0.2)
        assert new.is_dir() and any(new.iterdir()), "not delivered through LMTP"
    finally:
        subprocess.run([*command, "stop", "--profile", PROBE], capture_output=True, timeout=60)
        shutil.rmtree(runtime, ignore_errors=True)
        shutil.rmtree(base, ignore_errors=True)
