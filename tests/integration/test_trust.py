"""Whitelist and directory against the database: imports, refusal keeping the previous
list, atomic re-import touching only what changed, search, recipient checks."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import override_settings

from apps.trust.annuaire import AnnuaireError
from apps.trust.models import DirectoryEntry, WhitelistDomain, WhitelistImport
from apps.trust.selectors import RecipientKind, directory_search, recipients_check
from apps.trust.services import annuaire_import, whitelist_import
from apps.trust.whitelist import WhitelistError
from devstack import annuaire_synth, stack

pytestmark = [pytest.mark.integration, pytest.mark.django_db]
# Rows every synthetic extraction starts with: the demo people and the shared mailboxes.
DEMO_ROWS = len(stack.IDENTITIES["identities"]) + len(stack.IDENTITIES["shared_mailboxes"])
GOOD = (Path(__file__).resolve().parents[1] / "fixtures" / "listeblanche-test.xml").read_bytes()


def test_a_refused_list_keeps_the_previous_one_and_alerts(caplog: pytest.LogCaptureFixture) -> None:
    whitelist_import(data=GOOD, source="test")
    assert WhitelistDomain.objects.count() == 4
    with pytest.raises(WhitelistError):
        whitelist_import(data=GOOD[:300], source="truncated")
    assert WhitelistDomain.objects.count() == 4
    failed = WhitelistImport.objects.filter(ok=False).get()
    assert failed.source == "truncated" and "truncated" in failed.error
    assert "previous list kept" in caplog.text


@override_settings(MSSANTE_EXTRA_TRUSTED_DOMAINS=["medecin.mssante.test"], MSSANTE_PATIENT_DOMAIN="patient.mssante.fr")
def test_recipients_are_classed_with_a_french_reason() -> None:
    whitelist_import(data=GOOD, source="test")
    verdicts = {v.address: v for v in recipients_check(addresses=[
        "Claire.Martin@CHU-EXEMPLE.mssante.fr", "x@gmail.com", "280017512345610@patient.mssante.fr",
        "123@patient.mssante.fr", "pas une adresse", "a@hôpital-santé.mssante.fr", "b@medecin.mssante.test"])}
    assert verdicts["claire.martin@chu-exemple.mssante.fr"].kind is RecipientKind.TRUSTED
    assert verdicts["x@gmail.com"].kind is RecipientKind.OUTSIDE
    assert "n'appartient pas à l'espace de confiance" in verdicts["x@gmail.com"].message
    assert verdicts["280017512345610@patient.mssante.fr"].kind is RecipientKind.PATIENT
    assert verdicts["123@patient.mssante.fr"].kind is RecipientKind.MALFORMED
    assert verdicts["pas une adresse"].kind is RecipientKind.MALFORMED
    assert verdicts["a@xn--hpital-sant-lbb6k.mssante.fr"].kind is RecipientKind.TRUSTED
    assert verdicts["b@medecin.mssante.test"].kind is RecipientKind.TRUSTED


def test_whitelist_command_refuses_a_bad_checksum(tmp_path: Path) -> None:
    path = tmp_path / "liste.xml"
    path.write_bytes(GOOD)
    call_command("whitelist_import", file=str(path), stdout=open("/dev/null", "w"))
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="checksum"):
        call_command("whitelist_import", file=str(path), sha256="0" * 64)


def test_directory_import_then_reimport_touches_only_what_changed(tmp_path: Path) -> None:
    first = annuaire_synth.write(tmp_path / "a.txt", 3000)
    report = annuaire_import(path=first)
    assert report.added == report.rows == DirectoryEntry.objects.count() == 3000 + DEMO_ROWS
    kept = DirectoryEntry.objects.get(address="claire.martin@medecin.mssante.test").pk
    second = annuaire_synth.write(tmp_path / "b.txt", 3000, changed=0.05)
    lines = second.read_text(encoding="utf-8").splitlines(keepends=True)
    gone = lines.pop(-1).split("|")[1]
    second.write_text("".join(lines), encoding="utf-8")
    report = annuaire_import(path=second)
    assert report.removed == 1 and 80 < report.changed < 200 and report.added == 0
    assert not DirectoryEntry.objects.filter(address=gone).exists()
    assert DirectoryEntry.objects.get(address="claire.martin@medecin.mssante.test").pk == kept  # untouched
    assert DirectoryEntry.objects.count() == 3000 + DEMO_ROWS - 1


def test_an_empty_or_broken_file_leaves_the_directory_unchanged(tmp_path: Path) -> None:
    annuaire_import(path=annuaire_synth.write(tmp_path / "a.txt", 100))
    empty = tmp_path / "empty.txt"
    empty.write_text((tmp_path / "a.txt").read_text(encoding="utf-8").splitlines()[0] + "\n", encoding="utf-8")
    with pytest.raises(AnnuaireError):
        annuaire_import(path=empty)
    assert DirectoryEntry.objects.count() == 100 + DEMO_ROWS


@pytest.mark.requirement("ECO.3.1.4")
def test_search_ranks_ids_then_names_and_ignores_accents(tmp_path: Path) -> None:
    annuaire_import(path=annuaire_synth.write(tmp_path / "a.txt", 3000))
    assert [e.address for e in directory_search(query="899700123450")] == ["claire.martin@medecin.mssante.test"]
    assert directory_search(query="99700123450")[0].address == "claire.martin@medecin.mssante.test"  # RPPS alone
    names = directory_search(query="mart")
    assert names and all(e.family_name.startswith("MARTIN") for e in names[:5])
    claires = directory_search(query="claire martin")
    assert claires[0].name_key == "martin claire"  # "prénom nom" as people type it
    assert "claire.martin@medecin.mssante.test" in [e.address for e in claires]
    assert all(e.given_name in ("Hélène",) for e in directory_search(query="helene")[:3] if e.given_name)
    lea = directory_search(query="moreau lea bron")
    assert lea[0].address == "lea.moreau@ehpad.mssante.test"
    # The EHPAD's own shared mailbox and its educator, first.
    assert {e.address for e in directory_search(query="ehpad glycines")[:3]} >= {
        "lea.moreau@ehpad.mssante.test", "secretariat@ehpad.mssante.test"}
    assert all(e.city == "LYON" for e in directory_search(query="", city="lyon"))
    pharmacists = directory_search(query="bernard", profession="pharmacien")
    assert pharmacists and all(e.profession_label.startswith("Pharmacien") for e in pharmacists)
    assert directory_search(query="sophie.bernard@pharmacie")[0].given_name == "Sophie"
    assert directory_search(query="   ") == []


def test_without_any_list_recipients_are_unverified_not_outside(client: object) -> None:
    from django.core.cache import cache

    from apps.trust.services import WHITELIST_CACHE_KEY, WHITELIST_LOCAL

    cache.delete(WHITELIST_CACHE_KEY)
    WHITELIST_LOCAL.clear()
    (verdict,) = recipients_check(addresses=["claire.martin@chu-exemple.mssante.fr"])
    assert verdict.kind is RecipientKind.UNVERIFIED and not verdict.allowed
    assert "n'est pas disponible" in verdict.message and "pas dans l'espace" not in verdict.message
    whitelist_import(data=GOOD, source="test")
    (verdict,) = recipients_check(addresses=["x@gmail.com"])
    assert verdict.kind is RecipientKind.OUTSIDE


def test_first_start_imports_only_when_empty(tmp_path: Path) -> None:
    from io import StringIO

    path = tmp_path / "liste.xml"
    path.write_bytes(GOOD)
    out = StringIO()
    with override_settings(MSSANTE_WHITELIST_URL=str(tmp_path / "absent.xml")):
        call_command("whitelist_import", "--if-empty", stdout=out)  # offline: starts anyway
    assert "not loaded" in out.getvalue() and WhitelistDomain.objects.count() == 0
    assert WhitelistImport.objects.filter(ok=False).exists()
    with override_settings(MSSANTE_WHITELIST_URL=str(path)):
        call_command("whitelist_import", "--if-empty", stdout=out)
        assert WhitelistDomain.objects.count() == 4
        WhitelistDomain.objects.filter(name__startswith="chu").delete()
        call_command("whitelist_import", "--if-empty", stdout=out)  # loaded: left alone
    assert "already loaded" in out.getvalue() and WhitelistDomain.objects.count() < 4


def test_staff_see_a_banner_when_the_list_is_missing_or_stale(client: object) -> None:
    import datetime as dt

    from django.utils import timezone

    from apps.accounts.models import User

    staff = User.objects.create_superuser(username="exploit", password="x" * 16)
    client.force_login(staff)  # type: ignore[attr-defined]
    page = client.get("/admin/").content.decode()  # type: ignore[attr-defined]
    assert "La liste blanche des domaines MSSanté n&#x27;est pas chargée" in page
    whitelist_import(data=GOOD, source="test")
    assert "La liste blanche des domaines" not in client.get("/admin/").content.decode()  # type: ignore[attr-defined]
    WhitelistImport.objects.update(at=timezone.now() - dt.timedelta(hours=50))
    page = client.get("/admin/trust/whitelistdomain/").content.decode()  # type: ignore[attr-defined]
    assert "date de 50 heures" in page
    assert "liste importée il y a 50" in page
    nurse = User.objects.create_user(username="nurse", password="x" * 16)
    from tests.conftest import psc_force_login

    psc_force_login(client, nurse)
    assert "La liste blanche des domaines" not in client.get("/profil/").content.decode()  # type: ignore[attr-defined]
