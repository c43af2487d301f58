"""Everything else a CDA header says about who and where (issue 23: what the agency's viewer
shows, we show): the patient's addresses, telecoms and birth place, guardians, informants and
participants, each author with their title and structure, the legal authenticator, the act
(service event with its performers and dates), the encounter and its location, the
custodian, related documents. Read into frozen dataclasses; every value is text, rendered
escaped by the page. Pure Python."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from lxml import etree

from mss import ins

from .contacts import (
    PARTICIPANT_ROLES,
    _contacts,
    _f,
    _fa,
    _first,
    _ids,
    _organisation,
    _t,
    address,
    person_name,
)
from .timestamps import hl7_time


@dataclass(frozen=True)
class Party:
    """A person, an organisation or a device named in the header."""

    role: str = ""  # the role as the document says it (function, code label, participation)
    name: str = ""  # "MME Claire MARTIN DR", an organisation's or a device's name
    kind: str = "person"  # person, organisation, device
    ids: tuple[str, ...] = ()
    addresses: tuple[str, ...] = ()
    telecoms: tuple[str, ...] = ()  # "Tél. 01 44 53 45 51", "Courriel a@b.fr"
    organisation: str = ""
    organisation_details: tuple[str, ...] = ()  # its address and telecoms, one per line
    time: dt.datetime | None = None
    code: str = ""  # the role's code, "(G15_10/SM03)" in the page


@dataclass(frozen=True)
class Period:
    low: dt.datetime | None = None
    high: dt.datetime | None = None


@dataclass(frozen=True)
class Act:
    """The service event (documentationOf), or the encounter (componentOf)."""

    label: str = ""
    ids: tuple[str, ...] = ()
    period: Period = Period()
    performers: tuple[Party, ...] = ()
    place: str = ""  # the location's name and facility type
    place_details: tuple[str, ...] = ()


@dataclass(frozen=True)
class HeaderDetails:
    patient_addresses: tuple[str, ...] = ()
    patient_telecoms: tuple[str, ...] = ()
    birth_place: str = ""  # "DOMPREMY (code INSEE 51215)"
    patient_ids: tuple[str, ...] = ()  # other than the INS: the structure's file number (IPP)…
    guardians: tuple[Party, ...] = ()
    informants: tuple[Party, ...] = ()
    participants: tuple[Party, ...] = ()
    authors: tuple[Party, ...] = ()
    legal_authenticator: Party | None = None
    authenticators: tuple[Party, ...] = ()
    custodian: Party | None = None
    recipients: tuple[Party, ...] = ()
    service_events: tuple[Act, ...] = ()
    encounter: Act | None = None
    related: tuple[str, ...] = ()  # "Document remplacé : X [1.2.3]"
    consents: tuple[str, ...] = ()  # what the patient agreed to or refused (authorization/consent)
    orders: tuple[str, ...] = ()  # the prescription(s) fulfilled: "Id : … · AccessionNumber : …"


def _time(element: etree._Element | None) -> dt.datetime | None:
    stamp = _f(element, "h:time")
    if stamp is None:
        return None
    value = stamp.get("value") or ""
    for bound in ("h:low", "h:high"):
        found = _f(stamp, bound)
        if not value and found is not None:
            value = found.get("value") or ""
    return hl7_time(value)


def party(element: etree._Element | None, *, role: str = "") -> Party | None:
    """A participation (author, participant, performer…) read from its role element: the
    person, else the organisation, else the device, with their contacts."""
    if element is None:
        return None
    person = None
    for tag in (
        "h:assignedPerson",
        "h:associatedPerson",
        "h:informationRecipient",
        "h:guardianPerson",
        "h:relatedPerson",
        "h:playingEntity",
    ):
        person = _f(element, tag)
        if person is not None:
            break
    device = _f(element, "h:assignedAuthoringDevice")
    organisation_element = None
    for tag in (
        "h:representedOrganization",
        "h:scopingOrganization",
        "h:receivedOrganization",
        "h:guardianOrganization",
    ):
        organisation_element = _f(element, tag)
        if organisation_element is not None:
            break
    organisation, organisation_details = _organisation(organisation_element)
    addresses, telecoms = _contacts(element)
    code = _f(element, "h:code")
    label = role or (code.get("displayName") or "" if code is not None else "")
    code_value = (code.get("code") or "") if code is not None and not role else ""
    # with a role given (function, participation), the person's own code is a line of its own
    qualification = (
        f"({code.get('code')}) {code.get('displayName') or ''}".strip()
        if code is not None and role and code.get("code")
        else ""
    )
    if person is not None and person_name(_f(person, "h:name")):
        return Party(
            role=label,
            code=code_value,
            name=person_name(_f(person, "h:name")),
            ids=(*_ids(element), *((qualification,) if qualification else ())),
            addresses=addresses,
            telecoms=telecoms,
            organisation=organisation,
            organisation_details=organisation_details,
        )
    if device is not None:
        name = " ".join(
            x for x in (_t(_f(device, "h:softwareName")), _t(_f(device, "h:manufacturerModelName"))) if x
        )
        return Party(
            role=label,
            code=code_value,
            name=name or "Logiciel",
            kind="device",
            ids=_ids(element),
            addresses=addresses,
            telecoms=telecoms,
            organisation=organisation,
            organisation_details=organisation_details,
        )
    if organisation or _t(_f(element, "h:name")):
        return Party(
            role=label,
            code=code_value,
            name=organisation or _t(_f(element, "h:name")),
            kind="organisation",
            ids=_ids(element),
            addresses=addresses or organisation_details,
            telecoms=telecoms,
        )
    return None


def _parties(elements: list[etree._Element], inner: str, role: str = "") -> tuple[Party, ...]:
    found = []
    for element in elements:
        function = _f(element, "h:functionCode")
        label = role or PARTICIPANT_ROLES.get(element.get("typeCode") or "", "")
        if function is not None and not role:
            label = function.get("displayName") or label
        item = party(_f(element, inner), role=label)
        if item is not None:
            moment = _time(element)
            found.append(Party(**{**item.__dict__, "time": moment}) if moment else item)
    return tuple(found)


def _period(element: etree._Element | None) -> Period:
    if element is None:
        return Period()
    low, high = _f(element, "h:low"), _f(element, "h:high")
    if low is None and high is None and element.get("value"):
        return Period(low=hl7_time(element.get("value")))
    return Period(
        low=hl7_time(low.get("value")) if low is not None else None,
        high=hl7_time(high.get("value")) if high is not None else None,
    )


def _act(event: etree._Element) -> Act:
    code = _f(event, "h:code")
    label = (code.get("displayName") or code.get("code") or "") if code is not None else ""
    if code is not None and code.get("displayName") and code.get("code"):
        label = f"{label} ({code.get('code')})"
    performers = _parties(_fa(event, "h:performer"), "h:assignedEntity")
    return Act(
        label=label, ids=_ids(event), period=_period(_f(event, "h:effectiveTime")), performers=performers
    )


def _encounter(root: etree._Element) -> Act | None:
    encounter = _f(root, "h:componentOf/h:encompassingEncounter")
    if encounter is None:
        return None
    act = _act(encounter)
    facility = _f(encounter, "h:location/h:healthCareFacility")
    kind = _f(facility, "h:code")
    place = _f(facility, "h:location")
    provider = _f(facility, "h:serviceProviderOrganization")
    names = [
        _t(_f(place, "h:name")),
        _t(_f(provider, "h:name")),
        (kind.get("displayName") or "") if kind is not None else "",
    ]
    details = [*(address(a) for a in _fa(place, "h:addr")), *_organisation(provider)[1]]
    responsible = _parties(_fa(encounter, "h:responsibleParty"), "h:assignedEntity", role="Responsable")
    participants = _parties(_fa(encounter, "h:encounterParticipant"), "h:assignedEntity")
    return Act(
        label=act.label,
        period=act.period,
        performers=(*responsible, *participants),
        place=" — ".join(n for n in names if n),
        place_details=tuple(d for d in details if d),
    )


def header_details(root: etree._Element) -> HeaderDetails:
    """What the header says beyond the summary fields of ``cda.ClinicalDocument``."""
    role = _f(root, "h:recordTarget/h:patientRole")
    patient = _f(role, "h:patient")
    addresses, telecoms = _contacts(role)
    place = _f(patient, "h:birthplace/h:place")
    place_addr = _f(place, "h:addr")
    city, county = _t(_f(place_addr, "h:city")), _t(_f(place_addr, "h:county"))
    birth_place = " ".join(
        x for x in (city or _t(_f(place, "h:name")), f"(code INSEE {county})" if county else "") if x
    )
    ins_roots = tuple(ins.OIDS)
    patient_ids = tuple(
        i
        for i, element in zip(_ids(role), (x for x in _fa(role, "h:id") if x.get("extension")), strict=True)
        if element.get("root") not in ins_roots
    )
    guardians = tuple(
        p for p in (party(g, role="Représentant du patient") for g in _fa(patient, "h:guardian")) if p
    )
    informants = tuple(
        p
        for p in (
            party(_first(i, "h:relatedEntity", "h:assignedEntity"), role=_informant_role(i))
            for i in _fa(root, "h:informant")
        )
        if p
    )
    legal = _f(root, "h:legalAuthenticator")
    legal_party = party(_f(legal, "h:assignedEntity"), role="Signataire légal")
    if legal_party is not None and _time(legal):
        legal_party = Party(**{**legal_party.__dict__, "time": _time(legal)})
    custodian = _f(root, "h:custodian/h:assignedCustodian/h:representedCustodianOrganization")
    custodian_party = None
    if custodian is not None:
        c_addresses, c_telecoms = _contacts(custodian)
        custodian_party = Party(
            role="Organisation chargée de la conservation du document",
            name=_t(_f(custodian, "h:name")),
            kind="organisation",
            ids=_ids(custodian),
            addresses=c_addresses,
            telecoms=c_telecoms,
        )
    related = []
    for relation in _fa(root, "h:relatedDocument"):
        parent = _f(relation, "h:parentDocument/h:id")
        if parent is not None:
            verb = {
                "RPLC": "Document remplacé :",
                "APND": "Document complété :",
                "XFRM": "Document transformé :",
            }.get(relation.get("typeCode") or "", "Document lié :")
            related.append(
                f"{verb} {parent.get('extension') or ''} [{parent.get('root') or ''}]".replace(" []", "")
            )
    authors = tuple(p for p in (_author(a) for a in _fa(root, "h:author")) if p)
    consents = tuple(
        label
        for label in (
            _attr_label(_f(c, "h:consent/h:code")) or _t(_f(c, "h:consent/h:text"))
            for c in _fa(root, "h:authorization")
        )
        if label
    )
    orders = tuple(_order(order) for order in _fa(root, "h:inFulfillmentOf/h:order"))
    return HeaderDetails(
        patient_addresses=addresses,
        patient_ids=patient_ids,
        patient_telecoms=telecoms,
        birth_place=birth_place,
        guardians=guardians,
        informants=informants,
        participants=_parties(_fa(root, "h:participant"), "h:associatedEntity"),
        authors=authors,
        legal_authenticator=legal_party,
        authenticators=_parties(_fa(root, "h:authenticator"), "h:assignedEntity", role="Approbateur"),
        custodian=custodian_party,
        recipients=_parties(
            _fa(root, "h:informationRecipient"), "h:intendedRecipient", role="Destinataire prévu"
        ),
        service_events=tuple(_act(e) for e in _fa(root, "h:documentationOf/h:serviceEvent")),
        encounter=_encounter(root),
        related=tuple(related),
        consents=consents,
        orders=tuple(o for o in orders if o),
    )


def _author(element: etree._Element) -> Party | None:
    found = party(_f(element, "h:assignedAuthor"))
    if found is None:
        return None
    moment = _time(element)
    return Party(**{**found.__dict__, "time": moment}) if moment else found


def _order(order: etree._Element) -> str:
    """A prescription the document fulfils: its ids, and the imaging accession number."""
    parts = [f"Id : {i.get('extension') or ''} [{i.get('root') or ''}]" for i in _fa(order, "h:id")]
    parts += [
        f"AccessionNumber : {a.get('extension') or ''} [{a.get('root') or ''}]"
        for a in order
        if isinstance(a.tag, str) and a.tag.endswith("}accessionNumber")
    ]
    return " · ".join(parts)


def _attr_label(code: etree._Element | None) -> str:
    return (code.get("displayName") or "") if code is not None else ""


INFORMANT_CLASSES = {
    "ECON": "Contact en cas d'urgence",
    "NOK": "Personne de confiance",
    "CAREGIVER": "Aidant",
    "GUARD": "Tuteur",
    "PRS": "Proche",
}


def _informant_role(element: etree._Element) -> str:
    """What the person is to the patient: "Personne de confiance (Soeur)"."""
    related = _f(element, "h:relatedEntity")
    kind = (
        INFORMANT_CLASSES.get(related.get("classCode") or "", "Informateur")
        if related is not None
        else ("Informateur")
    )
    code = _f(related, "h:code")
    if code is not None and code.get("displayName"):
        return f"{kind} ({code.get('displayName')})"
    return kind
