"""Reads of the trust space: is an address inside the MSSanté trust space?"""

from __future__ import annotations

import datetime as dt
import functools
import re
import time
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.core.prepared import PreparedQuery
from apps.core.search import prefix_q, word_q
from mailproto.identifiers import ascii_digits, ins_valid

from .annuaire import search_key
from .models import DirectoryEntry, DirectoryImport, WhitelistDomain, WhitelistImport
from .services import WHITELIST_CACHE_KEY, WHITELIST_LOCAL
from .whitelist import normalize_domain

_LOCAL = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$")


class RecipientKind(StrEnum):
    TRUSTED = "trusted"
    PATIENT = "patient"
    OUTSIDE = "outside"
    UNVERIFIED = "unverified"  # the whitelist is not loaded: cannot say, so not sent
    MALFORMED = "malformed"


# Beyond this age the whitelist is called stale (beat refreshes it every 24 h).
WHITELIST_STALE_AFTER = dt.timedelta(hours=48)


@dataclass(frozen=True)
class WhitelistStatus:
    domains: int
    imported_at: dt.datetime | None
    last_error: str

    @property
    def empty(self) -> bool:
        return self.domains == 0

    @property
    def age_hours(self) -> float | None:
        if self.imported_at is None:
            return None
        return round((timezone.now() - self.imported_at).total_seconds() / 3600, 1)

    @property
    def stale(self) -> bool:
        return self.imported_at is None or timezone.now() - self.imported_at > WHITELIST_STALE_AFTER


def whitelist_status() -> WhitelistStatus:
    """How many domains the imported list has and when it was last imported (readiness,
    admin, the staff banner). Extra trusted domains from settings do not count."""
    last_ok = WhitelistImport.objects.filter(ok=True).order_by("-at").values_list("at", flat=True).first()
    last = WhitelistImport.objects.order_by("-at").values_list("ok", "error").first()
    error = last[1] if last and not last[0] else ""
    domains = WhitelistDomain.objects.values("name").distinct().count()
    return WhitelistStatus(domains=domains, imported_at=last_ok, last_error=error)


@dataclass(frozen=True)
class RecipientVerdict:
    address: str
    kind: RecipientKind
    message: str

    @property
    def allowed(self) -> bool:
        return self.kind in (RecipientKind.TRUSTED, RecipientKind.PATIENT)


def whitelist_names() -> frozenset[str]:
    """Every trusted domain: the imported list plus MSSANTE_EXTRA_TRUSTED_DOMAINS (test
    domains of a development stack). Cached until the next import."""
    return _imported_names() | _extra_names(tuple(settings.MSSANTE_EXTRA_TRUSTED_DOMAINS))


@functools.lru_cache(maxsize=8)
def _extra_names(domains: tuple[str, ...]) -> frozenset[str]:
    return frozenset(d for d in (normalize_domain(x) for x in domains) if d)


LOCAL_SECONDS = 30.0  # an import in another process reaches this one within this time


def _imported_names() -> frozenset[str]:
    """The imported domains: from this process's copy (every page asks; the list changes
    once a day), else the shared cache, else the database."""
    held = WHITELIST_LOCAL.get(WHITELIST_CACHE_KEY)
    if held is not None and held[0] > time.monotonic():
        return held[1]
    names = cache.get(WHITELIST_CACHE_KEY)
    if names is None:
        names = frozenset(WhitelistDomain.objects.values_list("name", flat=True).distinct())
        cache.set(WHITELIST_CACHE_KEY, names, 3600)
    names = frozenset(names)
    if names:  # an empty list (not imported yet) is asked again at each page
        WHITELIST_LOCAL[WHITELIST_CACHE_KEY] = (time.monotonic() + LOCAL_SECONDS, names)
    return names


def recipients_check(*, addresses: list[str]) -> list[RecipientVerdict]:
    """Class each recipient, with the reason in French for the compose screen."""
    trusted = whitelist_names()
    # No list imported (first start offline, every import refused): a colleague's domain
    # cannot be checked, which is not the same as being outside the trust space.
    unavailable = not _imported_names()
    patient_domain = normalize_domain(settings.MSSANTE_PATIENT_DOMAIN) or ""
    verdicts = []
    for raw in addresses:
        address = raw.strip()
        local, at, domain_part = address.rpartition("@")
        domain = normalize_domain(domain_part) if at else None
        if len(address) > 254 or not at or not local or domain is None or not _LOCAL.match(local):
            verdicts.append(RecipientVerdict(address, RecipientKind.MALFORMED,
                                             _("This is not a valid e-mail address.")))
        elif domain == patient_domain:
            if ins_valid(local):
                verdicts.append(RecipientVerdict(
                    address.lower(), RecipientKind.PATIENT,
                    _("Patient's mailbox (Mon espace santé), addressed by the INS.")))
            else:
                verdicts.append(RecipientVerdict(
                    address, RecipientKind.MALFORMED,
                    _("A patient's address is their 15-character INS: this one is not valid.")))
        elif domain in trusted:
            verdicts.append(RecipientVerdict(f"{local}@{domain}".lower(), RecipientKind.TRUSTED,
                                             _("Inside the MSSanté trust space.")))
        elif unavailable:
            verdicts.append(RecipientVerdict(
                address, RecipientKind.UNVERIFIED,
                _("The list of MSSanté trust space domains is not available at the moment, so "
                  "this address cannot be checked and the message cannot be sent to it yet. "
                  "Try again later; if this lasts, tell your administrator.")))
        else:
            verdicts.append(RecipientVerdict(
                address, RecipientKind.OUTSIDE,
                _("This domain is not in the MSSanté trust space: messages cannot be sent to it.")))
    return verdicts


