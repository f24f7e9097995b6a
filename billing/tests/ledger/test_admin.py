import datetime
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from accounts.services import staff_user_enrol
from accounts.tests.factories import TEST_PASSWORD, StaffMembershipFactory
from billing.models import Consumption, Payment
from billing.tests.factories import ConsumptionFactory, PaymentAllocationFactory, PaymentFactory, WalletFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client, family):
    membership = StaffMembershipFactory(structure=family.structure)
    staff_user_enrol(user=membership.user)
    assert client.login(username=membership.user.username, password=TEST_PASSWORD)
    return client


@pytest.fixture
def foreign():
    """A family of another structure, with a line and a payment."""
    line = ConsumptionFactory(activity_label="Cantine Ailleurs", day=datetime.date(2017, 1, 10))
    payment = PaymentFactory(family=line.family, piece_number="AILLEURS-1", date=datetime.date(2017, 1, 10))
    PaymentAllocationFactory(payment=payment, wallet=line.wallet)
    return line.family


def test_staff_record_a_payment_with_allocations_that_must_add_up(staff_client, family, wallets):
    url = reverse("admin:billing_payment_add")
    data = {
        "family": family.pk, "date": "29/01/2017", "mode": "cheque", "amount": "50.00", "piece_number": "2578012",
        "payer_name": "", "bank_name": "CREDIT AGRICOLE", "note": "",
        "allocations-TOTAL_FORMS": "2", "allocations-INITIAL_FORMS": "0", "allocations-MIN_NUM_FORMS": "0",
        "allocations-MAX_NUM_FORMS": "1000",
        "allocations-0-wallet": wallets["loisirs"].pk, "allocations-0-amount": "20.00",
        "allocations-1-wallet": wallets["restauration"].pk, "allocations-1-amount": "20.00",
    }
    response = staff_client.post(url, data)
    assert response.status_code == 200 and "doit être égale" in response.content.decode()
    assert not Payment.objects.exists()
    data["allocations-1-amount"] = "30.00"
    response = staff_client.post(url, data)
    assert response.status_code == 302
    payment = Payment.objects.get()
    assert sorted(a.amount for a in payment.allocations.all()) == [Decimal("20.00"), Decimal("30.00")]
    assert payment.payer_name == "GUIDE DENIS"  # left blank: the family's payer


def test_staff_cannot_allocate_to_another_structures_wallet(staff_client, family, wallets, foreign):
    response = staff_client.post(reverse("admin:billing_payment_add"), {
        "family": family.pk, "date": "29/01/2017", "mode": "cash", "amount": "10.00",
        "allocations-TOTAL_FORMS": "1", "allocations-INITIAL_FORMS": "0", "allocations-MIN_NUM_FORMS": "0",
        "allocations-MAX_NUM_FORMS": "1000",
        "allocations-0-wallet": foreign.structure.wallets.get().pk, "allocations-0-amount": "10.00",
    })
    assert response.status_code == 200 and not Payment.objects.filter(family=family).exists()


def test_staff_add_a_consumption_whose_total_is_computed(staff_client, family, wallets):
    response = staff_client.post(reverse("admin:billing_consumption_add"), {
        "family": family.pk, "child": family.children.get().pk, "wallet": wallets["periscolaire"].pk, "day": "31/01/2017",
        "activity_label": "Garderie Soir Scolaire", "unit_price": "0.45", "quantity": "7", "note": "",
    })
    assert response.status_code == 302
    assert Consumption.objects.get().total == Decimal("3.15")


def test_changelists_are_scoped_show_monthly_totals_and_no_delete(staff_client, january, foreign):
    consumptions = staff_client.get(reverse("admin:billing_consumption_changelist"))
    page = consumptions.content.decode()
    assert consumptions.status_code == 200
    assert "Cantine Ailleurs" not in page and "Garderie Soir Scolaire" in page
    assert "Totaux par mois" in page and "Janvier 2017" in page and "13,08" in page
    assert "delete_selected" not in page and "Créer une ligne de correction" in page
    payments = staff_client.get(reverse("admin:billing_payment_changelist"), {"date__year": "2017", "date__month": "1"})
    text = payments.content.decode()
    assert "AILLEURS-1" not in text and "3150-N°AUTO:445401" in text and "150,00" in text
    line = january.consumptions.first()
    assert staff_client.get(reverse("admin:billing_consumption_delete", args=[line.pk])).status_code == 403
    foreign_line = foreign.consumptions.get()
    assert staff_client.get(reverse("admin:billing_consumption_change",
                                    args=[foreign_line.pk])).status_code == 302  # not found → redirect


