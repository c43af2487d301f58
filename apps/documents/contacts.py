"""Reading the contact parts of a CDA header: names (every part once), addresses in the
order they are written on an envelope, telecoms with their kind, identifiers, an
organisation with its contacts. Pure Python; ``parties`` builds on it."""

from __future__ import annotations

from lxml import etree

H = "{urn:hl7-org:v3}"
ADDRESS_ORDER = (
    "houseNumber",
    "houseNumberNumeric",
    "buildingNumberSuffix",
    "streetNameType",
    "streetName",
    "streetAddressLine",
    "additionalLocator",
    "unitID",
    "postBox",
    "postalCode",
    "city",
    "county",
    "state",
    "country",
)
TELECOM_SCHEMES = {
    "tel:": "Tel",
    "fax:": "Fax",
    "mailto:": "Adresse de messagerie",
    "http:": "Web",
    "https:": "Web",
}
PARTICIPANT_ROLES = {
    "PRF": "Exécutant",
    "REF": "Prescripteur",
    "INF": "Informateur",
    "IND": "Personne à prévenir",
    "CALLBCK": "Rappel",
    "CON": "Consultant",
    "ESC": "Escorte",
    "DIST": "Destinataire",
    "ATND": "Médecin traitant",
    "ADM": "Admission",
    "DIS": "Sortie",
    "HLD": "Détenteur",
    "LOC": "Lieu",
    "RESP": "Responsable",
    "WIT": "Témoin",
}


def _t(element: etree._Element | None) -> str:
    return " ".join("".join(element.itertext()).split()) if element is not None else ""


def _f(element: etree._Element | None, path: str) -> etree._Element | None:
    return None if element is None else element.find(path.replace("h:", H))


def _first(element: etree._Element | None, *paths: str) -> etree._Element | None:
    for path in paths:
        found = _f(element, path)
        if found is not None:
            return found
    return None


def _fa(element: etree._Element | None, path: str) -> list[etree._Element]:
    return [] if element is None else list(element.findall(path.replace("h:", H)))


def person_name(element: etree._Element | None) -> str:
    """The title (suffix: DR, PR) or else the civility (prefix: M, MME), given names, FAMILY
    names: every part once ("DR Marcel CAMPARINI", as the agency's viewer writes it)."""
    if element is None:
        return ""
    parts = {"prefix": [], "given": [], "family": [], "suffix": []}  # type: dict[str, list[str]]
    for child in element:
        tag = child.tag[len(H) :] if isinstance(child.tag, str) and child.tag.startswith(H) else ""
        text = _t(child)
        if tag in parts and text:
            text = text.upper() if tag == "family" else text
            if text not in parts[tag]:
                parts[tag].append(text)
    words = [*(parts["suffix"] or parts["prefix"]), *parts["given"], *parts["family"]]
    return " ".join(words) or _t(element)


NULL_FLAVORS = {
    "MSK": "valeur masquée",
    "NAV": "valeur temporairement indisponible",
    "UNK": "inconnu",
    "ASKU": "demandé mais inconnu",
    "NASK": "non demandé",
    "NA": "non applicable",
    "NI": "non renseigné",
}
USES = {
    "H": "Domicile",
    "HP": "Domicile",
    "HV": "Résidence secondaire",
    "WP": "Travail",
    "MC": "Mobile",
    "EC": "Urgence",
    "PG": "Bipeur",
    "TMP": "Temporaire",
    "PHYS": "Adresse physique",
    "PST": "Adresse postale",
    "DIR": "Numéro direct",
}


def _use(element: etree._Element) -> str:
    label = USES.get((element.get("use") or "").split(" ")[0], "")
    return f"{label} : " if label else ""


def address(element: etree._Element) -> str:
    """An address on one line, its use first ("Domicile : 28 Avenue…"); a masked or
    unavailable one says so, as the agency's viewer does."""
    if element.get("nullFlavor"):
        return NULL_FLAVORS.get(element.get("nullFlavor") or "", "")
    by_tag: dict[str, list[str]] = {}
    for child in element:
        tag = child.tag[len(H) :] if isinstance(child.tag, str) and child.tag.startswith(H) else ""
        if _t(child):
            by_tag.setdefault(tag, []).append(_t(child))
    ordered = [" ".join(by_tag.pop(tag)) for tag in ADDRESS_ORDER if tag in by_tag]
    ordered += [" ".join(values) for values in by_tag.values()]
    text = ", ".join(ordered) or _t(element)
    return f"{_use(element)}{text}" if text else ""


def telecom(element: etree._Element) -> str:
    """ "Tél. Mobile : 06…", "Adresse de messagerie : x@y" (a masked one says so)."""
    value = (element.get("value") or "").strip()
    if element.get("nullFlavor"):
        return NULL_FLAVORS.get(element.get("nullFlavor") or "", "")
    if not value:
        return ""
    for scheme, label in TELECOM_SCHEMES.items():
        if value.lower().startswith(scheme):
            return f"{label} {_use(element)}{value[len(scheme) :]}".replace("  ", " ")
    return value


def _contacts(element: etree._Element | None) -> tuple[tuple[str, ...], tuple[str, ...]]:
    addresses = tuple(a for a in (address(x) for x in _fa(element, "h:addr")) if a)
    telecoms = tuple(t for t in (telecom(x) for x in _fa(element, "h:telecom")) if t)
    return addresses, telecoms


def _ids(element: etree._Element | None) -> tuple[str, ...]:
    """Each identifier with its root, as the agency's viewer writes it: "80123… [1.2.250…]"."""
    return tuple(
        f"{i.get('extension')} [{i.get('root') or ''}]" if i.get("root") else str(i.get("extension"))
        for i in _fa(element, "h:id")
        if i.get("extension")
    )


def _organisation(element: etree._Element | None) -> tuple[str, tuple[str, ...]]:
    if element is None:
        return "", ()
    addresses, telecoms = _contacts(element)
    industry = _f(element, "h:standardIndustryClassCode")
    extra = (
        (industry.get("displayName") or "",) if industry is not None and industry.get("displayName") else ()
    )
    return _t(_f(element, "h:name")), (*_ids(element), *addresses, *telecoms, *extra)
