"""Rules run on the INBOX after every sync. Other apps register them (the
mail engine knows nothing of patients: the webmail registers the patients' rule); each
rule sees each new message once (``Folder.rules_checked_uid``), and one that fails is
logged and retried at the next sync, never failing the sync itself."""

from __future__ import annotations

import logging
from collections.abc import Callable

from apps.core.errors import ApplicationError

from .access import MailAccess

logger = logging.getLogger(__name__)
InboxRule = Callable[[MailAccess], None]
RULES: list[InboxRule] = []


def inbox_rule_register(rule: InboxRule) -> None:
    if rule not in RULES:
        RULES.append(rule)


def inbox_rules_run(*, access: MailAccess) -> None:
    for rule in RULES:
        try:
            rule(access)
        except ApplicationError as exc:
            logger.warning("inbox rule %s on %s not applied (next sync retries): %s", rule.__name__,
                           access.mailbox.address, exc.detail)
