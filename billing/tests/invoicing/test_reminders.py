"""Reminders of unpaid invoices after their due date: once per invoice and level, over beat runs."""
import datetime
from decimal import Decimal

import pytest

from billing.invoicing import services
from billing.invoicing.models import InvoiceReminder, InvoicingSettings
from billing.invoicing.reminders import reminders_send
from billing.ledger.services import payment_record
from billing.tests.invoicing.conftest import NOV, consume, other_family
from notifications.models import OutboxEmail

pytestmark = pytest.mark.django_db


@pytest.fixture
def late(november, invoiced_wallets):
    """GUIDE's November (27,60 €) and a paid one of another family, both due 31/12/2026."""
    InvoicingSettings.objects.create(structure=november.structure, first_reminder_days=7, second_reminder_days=30)
    payer = other_family(november.structure, number="000700")
    consume(payer, invoiced_wallets["restauration"], datetime.date(2026, 11, 3), child=payer.children.get())
    run = services.invoicing_run_start(structure=november.structure, month=NOV)
    services.invoicing_run_finalise(run=run, on_date=datetime.date(2026, 12, 1))
    payment_record(family=payer, date=datetime.date(2026, 12, 20), mode="cash", amount=Decimal("4.62"),
                   allocations=[(invoiced_wallets["restauration"], Decimal("4.62"))])
    return november


def emails():
    return list(OutboxEmail.objects.filter(kind=OutboxEmail.Kind.INVOICE_REMINDER).order_by("id"))


def test_each_level_is_sent_once_over_the_beat_runs(late, time_machine):
    from billing.invoicing.tasks import invoice_reminders

    assert reminders_send(today=datetime.date(2027, 1, 6)) == 0  # 6 days late: not yet
    time_machine.move_to(datetime.datetime(2027, 1, 7, 6, tzinfo=datetime.UTC))
    assert invoice_reminders() == 1
    assert invoice_reminders() == 0  # a second beat run the same day
    assert reminders_send(today=datetime.date(2027, 1, 20)) == 0
    (first,) = emails()
    assert first.family == late and late.invoices.get().number in first.subject and "27,60" in first.body_text
    assert reminders_send(today=datetime.date(2027, 1, 30)) == 1
    assert reminders_send(today=datetime.date(2027, 1, 31)) == 0
    assert list(InvoiceReminder.objects.values_list("level", flat=True).order_by("level")) == [1, 2]
    assert "relance n° 2" in emails()[1].body_text
    assert {e.family_id for e in emails()} == {late.pk}  # the family that paid is never reminded


def test_an_invoice_found_very_late_gets_only_its_highest_level(late):
    assert reminders_send(today=datetime.date(2027, 3, 1)) == 1
    assert list(InvoiceReminder.objects.values_list("level", flat=True)) == [2]
    assert reminders_send(today=datetime.date(2027, 3, 2)) == 0


def test_a_paid_or_debited_invoice_is_not_reminded(late, invoiced_wallets):
    payment_record(family=late, date=datetime.date(2027, 1, 2), mode="cash", amount=Decimal("27.60"),
                   allocations=[(invoiced_wallets["restauration"], Decimal("27.60"))])
    assert reminders_send(today=datetime.date(2027, 1, 10)) == 0