def test_correction_action_adds_the_opposite_line(staff_client, january):
    line = january.consumptions.get(activity_label="Restauration Scolaire")
    response = staff_client.post(reverse("admin:billing_consumption_changelist"),
                                 {"action": "create_correction", "_selected_action": [line.pk]}, follow=True)
    assert "1 ligne de correction créée" in response.content.decode()
    correction = line.corrections.get()
    assert correction.total == Decimal("-4.62")
    assert Consumption.objects.filter(pk=line.pk).exists()


def test_payment_correction_action(staff_client, january):
    payment = january.payments.get(piece_number="2578012")
    staff_client.post(reverse("admin:billing_payment_changelist"),
                      {"action": "create_correction", "_selected_action": [payment.pk]})
    assert payment.corrections.get().amount == Decimal("-50.00")


def test_export_selection_xlsx(staff_client, january, foreign):
    ids = list(Consumption.objects.values_list("pk", flat=True))
    response = staff_client.post(reverse("admin:billing_consumption_changelist"),
                                 {"action": "export_xlsx", "_selected_action": ids})
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[3][:4] == ("Jour", "N° famille", "Famille", "Porte-monnaie")
    assert len(rows) == 4 + 4 + 1  # the foreign line was not exported
    assert rows[-1][0] == "TOTAL (€)" and rows[-1][-1] == pytest.approx(13.08)


def test_family_autocomplete_finds_by_name_or_number_in_scope_only(staff_client, family, foreign):
    url = reverse("admin:autocomplete")
    params = {"app_label": "billing", "model_name": "payment", "field_name": "family"}
    by_number = staff_client.get(url, {**params, "term": family.number}).json()["results"]
    assert [r["id"] for r in by_number] == [str(family.pk)]
    by_name = staff_client.get(url, {**params, "term": "GUIDE"}).json()["results"]
    assert [r["id"] for r in by_name] == [str(family.pk)]
    assert staff_client.get(url, {**params, "term": foreign.number}).json()["results"] == []


def test_wallet_and_tariff_pages_open(staff_client, family):
    WalletFactory(structure=family.structure, name="Restauration")
    assert staff_client.get(reverse("admin:billing_wallet_changelist")).status_code == 200
    assert staff_client.get(reverse("admin:billing_tariff_add")).status_code == 200


def test_a_saved_payment_is_read_only_with_its_allocations_and_no_delete_link(staff_client, january):
    payment = january.payments.get(piece_number="3150-N°AUTO:445401")
    response = staff_client.get(reverse("admin:billing_payment_change", args=[payment.pk]))
    page = response.content.decode()
    assert response.status_code == 200
    assert "3150-N°AUTO:445401" in page
    assert "100,00" in page or "100.00" in page
    assert 'name="amount"' not in page and 'name="allocations-0-amount"' not in page
    assert reverse("admin:billing_payment_delete", args=[payment.pk]) not in page


def _changelist_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


@pytest.mark.parametrize("name", ["consumption", "payment", "wallet"])
def test_changelist_query_count_does_not_grow_with_the_rows(staff_client, family, wallets, name):
    emmy = family.children.get()

    def add(count, start):
        for index in range(count):
            line = ConsumptionFactory(family=family, child=emmy, wallet=wallets["restauration"],
                                      day=datetime.date(2017, 1, start + index))
            payment = PaymentFactory(family=family, date=datetime.date(2017, 1, start + index), correction_of=None)
            PaymentAllocationFactory(payment=payment, wallet=line.wallet)
            WalletFactory(structure=family.structure, name=f"Porte-monnaie {start + index}")

    url = reverse(f"admin:billing_{name}_changelist")
    add(2, 1)
    with_two = _changelist_queries(staff_client, url)
    add(15, 3)
    assert _changelist_queries(staff_client, url) == with_two
