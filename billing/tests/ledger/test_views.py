import datetime
import html
import io
import re
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pypdf import PdfReader

from billing.ledger import balance, history
from billing.tests.conftest import FEB_15_2017, invoiced
from billing.tests.factories import ConsumptionFactory, PaymentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def mid_february_2017():
    with time_machine.travel(FEB_15_2017, tick=False):
        yield


CONSUMPTIONS = reverse("billing:consumptions")
PAYMENTS = reverse("billing:payments")


def text(response) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode())))


def test_history_needs_a_login(client):
    response = client.get(CONSUMPTIONS)
    assert response.status_code == 302 and "/compte/" in response["Location"]


def test_consumptions_page_shows_the_month_like_the_guide(parent_client, january):
    response = parent_client.get(CONSUMPTIONS, {"mois": "2017-01"})
    assert response.status_code == 200
    page = text(response)
    assert "Historique des Consommations" in page and "Janvier 2017" in page
    for header in ("Jour", "Consommateur", "Activité", "Prix", "Qté", "Total", "TOTAL (€)"):
        assert header in page
    # One cell per column, each labelled for the phone's blocks (no copy of the name for phones).
    assert "31/01/2017 GUIDE Emmy Garderie Soir Scolaire 0,45 7 3,15" in page
    assert 'data-label="Consommateur"' in response.content.decode()
    assert "TOTAL (€) 13,08" in page
    assert "Ces informations sont données sous réserve de mise à jour des dernières opérations." in page
    # Its payments: January and February, as the guide's "Historique des Règlements".
    assert reverse("billing:payments") + "?du=2017-01&amp;au=2017-02" in response.content.decode()


def test_default_month_is_the_newest_with_lines_and_the_current_one_has_an_arrow_back_only(parent_client, january):
    # February (the current month) has no line yet: the page opens on January (issue 11).
    assert parent_client.get(CONSUMPTIONS).context["month"] == history.Month(2017, 1)
    response = parent_client.get(CONSUMPTIONS, {"mois": "2017-02"})
    assert response.context["month"] == history.Month(2017, 2)
    assert response.context["previous_month"] == history.Month(2017, 1)
    assert response.context["next_month"] is None
    assert 'rel="prev"' in response.content.decode() and 'rel="next"' not in response.content.decode()
    january_page = parent_client.get(CONSUMPTIONS, {"mois": "2017-01"})
    assert january_page.context["previous_month"] is None and january_page.context["next_month"] == history.Month(2017, 2)


@pytest.mark.parametrize("url",
                         [CONSUMPTIONS, PAYMENTS, reverse("billing:consumptions_export"), reverse("billing:payments_print")])
@pytest.mark.parametrize(("month", "status"),
                         [("2016-12", 404), ("2017-03", 404), ("2017-13", 400), ("janvier", 400), ("9999999-01", 400)])
def test_months_outside_the_range_or_malformed_are_refused_politely(parent_client, january, url, month, status):
    response = parent_client.get(url, {"mois": month})
    assert response.status_code == status
    assert "Historique non consultable" in response.content.decode()
    assert "Janvier 2017" in text(response)


def test_the_structure_setting_opens_older_months(parent_client, january):
    january.structure.history_months = 3
    january.structure.save()
    assert parent_client.get(CONSUMPTIONS, {"mois": "2016-12"}).status_code == 200
    assert parent_client.get(CONSUMPTIONS, {"mois": "2016-11"}).status_code == 404


def test_filter_narrows_lines_and_total_and_keeps_it_in_links(parent_client, january):
    response = parent_client.get(CONSUMPTIONS, {"mois": "2017-01", "q": "garderie"})
    page = text(response)
    assert "Restauration Scolaire" not in page and "TOTAL (€) 7,65" in page
    assert "q=garderie" in response.content.decode()


def test_payments_page(parent_client, january):
    response = parent_client.get(PAYMENTS, {"mois": "2017-01"})
    page = text(response)
    assert "Historique des Règlements" in page
    for header in ("Date Règl.", "Mode règlement", "N° pièce", "Nom payeur", "Nom banque", "Montant (€)"):
        assert header in page
    assert ("29/01/2017 Internet 3150-N°AUTO:445401 POUR .GUIDE CARTE+ PAR INTERNET "
            "150,00") in page
    assert "TOTAL (€) 150,00" in page      # ?mois= alone: that one month
    assert reverse("billing:consumptions") in parent_client.get(PAYMENTS).content.decode()


def test_payments_show_the_current_and_previous_months_by_default_with_one_total_as_in_the_guide(parent_client, january):
    # Mid-February 2017: « Janvier 2017 - Février 2017 », the cheque of 01/02 then the payment of 29/01, TOTAL 200,00.
    response = parent_client.get(PAYMENTS)
    page = text(response)
    assert response.context["period"] == history.Period(history.Month(2017, 1), history.Month(2017, 2))
    assert "Janvier 2017 - Février 2017" in page
    cheque = page.index("01/02/2017 Chèque 2578012 GUIDE DENIS CREDIT AGRICOLE 50,00")
    internet = page.index("29/01/2017 Internet 3150-N°AUTO:445401 POUR .GUIDE CARTE+")
    assert cheque < internet
    assert "TOTAL (€) 200,00" in page                      # one total for the period
    assert "TOTAL (€) 150,00" not in page and "TOTAL (€) 50,00" not in page
    assert "Date Règl." in page


