"""The agency's value sets (CI-SIS ``JDV_*``, SVS files shipped in ``valuesets/`` as the
agency publishes them): codes and labels of what we produce are read from them, never
retyped. J07 document types, J01 author specialties, J02 healthcare facility types, J04
practice settings.

Two tables the agency publishes are not in the material we have (shared/): the class codes
of TRE_A03 (JDV_J06) and the type → class association ASS_X04. ``CLASS_OF_TYPE`` holds
the association for the types compose offers, from the published TRE_A03; replace it with
the ASS_X04 file when it is shipped (said in docs/architecture.md).
"""

from __future__ import annotations

import functools
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from .safexml import xml_parse

HERE = Path(__file__).resolve().parent / "valuesets"
SVS = "{urn:ihe:iti:svs:2008}"
FILES = {
    "J01": "JDV_J01_XdsAuthorSpecialty_CISIS.xml",
    "J02": "JDV_J02_XdsHealthcareFacilityTypeCode_CISIS.xml",
    "J04": "JDV_J04_XdsPracticeSettingCode_CISIS.xml",
    "J07": "JDV_J07_XdsTypeCode_CISIS.xml",
    "ChecklistDLU": "JDV_ChecklistDLU_CISIS.xml",  # documents joined to a DLU
    "ChecklistFLUDR": "JDV_ChecklistFLUDR_CISIS.xml",  # documents joined to a FLUDR
    "EtatPatient": "JDV_ObservationEtatPatient_CISIS.xml",  # a resident's state (DLU)
}
TRE_A03 = "1.2.250.1.213.1.1.4.1"
CLASSES = {
    "10": "Compte rendu",
    "11": "Synthèse",
    "31": "Imagerie médicale",
    "42": "Prescription",
    "44": "Plan de soins, protocole de soins",
    "95": "Document de gestion",
}
CLASS_OF_TYPE = {
    "11502-2": "10",
    "18748-4": "31",
    "11490-0": "11",
    "18761-7": "11",
    "34133-9": "11",
    "60591-5": "11",
    "57833-6": "42",
    "18776-5": "44",
    "74207-2": "11",
    "11369-6": "11",
    "51969-4": "10",
    "85208-7": "10",
    "83981-1": "11",
    "88348-8": "11",
    "28653-4": "95",
    "34842-5": "95",
    "80788-3": "44",
}


@dataclass(frozen=True)
class Concept:
    code: str
    system: str
    label: str


@functools.cache
def value_set(name: str) -> dict[str, Concept]:
    """The concepts of ``name`` (a key of ``FILES``) by code, in the file's order."""
    root = xml_parse((HERE / FILES[name]).read_bytes())
    return {
        node.get("code") or "": Concept(
            node.get("code") or "", node.get("codeSystem") or "", node.get("displayName") or ""
        )
        for node in root.iter(f"{SVS}Concept")
    }


def document_class(type_code: str) -> Concept:
    """The XDS classCode (TRE_A03) of a J07 document type; "Compte rendu" when unknown."""
    code = CLASS_OF_TYPE.get(type_code, "10")
    return Concept(code, TRE_A03, CLASSES[code])


def _plain(label: str) -> str:
    """A label compared loosely: no accents, no case, no parenthesised precision."""
    label = label.split("(")[0]
    return (
        "".join(c for c in unicodedata.normalize("NFKD", label) if not unicodedata.combining(c))
        .casefold()
        .strip()
    )


def author_specialty(
    *, profession_code: str, profession_label: str = "", expertise_code: str = ""
) -> Concept:
    """The J01 code of a professional as PSC describes them: their health profession with
    its specialty (``G15_10/SM54``), or alone (``G15_10``), or the social or medico-social
    profession or role of the same name (TRE_R94 and TRE_R85 share names, J01 lists R85),
    else "Autre professionnel" (312)."""
    j01 = value_set("J01")
    for code in (
        f"G15_{profession_code}/{expertise_code}" if expertise_code else "",
        f"G15_{profession_code}",
        profession_code,
    ):
        if code and code in j01:
            return j01[code]
    if profession_label:
        wanted = _plain(profession_label)
        for concept in j01.values():
            if _plain(concept.label) == wanted:
                return concept
    return j01["312"]


AMBULATORY_OR_ESTABLISHMENT = {
    "ETABLISSEMENT": {"SA01", "SA02", "SA03", "SA04", "SA30", "SA34", "SA36", "SA53"},
    "ESSMS": {"SA16", "SA17", "SA18", "SA20", "SA21", "SA41"},
}


def facility_type(code: str) -> Concept:
    """A J02 facility type (the structure's TRE_R02 sector is one); "Cabinet individuel"
    for a professional without a known one."""
    j02 = value_set("J02")
    return j02.get(code) or j02["SA07"]


def practice_setting(*, facility: str, chosen: str = "") -> Concept:
    """The J04 practice setting: the one chosen, else deduced from the facility type
    (a hospital: établissement; an EHPAD or another ESSMS: ESSMS; otherwise ambulatoire)."""
    j04 = value_set("J04")
    if chosen in j04:
        return j04[chosen]
    for setting, facilities in AMBULATORY_OR_ESTABLISHMENT.items():
        if facility in facilities:
            return j04[setting]
    return j04["AMBULATOIRE"]
