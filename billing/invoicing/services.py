"""Writes of the monthly invoicing: drafts, finalisation (numbers), cancellation (credit notes).

A month's drafts take every consumption line of the structure's invoiced wallets dated up to
the end of the month and not invoiced yet, so a line posted after its month was finalised goes
to the next month's invoice. Drafts are recomputed as often as staff like until the run is
finalised; finalising numbers them in one go under the counter's row lock.
"""
from __future__ import annotations

import datetime
from collections import defaultdict
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from billing.models import Consumption, Wallet
from billing.money import round_money
from portal import dates

from .models import (
    CreditNote,
    Invoice,
    InvoiceCounter,
    InvoicedConsumption,
    InvoiceLine,
    InvoiceSettlement,
    InvoicingRun,
    InvoicingSettings,
    TaxCreditRule,
)
from .numbering import numbers_take
from .settlement import families_with_unsettled_credit, settlements_refresh

ZERO = Decimal("0.00")
BATCH = 2000


class InvoicingError(ValidationError):
    """A run or an invoice is not in the state the action needs (message for staff)."""


def _due_date(*, structure_id: int, issued_on: datetime.date) -> datetime.date:
    settings_row = InvoicingSettings.objects.filter(structure_id=structure_id).first()
    days = settings_row.payment_days if settings_row else 30
    return issued_on + datetime.timedelta(days=days)


@transaction.atomic
def invoicing_run_start(*, structure, month: datetime.date, user=None) -> InvoicingRun:
    """The run of `month` (created if missing) with its drafts computed, unless already finalised."""
    month = month.replace(day=1)
    InvoicingRun.objects.bulk_create([InvoicingRun(structure=structure, month=month, started_by=user)],
                                     ignore_conflicts=True)
    run = InvoicingRun.objects.get(structure=structure, month=month)
    if run.status == InvoicingRun.Status.DRAFT:
        invoicing_drafts_compute(run=run)
        run.refresh_from_db()
    return run


def _uninvoiced_lines(*, structure_id: int, up_to: datetime.date):
    return (Consumption.objects
            .filter(wallet__structure_id=structure_id, wallet__mode=Wallet.Mode.INVOICED, day__lte=up_to,
                    family__structure_id=structure_id, invoiced__isnull=True))


@transaction.atomic
def invoicing_drafts_compute(*, run: InvoicingRun) -> int:
    """(Re)compute the run's drafts: one per family with something to pay; returns how many."""
    run = InvoicingRun.objects.select_for_update().get(pk=run.pk)
    if run.status != InvoicingRun.Status.DRAFT:
        raise InvoicingError(_("Cette facturation est déjà finalisée."))
    # Drafts are recomputed from scratch (their lines and links go with them).
    InvoicedConsumption.objects.filter(invoice__run=run).delete()
    InvoiceLine.objects.filter(invoice__run=run).delete()
    Invoice.objects.filter(run=run, status=Invoice.Status.DRAFT).delete()
    rows = (_uninvoiced_lines(structure_id=run.structure_id, up_to=dates.month_end(run.month))
            .order_by("family_id", "child_id", "wallet__position", "wallet_id", "activity_label", "unit_price", "day", "id")
            .values_list("id", "family_id", "child_id", "wallet_id", "wallet__name", "activity_label", "unit_price", "day",
                         "quantity", "total",
                         "family__payer_name", "family__address", "child__first_name", "child__last_name"))
    # family -> ordered {(child, wallet, label, price): [group]}; the query's order makes the lines' order.
    per_family: dict[int, dict[tuple, dict]] = defaultdict(dict)
    payers: dict[int, tuple[str, str]] = {}
    for (cid, family_id, child_id, wallet_id, wallet_name, label, price, day, quantity, total,
         payer_name, address, first_name, last_name) in rows.iterator(chunk_size=BATCH):
        payers[family_id] = (payer_name, address)
        key = (child_id, wallet_id, label, price)
        group = per_family[family_id].get(key)
        if group is None:
            child_name = f"{(last_name or '').upper()} {first_name or ''}".strip()
            group = per_family[family_id][key] = {
                "child_id": child_id, "child_name": child_name, "wallet_name": wallet_name, "label": label,
                "price": price, "from": day, "to": day, "quantity": Decimal(0), "total": ZERO, "ids": []}
        group["from"], group["to"] = min(group["from"], day), max(group["to"], day)
        group["quantity"] += quantity
        group["total"] += total
        group["ids"].append(cid)
    shares = dict(TaxCreditRule.objects.filter(structure_id=run.structure_id).values_list("activity_label", "share_percent"))
    for groups in per_family.values():
        for group in groups.values():
            group["eligible"] = round_money(group["total"] * shares.get(group["label"], 0) / 100)
    count = 0
    families = [f for f in sorted(per_family) if sum((g["total"] for g in per_family[f].values()), ZERO) > 0]
    for start in range(0, len(families), BATCH):
        count += _write_drafts(run=run, families=families[start:start + BATCH], per_family=per_family, payers=payers)
    run.drafted_at = timezone.now()
    run.save(update_fields=["drafted_at"])
    return count