def test_the_parent_chooses_the_period_from_month_to_month(parent_client, january, family):
    family.structure.history_months = 6
    family.structure.save()
    PaymentFactory(family=family, date=datetime.date(2016, 11, 20), amount=Decimal("30.00"), piece_number="NOV-16")
    response = parent_client.get(PAYMENTS, {"du": "2016-11", "au": "2017-01"})
    page = text(response)
    assert "Novembre 2016 - Janvier 2017" in page
    assert "NOV-16" in page and "3150-N°AUTO:445401" in page and "2578012" not in page
    assert "TOTAL (€) 180,00" in page
    content = response.content.decode()
    assert '<option value="2016-11" selected>Novembre 2016</option>' in content
    assert '<option value="2017-01" selected>Janvier 2017</option>' in content
    # Exports and the print follow the same period.
    csv = parent_client.get(reverse("billing:payments_export"), {"du": "2016-11", "au": "2017-01", "format": "csv"})
    assert "NOV-16" in csv.content.decode() and "2578012" not in csv.content.decode()
    assert "180,00" in csv.content.decode() or "180.00" in csv.content.decode()
    assert 'reglements-' in csv["Content-Disposition"] and "2016-11_2017-01.csv" in csv["Content-Disposition"]
    assert "du=2016-11&amp;au=2017-01" in content   # the export and print buttons
    pdf = parent_client.get(reverse("billing:payments_print"), {"du": "2016-11", "au": "2017-01"})
    printed = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "Novembre 2016 - Janvier 2017" in printed and "NOV-16" in printed and "2578012" not in printed


@pytest.mark.parametrize(("params", "status", "message"), [
    ({"du": "2017-02", "au": "2017-01"}, 400, "La période choisie commence après sa fin"),
    ({"du": "2017-13"}, 400, "Le mois demandé n'est pas reconnu"),
    ({"du": "2016-11", "au": "2017-01"}, 404, "Le mois de novembre 2016 n'est pas consultable"),
])
def test_a_bad_period_is_a_clear_french_4xx(parent_client, january, params, status, message):
    for url in (PAYMENTS, reverse("billing:payments_export"), reverse("billing:payments_print")):
        response = parent_client.get(url, params)
        assert response.status_code == status
        assert message in text(response)


def test_another_familys_lines_never_appear(parent_client, january, stranger):
    pages = "".join(parent_client.get(url, {"mois": "2017-01", "format": "csv"}).content.decode() for url in (
        CONSUMPTIONS, PAYMENTS, reverse("billing:consumptions_export"), reverse("billing:payments_export")))
    assert "Confidentiel" not in pages and "SECRET-999" not in pages and "Zoé" not in pages


def _page_queries(client, url, params) -> int:
    """The queries of a page seen again (the first page of a session also reads the header's date)."""
    client.get(url, params)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url, params).status_code == 200
    return len(captured)


@pytest.mark.parametrize("url", [CONSUMPTIONS, PAYMENTS])
def test_page_query_count_does_not_grow_with_the_lines(parent_client, family, wallets, url, django_assert_num_queries):
    emmy = family.children.get()

    def add(count):
        for index in range(count):
            ConsumptionFactory(family=family, child=emmy, wallet=wallets["restauration"],
                               day=datetime.date(2017, 1, 1 + index % 28))
            PaymentFactory(family=family, date=datetime.date(2017, 1, 1 + index % 28))

    add(5)
    with_five = _page_queries(parent_client, url, {"mois": "2017-01"})
    add(45)
    with django_assert_num_queries(with_five):
        response = parent_client.get(url, {"mois": "2017-01", "q": ""})
    assert len(response.context["data"].lines) == 50
    assert with_five <= 8  # session, login, families, the lines, the header's data


