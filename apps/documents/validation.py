"""The agency's own conformance pipeline, run here (issue 23): what a receiving LPS checks
before it integrates a CDA.

A document is checked against the CDA R2 schema with the French extensions
(``infrastructure/cda/CDA_extended.xsd``, through lxml) and against the agency's ISO
schematrons: structuration minimale, IHE, CI-SIS content modules, ANS modules,
terminologies, and the volet's own schematron when there is one. A schematron is compiled the
ISO way (include → abstract expand → SVRL skeleton for XSLT 2, the ``moteur/`` stylesheets the
agency ships) with Saxon (``saxonche``: lxml's XSLT 1 cannot run them); the compiled XSLT is
written once beside its source in a private copy of the material, then kept compiled in the
process. The copy exists because the material is read-only and incomplete upstream (its
SOURCES.md): the structuration minimale reads a JDV_J07 value set in ``voc-*.xml`` form that
is not shipped, generated here from the SVS file.

Pure Python, no Django: the material and the cache folder are given by the caller.
"""

from __future__ import annotations

import hashlib
import shutil
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from .safexml import xml_parse

SVRL = "{http://purl.oclc.org/dsdl/svrl}"
SVS = "{urn:ihe:iti:svs:2008}"
V3 = "{urn:hl7-org:v3}"
XSD = "infrastructure/cda/CDA_extended.xsd"
J07_SVS = "jeuxDeValeurs/JDV_J07_XdsTypeCode_CISIS.xml"
J07_VOC = "schematrons/profils/structurationMinimale/include/voc-1.2.250.1.213.1.1.5.471-DYNAMIC.xml"
PROFILES: tuple[tuple[str, str], ...] = (
    ("structuration minimale", "schematrons/profils/structurationMinimale/ASIP-STRUCT-MIN-StrucMin.sch"),
    ("IHE", "schematrons/profils/IHE.sch"),
    ("CI-SIS modèles de contenus", "schematrons/profils/CI-SIS_ModelesDeContenusCDA.sch"),
    ("CI-SIS modèles ANS", "schematrons/profils/CI-SIS_Modeles_ANS.sch"),
    ("terminologies", "schematrons/profils/terminologies/schematron/terminologie.sch"),
)
# The volet schematron each document template calls for (its templateId, the volet's own).
VOLETS: dict[str, str] = {
    "1.2.250.1.213.1.1.1.22": "schematrons/CI-SIS_DLU-EHPAD-DLU_2022.01.sch",
    "1.2.250.1.213.1.1.1.23": "schematrons/CI-SIS_DLU-EHPAD-FLUDT_2022.01.sch",
    "1.2.250.1.213.1.1.1.24": "schematrons/CI-SIS_DLU-EHPAD-FLUDR_2022.01.sch",
    "1.2.250.1.213.1.1.1.55": "schematrons/CI-SIS_BIO-CR-BIO_2024.01.sch",
}
ENGINE = ("iso_dsdl_include.xsl", "iso_abstract_expand.xsl", "iso_svrl_for_xslt2.xsl")
ERROR_ROLES = {"", "error", "fatal", "erreur"}


class MaterialMissing(RuntimeError):
    """The agency's validation material is not where it was said to be."""


@dataclass(frozen=True)
class Finding:
    """One failed assertion (or an error report) of one check."""

    check: str  # "XSD", "structuration minimale", "IHE"…
    location: str
    text: str
    role: str = "error"

    def __str__(self) -> str:
        return f"[{self.check}] {self.location}: {self.text}"


@dataclass(frozen=True)
class ValidationReport:
    checks: tuple[str, ...]  # what ran, in order
    errors: tuple[Finding, ...]
    warnings: tuple[Finding, ...]

    @property
    def valid(self) -> bool:
        return not self.errors


def _digest(root: Path) -> str:
    """What the material is, cheaply: every file's path and size (the material is versioned
    data; a changed file changes its size or its name in practice)."""
    hasher = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        hasher.update(f"{path.relative_to(root)}\0{path.stat().st_size}\n".encode())
    return hasher.hexdigest()[:16]


def _j07_voc(svs_file: Path) -> bytes:
    """JDV_J07 in the structuration minimale's ``voc-*.xml`` form: its rules read
    ``doc(...)/*/valueSet/conceptList/concept/@code`` with elements in no namespace."""
    svs = xml_parse(svs_file.read_bytes())
    value_sets = etree.Element("valueSets")
    value_set = etree.SubElement(
        value_sets,
        "valueSet",
        id="1.2.250.1.213.1.1.5.471",
        name="JDV_J07_XdsTypeCode_CISIS",
        displayName="JDV_J07_XdsTypeCode_CISIS",
        statusCode="final",
    )
    concepts = etree.SubElement(value_set, "conceptList")
    for concept in svs.iter(f"{SVS}Concept"):
        etree.SubElement(
            concepts,
            "concept",
            code=concept.get("code") or "",
            codeSystem=concept.get("codeSystem") or "",
            displayName=concept.get("displayName") or "",
            level="0",
            type="L",
        )
    return bytes(etree.tostring(value_sets, xml_declaration=True, encoding="UTF-8"))


