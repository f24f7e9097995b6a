import datetime
import io
import re
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pypdf import PdfReader

from billing.tests.conftest import FEB_15_2017
from billing.tests.factories import ConsumptionFactory, PaymentAllocationFactory, PaymentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def mid_february_2017():
    with time_machine.travel(FEB_15_2017, tick=False):
        yield


def _pdf_text(response) -> tuple[PdfReader, str]:
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    return reader, re.sub(r"\s+", " ", " ".join(page.extract_text() for page in reader.pages))


def test_consumptions_pdf_has_letterhead_family_period_rows_total_and_page_numbers(parent_client, january):
    january.structure.address = "1 place de la Mairie\n33000 CarteVille"
    january.structure.save()
    _reader, text = _pdf_text(parent_client.get(reverse("billing:consumptions_print"), {"mois": "2017-01"}))
    assert january.structure.name in text and "1 place de la Mairie" in text
    assert "GUIDE DENIS" in text and january.number in text
    assert "Historique des Consommations" in text and "Janvier 2017" in text
    assert "31/01/2017" in text and "Garderie Soir Scolaire" in text and "3,15" in text
    assert "TOTAL (€) 13,08" in text
    assert "Page 1 / 1" in text
    assert "Document édité le 15/02/2017" in text


def test_payments_pdf(parent_client, january):
    _reader, text = _pdf_text(parent_client.get(reverse("billing:payments_print"), {"mois": "2017-01"}))
    assert "Historique des Règlements" in text and "Internet" in text and "150,00" in text
    assert "3150-N°AUTO:445401" in text.replace(" ", "")  # long piece numbers may wrap in their cell


def test_a_long_month_numbers_every_page(parent_client, family, wallets):
    emmy = family.children.get()
    for index in range(120):
        ConsumptionFactory(family=family, child=emmy, wallet=wallets["restauration"], day=datetime.date(2017, 1, 1 + index % 31),
                           unit_price=Decimal("1.00"))
    reader, text = _pdf_text(parent_client.get(reverse("billing:consumptions_print"), {"mois": "2017-01"}))
    pages = len(reader.pages)
    assert pages >= 2
    assert f"Page 1 / {pages}" in text and f"Page {pages} / {pages}" in text
    assert "TOTAL (€) 120,00" in text


def test_payment_receipt_of_the_family(parent_client, january):
    payment = january.payments.get(piece_number="3150-N°AUTO:445401")
    page = parent_client.get(reverse("billing:payments"), {"mois": "2017-01"}).content.decode()
    assert reverse("billing:payment_receipt", args=[payment.pk]) in page
    _reader, text = _pdf_text(parent_client.get(reverse("billing:payment_receipt", args=[payment.pk])))
    assert "Reçu de règlement" in text and "29/01/2017" in text and "150,00" in text
    assert "Restauration" in text and "100,00" in text and "Accueil Périscolaire" in text


def test_another_familys_payment_id_is_a_404(parent_client, january, stranger):
    foreign = stranger.payments.get()
    response = parent_client.get(reverse("billing:payment_receipt", args=[foreign.pk]))
    assert response.status_code == 404
    assert b"SECRET-999" not in response.content


def test_receipt_query_count_does_not_grow_with_the_allocations(parent_client, family, wallets, django_assert_num_queries):
    one = PaymentAllocationFactory(payment__family=family, wallet=wallets["loisirs"], amount=Decimal("10.00")).payment
    many = PaymentFactory(family=family, amount=Decimal("30.00"))
    for wallet in wallets.values():
        PaymentAllocationFactory(payment=many, wallet=wallet, amount=Decimal("10.00"))
    with CaptureQueriesContext(connection) as with_one:
        _pdf_text(parent_client.get(reverse("billing:payment_receipt", args=[one.pk])))
    with django_assert_num_queries(len(with_one)):
        _reader, text = _pdf_text(parent_client.get(reverse("billing:payment_receipt", args=[many.pk])))
    assert "Accueil de Loisirs" in text and "Accueil Périscolaire" in text and "Restauration" in text
