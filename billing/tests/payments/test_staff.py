"""Staff: the attempts list scoped to their structures, the daily reconciliation export, and a
payment made online corrected only by the opposite line."""
import csv
import io
from decimal import Decimal

import openpyxl
import pytest
from django.urls import reverse

from accounts.services import staff_user_enrol
from accounts.tests.factories import FamilyFactory, StaffMembershipFactory, UserFactory
from billing.ledger.balance import wallet_balances
from billing.ledger.services import AlreadyCorrectedError, payment_correct
from billing.models import Payment, PaymentAttempt
from billing.payments import services
from billing.tests.factories import WalletFactory
from billing.tests.payments import systempay
from billing.tests.payments.conftest import request_fields
from billing.tests.payments.factories import ProviderConfigFactory
from billing.tests.payments.test_callbacks import notify
from portal import dates


@pytest.fixture
def staff_client(client, family):
    staff = UserFactory(username="agent", is_staff=True)
    StaffMembershipFactory(user=staff, structure=family.structure)
    staff_user_enrol(user=staff)
    client.force_login(staff)
    return client


@pytest.fixture
def paid(client, started, provider):
    notify(client, provider, systempay.notification_fields(request_fields(started), auth_number="445401",
                                                          trans_uuid="f" * 32))
    return PaymentAttempt.objects.get(pk=started.attempt.pk)


@pytest.fixture
def elsewhere(db):
    """An attempt of another structure, paid the same day: never in this staff's files."""
    other = FamilyFactory(payer_name="AUTRE Famille")
    wallet = WalletFactory(structure=other.structure, name="Cantine Ailleurs")
    ProviderConfigFactory(structure=other.structure)
    return services.payment_attempt_start(family=other, wallet=wallet, purpose="topup", amount=Decimal("33.00"))


def test_the_daily_reconciliation_xlsx_lists_the_days_attempts_of_the_staffs_structures(staff_client, paid, family,
                                                                                       elsewhere):
    response = staff_client.get(reverse("admin:billing_paymentattempt_reconciliation"),
                                {"jour": dates.today().isoformat(), "format": "xlsx", "telecharger": "1"})
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    header = next(i for i, row in enumerate(rows) if row[0] == "Date")
    assert rows[header][:10] == ["Date", "Heure", "N° famille", "Famille", "Porte-monnaie", "Montant (€)", "Prestataire",
                                 "Référence prestataire", "N° d'autorisation", "État"]
    line = rows[header + 1]
    assert (line[2], line[3], line[4], line[5], line[7], line[8], line[9]) == (
        family.number, family.payer_name, "Restauration", 20.0, "f" * 32, "445401", "Payé")
    text = " ".join(str(cell) for row in rows for cell in row if cell)
    assert "AUTRE" not in text and "Ailleurs" not in text


def test_the_reconciliation_csv(staff_client, paid):
    response = staff_client.get(reverse("admin:billing_paymentattempt_reconciliation"),
                                {"jour": dates.today().isoformat(), "format": "csv", "telecharger": "1"})
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:3] == ["Date", "Heure", "N° famille"]
    assert rows[1][5] == "20,00" and rows[1][8] == "445401"


@pytest.mark.parametrize("params", [{"jour": "2026-13-45", "telecharger": "1"}, {"format": "pdf", "telecharger": "1"}])
def test_a_bad_day_or_format_is_a_polite_400(staff_client, params):
    assert staff_client.get(reverse("admin:billing_paymentattempt_reconciliation"), params).status_code == 400


def test_the_list_filters_flagged_and_unanswered_attempts(staff_client, started, client, provider):
    fields = systempay.notification_fields(request_fields(started))
    fields["signature"] = "forged"
    notify(client, provider, fields)
    url = reverse("admin:billing_paymentattempt_changelist")
    flagged = staff_client.get(url, {"flagged__exact": "1"}).context["cl"].result_list
    assert [a.pk for a in flagged] == [started.attempt.pk]
    assert list(staff_client.get(url, {"sans_reponse": "30min"}).context["cl"].result_list) == []


def test_a_payment_made_online_is_corrected_only_by_the_opposite_line(paid, family, wallet):
    opposite = payment_correct(payment=paid.payment)
    assert (opposite.amount, opposite.correction_of, opposite.mode) == (Decimal("-20.00"), paid.payment, "internet")
    assert [row.balance for row in wallet_balances(family=family) if row.wallet == wallet] == [Decimal("0.00")]
    with pytest.raises(AlreadyCorrectedError):
        payment_correct(payment=paid.payment)
    assert Payment.objects.count() == 2
    assert PaymentAttempt.objects.get(pk=paid.pk).payment == paid.payment


def test_the_attempts_list_links_to_the_days_reconciliation_form(staff_client, paid):
    page = staff_client.get(reverse("admin:billing_paymentattempt_changelist"))
    url = reverse("admin:billing_paymentattempt_reconciliation")
    assert url in page.content.decode()
    form = staff_client.get(url)
    assert form.status_code == 200 and 'name="jour"' in form.content.decode()