def material_prepare(*, material: Path, cache: Path) -> Path:
    """A writable copy of ``material`` under ``cache``, completed (the JDV_J07 voc file);
    made once per version of the material. Returns the copy's root."""
    if not (material / XSD).is_file() or not (material / "schematrons" / "moteur").is_dir():
        raise MaterialMissing(f"no CDA validation material at {material}")
    copy = cache / f"material-{_digest(material)}"
    if (copy / ".complete").is_file():
        return copy
    staging = cache / f".staging-{copy.name}-{threading.get_ident()}"
    shutil.rmtree(staging, ignore_errors=True)
    shutil.copytree(material, staging, copy_function=shutil.copyfile)
    for path in staging.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)
    (staging / J07_VOC).write_bytes(_j07_voc(staging / J07_SVS))
    (staging / ".complete").write_text("ok\n")
    try:
        staging.rename(copy)
    except OSError:  # another process made it meanwhile
        shutil.rmtree(staging, ignore_errors=True)
    return copy


class Validator:
    """The pipeline over one prepared copy of the material. Compiling a schematron takes
    seconds (the structuration minimale's XSLT is ~10 MB): each one is compiled to a file
    once and to an executable once per process; calls are serialised (one Saxon processor)."""

    def __init__(self, *, material: Path, cache: Path) -> None:
        from saxonche import PySaxonProcessor  # imported here: a C extension only validation needs

        self.root = material_prepare(material=material, cache=cache)
        self._processor = PySaxonProcessor(license=False)
        self._xslt = self._processor.new_xslt30_processor()
        self._executables: dict[str, object] = {}
        self._schema: etree.XMLSchema | None = None
        self._lock = threading.Lock()

    def _engine(self, name: str) -> object:
        key = f"moteur/{name}"
        if key not in self._executables:
            self._executables[key] = self._xslt.compile_stylesheet(
                stylesheet_file=str(self.root / "schematrons" / "moteur" / name)
            )
        return self._executables[key]

    def _compiled(self, schematron: str) -> object:
        if schematron in self._executables:
            return self._executables[schematron]
        source = self.root / schematron
        target = source.with_suffix(".compiled.xsl")
        if not target.is_file():
            include, expand, svrl = (self._engine(name) for name in ENGINE)
            text = include.transform_to_string(source_file=str(source))  # type: ignore[attr-defined]
            for step in (expand, svrl):
                node = self._processor.parse_xml(xml_text=text)
                text = step.transform_to_string(xdm_node=node)  # type: ignore[attr-defined]
            partial = target.with_suffix(f".{threading.get_ident()}.tmp")
            partial.write_text(text, encoding="utf-8")
            partial.rename(target)
        # Compiled from its file, beside the .sch: document('../jeuxDeValeurs/…') and
        # doc('include/voc-…') resolve against it as the agency's scripts have them.
        executable = self._xslt.compile_stylesheet(stylesheet_file=str(target))
        self._executables[schematron] = executable
        return executable

    def _xsd(self) -> etree.XMLSchema:
        if self._schema is None:
            parser = etree.XMLParser(resolve_entities=False, no_network=True)
            self._schema = etree.XMLSchema(etree.parse(str(self.root / XSD), parser))
        return self._schema

    def schematrons_for(self, document: etree._Element) -> list[tuple[str, str]]:
        """The profiles every CDA passes, then the volet's own schematron if we know it."""
        checks = list(PROFILES)
        for template in document.findall(f"{V3}templateId"):
            volet = VOLETS.get(template.get("root") or "")
            if volet:
                checks.append((Path(volet).stem, volet))
        return checks

    def validate(self, data: bytes, *, extra: Iterable[str] = ()) -> ValidationReport:
        """Every check on the CDA in ``data`` (a self-presentable one is unwrapped first, as
        the agency's ``selectCDA.xsl`` does). ``extra``: more schematrons, relative to the
        material's root."""
        document = _clinical_document(xml_parse(data))
        errors: list[Finding] = []
        warnings: list[Finding] = []
        checks = ["XSD"]
        with self._lock:
            schema = self._xsd()
            if not schema.validate(etree.ElementTree(document)):
                errors.extend(
                    Finding("XSD", e.path or f"ligne {e.line}", e.message) for e in schema.error_log
                )
            text = etree.tostring(document, encoding="unicode")
            for name, schematron in [*self.schematrons_for(document), *((Path(x).stem, x) for x in extra)]:
                checks.append(name)
                executable = self._compiled(schematron)
                node = self._processor.parse_xml(xml_text=text)
                svrl = executable.transform_to_string(xdm_node=node)  # type: ignore[attr-defined]
                found_errors, found_warnings = _findings(name, svrl)
                errors.extend(found_errors)
                warnings.extend(found_warnings)
        return ValidationReport(checks=tuple(checks), errors=tuple(errors), warnings=tuple(warnings))


def _clinical_document(root: etree._Element) -> etree._Element:
    if root.tag == f"{V3}ClinicalDocument":
        return root
    found = root.find(f".//{V3}ClinicalDocument")
    if found is None:
        raise ValueError("no ClinicalDocument in this XML")
    return found


def _findings(check: str, svrl: str) -> tuple[list[Finding], list[Finding]]:
    report = etree.fromstring(svrl.encode("utf-8"), etree.XMLParser(resolve_entities=False, huge_tree=True))
    errors: list[Finding] = []
    warnings: list[Finding] = []
    for tag in ("failed-assert", "successful-report"):
        for node in report.iter(f"{SVRL}{tag}"):
            role = (node.get("role") or "").lower()
            if tag == "successful-report" and not role:
                continue  # a report without a role is information, not a failure
            finding = Finding(
                check,
                node.get("location") or "",
                " ".join((node.findtext(f"{SVRL}text") or "").split()),
                role or "error",
            )
            (errors if role in ERROR_ROLES else warnings).append(finding)
    return errors, warnings
