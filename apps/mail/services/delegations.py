"""Delegations given, changed and revoked (by a structure administrator, in the admin):
each one audit event naming the delegate, the rights and the dates. Access reads the
delegations in force at every request (``selectors.delegation_list_active``), so nothing
else needs telling: a revoked delegation ends at the delegate's next page, and their
pooled IMAP connections to the mailbox are closed at once."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from apps.audit.services import audit_log

from ..engine.pool import POOL
from ..models import Delegation


def _record(*, delegation: Delegation, change: str, by: Any, client_ip: str) -> None:
    audit_log(event="delegation_changed", actor=getattr(by, "idnat", "") or getattr(by, "username", ""),
              mailbox=delegation.mailbox.address, target=delegation.user.idnat or delegation.user.username,
              outcome=change, structure_id=delegation.mailbox.structure_id, client_ip=client_ip,
              rights=delegation.rights, starts_on=delegation.starts_on, ends_on=delegation.ends_on)


def delegation_save(*, delegation: Delegation, by: Any, client_ip: str = "") -> Delegation:
    """Give (new) or change a delegation."""
    delegation.clean()  # the owner is never a delegate; dates in order (ValidationError)
    change = "granted" if delegation.pk is None else "changed"
    if delegation.pk is None:
        delegation.granted_by = by
    with transaction.atomic():
        delegation.save()
        _record(delegation=delegation, change=change, by=by, client_ip=client_ip)
    return delegation


def delegation_revoke(*, delegation: Delegation, by: Any, client_ip: str = "") -> None:
    """End a delegation now: the row goes, and with it the delegate's access at their next
    request; connections this process pooled for them are closed."""
    with transaction.atomic():
        _record(delegation=delegation, change="revoked", by=by, client_ip=client_ip)
        delegation.delete()
    POOL.close_owner(f"user:{delegation.user_id}")
