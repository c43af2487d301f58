"""The professional's own pages as use cases: the profile (identity, professions,
structures, mailboxes, session), the settings (a signature per mailbox, senders whose images
are shown) and a mailbox's out-of-office reply (read from and written to the operator's
server through ManageSieve: server down or refusing, the French reason, nothing lost)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from apps.accounts.selectors import SessionInfo, exercise_list_for_user, session_info_get
from apps.core.errors import ApplicationError
from apps.mail.models import ImageSender, Mailbox
from apps.mail.selectors import mailbox_list_for_user
from apps.mail.services import vacation_available, vacation_get, vacation_set
from apps.structures.selectors import membership_list_for_user
from apps.trust.selectors import directory_extracted_at
from mailproto.sieve import Vacation

from .actor import Actor, actor_access, actor_audit, actor_mailbox
from .preferences import image_sender_remove, signature_set
from .selectors import directory_mailboxes_for_user, image_senders_list, signatures_for_user


@dataclass(frozen=True)
class ProfilePage:
    exercises: list[Any]
    memberships: list[Any]
    mailboxes: list[Mailbox]
    from_directory: list[str]
    directory_extracted_at: dt.datetime | None
    session_info: SessionInfo


def profile_get(*, actor: Actor) -> ProfilePage:
    user = actor.user
    return ProfilePage(
        exercises=list(exercise_list_for_user(user=user)),
        memberships=list(membership_list_for_user(user=user)),
        mailboxes=list(mailbox_list_for_user(user=user)),
        from_directory=directory_mailboxes_for_user(user=user),
        directory_extracted_at=directory_extracted_at(),
        session_info=session_info_get(session=actor.session),
    )


@dataclass(frozen=True)
class SettingsPage:
    saved: str = ""  # what was saved, said to the user (a POST then redirects)
    rows: list[tuple[Mailbox, str]] = field(default_factory=list)  # each mailbox and its signature
    image_senders: list[ImageSender] = field(default_factory=list)


def settings_run(
    *, actor: Actor, forget: str | None = None, signatures: dict[int, str] | None = None
) -> SettingsPage:
    """The settings page, or what it posted saved: ``forget``, a sender whose images are
    blocked again; ``signatures``, the text for each mailbox (by id) the form holds."""
    user = actor.user
    mailboxes = list(mailbox_list_for_user(user=user).exclude(kind=Mailbox.Kind.APPLICATION))
    if forget:
        image_sender_remove(user=user, address=forget)
        return SettingsPage(saved=_("Images from %(sender)s will be blocked again.") % {"sender": forget})
    if signatures is not None:
        for mailbox in mailboxes:
            if mailbox.pk in signatures:
                signature_set(user=user, mailbox=mailbox, text=signatures[mailbox.pk])
        return SettingsPage(saved=_("Settings saved."))
    texts = signatures_for_user(user=user, mailboxes=mailboxes)
    return SettingsPage(
        rows=[(m, texts[m.pk]) for m in mailboxes], image_senders=image_senders_list(user=user)
    )


@dataclass(frozen=True)
class VacationPost:
    """What the out-of-office form posted: turned on with ``vacation`` (or ``errors`` to
    show, with the ``values`` typed), or off (``vacation`` None, no errors)."""

    on: bool
    vacation: Vacation | None = None
    errors: list[str] = field(default_factory=list)
    values: dict[str, str] = field(default_factory=dict)


@dataclass
class VacationPage:
    mailbox: Mailbox
    available: bool
    errors: list[str] = field(default_factory=list)
    values: dict[str, str] = field(default_factory=dict)
    enabled: bool = False
    running: bool = False
    unreachable: bool = False
    status: int = 200
    saved: str = ""  # turned on or off: said to the user, and the page reloaded


def _vacation_values(current: Vacation | None, today: dt.date) -> dict[str, str]:
    if current is not None:
        return {
            "start": current.start.isoformat() if current.start else "",
            "end": current.end.isoformat() if current.end else "",
            "subject": current.subject,
            "text": current.text,
            "days": str(current.days),
        }
    return {
        "start": today.isoformat(),
        "end": "",
        "subject": _("Out of office"),
        "text": _(
            "Hello,\n\nI am away and will read your message when I am back.\n"
            "For anything urgent, please contact my practice or my replacement.\n"
        ),
        "days": "7",
    }


def vacation_run(
    *, actor: Actor, mailbox_id: int, today: dt.date, post: VacationPost | None = None
) -> VacationPage:
    """A mailbox's out-of-office reply as set on the server, or ``post`` written to it."""
    mailbox = actor_mailbox(actor, mailbox_id, write=True)
    page = VacationPage(mailbox=mailbox, available=vacation_available(mailbox=mailbox))
    if not page.available:
        return page
    access = actor_access(actor, mailbox)
    if post is not None:
        if post.errors:
            page.errors, page.values, page.enabled, page.status = post.errors, post.values, True, 400
            return page
        try:
            vacation_set(access=access, vacation=post.vacation if post.on else None)
        except ApplicationError as exc:
            page.errors, page.values, page.enabled, page.status = (
                [exc.user_message],
                post.values,
                post.on,
                503,
            )
            return page
        actor_audit(actor, event="vacation_changed", mailbox=mailbox, outcome="on" if post.on else "off")
        page.saved = _("Out-of-office reply turned on.") if post.on else _("Out-of-office reply turned off.")
        return page
    try:
        current = vacation_get(access=access)
    except ApplicationError as exc:
        page.errors, page.unreachable, current = [exc.user_message], True, None
    page.values, page.enabled = _vacation_values(current, today), current is not None
    page.running = current is not None and current.active_on(today)
    return page
