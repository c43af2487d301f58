"""The directory's use cases (annuaire santé): the search page, a contact card, the compose
field's suggestions (recent correspondents, the user's own patients, the directory), and
one recipient's trust-space verdict for its chip."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext as _

from apps.core.errors import NotFound
from apps.mail.selectors import correspondents_search, mailbox_list_for_user
from apps.patients.selectors import patient_search
from apps.trust.models import DirectoryEntry
from apps.trust.selectors import directory_entry_by_pk, directory_search, recipients_check

from .actor import Actor
from .selectors import recipient_names

Suggestion = dict[str, str]


def directory_page_get(*, query: str, profession: str, city: str) -> list[DirectoryEntry]:
    """The directory's entries for the search page's fields (none until one is filled)."""
    if not (query.strip() or profession.strip() or city.strip()):
        return []
    return directory_search(query=query, profession=profession, city=city, limit=30)


def contact_get(*, pk: int) -> DirectoryEntry:
    entry = directory_entry_by_pk(pk=pk)
    if entry is None:
        raise NotFound(f"directory entry {pk}")
    return entry


def suggestions_get(*, actor: Actor, query: str) -> list[Suggestion]:
    """The compose "À" field's autocomplete, ten at most: two recent correspondents, then
    the user's own patients (the address built from the INS, Mon espace santé), the other
    recent correspondents, then the directory's people (not the user's own mailboxes)."""
    if len(query.strip()) < 2:
        return []
    mailboxes = list(mailbox_list_for_user(user=actor.user))
    mine = {m.address for m in mailboxes}
    results = [
        {
            "address": c.address,
            "name": c.name or c.address,
            "city": "",
            "postcode": "",
            "profession": (_("Patient · INS %(ins)s") % {"ins": c.patient_ins})
            if c.patient_ins
            else _("Recent correspondent"),
            "structure": "",
        }
        for c in correspondents_search(mailboxes=mailboxes, query=query, limit=4)
    ]
    seen = {r["address"] for r in results}
    domain = settings.MSSANTE_PATIENT_DOMAIN
    patients = [
        {
            "address": f"{p.matricule}@{domain}".lower(),
            "name": p.display_name,
            "profession": _("Patient · born %(born)s · INS %(ins)s")
            % {"born": p.birth_date.strftime("%d/%m/%Y"), "ins": p.matricule},
            "structure": "",
            "city": "",
            "postcode": "",
        }
        for p in patient_search(owner=actor.user, query=query, limit=4)
    ]
    results = results[:2] + [p for p in patients if p["address"] not in seen] + results[2:]
    seen = {r["address"] for r in results}
    results += [
        {
            "address": e.address,
            "name": e.display_name,
            "profession": e.profession_label,
            "structure": e.structure_name,
            "city": e.city,
            "postcode": e.postcode,
        }
        for e in directory_search(query=query, limit=8)
        if e.address not in mine and e.address not in seen
    ]
    return results[:10]


def recipient_chip_get(*, actor: Actor, address: str) -> dict[str, object]:
    """One recipient's trust-space verdict and name, for the chip the compose field shows."""
    verdict = recipients_check(addresses=[address])[0]
    name = recipient_names(user=actor.user, addresses=[verdict.address]).get(verdict.address, "")
    return {
        "address": verdict.address,
        "kind": verdict.kind.value,
        "name": name,
        "message": verdict.message,
        "allowed": verdict.allowed,
    }
