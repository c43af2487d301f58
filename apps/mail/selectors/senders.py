"""How a message names its sender (ECO.2.2.7, ``mss.sender``): from PSC's practice identity
for a person's mailbox, from the mailbox's function for an organisational one, with the
mailbox's structure as the entity."""

from __future__ import annotations

from apps.accounts.models import User

from ..models import Mailbox


def sender_label(*, user: User | None, mailbox: Mailbox) -> str:
    from mss.sender import function_label, person_label

    entity = mailbox.structure.name if mailbox.structure_id and mailbox.structure else ""
    if mailbox.kind in (Mailbox.Kind.ORGANISATIONAL, Mailbox.Kind.APPLICATION):
        return function_label(function=mailbox.display_name or mailbox.address.split("@")[0], entity=entity)
    if user is None:  # the site writing for a certificate mailbox (the business tool)
        return mailbox.display_name
    exercise = user.exercises.order_by("position").first()
    given = (exercise.given_name if exercise else "") or user.first_name
    family = (exercise.family_name if exercise else "") or user.last_name
    title = (exercise.civility if exercise else "") or user.civility
    label = person_label(title_code=title, given_name=given, family_name=family, entity=entity)
    return label or user.display_name
