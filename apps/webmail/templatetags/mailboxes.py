"""The folder pane's list of the user's mailboxes: their own and those delegated to them,
read at each page so that a delegation given or revoked shows at the next one."""

from __future__ import annotations

from typing import Any

from django import template

from apps.flows.actor import actor_mailboxes
from apps.mail.models import Mailbox

from ..access import request_actor

register = template.Library()


@register.simple_tag(takes_context=True)
def user_mailboxes(context: dict[str, Any]) -> list[Mailbox]:
    request = context.get("request")
    user = getattr(request, "user", None)
    if request is None or user is None or not user.is_authenticated:
        return []
    return actor_mailboxes(request_actor(request))
