"""The out-of-office reply, kept where the operator's server runs it: a Sieve script put
over ManageSieve (``mailproto.sieve``). The mailbox row remembers whether it is on and its
dates, for the folder pane; the server's script is what is read when the page opens."""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy

from apps.core.errors import MailServerUnavailable
from mailproto.sieve import (
    SCRIPT_NAME,
    SieveAuthError,
    SieveError,
    SieveSession,
    SieveUnavailable,
    Vacation,
    sieve_connect,
    vacation_from_script,
    vacation_script,
)

from ..endpoints import mailbox_sieve_endpoint
from ..engine.access import MailAccess, authenticated_open
from ..models import Mailbox

logger = logging.getLogger(__name__)


class VacationRefused(MailServerUnavailable):
    """The server would not take the script (its reason is logged)."""

    default_message = gettext_lazy(
        "Your operator did not accept the out-of-office reply. Try again in a few moments; "
        "if it goes on, set it with your operator.")


def vacation_available(*, mailbox: Mailbox) -> bool:
    """Whether this site can set the reply (the operator offers ManageSieve)."""
    return bool(settings.MSSANTE_SIEVE_PORT) and mailbox.auth_mode != Mailbox.AuthMode.CLIENT_CERTIFICATE


def _session(access: MailAccess) -> SieveSession:
    return authenticated_open(access=access, what="ManageSieve", refused=SieveAuthError,
                              unavailable=SieveUnavailable,
                              use=lambda credentials: sieve_connect(
                                  mailbox_sieve_endpoint(mailbox=access.mailbox), credentials))


def _utc_offset(day: dt.date | None) -> str:
    """The site's time zone's offset at noon on ``day`` ("+0100", "+0200" in summer)."""
    if day is None:
        return ""
    noon = dt.datetime.combine(day, dt.time(12), tzinfo=timezone.get_current_timezone())
    return noon.strftime("%z")


def vacation_get(*, access: MailAccess) -> Vacation | None:
    """The reply as set on the server (None when off or set by other means)."""
    session = _session(access)
    try:
        ours = next((s for s in session.scripts() if s.name == SCRIPT_NAME), None)
        if ours is None or not ours.active:
            return None
        return vacation_from_script(session.script_get(SCRIPT_NAME))
    except SieveError as exc:
        raise MailServerUnavailable(str(exc)) from exc
    finally:
        session.close()


def vacation_set(*, access: MailAccess, vacation: Vacation | None) -> None:
    """Turn the reply on with ``vacation`` (the user's active filters kept, included first)
    or off (``None``: their own script, if any, active again)."""
    mailbox = access.mailbox
    session = _session(access)
    try:
        scripts = session.scripts()
        active = next((s.name for s in scripts if s.active), "")
        previous = None
        if any(s.name == SCRIPT_NAME for s in scripts):
            previous = vacation_from_script(session.script_get(SCRIPT_NAME))
        theirs = previous.includes if previous and active == SCRIPT_NAME else (
            active if active != SCRIPT_NAME else "")
        if vacation is None:
            session.script_activate(theirs)  # "" deactivates: nothing of ours runs
        else:
            addresses = tuple(dict.fromkeys([mailbox.address.lower(), *vacation.addresses]))
            script = vacation_script(Vacation(
                subject=vacation.subject, text=vacation.text, start=vacation.start, end=vacation.end,
                days=vacation.days, addresses=addresses, includes=theirs,
                start_zone=_utc_offset(vacation.start), end_zone=_utc_offset(vacation.end)))
            session.script_put(SCRIPT_NAME, script)
            session.script_activate(SCRIPT_NAME)
    except SieveError as exc:
        logger.warning("out-of-office reply of %s not changed: %s", mailbox.address, exc)
        raise VacationRefused(str(exc)) from exc
    finally:
        session.close()
    Mailbox.objects.filter(pk=mailbox.pk).update(
        vacation_enabled=vacation is not None, vacation_start=vacation.start if vacation else None,
        vacation_end=vacation.end if vacation else None)
    logger.info("out-of-office reply of %s turned %s", mailbox.address, "on" if vacation else "off")
