"""Demo invoices for the guide family (run by billing.demo): the invoiced wallet "Études
surveillées" (8 sessions and 4 snacks a month, 23,24 €), the month before last invoiced and
paid by cheque, last month invoiced and due; an active direct-debit mandate (staff generate its
file in the admin: *Fichiers de prélèvement › Ajouter*). Idempotent: lines and the payment have stable
keys, a finalised month is left as it is (a later month adds its own invoice)."""
from __future__ import annotations

import datetime
from decimal import Decimal

from accounts.models import Child, Family
from billing.models import Consumption, Payment, PaymentAllocation, Wallet
from portal import dates

from .models import Invoice, InvoicingRun, InvoicingSettings, TaxCreditRule
from .sepa import mandate_request, mandate_validate
from .sepa_models import Mandate
from .services import invoicing_run_finalise, invoicing_run_start
from .settlement import settlements_refresh

D = Decimal
STUDY_WALLET = "Études surveillées"
SHARES = {"Garderie Matin Scolaire": 100, "Garderie Soir Scolaire": 100, "Études surveillées": 100,
          "Mercredi demi-journée": 100, "Vacances journée": 100, "Gouter": 0, "Goûter des études": 0,
          "Restauration Scolaire": 0}


def _lines(family, child, wallet, month):
    days = [d for d in (month + datetime.timedelta(days=n) for n in range(31))
            if d.month == month.month and d.weekday() in (1, 3)][:8]
    for index, day in enumerate(days):
        rows = [("E", "Études surveillées", D("2.50"))] + ([("GE", "Goûter des études", D("0.81"))] if index % 2 else [])
        for code, label, price in rows:
            Consumption.objects.get_or_create(source_key=f"demo:guide-invoices:{day:%Y-%m-%d}:{code}", defaults={
                "family": family, "child": child, "wallet": wallet, "day": day, "activity_label": label,
                "unit_price": price, "quantity": D(1), "total": price})


def seed_invoices(*, structure, stdout) -> None:
    InvoicingSettings.objects.get_or_create(structure=structure, defaults={
        "legal_name": "Régie Enfance de CarteVille", "siret": "21330063500017",
        "payment_instructions": "En mairie (régie enfance), par chèque à l'ordre du Trésor public ou en espèces.",
        # A test creditor identifier and the example IBAN of the French banking federation (demo only).
        "creditor_name": "REGIE ENFANCE CARTEVILLE", "creditor_identifier": "FR72ZZZ123456",
        "creditor_iban": "FR1420041010050500013M02606", "creditor_bic": "PSSTFRPPPAR"})
    for label, share in SHARES.items():
        TaxCreditRule.objects.get_or_create(structure=structure, activity_label=label, defaults={"share_percent": share})
    wallet, _created = Wallet.objects.get_or_create(structure=structure, name=STUDY_WALLET,
                                                    defaults={"mode": Wallet.Mode.INVOICED, "position": 4})
    guide = Family.objects.get(structure=structure, number="000123")
    emmy = Child.objects.get(family=guide, first_name="Emmy")
    current = dates.today().replace(day=1)
    before_last, last = dates.add_months(current, -2), dates.add_months(current, -1)
    for month in (before_last, last):
        _lines(guide, emmy, wallet, month)
    for month, issued_on in ((before_last, last), (last, current)):
        run = InvoicingRun.objects.filter(structure=structure, month=month).first()
        if run is None or run.status == InvoicingRun.Status.DRAFT:
            run = invoicing_run_start(structure=structure, month=month)
            invoicing_run_finalise(run=run, on_date=issued_on)
    paid = Invoice.objects.filter(family=guide, month=before_last, status=Invoice.Status.FINALISED).first()
    if paid is not None:
        payment, created = Payment.objects.get_or_create(source_key=f"demo:guide-invoices:payment:{before_last:%Y-%m}", defaults={
            "family": guide, "date": last + datetime.timedelta(days=5), "mode": Payment.Mode.CHEQUE, "amount": paid.total,
            "piece_number": f"{before_last:%Y%m}-ETU", "payer_name": "GUIDE DENIS", "bank_name": "CREDIT AGRICOLE"})
        if created:
            PaymentAllocation.objects.create(payment=payment, wallet=wallet, amount=paid.total)
        settlements_refresh(family_id=guide.pk)
    if not Mandate.objects.filter(family=guide).exists():
        mandate = mandate_request(family=guide, holder_name="GUIDE DENIS", iban="FR7630006000011234567890189",
                                  signed_on=before_last)
        mandate_validate(mandate=mandate)
    stdout.write("  factures : deux factures de la famille GUIDE (une payée, une à payer)")
