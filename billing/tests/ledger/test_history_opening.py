"""A history opened without a month shows the newest month that has lines (issue 11): on the 1st
the current month is still empty, and a blank page told the parent nothing."""
import datetime

import pytest
import time_machine
from django.urls import reverse

from billing.tests.factories import ConsumptionFactory, PaymentFactory

pytestmark = pytest.mark.django_db
MARCH_1_2017 = datetime.datetime(2017, 3, 1, 8, 0, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def first_of_march():
    with time_machine.travel(MARCH_1_2017, tick=False):
        yield


@pytest.fixture
def structure_keeps_six_months(family):
    family.structure.history_months = 6
    family.structure.save(update_fields=["history_months"])


def test_consumptions_open_on_the_newest_month_with_lines(parent_client, family, wallets, structure_keeps_six_months):
    for day in (datetime.date(2017, 1, 31), datetime.date(2016, 12, 5)):
        ConsumptionFactory(family=family, child=family.children.get(), wallet=wallets["restauration"], day=day)
    body = parent_client.get(reverse("billing:consumptions")).content.decode()
    assert "Consommations de Janvier 2017" in body and "31/01/2017" in body
    # Asked for, an empty month is shown as it is.
    body = parent_client.get(reverse("billing:consumptions"), {"mois": "2017-03"}).content.decode()
    assert "Consommations de Mars 2017" in body and "Aucune consommation pour ce mois." in body


def test_consumptions_open_on_the_current_month_when_it_has_lines_or_nothing_has(parent_client, family, wallets,
                                                                                  structure_keeps_six_months):
    body = parent_client.get(reverse("billing:consumptions")).content.decode()
    assert "Consommations de Mars 2017" in body
    ConsumptionFactory(family=family, child=family.children.get(), wallet=wallets["restauration"],
                       day=datetime.date(2017, 3, 1))
    ConsumptionFactory(family=family, child=family.children.get(), wallet=wallets["restauration"],
                       day=datetime.date(2017, 1, 3))
    assert "Consommations de Mars 2017" in parent_client.get(reverse("billing:consumptions")).content.decode()


def test_payments_open_on_the_newest_months_with_payments(parent_client, family, structure_keeps_six_months):
    PaymentFactory(family=family, date=datetime.date(2016, 12, 20), piece_number="777001")
    body = parent_client.get(reverse("billing:payments")).content.decode()
    assert "Novembre 2016 - Décembre 2016" in body and "777001" in body
    # A payment in the default period (February–March) keeps that period.
    PaymentFactory(family=family, date=datetime.date(2017, 2, 2), piece_number="777002")
    body = parent_client.get(reverse("billing:payments")).content.decode()
    assert "Février 2017 - Mars 2017" in body and "777002" in body and "777001" not in body


def test_another_familys_lines_do_not_move_the_month(parent_client, family, wallets, structure_keeps_six_months):
    ConsumptionFactory(child__family__structure=family.structure, day=datetime.date(2017, 1, 10))
    assert "Consommations de Mars 2017" in parent_client.get(reverse("billing:consumptions")).content.decode()