# ------------------------------------------------------------------ directory search

SEARCH_FIELDS = ("address", "idnat", "family_name", "given_name", "civility", "profession_label",
                 "savoir_faire_label", "structure_name", "postcode", "city", "mailbox_type",
                 "name_key")


_ENTRY: PreparedQuery[DirectoryEntry] = PreparedQuery(
    lambda address: DirectoryEntry.objects.filter(address=address)[:1], params={"address": str})


def directory_entry_get(*, address: str) -> DirectoryEntry | None:
    """The directory's entry for an address (the reader shows who wrote), or None."""
    return _ENTRY.first(address=address.lower()) if address else None


def directory_entry_by_pk(*, pk: int) -> DirectoryEntry | None:
    """The directory's entry a contact card names, or None."""
    return DirectoryEntry.objects.filter(pk=pk).first()


def directory_search(*, query: str, profession: str = "", city: str = "",
                     limit: int = 20) -> list[DirectoryEntry]:
    """Autocomplete and directory search, accent- and case-insensitive.

    Ranking: exact national id or address first, then family-name prefix, given-name
    prefix, city or postcode, structure, profession. Each rank is its own small indexed
    query cut at ``limit``, so the cost does not grow with the directory."""
    raw = query.strip()
    tokens = search_key(raw).split()
    if not tokens and not (profession or city):
        return []
    base = DirectoryEntry.objects.only(*SEARCH_FIELDS)
    if profession:
        base = base.filter(prefix_q("profession_key", search_key(profession)))
    if city:
        key = search_key(city)
        base = base.filter(prefix_q("city_key", key) | Q(postcode__startswith=city.strip()))
    compact = raw.replace(" ", "")
    queries: list[Any] = []
    if ascii_digits(compact) and len(compact) >= 6:
        queries.append(base.filter(Q(idnat=compact) | Q(idnat="8" + compact)))
        queries.append(base.filter(prefix_q("idnat", compact) | prefix_q("idnat", "8" + compact)))
    elif "@" in raw:
        queries.append(base.filter(address=raw.lower()))
        queries.append(base.filter(prefix_q("address", raw.lower())))
    elif tokens:
        first, rest = tokens[0], tokens[1:]
        others = Q()
        for token in rest:
            others &= (word_q("name_key", token) | word_q("city_key", token)
                       | word_q("structure_key", token) | word_q("profession_key", token)
                       | Q(postcode__startswith=token))
        full = " ".join(tokens)
        queries.append(base.filter(prefix_q("name_key", full)).order_by("name_key"))
        if len(tokens) > 1:  # "Claire Martin": given name first, as people type it
            reordered = " ".join(tokens[-1:] + tokens[:-1])
            queries.append(base.filter(prefix_q("name_key", reordered)).order_by("name_key"))
        queries.append(base.filter(prefix_q("name_key", first), others).order_by("name_key"))
        queries.append(base.filter(prefix_q("given_key", first), others).order_by("given_key", "name_key"))
        queries.append(base.filter(prefix_q("city_key", first) | Q(postcode__startswith=first),
                                   others).order_by("name_key"))
        queries.append(base.filter(prefix_q("structure_key", first), others).order_by("name_key"))
        queries.append(base.filter(prefix_q("profession_key", first), others).order_by("name_key"))
    else:
        queries.append(base.order_by("name_key"))
    # SQLite walks the range index in order; PostgreSQL's pattern index (what serves a
    # prefix LIKE) cannot also give the order, so there each rank takes the first matches
    # it meets and orders that handful itself, instead of sorting thousands of rows.
    ordered_by_database = connection.vendor == "sqlite"
    found: dict[int, DirectoryEntry] = {}
    for rank_query in queries:
        if len(found) >= limit:
            break
        if not ordered_by_database:
            rank_query = rank_query.order_by()
        batch = list(rank_query[:limit])
        if not ordered_by_database:
            batch.sort(key=lambda e: (e.name_key, e.address))
        for entry in batch:
            found.setdefault(entry.pk, entry)
    return list(found.values())[:limit]


def directory_extracted_at() -> dt.datetime | None:
    """The date of the directory extraction last imported (None before the first)."""
    return DirectoryImport.objects.values_list("extracted_at", flat=True).first()
