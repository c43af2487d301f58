"""A biology report read as data (issue 26: CR-BIO): every laboratory observation of an N3
(IHE PaLM "Laboratory Observation", templateId 1.3.6.1.4.1.19376.1.3.1.6) with its analyte
(LOINC code and label), its value and unit, its reference range and its interpretation flag,
so that the page shows at a glance which result is abnormal — in colour and in words for
screen readers. Pure Python; what it reads is sender data, bounded by the XML parser."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from lxml import etree

from .timestamps import hl7_time

H = "{urn:hl7-org:v3}"
XSI_TYPE = "{http://www.w3.org/2001/XMLSchema-instance}type"
LAB_OBSERVATION = "1.3.6.1.4.1.19376.1.3.1.6"
RESULTS_MAX = 5000
# HL7 ObservationInterpretation: the flags a report sets, said in words.
FLAGS = {
    "N": "normal",
    "L": "bas",
    "H": "haut",
    "LL": "critique bas",
    "HH": "critique haut",
    "A": "anormal",
    "AA": "critique",
    "<": "en dessous du seuil",
    ">": "au-dessus du seuil",
    "POS": "positif",
    "NEG": "négatif",
    "IND": "indéterminé",
    "S": "sensible",
    "R": "résistant",
    "I": "intermédiaire",
}
ABNORMAL = frozenset({"L", "H", "LL", "HH", "A", "AA", "<", ">", "POS", "R"})


@dataclass(frozen=True)
class LabResult:
    code: str  # LOINC
    label: str
    value: str  # as written: "1.950", "positif", "> 90"
    unit: str
    low: str
    high: str
    range_text: str  # when the range is text only
    flag: str  # "H", "L", "N"… ("" when the report sets none)
    when: dt.datetime | None

    @property
    def abnormal(self) -> bool:
        return self.flag.upper() in ABNORMAL

    @property
    def flag_words(self) -> str:
        return FLAGS.get(self.flag.upper(), self.flag)

    @property
    def reference(self) -> str:
        if self.low and self.high:
            return f"{self.low} – {self.high}"
        if self.low:
            return f"≥ {self.low}"
        if self.high:
            return f"≤ {self.high}"
        return self.range_text


def _text(element: etree._Element | None) -> str:
    return " ".join("".join(element.itertext()).split()) if element is not None else ""


def _value(element: etree._Element | None) -> tuple[str, str]:
    """(value, unit) of an observation's value, whatever its datatype."""
    if element is None:
        return "", ""
    kind = (element.get(XSI_TYPE) or "").split(":")[-1]
    if kind in ("PQ", "INT", "REAL"):
        return element.get("value") or "", element.get("unit") or ""
    if kind in ("CD", "CE", "CV", "CO"):
        return element.get("displayName") or _text(element.find(f"{H}originalText")) or element.get(
            "code"
        ) or "", ""
    if kind == "IVL_PQ":
        low, high = element.find(f"{H}low"), element.find(f"{H}high")
        unit = (
            (low if low is not None else high).get("unit", "")
            if (low is not None or high is not None)
            else ""
        )
        parts = [
            f"≥ {low.get('value')}" if low is not None else "",
            f"≤ {high.get('value')}" if high is not None else "",
        ]
        return " ".join(p for p in parts if p), unit or ""
    if kind == "RTO":
        numerator, denominator = element.find(f"{H}numerator"), element.find(f"{H}denominator")
        return (
            f"{numerator.get('value') if numerator is not None else ''}/"
            f"{denominator.get('value') if denominator is not None else ''}",
            "",
        )
    if kind == "BL":
        return {"true": "oui", "false": "non"}.get(element.get("value") or "", ""), ""
    return _text(element) or element.get("value") or "", ""


def _range(observation: etree._Element) -> tuple[str, str, str]:
    for reference in observation.iterfind(f"{H}referenceRange/{H}observationRange"):
        value = reference.find(f"{H}value")
        if value is None:
            return "", "", _text(reference.find(f"{H}text"))
        low, high = value.find(f"{H}low"), value.find(f"{H}high")
        return (
            low.get("value", "") if low is not None else "",
            high.get("value", "") if high is not None else "",
            _text(reference.find(f"{H}text")) or _text(value),
        )
    return "", "", ""


def lab_results(root: etree._Element | None) -> tuple[LabResult, ...]:
    """Every laboratory observation of the document, in document order (bounded)."""
    if root is None:
        return ()
    found: list[LabResult] = []
    for observation in root.iter(f"{H}observation"):
        if not any(t.get("root") == LAB_OBSERVATION for t in observation.iterfind(f"{H}templateId")):
            continue
        code = observation.find(f"{H}code")
        value, unit = _value(observation.find(f"{H}value"))
        low, high, range_text = _range(observation)
        flag = observation.find(f"{H}interpretationCode")
        moment = observation.find(f"{H}effectiveTime")
        found.append(
            LabResult(
                code=(code.get("code") or "") if code is not None else "",
                label=((code.get("displayName") or "") if code is not None else "")
                or _text(code.find(f"{H}originalText") if code is not None else None),
                value=value,
                unit=unit,
                low=low,
                high=high,
                range_text=range_text,
                flag=(flag.get("code") or "") if flag is not None else "",
                when=hl7_time(moment.get("value")) if moment is not None else None,
            )
        )
        if len(found) >= RESULTS_MAX:
            break
    return tuple(found)
