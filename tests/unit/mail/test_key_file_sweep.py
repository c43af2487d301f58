"""A process killed between writing a decrypted key file and unlinking it left it in
/dev/shm for good (issue 27, point 11): every serving process sweeps stale ones when it
starts; a fresh one (a handshake in flight in another process) is left alone."""

from __future__ import annotations

import os
import time
from pathlib import Path

from mailproto.imap.client import KEY_FILE_PREFIX, stale_key_files_sweep


def test_stale_key_files_are_swept_fresh_ones_and_others_kept(tmp_path: Path) -> None:
    stale = tmp_path / f"{KEY_FILE_PREFIX}abc.pem"
    fresh = tmp_path / f"{KEY_FILE_PREFIX}def.pem"
    other = tmp_path / "someone-else.pem"
    for path in (stale, fresh, other):
        path.write_text("-----BEGIN PRIVATE KEY-----")
    old = time.time() - 3600
    os.utime(stale, (old, old))
    os.utime(other, (old, old))
    assert stale_key_files_sweep(directory=str(tmp_path)) == 1
    assert not stale.exists() and fresh.exists() and other.exists()


def test_the_startup_sweeps(monkeypatch: object) -> None:
    from mssante_web import startup

    called = []
    monkeypatch.setattr("mailproto.imap.client.stale_key_files_sweep", lambda **_: called.append(1) or 0)  # type: ignore[attr-defined]
    startup.refuse_unsafe_configuration()
    assert called == [1]
