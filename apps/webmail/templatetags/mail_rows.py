"""The list's rows, written in Python: the page's biggest cost was its 50 rows through the
template engine (10.8 ms of a ~14 ms list page, issue 30: a variable lookup, an escape and
a filter call per field, a URL reversed per row). Here the words are translated and the
URLs reversed once per page, and each row is a few string joins with every value a sender
controls escaped (``conditional_escape``). What the rows look like is pinned by
``tests/unit/webmail/test_mail_rows.py`` and the browser tests that select, drag and open
them."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import template
from django.urls import reverse
from django.utils import dateformat
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import template_localtime  # type: ignore[attr-defined]
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from mss import subjects

from .mail_dates import mail_date

register = template.Library()
_UID = 987_654_321  # reversed once, then replaced by each row's uid

FLAG = ('<svg class="flag" role="img" aria-label="{label}" width="14" height="14" viewBox="0 0 24 24">'
        '<path fill="currentColor" d="M14.4 6 14 4H5v17h2v-7h5.6l.4 2h7V6z"/></svg> ')
CLIP = (' <svg class="clip" role="img" aria-label="{label}" width="14" height="14" viewBox="0 0 24 24">'
        '<path fill="currentColor" d="M16.5 6v11.5a4 4 0 0 1-8 0V5a2.5 2.5 0 0 1 5 0v10.5a1 1 0 0 1-2 0V6H10'
        'v9.5a2.5 2.5 0 0 0 5 0V5a4 4 0 0 0-8 0v12.5a5.5 5.5 0 0 0 11 0V6h-1.5Z"/></svg>')


class _Words:
    """What every row says, translated once per page (our own words: written as the
    template's ``{% translate %}`` writes them, unescaped)."""

    def __init__(self) -> None:
        self.select = _("Select")
        self.patient = _("Patient")
        self.outside_title = _(
            "This sender is outside the MSSanté trust space: check who they are before opening attachments "
            "or links.")
        self.outside = _("Outside the trust space")
        self.flag = FLAG.format(label=_("Flagged"))
        self.unreadable = _("Unreadable message — show the source")
        self.no_subject = _("(no subject)")
        self.document = _("Health document")
        self.clip = CLIP.format(label=_("Has attachments"))


def _row(m: Any, words: _Words, *, open_url: str, source_url: str, threads: bool,
         patients: dict[str, str], outside: Iterable[str]) -> str:
    e = conditional_escape
    uid = str(m.uid)
    shown = subjects.subject_shown(m.subject)
    ins = m.patient_ins
    qualified_ins = bool(ins) and ins != "?"
    unread = not m.seen or bool(getattr(m, "thread_unread", 0))
    selected = e(getattr(m, "thread_uids", uid)) if threads else uid
    parts = [f'<tr class="{"unread" if unread else ""}" data-uid="{uid}" draggable="true">\n',
             f'  <td class="col-select"><input type="checkbox" name="uid" value="{selected}" '
             f'aria-label="{words.select} {e(shown)}"></td>\n',
             '  <td class="from" title="', f"INS {e(ins)}" if qualified_ins else e(m.sender_address), '">']
    if ins:
        parts.append(f'<span class="badge badge-patient">{words.patient}</span> ')
    known = (patients or {}).get(ins, "")
    parts.append(f'<span class="patient-name">{e(known)}</span>' if known
                 else e(m.sender_name or m.sender_address))
    if qualified_ins:
        parts.append(f' <span class="muted patient-ins">· INS {e(ins)}</span>')
    if m.sender_address.lower() in outside:
        parts.append(f' <span class="badge badge-outside" title="{words.outside_title}">'
                     f'{words.outside}</span>')
    parts.append('</td>\n  <td class="subject">')
    if m.flagged:
        parts.append(words.flag)
    if m.unreadable:
        parts.append(f'<a class="open unreadable" href="{source_url.replace(str(_UID), uid)}">'
                     f'{words.unreadable}</a>')
    else:
        parts.append(f'<a class="open" href="{open_url.replace(str(_UID), uid)}">'
                     f'{e(shown or words.no_subject)}</a>')
    size = getattr(m, "thread_size", 0)
    if threads and size > 1:
        title = ngettext("%(n)s message in this conversation", "%(n)s messages in this conversation",
                         size) % {"n": size}
        parts.append(f' <span class="thread-size" title="{title}">{size}</span>')
    if m.att_xdm or m.att_cda:
        parts.append(f' <span class="badge badge-doc">{words.document}</span>')
    if m.has_attachment:
        parts.append(words.clip)
    when = dateformat.format(template_localtime(m.date), "c") if m.date else ""
    parts.append(f'</td>\n  <td class="col-date"><time datetime="{when}">{e(mail_date(m.date))}</time>'
                 '</td>\n</tr>')
    return "".join(str(p) for p in parts)


@register.simple_tag(takes_context=True)
def message_rows(context: template.Context, messages: Iterable[Any]) -> SafeString:
    """The list's rows for ``messages`` (the page's mailbox and folder, its ``threads``,
    ``patients`` and ``outside`` senders from the context)."""
    mailbox, folder = context["mailbox"], context["folder"]
    words = _Words()
    open_url = reverse("webmail:message", args=[mailbox.pk, folder.pk, _UID])
    source_url = reverse("webmail:message_source", args=[mailbox.pk, folder.pk, _UID])
    threads = bool(context.get("threads"))
    patients, outside = context.get("patients") or {}, context.get("outside") or ()
    return mark_safe("\n".join(  # noqa: S308 - every value from a message escaped in _row
        _row(m, words, open_url=open_url, source_url=source_url, threads=threads, patients=patients,
             outside=outside) for m in messages))