def _write_drafts(*, run, families, per_family, payers) -> int:
    invoices = Invoice.objects.bulk_create([
        Invoice(structure_id=run.structure_id, family_id=family_id, run=run, month=run.month,
                payer_name=payers[family_id][0], payer_address=payers[family_id][1],
                total=sum((g["total"] for g in per_family[family_id].values()), ZERO))
        for family_id in families])
    lines: list[InvoiceLine] = []
    line_groups: list[tuple[Invoice, dict]] = []
    unlined: list[tuple[Invoice, int]] = []
    for invoice in invoices:
        for position, group in enumerate(per_family[invoice.family_id].values()):
            if group["quantity"] == 0 and group["total"] == 0:
                unlined.extend((invoice, cid) for cid in group["ids"])  # a line and its correction: nothing to print
                continue
            lines.append(InvoiceLine(
                invoice=invoice, child_id=group["child_id"], child_name=group["child_name"], wallet_name=group["wallet_name"],
                activity_label=group["label"], date_from=group["from"], date_to=group["to"], quantity=group["quantity"],
                unit_price=group["price"], total=group["total"], tax_credit_eligible=group["eligible"],
                position=position))
            line_groups.append((invoice, group))
    InvoiceLine.objects.bulk_create(lines, batch_size=BATCH)
    links = [InvoicedConsumption(consumption_id=cid, invoice=invoice, line=line)
             for line, (invoice, group) in zip(lines, line_groups, strict=True) for cid in group["ids"]]
    links += [InvoicedConsumption(consumption_id=cid, invoice=invoice) for invoice, cid in unlined]
    InvoicedConsumption.objects.bulk_create(links, batch_size=BATCH)
    return len(invoices)


@transaction.atomic
def invoicing_run_finalise(*, run: InvoicingRun, on_date: datetime.date | None = None) -> int:
    """Number every draft of the run (in family number order) and close the run; returns how many."""
    run = InvoicingRun.objects.select_for_update().get(pk=run.pk)
    if run.status != InvoicingRun.Status.DRAFT:
        raise InvoicingError(_("Cette facturation est déjà finalisée."))
    issued_on = on_date or dates.today()
    drafts = list(Invoice.objects.select_for_update().filter(run=run, status=Invoice.Status.DRAFT)
                  .order_by("family__number", "family_id"))
    if drafts:
        numbers = numbers_take(structure_id=run.structure_id, year=issued_on.year, series=InvoiceCounter.Series.INVOICE,
                               count=len(drafts))
        due_date, now = _due_date(structure_id=run.structure_id, issued_on=issued_on), timezone.now()
        for invoice, number in zip(drafts, numbers, strict=True):
            invoice.number, invoice.status, invoice.issued_on = number, Invoice.Status.FINALISED, issued_on
            invoice.due_date, invoice.finalised_at = due_date, now
        # Drafts become final here, in bulk (Invoice.save refuses to touch a final one).
        _finalise_in_bulk(drafts)
    run.status, run.finalised_at = InvoicingRun.Status.FINALISED, timezone.now()
    run.save(update_fields=["status", "finalised_at"])
    # Money already received (paid in advance, a credit left) settles the new invoices.
    for family_id in families_with_unsettled_credit(family_ids=[invoice.family_id for invoice in drafts]):
        settlements_refresh(family_id=family_id)
    return len(drafts)


