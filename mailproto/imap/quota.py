"""The mailbox's storage quota (RFC 9208 GETQUOTAROOT), for the folder pane's gauge."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .session import ImapSession

_STORAGE = re.compile(rb"\(STORAGE (\d{1,15}) (\d{1,15})")  # a server's answer, bounded digits


@dataclass(frozen=True)
class Quota:
    used_kb: int
    limit_kb: int


def quota_get(session: ImapSession) -> Quota | None:
    """The INBOX's storage quota in KiB; None when the server has no QUOTA or sets no
    storage limit."""
    if b"QUOTA" not in session.capabilities:
        return None
    response = session.command(b"GETQUOTAROOT INBOX")
    for unit in response.units:
        found = _STORAGE.search(unit[0]) if unit[0].startswith(b"* QUOTA ") else None
        if found:
            return Quota(used_kb=int(found[1]), limit_kb=int(found[2]))
    return None
