from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from apps.trust.annuaire import COLUMNS, AnnuaireError, read_extraction, search_key
from tests.conftest import shared_fixture

HEADER = "|".join(COLUMNS) + "\n"
ROW = ("PER|Helene.Dupre@chu-exemple.mssante.fr|8|99700123450|899700123450||||DR|DUPRÉ|Hélène|C|Civil|10|Médecin|"
       "SM54|Médecine générale (SM)|True|CHU EXEMPLE||Bâtiment B||12||R|de la Paix||69003 LYON|69003|69|\n")


def write(tmp_path: Path, text: str, name: str = "x.txt") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_search_keys_are_accent_and_case_free() -> None:
    assert search_key("Hélène D'ARC-Émile") == "helene d arc emile"
    assert search_key("  ÉCOLE  ") == "ecole"


def test_reads_rows_with_search_keys(tmp_path: Path) -> None:
    stats: list = []
    (record,) = list(read_extraction(write(tmp_path, HEADER + ROW + "\n"), stats))
    assert record.address == "helene.dupre@chu-exemple.mssante.fr"
    assert (record.family_name, record.given_name, record.city, record.postcode) == ("DUPRÉ", "Hélène", "LYON", "69003")
    assert record.name_key == "dupre helene" and record.city_key == "lyon"
    assert record.address_lines == "Bâtiment B 12 R de la Paix"
    assert stats[0].rows == 1


def test_zip_and_short_rows_and_rows_without_address(tmp_path: Path) -> None:
    archive = tmp_path / "Extraction_Correspondance_MSSante.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("Extraction_Correspondance_MSSante.txt",
                   HEADER + ROW + "ORG|secretariat@chu-exemple.mssante.fr|||\n" + "PER|pas-une-adresse|\n")
    stats: list = []
    records = list(read_extraction(archive, stats))
    assert [r.address for r in records] == ["helene.dupre@chu-exemple.mssante.fr", "secretariat@chu-exemple.mssante.fr"]
    assert stats[0].skipped == 1


def test_wrong_header_and_zip_bomb_are_refused(tmp_path: Path) -> None:
    with pytest.raises(AnnuaireError, match="header"):
        list(read_extraction(write(tmp_path, "a|b|c\n" + ROW)))
    bomb = tmp_path / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("x.txt", HEADER + "0" * 20_000_000)
    with pytest.raises(AnnuaireError, match="expands"):
        list(read_extraction(bomb))
    two = tmp_path / "two.zip"
    with zipfile.ZipFile(two, "w") as z:
        z.writestr("a.txt", HEADER)
        z.writestr("../b.txt", HEADER)
    with pytest.raises(AnnuaireError, match="one was expected"):
        list(read_extraction(two))


def test_synthetic_sample_from_shared_fixtures() -> None:
    path = shared_fixture("mssante", "annuaire_extraction_correspondance_mssante_SYNTHETIC_sample.txt")
    records = list(read_extraction(path))
    assert [r.mailbox_type for r in records] == ["PER", "ORG"]
    assert records[0].profession_label == "Médecin" and records[0].city == "PARIS"


def test_the_extraction_date_is_read_from_the_file_name() -> None:
    import datetime as dt

    from apps.trust.annuaire import extraction_date

    assert extraction_date("Extraction_Correspondance_MSSante_202611280457.txt") == dt.datetime(
        2026, 11, 28, 4, 57, tzinfo=dt.UTC)
    assert extraction_date("https://x.example/Extraction_Correspondance_MSSante_20261128.zip") == dt.datetime(
        2026, 11, 28, tzinfo=dt.UTC)
    for name in ("Extraction_Correspondance_MSSante.txt", "x_20261399.txt", "x_12.txt", ""):
        assert extraction_date(name) is None
