"""CDA R2 documents as MSSanté carries them (CI-SIS): the header a professional reads first
(type, patient with INS, authors, custodian, dates, confidentiality, replaced document) and
the body: N1 (``nonXMLBody``: a PDF or text, base64) or N3 (``structuredBody``: sections
whose narrative ``narrative.narrative_html`` renders).

A self-presentable document (a ClinicalDocument wrapped in an ``xsl:stylesheet``) is read
by taking the ClinicalDocument out: a stylesheet that came in a message is never run.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from dataclasses import dataclass, field

from lxml import etree

from mss import ins

from .errors import DocumentUnreadable
from .parties import HeaderDetails, header_details, person_name
from .safexml import xml_parse
from .timestamps import hl7_time

V3 = "urn:hl7-org:v3"
H = f"{{{V3}}}"
INS_OIDS = ins.REAL_OIDS  # by OID, the register: NIR, NIA
INS_TEST_OIDS = ins.TEST_OIDS  # test and demonstration INS (until issue 25 the demo NIR was read as a NIA)
IDNAT_OID = "1.2.250.1.71.4.2.1"
BODY_MAX_BYTES = 30 * 1024 * 1024
LEGAL_AUTHENTICATOR = "h:legalAuthenticator/h:assignedEntity/h:assignedPerson/h:name"
CUSTODIAN = "h:custodian/h:assignedCustodian/h:representedCustodianOrganization/h:name"


@dataclass(frozen=True)
class Coded:
    code: str = ""
    label: str = ""
    system: str = ""


@dataclass(frozen=True)
class Patient:
    ins: str = ""
    ins_oid: str = ""
    ins_test: bool = False  # a test or demonstration INS: shown as such
    birth_name: str = ""
    used_name: str = ""
    given_names: tuple[str, ...] = ()
    birth_date: dt.date | None = None
    sex: str = ""  # M, F, U

    @property
    def ins_register(self) -> str:
        """"INS-NIR", "INS-NIA de test"…: the register its OID names, as the viewer says it."""
        register = INS_OIDS.get(self.ins_oid) or INS_TEST_OIDS.get(self.ins_oid)
        return f"INS-{register}{' de test' if self.ins_test else ''}" if register else ""


@dataclass(frozen=True)
class Author:
    name: str = ""
    idnat: str = ""
    profession: str = ""
    organisation: str = ""
    time: dt.datetime | None = None
    kind: str = "person"  # person, device, organisation


@dataclass(frozen=True)
class Section:
    title: str
    code: Coded
    narrative: etree._Element | None
    sections: tuple[Section, ...] = ()


@dataclass(frozen=True)
class ClinicalDocument:
    type: Coded
    title: str
    effective: dt.datetime | None
    id: str
    set_id: str
    version: str
    confidentiality: Coded
    patient: Patient
    authors: tuple[Author, ...]
    custodian: str
    legal_authenticator: str
    service_event: str
    encounter: str
    replaces: str  # the id of the document this one cancels and replaces ("annule et remplace")
    body_media_type: str = ""  # N1: "application/pdf", "text/plain"...
    body_bytes: bytes = b""
    sections: tuple[Section, ...] = ()
    details: HeaderDetails = field(default_factory=HeaderDetails, repr=False)
    root: etree._Element | None = field(default=None, repr=False, compare=False)

    @property
    def level(self) -> str:
        return "N3" if self.sections else "N1"


def _text(element: etree._Element | None) -> str:
    return " ".join("".join(element.itertext()).split()) if element is not None else ""


def _find(element: etree._Element | None, path: str) -> etree._Element | None:
    if element is None:
        return None
    return element.find(path.replace("h:", H))


def _findall(element: etree._Element | None, path: str) -> list[etree._Element]:
    return [] if element is None else list(element.findall(path.replace("h:", H)))


def _attr(element: etree._Element | None, path: str, name: str) -> str:
    """An attribute of the element at ``path`` under ``element`` ("" when either is missing)."""
    found = _find(element, path) if path else element
    return (found.get(name) or "") if found is not None else ""


def _coded(element: etree._Element | None) -> Coded:
    if element is None:
        return Coded()
    return Coded(code=element.get("code") or "", label=element.get("displayName") or "",
                 system=element.get("codeSystem") or "")


def _name(element: etree._Element | None) -> str:
    return person_name(element)


def _patient(root: etree._Element) -> Patient:
    role = _find(root, "h:recordTarget/h:patientRole")
    ins, oid, test = "", "", False
    for identifier in _findall(role, "h:id"):
        root_oid = identifier.get("root") or ""
        if root_oid in INS_OIDS or root_oid in INS_TEST_OIDS:
            ins, oid, test = identifier.get("extension") or "", root_oid, root_oid in INS_TEST_OIDS
            break
    person = _find(role, "h:patient")
    name = _find(person, "h:name")
    families = _findall(name, "h:family")
    birth = next((_text(f) for f in families if f.get("qualifier") == "BR"), "")
    used = next((_text(f) for f in families if f.get("qualifier") in ("SP", "CL")), "")
    if not birth and families:
        birth = _text(families[0])
    born = hl7_time(_attr(person, "h:birthTime", "value"))
    return Patient(ins=ins, ins_oid=oid, ins_test=test, birth_name=birth.upper(), used_name=used.upper(),
                   given_names=_given_names(_findall(name, "h:given")),
                   birth_date=born.date() if born else None,
                   sex=_attr(person, "h:administrativeGenderCode", "code"))


def _given_names(givens: list[etree._Element]) -> tuple[str, ...]:
    """The birth given names, each once, in order. The CI-SIS writes them all in one
    unqualified ``given`` ("DOMINIQUE MARIE-LOUISE"), the first again with ``BR`` and the
    used one with ``CL``: concatenating every ``given`` repeated them."""
    unqualified = [_text(g) for g in givens if not g.get("qualifier")]
    words = " ".join(unqualified).split() if unqualified else []
    if not words:  # no unqualified given: the birth ones, then the others
        ordered = sorted(givens, key=lambda g: g.get("qualifier") != "BR")
        words = [_text(g) for g in ordered if _text(g)]
    seen: list[str] = []
    for word in words:
        if word.casefold() not in (w.casefold() for w in seen):
            seen.append(word)
    return tuple(seen)


def _authors(root: etree._Element) -> tuple[Author, ...]:
    found = []
    for author in _findall(root, "h:author"):
        assigned = _find(author, "h:assignedAuthor")
        idnat = next((i.get("extension") or "" for i in _findall(assigned, "h:id")
                      if i.get("root") == IDNAT_OID), "")
        organisation = _text(_find(assigned, "h:representedOrganization/h:name"))
        device = _find(assigned, "h:assignedAuthoringDevice")
        # An author may be a device (the laboratory's software) or only an organisation:
        # shown as such, never as an empty name before a dash.
        name = (_name(_find(assigned, "h:assignedPerson/h:name"))
                or " ".join(x for x in (_text(_find(device, "h:softwareName")),
                                        _text(_find(device, "h:manufacturerModelName"))) if x)
                or organisation)
        found.append(Author(name=name, idnat=idnat, profession=_attr(assigned, "h:code", "displayName"),
                            organisation="" if name == organisation else organisation,
                            time=hl7_time(_attr(author, "h:time", "value")),
                            kind="person" if _find(assigned, "h:assignedPerson") is not None
                            else "device" if device is not None else "organisation"))
    return tuple(found)


def _sections(parent: etree._Element | None) -> tuple[Section, ...]:
    return tuple(Section(title=_text(_find(s, "h:title")), code=_coded(_find(s, "h:code")),
                         narrative=_find(s, "h:text"), sections=_sections(s))
                 for s in _findall(parent, "h:component/h:section"))


def _body(root: etree._Element) -> tuple[str, bytes, tuple[Section, ...]]:
    non_xml = _find(root, "h:component/h:nonXMLBody/h:text")
    if non_xml is not None:
        media = non_xml.get("mediaType") or "text/plain"
        raw = "".join(non_xml.itertext())
        if (non_xml.get("representation") or "").upper() == "B64":
            try:
                data = base64.b64decode("".join(raw.split()), validate=True)
            except (binascii.Error, ValueError):
                data = b""
        else:
            data = raw.encode("utf-8")
        return media, data[:BODY_MAX_BYTES], ()
    return "", b"", _sections(_find(root, "h:component/h:structuredBody"))


def clinical_document(root: etree._Element) -> etree._Element:
    """The ClinicalDocument element: the root, or the one a self-presentable stylesheet
    wraps (taken out, the stylesheet never run)."""
    if root.tag == f"{H}ClinicalDocument":
        return root
    inner = next(root.iter(f"{H}ClinicalDocument"), None)
    if inner is None:
        raise DocumentUnreadable("not_cda", str(root.tag)[:100])
    return inner


def cda_read(data: bytes) -> ClinicalDocument:
    """A CDA document's header and body; ``DocumentUnreadable`` for anything else."""
    root = clinical_document(xml_parse(data))
    relation = next((r for r in _findall(root, "h:relatedDocument") if r.get("typeCode") == "RPLC"), None)
    replaced = _find(relation, "h:parentDocument/h:id")
    encounter = _find(root, "h:componentOf/h:encompassingEncounter/h:location/h:healthCareFacility")
    media, body, sections = _body(root)
    return ClinicalDocument(
        type=_coded(_find(root, "h:code")), title=_text(_find(root, "h:title")),
        effective=hl7_time(_attr(root, "h:effectiveTime", "value")),
        id=_ii(_find(root, "h:id")), set_id=_ii(_find(root, "h:setId")),
        version=_attr(root, "h:versionNumber", "value"),
        confidentiality=_coded(_find(root, "h:confidentialityCode")), patient=_patient(root),
        authors=_authors(root),
        custodian=_text(_find(root, CUSTODIAN)),
        legal_authenticator=_name(_find(root, LEGAL_AUTHENTICATOR)),
        service_event=_attr(root, "h:documentationOf/h:serviceEvent/h:code", "displayName"),
        encounter=_text(_find(encounter, "h:serviceProviderOrganization/h:name"))
        or _text(_find(encounter, "h:location/h:name")),
        replaces=_ii(replaced), body_media_type=media, body_bytes=body, sections=sections,
        details=header_details(root), root=root)


def _ii(element: etree._Element | None) -> str:
    if element is None:
        return ""
    root, extension = element.get("root") or "", element.get("extension") or ""
    return f"{root}^{extension}" if extension else root
