"""The patient registry (issue 14): CSV import with a per-line report (bad key, bad date,
duplicate in the file or the list), search by name, INS start or date of birth."""

from __future__ import annotations

import datetime as dt

import pytest

from apps.accounts.models import User
from apps.patients.models import Patient
from apps.patients.selectors import patient_search
from apps.patients.services import patient_import_csv
from mss.ins import ins_key

pytestmark = pytest.mark.django_db

HEADER = "INS;Type INS;Nom naissance;Prénoms;Date naissance;Sexe;Nom usage;Qualifié\n"


def test_a_csv_import_keeps_good_lines_and_says_why_others_were_refused() -> None:
    doctor = User.objects.create(username="899700123450", idnat="899700123450")
    text = HEADER + "\n".join([
        "279035121518989;TEST;Dupont;Jeanne Marie;28/03/1979;F;Martin;oui",   # 2 good
        "279035121518988;NIR;Durand;Paul;01/01/1980;M;;",                    # 3 bad key
        "277076322082910;NIR;Nessi;Ruth;1977-07-14;F;;non",                  # 4 good (ISO date)
        "184122B00400571;NIR;Leca;Ange;31/02/1984;M;;",                      # 5 bad date
        "279035121518989;TEST;Dupont;Jeanne;28/03/1979;F;;",                 # 6 duplicate in the file
        "184122A00400544;NIR;Santoni;Marie;12/04/1984;X;;",                  # 7 bad sex
        "",
        "184122A00400544;NIR;Santoni;Marie;12/04/1984;F;;",                  # 9 good (Corsica)
    ]) + "\n"
    report = patient_import_csv(text=text, owner=doctor)
    assert report.added == 3
    assert [(r.line, r.reason) for r in report.refused] == [
        (3, "ins_key"), (5, "date"), (6, "duplicate"), (7, "sex")]
    jeanne = Patient.objects.get(owner=doctor, matricule="279035121518989")
    assert (jeanne.birth_name, jeanne.used_name, jeanne.first_given_name, jeanne.birth_date, jeanne.qualified) == (
        "DUPONT", "MARTIN", "Jeanne", dt.date(1979, 3, 28), True)
    again = patient_import_csv(text=text, owner=doctor)  # a second import adds nothing twice
    assert again.added == 0 and (2, "duplicate") in [(r.line, r.reason) for r in again.refused]
    other = User.objects.create(username="899700234562", idnat="899700234562")
    assert patient_import_csv(text=text, owner=other).added == 3  # another professional's own list


def test_a_file_without_the_required_columns_is_refused_whole() -> None:
    doctor = User.objects.create(username="d", idnat="899700123450")
    report = patient_import_csv(text="nom,prenom\nDupont,Jeanne\n", owner=doctor)
    assert report.added == 0 and [(r.line, r.reason) for r in report.refused] == [(1, "columns")]


@pytest.mark.requirement("ECO.3.1.5")
def test_search_by_name_ins_start_or_date_of_birth_in_ones_own_list_only() -> None:
    doctor = User.objects.create(username="d", idnat="899700123450")
    other = User.objects.create(username="o", idnat="899700234562")
    rows = [f"{body}{ins_key(body)};NIR;{name};{given};{born};F;{used};"
            for body, name, given, born, used in [
                ("2790351215189", "Dupont", "Jeanne Marie", "28/03/1979", "Martin"),
                ("2800175123456", "Dupuis", "Hélène", "17/01/1980", ""),
                ("1750112345678", "Martin", "Paul", "12/01/1975", "")]]
    patient_import_csv(text=HEADER + "\n".join(rows), owner=doctor)
    patient_import_csv(text=HEADER + rows[0], owner=other)
    names = lambda query: [p.birth_name for p in patient_search(owner=doctor, query=query)]  # noqa: E731
    assert names("dup") == ["DUPONT", "DUPUIS"]
    assert names("Dupont Jea") == ["DUPONT"] and names("dupont mart") == ["DUPONT"]  # used name too
    assert names("helene") == [] and names("dupuis hélè") == ["DUPUIS"]  # accents ignored
    assert names("martin") == ["MARTIN"]  # the birth name leads
    assert names("27903") == ["DUPONT"] and names("2 80 01") == ["DUPUIS"]
    assert names("12/01/1975") == ["MARTIN"] and names("31/02/1975") == []
    assert len(patient_search(owner=other, query="dup")) == 1
