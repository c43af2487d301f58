"""Reading what MSSanté and Mon espace santé write (issue 25), bounded and pattern-free: the
"[KO Intégration système !][code]" subject, the end of an exchange, why a report bounced."""

from __future__ import annotations

import pytest

from mss.bounces import CLOSED, INVALID, TOO_LARGE, UNKNOWN, bounce_kind
from mss.headers import MES, end_of_exchange_read
from mss.subjects import integration_ko_read, subject_shown


@pytest.mark.requirement("IG.MDN.3")
def test_the_integration_failure_subject_gives_its_code_and_the_subject_it_names() -> None:
    assert integration_ko_read("[KO Intégration système !][902] XDM/1.0/DDM+CR de biologie DUPONT Jeanne") == (
        "902", "XDM/1.0/DDM+CR de biologie DUPONT Jeanne")
    assert integration_ko_read("[KO Intégration système !]XDM/1.0/DDM+CR") == ("", "XDM/1.0/DDM+CR")
    assert integration_ko_read("[KO Intégration système !][９０２] x") == ("", "[９０２] x")  # ASCII digits only
    assert integration_ko_read("Re: [KO Intégration système !][902] x") is None
    assert integration_ko_read(None) is None
    hostile = "[KO Intégration système !][" + "9" * 100_000
    assert integration_ko_read(hostile) is not None  # bounded, read by position
    assert subject_shown("[KO Intégration système !][902] XDM/1.0/DDM+CR de biologie") == (
        "[KO Intégration système !][902] CR de biologie")  # ECO.3.1.3 inside the failure's subject too


@pytest.mark.requirement("MES.1")
def test_the_end_of_an_exchange_is_read_from_the_subject_or_the_header() -> None:
    assert end_of_exchange_read(subject=" [FIN] ", headers=()) == "all"
    assert end_of_exchange_read(subject="[FIN] suite", headers=()) == ""
    assert end_of_exchange_read(subject="Résultats", headers=((MES.lower(), " fin "),)) == "message"
    assert end_of_exchange_read(subject="Résultats", headers=((MES, "NON"),)) == ""


@pytest.mark.requirement("MES.3")
@pytest.mark.parametrize(("status", "words", "kind"), [
    ("5.2.1", "", CLOSED), ("", "550 boîte aux lettres fermée", CLOSED), ("5.1.1", "", UNKNOWN),
    ("", "Patient inconnu", UNKNOWN), ("5.1.3", "", INVALID), ("5.3.4", "", TOO_LARGE),
    ("", "552 message size exceeds 25 MB", TOO_LARGE), ("5.0.0", "quelque chose", ""), ("", "", "")])
def test_why_a_message_bounced(status: str, words: str, kind: str) -> None:
    assert bounce_kind(status=status, diagnostic=words) == kind
