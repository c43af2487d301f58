"""The operators' CAs' revocation lists, kept current (ECO.1.1.6–1.1.7).

``crl_refresh`` (hourly, a worker) fetches each of ``MSSANTE_TLS_CRL_URLS``, keeps a CRL
only when a CA of the bundle signed it and it is in force, and otherwise keeps the last valid
one it had (a source down or a forged file changes nothing). ``crl_file_current`` is what
every IMAP, SMTP and ManageSieve connection verifies the server against: a revoked
operator certificate is then refused by the TLS handshake itself.

Fail closed: with sources configured but no CRL ever kept, or one past its next update,
OpenSSL refuses the server ("crl_missing", "crl_expired") rather than trusting it blindly.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from apps.core.sources import source_read
from mailproto.revocation import CRL_MAX_BYTES, CrlRefused, crl_read

logger = logging.getLogger(__name__)

COMBINED = "current.pem"


@dataclass(frozen=True, slots=True)
class CrlRefresh:
    kept: int  # sources whose fresh CRL was taken
    failed: int  # sources down or refused: their last valid CRL stays


def _folder() -> Path:
    return Path(settings.MSSANTE_TLS_CRL_DIR)


def _atomic_write(path: Path, data: bytes) -> None:
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".crl-")
    with os.fdopen(handle, "wb") as out:
        out.write(data)
    os.replace(temporary, path)


def crl_refresh(*, now: dt.datetime | None = None) -> CrlRefresh:
    sources: list[str] = list(settings.MSSANTE_TLS_CRL_URLS)
    if not sources:
        return CrlRefresh(0, 0)
    now = now or dt.datetime.now(dt.UTC)
    folder = _folder()
    folder.mkdir(parents=True, exist_ok=True)
    trusted = Path(settings.MSSANTE_TLS_CA_FILE).read_bytes()
    kept = failed = 0
    for location in sources:
        name = hashlib.sha256(location.encode()).hexdigest()[:16] + ".crl.pem"
        try:
            crl = crl_read(data=source_read(location=location, limit=CRL_MAX_BYTES, timeout=30),
                           trusted_pem=trusted, now=now)
        except (OSError, CrlRefused) as exc:
            failed += 1
            logger.error("CRL from %s not taken, the last valid one is kept: %s", location, exc)
            continue
        _atomic_write(folder / name, crl.pem)
        kept += 1
        logger.info("CRL from %s kept: %s, %d revoked, next update %s", location, crl.issuer,
                    crl.revoked, crl.next_update.isoformat())
    wanted = {hashlib.sha256(s.encode()).hexdigest()[:16] + ".crl.pem" for s in sources}
    parts = [(folder / n).read_bytes() for n in sorted(wanted) if (folder / n).exists()]
    if parts:
        _atomic_write(folder / COMBINED, b"".join(parts))
    return CrlRefresh(kept, failed)


def crl_file_current() -> str | None:
    """The CRL file connections check against; None when no source is configured. With
    sources but no CRL kept yet, the CA bundle itself: it holds no CRL, so the handshake
    refuses every server until one is kept (fail closed)."""
    if not settings.MSSANTE_TLS_CRL_URLS:
        return None
    combined = _folder() / COMBINED
    return str(combined) if combined.exists() else (settings.MSSANTE_TLS_CA_FILE or None)
