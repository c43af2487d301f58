"""Events other apps announce and the audit trail records."""

from __future__ import annotations

from typing import Any

from django.db.models import Model
from django.http import HttpRequest

from .services import audit_log


def admin_change_record(sender: type[Model], *, request: HttpRequest, obj: Model, action: str, message: Any,
                        structure_id: int | None, **kwargs: Any) -> None:
    """One event per admin add, change or delete: who, what (model, id, name), which
    structure it belongs to, what the admin's change message says."""
    user = request.user
    audit_log(event="admin_change", actor=getattr(user, "idnat", "") or getattr(user, "username", ""),
              target=f"{obj._meta.label_lower}:{obj.pk} {obj}"[:500], outcome=action,
              structure_id=structure_id, client_ip=request.META.get("REMOTE_ADDR", ""),
              change=str(message)[:1000])