def test_csv_export_is_french_and_neutralised(parent_client, january, wallets):
    ConsumptionFactory(family=january, child=january.children.get(), wallet=wallets["loisirs"], day=datetime.date(2017, 1, 3),
                       activity_label="=HYPERLINK(\"http://x\")", unit_price=Decimal("1234.5"))
    response = parent_client.get(reverse("billing:consumptions_export"), {"mois": "2017-01", "format": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="consommations-' in response["Content-Disposition"] and "-2017-01.csv" in response["Content-Disposition"]
    raw = response.content
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = [line.split(";") for line in raw.decode("utf-8-sig").splitlines()]
    assert rows[0] == ["Jour", "Consommateur", "Activité", "Prix", "Qté", "Total"]
    assert rows[1] == ["31/01/2017", "GUIDE Emmy", "Garderie Soir Scolaire", "0,45", "7", "3,15"]
    assert ["03/01/2017", "GUIDE Emmy", "'=HYPERLINK(\"\"http://x\"\")", "1234,50", "1", "1234,50"] == rows[-2] or \
        rows[-2][2].startswith('"\'=HYPERLINK')
    assert rows[-1] == ["TOTAL (€)", "", "", "", "", "1247,58"]


def test_unknown_export_format_is_a_400(parent_client, january):
    assert parent_client.get(reverse("billing:consumptions_export"), {"mois": "2017-01", "format": "exe"}).status_code == 400


def test_balance_page_like_the_guide(parent_client, family, wallets):
    emmy = family.children.get()
    ConsumptionFactory(family=family, child=emmy, wallet=wallets["periscolaire"], unit_price=Decimal("13.53"))
    ConsumptionFactory(family=family, child=emmy, wallet=wallets["restauration"], unit_price=Decimal("71.60"))
    invoiced(wallets["loisirs"])
    page = text(parent_client.get(reverse("billing:balance")))
    assert "Consulter votre solde" in page
    assert "Accueil Périscolaire -13,53 € 0,00 € -13,53 €" in page
    assert "Restauration -71,60 € 0,00 € -71,60 €" in page
    assert "Montant dû 85,13 €" in page and "Montant des réservations 0,00 €" in page and "Solde estimé -85,13 €" in page
    assert "Calculez vos réservations jusqu'au" in page and "Confirmées" in page and "En attente" in page
    assert "seront toujours à zéro pour les activités pour lesquelles vous recevez une facture" in page


@pytest.fixture
def fixed_provider(wallets):
    def estimate(*, family, until, include_confirmed, include_pending):
        days = (until - datetime.date(2017, 2, 15)).days + 1
        per_day = (Decimal("4.62") if include_confirmed else 0) + (Decimal("1") if include_pending else 0)
        return {wallets["restauration"].pk: per_day * days, wallets["loisirs"].pk: Decimal("3")}

    balance.register_estimate_provider(estimate)
    yield
    balance.unregister_estimate_provider(estimate)


def test_balance_estimate_until_a_date_with_the_chosen_kinds(parent_client, family, wallets, fixed_provider):
    invoiced(wallets["loisirs"])
    response = parent_client.get(reverse("billing:balance"), {"jusqu_au": "2017-02-16", "confirmees": "on", "en_attente": "on"})
    rows = {row.wallet.name: row.estimated for row in response.context["summary"].wallets}
    assert rows == {"Restauration": Decimal("11.24"), "Accueil de Loisirs": Decimal("0.00"),
                    "Accueil Périscolaire": Decimal("0.00")}
    assert "Solde estimé -11,24 €" in text(response)
    only_pending = parent_client.get(reverse("billing:balance"), {"jusqu_au": "16/02/2017", "en_attente": "on"})
    assert only_pending.context["summary"].reservations_amount == Decimal("2.00")


@pytest.mark.parametrize("until", ["hier", "2017-02-14", "2030-01-01", ""])
def test_balance_with_a_bad_date_is_a_400_with_a_message(parent_client, family, wallets, until):
    response = parent_client.get(reverse("billing:balance"), {"jusqu_au": until, "confirmees": "on"})
    assert response.status_code == 400
    assert 'class="invalid-feedback' in response.content.decode()


def test_balance_page_says_when_the_estimate_is_unavailable(parent_client, family, wallets):
    def broken(**kwargs):
        raise RuntimeError("boom")

    balance.register_estimate_provider(broken)
    try:
        response = parent_client.get(reverse("billing:balance"))
    finally:
        balance.unregister_estimate_provider(broken)
    assert response.status_code == 200
    assert "n'a pas pu être calculé" in text(response)


@pytest.mark.parametrize("url, params", [
    (reverse("billing:consumptions_export"), {"format": "csv"}),
    (reverse("billing:consumptions_export"), {"format": "xlsx"}),
    (reverse("billing:payments_export"), {"format": "csv"}),
    (reverse("billing:payments_print"), {}),
])
def test_export_and_print_query_count_does_not_grow_with_the_lines(parent_client, family, wallets, url, params,
                                                                   django_assert_num_queries):
    emmy = family.children.get()
    for index in range(3):
        ConsumptionFactory(family=family, child=emmy, wallet=wallets["restauration"], day=datetime.date(2017, 1, 1 + index))
        PaymentFactory(family=family, date=datetime.date(2017, 1, 1 + index))
    with_three = _page_queries(parent_client, url, {"mois": "2017-01", **params})
    for index in range(20):
        ConsumptionFactory(family=family, child=emmy, wallet=wallets["periscolaire"], day=datetime.date(2017, 1, 5 + index))
        PaymentFactory(family=family, date=datetime.date(2017, 1, 5 + index))
    with django_assert_num_queries(with_three):
        assert parent_client.get(url, {"mois": "2017-01", **params}).status_code == 200
