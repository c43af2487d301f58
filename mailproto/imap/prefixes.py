"""The first bytes of many messages at once (``UID FETCH ... BODY.PEEK[]<0.N>``), for the
local full-text index: one round trip per batch, \\Seen left alone."""

from __future__ import annotations

import re
from collections.abc import Sequence

from .session import ImapSession
from .uids import uid_set

_UID = re.compile(rb"[( ]UID (\d{1,10})[ )]")  # in a FETCH line the server wrote


def message_prefixes(session: ImapSession, folder: str, uids: Sequence[int], size: int) -> dict[int, bytes]:
    """{uid: its first ``size`` bytes} of the ``uids`` still in ``folder``."""
    if not uids:
        return {}
    if session.selected != folder:
        session.examine(folder)
    response = session.command(b"UID FETCH " + uid_set(sorted(uids)) + b" (UID BODY.PEEK[]<0.%d>)" % size,
                               expected=b"SUMMARY")
    found: dict[int, bytes] = {}
    for unit in response.units:
        head = unit[0]
        if b" FETCH " not in head[:24]:
            continue
        uid = _UID.search(head) or (_UID.search(b" " + unit[-1]) if len(unit) > 2 else None)
        if uid:
            found[int(uid[1])] = unit[1] if len(unit) > 1 else b""
    return found