def _finalise_in_bulk(drafts: list[Invoice]) -> None:
    """The drafts' numbers and dates written in bulk: on PostgreSQL one UPDATE … FROM (VALUES …)
    per batch (bulk_update's CASE per row is slow for thousands of invoices)."""
    if connection.vendor != "postgresql":
        Invoice.objects.bulk_update(drafts, ["number", "status", "issued_on", "due_date", "finalised_at"], batch_size=BATCH)
        return
    from psycopg2.extras import execute_values

    first = drafts[0]
    rows = [(invoice.pk, invoice.number) for invoice in drafts]
    with connection.cursor() as cursor:
        raw = cursor.cursor
        head = raw.mogrify("UPDATE billing_invoice AS i SET number = v.number, status = %s, issued_on = %s, due_date = %s, "
                           "finalised_at = %s", [Invoice.Status.FINALISED.value, first.issued_on, first.due_date,
                                                 first.finalised_at]).decode()
        for start in range(0, len(rows), BATCH):
            execute_values(raw, head + " FROM (VALUES %s) AS v(id, number) WHERE i.id = v.id", rows[start:start + BATCH],
                           page_size=BATCH)


@transaction.atomic
def invoice_finalise(*, invoice: Invoice, on_date: datetime.date | None = None) -> Invoice:
    """Number one draft (e.g. a family's invoice finalised ahead of the others)."""
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if invoice.status != Invoice.Status.DRAFT:
        raise InvoicingError(_("Cette facture est déjà émise."))
    issued_on = on_date or dates.today()
    (number,) = numbers_take(structure_id=invoice.structure_id, year=issued_on.year, series=InvoiceCounter.Series.INVOICE)
    invoice.number, invoice.status, invoice.issued_on = number, Invoice.Status.FINALISED, issued_on
    invoice.due_date = _due_date(structure_id=invoice.structure_id, issued_on=issued_on)
    invoice.finalised_at = timezone.now()
    super(Invoice, invoice).save(update_fields=["number", "status", "issued_on", "due_date", "finalised_at"])
    settlements_refresh(family_id=invoice.family_id)
    return invoice


@transaction.atomic
def invoice_cancel(*, invoice: Invoice, reason: str = "", user=None, on_date: datetime.date | None = None) -> CreditNote:
    """Cancel a finalised invoice: a credit note in its own series, and in the ledger the opposite
    of each of its consumption lines (taken by the credit note, so never invoiced again)."""
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if invoice.status != Invoice.Status.FINALISED:
        raise InvoicingError(_("Seule une facture émise peut être annulée par un avoir."))
    if CreditNote.objects.filter(invoice=invoice).exists():
        raise InvoicingError(_("Cette facture est déjà annulée par un avoir."))
    issued_on = on_date or dates.today()
    (number,) = numbers_take(structure_id=invoice.structure_id, year=issued_on.year,
                             series=InvoiceCounter.Series.CREDIT_NOTE)
    credit_note = CreditNote.objects.create(structure_id=invoice.structure_id, invoice=invoice, number=number,
                                            issued_on=issued_on, total=invoice.total, reason=reason, created_by=user)
    originals = list(Consumption.objects.select_for_update()
                     .filter(invoiced__invoice=invoice).annotate(corrected=_has_corrections()).order_by("id"))
    note = _("Annulation par l'avoir %(number)s") % {"number": number}
    opposites = Consumption.objects.bulk_create([
        Consumption(family_id=line.family_id, child_id=line.child_id, wallet_id=line.wallet_id, day=line.day,
                    activity_label=line.activity_label, unit_price=line.unit_price, quantity=-line.quantity,
                    total=-line.total, note=note,
                    correction_of=line if (line.correction_of_id is None and not line.corrected) else None)
        for line in originals])
    InvoicedConsumption.objects.bulk_create([InvoicedConsumption(consumption=line, credit_note=credit_note)
                                             for line in opposites])
    # What paid the cancelled invoice is free again for the family's other invoices.
    InvoiceSettlement.objects.filter(invoice=invoice).delete()
    settlements_refresh(family_id=invoice.family_id)
    return credit_note


def _has_corrections():
    from django.db.models import Exists, OuterRef

    return Exists(Consumption.objects.filter(correction_of=OuterRef("pk")))
