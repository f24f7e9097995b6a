"""Twenty finalisations at the same moment: twenty numbers, no gap, no duplicate.

Real threads, each with its own PostgreSQL connection, released together by a barrier. The
control takes the same numbers with the counter's row lock replaced by a plain read (patched
here: production code has no switch for it) and shows the duplicates.
"""
import datetime
import threading

import pytest
from django.db import IntegrityError, connections, transaction

from billing.invoicing import numbering, services
from billing.invoicing.models import Invoice, InvoiceCounter
from billing.tests.factories import WalletFactory
from billing.tests.invoicing.conftest import NOV, consume, other_family

pytestmark = pytest.mark.django_db(transaction=True)

COUNT = 20


def drafts(count=COUNT):
    from accounts.tests.factories import StructureFactory

    structure = StructureFactory()
    wallet = WalletFactory(structure=structure, name="Restauration", mode="invoiced")
    for index in range(count):
        family = other_family(structure, number=f"{index:06d}")
        consume(family, wallet, datetime.date(2026, 11, 3), child=family.children.get())
    run = services.invoicing_run_start(structure=structure, month=NOV)
    return list(run.invoices.order_by("id"))


def run_together(invoices, finalise):
    start = threading.Barrier(len(invoices))
    errors = []

    def work(invoice):
        try:
            start.wait(timeout=20)
            finalise(invoice)
        except Exception as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(invoice,)) for invoice in invoices]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return errors


def test_twenty_concurrent_finalisations_take_twenty_gapless_numbers():
    invoices = drafts()
    errors = run_together(invoices, lambda invoice: services.invoice_finalise(invoice=invoice,
                                                                              on_date=datetime.date(2026, 12, 1)))
    assert not errors, errors
    numbers = sorted(Invoice.objects.values_list("number", flat=True))
    assert numbers == [f"F2026-{n:06d}" for n in range(1, COUNT + 1)]
    assert InvoiceCounter.objects.get().last_number == COUNT


def test_a_rolled_back_finalisation_gives_its_number_back():
    first, second = drafts(2)

    def finalise_then_fail():
        with transaction.atomic():
            services.invoice_finalise(invoice=first, on_date=datetime.date(2026, 12, 1))
            raise RuntimeError("the PDF could not be made")

    with pytest.raises(RuntimeError):
        finalise_then_fail()
    services.invoice_finalise(invoice=second, on_date=datetime.date(2026, 12, 1))
    assert Invoice.objects.get(pk=second.pk).number == "F2026-000001"


def test_control_without_the_row_lock_gives_duplicate_numbers(monkeypatch):
    invoices = drafts(6)
    read = threading.Barrier(len(invoices))
    real_manager = InvoiceCounter.objects

    class Unlocked:
        """select_for_update() becomes a plain read, and everyone reads before anyone writes."""

        def bulk_create(self, *args, **kwargs):
            return real_manager.bulk_create(*args, **kwargs)

        def select_for_update(self):
            return self

        def get(self, **kwargs):
            counter = real_manager.get(**kwargs)
            read.wait(timeout=20)
            return counter

    class Counter:
        objects = Unlocked()
        Series = InvoiceCounter.Series

        def __new__(cls, **fields):
            return InvoiceCounter(**fields)

    monkeypatch.setattr(numbering, "InvoiceCounter", Counter)
    # The counter row exists before the race (its creation is not what is shown here).
    InvoiceCounter.objects.create(structure_id=invoices[0].structure_id, year=2026, series="invoice")
    errors = run_together(invoices, lambda invoice: services.invoice_finalise(invoice=invoice,
                                                                              on_date=datetime.date(2026, 12, 1)))
    # Everyone read 0 and took number 1: the unique constraint refuses all but one.
    assert len(errors) == len(invoices) - 1
    assert all(isinstance(error, IntegrityError) for error in errors)
    assert list(Invoice.objects.exclude(number="").values_list("number", flat=True)) == ["F2026-000001"]
