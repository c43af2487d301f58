"""Reading what the site imports from elsewhere (the national lists, the operators' CRLs):
an https or http URL, or a local file, bounded in size and time.

https is verified with the system's store plus the operator bundle (IGC-Santé, which public
stores do not carry): the lists and CRLs come with what verifies the operators. http is
allowed where the content carries its own proof (a checksum, a CRL's signature): the callers
check it."""

from __future__ import annotations

import ssl
import urllib.request
from pathlib import Path
from typing import Any

from django.conf import settings


def _tls_context() -> ssl.SSLContext:
    context = ssl.create_default_context()
    if settings.MSSANTE_TLS_CA_FILE:
        context.load_verify_locations(cafile=settings.MSSANTE_TLS_CA_FILE)
    return context


def source_open(*, location: str, timeout: int) -> Any:
    """An open http(s) response to stream (a large extraction), verified as above."""
    context = _tls_context() if location.startswith("https://") else None
    return urllib.request.urlopen(location, timeout=timeout, context=context)  # noqa: S310


def source_read(*, location: str, limit: int = 60 * 1024 * 1024, timeout: int = 60) -> bytes:
    """The bytes at ``location`` (at most ``limit``: a longer answer is an ``OSError``, never
    read whole). ``OSError`` for every failure to reach or read it."""
    if location.startswith(("https://", "http://")):
        with source_open(location=location, timeout=timeout) as response:
            data = bytes(response.read(limit + 1))
    else:
        with Path(location.removeprefix("file://")).open("rb") as handle:
            data = handle.read(limit + 1)
    if len(data) > limit:
        raise OSError(f"{location}: larger than {limit} bytes")
    return data
