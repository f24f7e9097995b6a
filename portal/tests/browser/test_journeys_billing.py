"""A parent reads what was consumed and paid, month by month, exports and prints it, checks the balance."""
import datetime
import io
import re
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from accounts.tests.factories import ChildFactory, FamilyFactory, StructureFactory, UserFactory
from billing.models import Payment, Wallet
from billing.tests.factories import ConsumptionFactory, PaymentAllocationFactory, PaymentFactory, WalletFactory

from .helpers import audit_page

pytestmark = pytest.mark.browser


@pytest.fixture
def guide(travel_to):
    """The seed's GUIDE family: Emmy's January 2017 at CarteVille, two payments, three wallets."""
    travel_to(2017, 2, 10, 10, 0)
    structure = StructureFactory(name="Mairie de CarteVille", slug="carteville")
    user = UserFactory(username="guide", first_name="Denis", last_name="GUIDE")
    family = FamilyFactory(structure=structure, number="000123", payer_name="GUIDE DENIS", users=[user])
    emmy = ChildFactory(family=family, first_name="Emmy", last_name="GUIDE")
    loisirs = WalletFactory(structure=structure, name="Accueil de Loisirs", position=1)
    peri = WalletFactory(structure=structure, name="Accueil Périscolaire", position=2, mode=Wallet.Mode.INVOICED)
    resto = WalletFactory(structure=structure, name="Restauration", position=3)
    rows = [
        (datetime.date(2017, 1, 31), peri, "Garderie Soir Scolaire", "0.45", "7"),
        (datetime.date(2017, 1, 31), peri, "Garderie Matin Scolaire", "0.45", "3"),
        (datetime.date(2017, 1, 31), resto, "Restauration Scolaire", "4.62", "1"),
        (datetime.date(2017, 1, 31), resto, "Gouter", "0.81", "1"),
        (datetime.date(2017, 1, 30), resto, "Restauration Scolaire", "4.62", "1"),
        (datetime.date(2017, 1, 30), resto, "Gouter", "0.81", "1"),
        (datetime.date(2017, 2, 2), resto, "Restauration Scolaire", "4.62", "1"),
    ]
    for day, wallet, label, price, quantity in rows:
        ConsumptionFactory(family=family, child=emmy, wallet=wallet, day=day, activity_label=label,
                           unit_price=Decimal(price), quantity=Decimal(quantity))
    cheque = PaymentFactory(family=family, date=datetime.date(2017, 2, 1), mode=Payment.Mode.CHEQUE,
                            piece_number="2578012", payer_name="GUIDE DENIS", bank_name="CREDIT AGRICOLE",
                            amount=Decimal("50.00"))
    web = PaymentFactory(family=family, date=datetime.date(2017, 1, 29), mode=Payment.Mode.INTERNET,
                         piece_number="3150-NAUTO:445401", payer_name="POUR .GUIDE CARTE+", bank_name="PAR INTERNET",
                         amount=Decimal("150.00"))
    PaymentAllocationFactory(payment=cheque, wallet=resto, amount=Decimal("50.00"))
    PaymentAllocationFactory(payment=web, wallet=loisirs, amount=Decimal("150.00"))
    # Someone else's consumptions never show.
    ConsumptionFactory(activity_label="Restauration Scolaire d'une autre famille", day=datetime.date(2017, 1, 31))
    return user


def table_rows(page, selector="table.history-table tbody tr"):
    # innerText follows the stylesheet (the child's name is also a phone-only span in the activity
    # cell): on a loaded machine the rows could be read before the CSS applied, so wait for it.
    page.wait_for_load_state("load")
    return [[cell.strip() for cell in row] for row in page.locator(selector).evaluate_all(
        "rows => rows.map(r => [...r.cells].map(c => c.innerText))")]


