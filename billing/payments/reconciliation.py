"""The daily reconciliation of online payments (staff): one row per attempt of the day, with
what the bank statement shows (provider reference, authorisation number, amount), as xlsx or
CSV through the ledger's exporters (same formats, same protection against formulas).

An attempt split over several wallets (an invoice of the canteen and the after-school care)
stays one row, since it is one movement on the bank statement and the day's total must match
it; its "Porte-monnaie" cell names each wallet with its part ("Restauration : 9,24 € ;
Accueil Périscolaire : 4,50 €"), the parts adding up to the row's amount."""
from __future__ import annotations

import datetime
from decimal import Decimal

from django.db.models import Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from billing.ledger.exports import DATE, MONEY, TEXT, Column, build_csv, build_xlsx
from billing.money import format_money
from portal import dates

from .models import PaymentAttempt

PLAN = "planned_allocations__wallet"
CHUNK = 500  # rows read at a time (a prefetch per chunk)


def wallets_cell(attempt: PaymentAttempt) -> str:
    plan = attempt.allocation_plan()
    if len(plan) == 1:
        return plan[0][0].name
    return " ; ".join(_("%(wallet)s : %(amount)s") % {"wallet": wallet.name, "amount": format_money(part)}
                      for wallet, part in plan)


def reconciliation_columns() -> list[Column]:
    return [
        Column(_("Date"), DATE, 12, lambda a: timezone.localtime(a.finished_at or a.created_at).date()),
        Column(_("Heure"), TEXT, 8, lambda a: timezone.localtime(a.finished_at or a.created_at).strftime("%H:%M")),
        Column(_("N° famille"), TEXT, 12, lambda a: a.family.number),
        Column(_("Famille"), TEXT, 24, lambda a: a.family.payer_name),
        Column(_("Porte-monnaie"), TEXT, 22, wallets_cell),
        Column(_("Montant (€)"), MONEY, 13, lambda a: a.amount),
        Column(_("Prestataire"), TEXT, 14, lambda a: a.get_provider_display()),
        Column(_("Référence prestataire"), TEXT, 34, lambda a: a.bank_reference or a.transaction_id),
        Column(_("N° d'autorisation"), TEXT, 14, lambda a: a.authorisation_number),
        Column(_("État"), TEXT, 20, lambda a: a.get_state_display()),
        Column(_("À vérifier"), TEXT, 10, lambda a: _("oui") if a.flagged else ""),
        Column(_("Référence"), TEXT, 22, lambda a: a.reference),
    ]


def attempts_of_day(queryset: QuerySet[PaymentAttempt], day: datetime.date) -> QuerySet[PaymentAttempt]:
    """The attempts settled that day (Paris), or started that day and not settled yet."""
    start = timezone.make_aware(datetime.datetime.combine(day, datetime.time.min), dates.PARIS)
    end = start + datetime.timedelta(days=1)
    return (queryset.filter(Q(finished_at__gte=start, finished_at__lt=end)
                            | Q(finished_at__isnull=True, created_at__gte=start, created_at__lt=end))
            .select_related("family", "wallet").prefetch_related(PLAN).order_by("finished_at", "created_at", "id"))


def reconciliation_file(queryset: QuerySet[PaymentAttempt], *, day: datetime.date | None, file_format: str,
                        title: str) -> bytes:
    """The file of ``queryset`` (the day's when ``day`` is given); the TOTAL is what was paid."""
    rows = (attempts_of_day(queryset, day) if day
            else queryset.select_related("family", "wallet").prefetch_related(PLAN).order_by("created_at", "id"))
    paid = rows.filter(state=PaymentAttempt.State.PAID).aggregate(s=Sum("amount"))["s"] or Decimal(0)
    columns = reconciliation_columns()
    if file_format == "csv":
        return build_csv(columns=columns, objects=rows.iterator(chunk_size=CHUNK), total=paid)
    subtitle = _("Total : paiements payés. Édité le %(date)s") % {"date": timezone.localtime().strftime("%d/%m/%Y %H:%M")}
    return build_xlsx(title=title, subtitle=subtitle, columns=columns, objects=rows.iterator(chunk_size=CHUNK), total=paid,
                      sheet_name=day.strftime("%d-%m-%Y") if day else "")
