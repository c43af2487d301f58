"""A patient's biology over time in the browser (issue 26): Karim opens his patient's page;
the haemoglobin of her three reports is there with its latest value, the flag said in words
to screen readers, and the plot of the three values against the reference range, drawn by
the server (three marks, the abnormal one a square). Screenshots at desk and phone width;
axe-core clean."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from apps.accounts.models import User
from apps.patients.models import Patient
from mss.ins import TEST_OID
from tests.browser.helpers import sign_in
from tests.browser.test_accessibility import violations
from tests.conftest import IDENTITIES, PSCSim
from tests.integration.test_patient_results import INS, deliver, remove_reports, report

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_the_plot_of_three_reports_on_the_patients_page(page: Page, site: str, psc_sim: PSCSim,
                                                        demo_accounts: None, artifacts: Path) -> None:
    for day, value, flag in ((dt.date(2026, 9, 1), "13.5", "N"), (dt.date(2026, 10, 1), "12.4", "N"),
                             (dt.date(2026, 11, 2), "11.1", "L")):
        deliver("INBOX", report(ins=INS, when=day, value=value, flag=flag))
    try:
        sign_in(page, site, "Karim HADDAD")  # the first screen: his INBOX's newest messages, synced
        karim = User.objects.get(idnat=IDENTITIES["social"]["idnat"])
        patient = Patient.objects.create(owner=karim, matricule=INS, oid=TEST_OID, birth_name="DUPONT",
                                         given_names="Jeanne", birth_date=dt.date(1979, 3, 28), sex="F")
        page.goto(f"{site}/patients/{patient.pk}/")
        for _ in range(20):  # the worker's first sync of every folder may still run
            if page.locator("table.analytes").count():
                break
            page.wait_for_timeout(500)
            page.reload()
        row = page.locator("table.analytes tbody tr")
        expect(row).to_have_count(1)
        expect(row.get_by_role("rowheader")).to_contain_text("Hémoglobine")
        expect(row).to_contain_text("11.1 g/dL")
        expect(row.locator(".visually-hidden")).to_contain_text("bas")  # the flag in words
        plot = row.get_by_role("img")
        expect(plot).to_have_count(1)
        expect(plot.locator("circle")).to_have_count(2)
        expect(plot.locator("rect.abnormal")).to_have_count(1)
        page.screenshot(path=str(artifacts / "patient-results.png"), full_page=True)
        page.set_viewport_size({"width": 390, "height": 844})  # a night-shift nurse's phone
        page.screenshot(path=str(artifacts / "patient-results-phone.png"), full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
        assert violations(page) == []
    finally:
        remove_reports()