def test_parent_reads_history_month_by_month_filters_exports_and_prints(page, guide, login_as):
    login_as(page.context, guide)
    page.goto("/")
    page.get_by_role("link", name="Historiques").first.click()

    # The current month first (February 2017), with its one meal.
    expect(page.get_by_role("heading", name="Historique des Consommations")).to_be_visible()
    expect(page.get_by_role("heading", name="Février 2017")).to_be_visible()
    expect(page.locator("table.history-table tbody tr")).to_have_count(1)
    expect(page.locator("table.history-table tfoot")).to_contain_text("4,62")
    audit_page(page, label="historique des consommations")

    # Back one month with the arrow: the seed's January lines, newest first, and the total.
    page.get_by_role("link", name=re.compile("Mois précédent")).click()
    expect(page.get_by_role("heading", name="Janvier 2017")).to_be_visible()
    expect(page.locator("table.history-table tbody tr")).to_have_count(6)
    rows = table_rows(page)
    assert [r[0] for r in rows] == ["31/01/2017"] * 4 + ["30/01/2017"] * 2
    assert all("Emmy" in r[1] for r in rows)
    assert ["Garderie Soir Scolaire", "0,45", "7", "3,15"] in [r[2:] for r in rows]
    assert [r[2:] for r in rows].count(["Gouter", "0,81", "1", "0,81"]) == 2
    assert "Restauration Scolaire d'une autre famille" not in page.content()
    expect(page.locator("table.history-table tfoot")).to_contain_text("15,36")
    # Only the current and the previous month can be consulted.
    expect(page.get_by_role("link", name=re.compile("Mois précédent"))).to_have_count(0)

    # Filter on the snack.
    page.get_by_label("Filtre").fill("gouter")
    page.get_by_role("button", name="Afficher").click()
    expect(page.locator("table.history-table tbody tr")).to_have_count(2)
    expect(page.locator("table.history-table tfoot")).to_contain_text("1,62")
    expect(page.get_by_label("Filtre")).to_have_value("gouter")

    # Export: the downloaded workbook holds the filtered rows and their total.
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Exporter (Excel)").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".xlsx")
    workbook = openpyxl.load_workbook(io.BytesIO(Path(download.path()).read_bytes()), data_only=True)
    cells = [[c for c in row if c not in (None, "")] for row in workbook.active.iter_rows(values_only=True)]
    flat = [str(c) for row in cells for c in row]
    assert sum("Gouter" in c for c in flat) == 2
    assert "Restauration Scolaire" not in flat
    assert any(str(c) in {"1.62", "1,62"} for c in flat), cells

    # Print: the PDF opened from the page holds the lines and the total.
    print_link = page.get_by_role("link", name="Imprimer (PDF)")
    response = page.context.request.get(print_link.get_attribute("href"))
    assert response.ok and response.headers["content-type"] == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(response.body())).pages)
    assert "Janvier 2017" in text and "Gouter" in text and "1,62" in text
    assert "Garderie" not in text

    # The payments, from the history page: the guide's "Janvier 2017 - Février 2017", one total.
    page.get_by_role("link", name="Historique des règlements").click()
    expect(page.get_by_role("heading", name="Historique des Règlements")).to_be_visible()
    expect(page.get_by_role("heading", name="Janvier 2017 - Février 2017")).to_be_visible()
    expect(page.locator("table.history-table thead")).to_contain_text("Date Règl.")
    rows = table_rows(page)
    assert [r[0] for r in rows] == ["01/02/2017", "29/01/2017"]
    assert rows[0][1:] == ["Chèque", "2578012", "GUIDE DENIS", "CREDIT AGRICOLE", "50,00"]
    assert "Internet" in rows[1][1] and rows[1][-1] == "150,00"
    expect(page.locator("table.history-table tfoot")).to_contain_text("200,00")
    audit_page(page, label="historique des règlements")
    # The parent narrows the period to February.
    page.get_by_label("Du mois").select_option("2017-02")
    page.get_by_role("button", name="Afficher").click()
    expect(page.get_by_role("heading", name="Février 2017", exact=True)).to_be_visible()
    assert [r[0] for r in table_rows(page)] == ["01/02/2017"]
    expect(page.locator("table.history-table tfoot")).to_contain_text("50,00")


def test_parent_checks_the_balance_up_to_a_date(page, guide, login_as):
    login_as(page.context, guide)
    page.goto("/")
    page.get_by_role("link", name="Solde").first.click()
    expect(page.get_by_role("heading", name="Consulter votre solde")).to_be_visible()
    audit_page(page, label="solde")

    page.get_by_label("Calculez vos réservations jusqu'au").fill("2017-03-31")
    page.get_by_role("button", name="Calculer").click()
    expect(page).to_have_url(re.compile(r"jusqu_au=2017-03-31"))
    rows = table_rows(page, "table.balance-table tbody tr")
    balances = {row[0].split("\n")[0].replace("sur facture", "").strip(): row[1:] for row in rows}
    nbsp = re.compile(r"[\s\u202f\u00a0]")
    flat = {name: [nbsp.sub(" ", v) for v in values] for name, values in balances.items()}
    # Payments − consumptions per wallet: 150 paid into leisure; 4.50 owed for care; 50 − 15.48 for meals.
    assert flat["Accueil de Loisirs"][0] == "150,00 €"
    assert flat["Accueil Périscolaire"][0] == "-4,50 €"
    assert flat["Restauration"][0] == "34,52 €"
    summary = nbsp.sub(" ", page.locator(".balance-summary").inner_text())
    assert "4,50 €" in summary and "180,02 €" in summary

    # A date in the past is refused with a French message, not a crash.
    page.get_by_label("Calculez vos réservations jusqu'au").fill("2017-01-01")
    page.get_by_role("button", name="Calculer").click()
    expect(page.get_by_text("Choisissez une date à partir d'aujourd'hui.")).to_be_visible()
    audit_page(page, label="solde (date refusée)")
