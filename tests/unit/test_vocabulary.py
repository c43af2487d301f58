"""One home for the MSSanté vocabulary (issue 25): no X-MSS header name, INS OID, XDM
subject prefix or integration code is written as a literal outside ``mss``; the INS OIDs
are one table, read the same by the patients' registry and the CDA reader."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# The site's own request header for background polls: not the DST's vocabulary.
OWN = {"X-MSS-Background"}
# A literal that *is* vocabulary (starts with it); prose naming a header for the user is not.
VOCABULARY = re.compile(r"^(X-MSS-|1\.2\.250\.1\.213\.1\.4\.|XDM/1\.0/DDM|90[0-6]$|\[KO Intégration)", re.I)


def _literals(path: Path) -> list[tuple[int, str]]:
    """The string literals of a module, its docstrings aside."""
    tree = ast.parse(path.read_text())
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
                  and node.body and isinstance(node.body[0], ast.Expr)
                  and isinstance(node.body[0].value, ast.Constant)}
    return [(node.lineno, node.value) for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings]


def _found(roots: tuple[str, ...]) -> list[str]:
    return [f"{path.relative_to(ROOT)}:{line}: {value[:60]!r}"
            for root in roots for path in sorted((ROOT / root).rglob("*.py")) if "migrations" not in path.parts
            for line, value in _literals(path) if VOCABULARY.search(value) and value not in OWN]


def test_no_mssante_literal_outside_the_vocabulary_package() -> None:
    assert _found(("apps", "mailproto", "mssante_web")) == []


def test_the_scan_finds_a_literal() -> None:
    assert _found(("mss",)) != []  # the package itself holds them: the scan sees them


def test_one_ins_oid_table() -> None:
    from apps.documents import cda
    from mss import ins

    assert cda.INS_OIDS == {ins.NIR_OID: "NIR", ins.NIA_OID: "NIA"}
    # The demonstration NIR (.11) is a NIR, not a test NIA as the reader had it.
    assert cda.INS_TEST_OIDS == {ins.TEST_OID: "NIR", ins.DEMO_OID: "NIR"}
    assert ins.DEMO_OID == "1.2.250.1.213.1.4.11" and ins.OIDS[ins.DEMO_OID] == ("NIR", ins.Usage.DEMO)


def test_the_integration_labels_are_the_agencys() -> None:
    """ANS IG v1.1.3: 900 wrong version, 901 author not allowed (we had "could not be
    processed" and "not valid")."""
    from django.utils import translation

    from apps.webmail.templatetags.mail_text import integration_reason
    from mailproto.mime.receipts import Report

    with translation.override("fr"):
        for code, words in (("900", "mauvaise version"), ("901", "auteur non autorisé"),
                            ("902", "patient inconnu"), ("904", "ne correspond pas")):
            report = Report(kind="mdn", original_message_id="<a@b>", recipient="x@y", outcome="processed",
                            date=None, error_code=code)
            assert words in integration_reason(report).lower(), code


def test_hl7_errors_and_unknown_codes_are_said_in_words() -> None:
    """An ACK may carry an HL7 message error (table 0357) instead of the IG's 90x: its words,
    not "autre"; a code nobody knows gives the software's own words, else the IG's "other"."""
    from django.utils import translation

    from apps.flows.report_words import integration_reason, report_state
    from mailproto.mime.receipts import Report

    def report(code: str, label: str = "") -> Report:
        return Report(kind="mdn", original_message_id="<a@b>", recipient="dui@ehpad.test", outcome="processed",
                      date=None, error_code=code, error_label=label, failed=True)

    with translation.override("fr"):
        assert integration_reason(report("207")) == "erreur interne du logiciel destinataire"
        assert integration_reason(report("101")) == "un champ obligatoire manque dans le message HL7"
        assert integration_reason(report("999", "Dossier archivé")) == "Dossier archivé"
        assert integration_reason(report("999")) == "le document n'a pas pu être intégré"
        assert report_state(report("203")) == (
            "integration_error", "dui@ehpad.test n'a pas pu intégrer le document : le logiciel ne prend pas en "
                                 "charge cette version de HL7 (203)")
