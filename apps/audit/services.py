"""The audit trail's single entry point.

Every app records security-relevant events through ``audit_log``; for now it writes a
structured log line, and the audit issue will add the append-only table behind it
without changing a caller.
"""

from __future__ import annotations

import json
import logging
from typing import Any

logger = logging.getLogger("mssante.audit")


def audit_log(*, event: str, actor: str = "", **details: Any) -> None:
    logger.info("audit %s", json.dumps({"event": event, "actor": actor, **details},
                                       ensure_ascii=False, default=str, sort_keys=True))
