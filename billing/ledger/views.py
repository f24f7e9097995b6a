"""Parent pages: history of consumptions (month by month) and of payments (over a period of
months, as in the user guide), exports, prints, balance.

Every read goes through billing.ledger.history and .balance with `request.family`: another family's lines
cannot be reached from here.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.http import HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.decorators import family_required
from portal import dates

from . import history
from .balance import balance_summary
from .exports import Column, build_csv, build_xlsx, consumption_columns, payment_columns
from .forms import BalanceEstimateForm
from .printing import render_history_pdf, render_receipt_pdf

if TYPE_CHECKING:  # django-stubs-ext is a development dependency: types only
    from django_stubs_ext import StrOrPromise

MAX_QUERY_LENGTH = 100

@dataclass(frozen=True)
class HistoryKind:
    """What differs between the two histories (consumptions, payments)."""

    title: StrOrPromise
    columns: Callable[..., list[Column]]
    file: str            # the start of exported / printed file names
    template: str


KINDS = {
    "consumptions": HistoryKind(title=gettext_lazy("Historique des Consommations"), columns=consumption_columns,
                                file="consommations", template="billing/consumptions.html"),
    "payments": HistoryKind(title=gettext_lazy("Historique des Règlements"), columns=payment_columns,
                            file="reglements", template="billing/payments.html"),
}


def _month_param(request, name: str, months: list[history.Month], default: history.Month):
    """The month of ``?<name>=2017-01`` (default when absent), or a polite 4xx page."""
    text = request.GET.get(name, "").strip()
    if not text:
        return default
    try:
        month = history.Month.parse(text)
    except ValueError:
        return _unavailable(request, months, status=400, reason=_(
            "Le mois demandé n'est pas reconnu. Choisissez un mois dans la liste ci-dessous."))
    if not (months[-1] <= month <= months[0]):
        return _unavailable(request, months, status=404, reason=_(
            "Le mois de %(month)s n'est pas consultable. Vous pouvez consulter vos historiques de %(first)s à %(last)s.")
            % {"month": month.label.lower(), "first": months[-1].label.lower(), "last": months[0].label.lower()})
    return month


def _period_or_response(request, kind: str):
    """The period asked for, or a polite 4xx page. Consumptions: one month (?mois=, default
    the current one). Payments: from ?du= to ?au= (default the previous and the current
    month, as in the user guide); ?mois= alone asks for that one month."""
    months = history.allowed_months(request.structure)
    asked = any(request.GET.get(name, "").strip() for name in ("mois", "du", "au"))
    # Without a month asked for, the history opens on the newest month that has lines.
    latest = None if asked else history.latest_month_with_lines(family=request.family, kind=kind, months=months)
    if kind == "payments" and not request.GET.get("mois", "").strip():
        default = history.default_payment_period(months)
        if latest is not None and latest < default.first:
            default = history.Period(max(latest.shifted(-1), months[-1]), latest)
        first = _month_param(request, "du", months, default.first)
        if isinstance(first, HttpResponse):
            return first, months
        last = _month_param(request, "au", months, default.last)
        if isinstance(last, HttpResponse):
            return last, months
        if first > last:
            return _unavailable(request, months, status=400, reason=_(
                "La période choisie commence après sa fin : choisissez un mois « du » avant le mois « au ».")), months
        return history.Period(first, last), months
    month = _month_param(request, "mois", months, latest or months[0])
    if isinstance(month, HttpResponse):
        return month, months
    return history.Period.single(month), months


def _unavailable(request, months, *, status, reason):
    return render(request, "billing/month_unavailable.html", {"reason": reason, "months": months}, status=status)


def _query(request) -> str:
    return " ".join(request.GET.get("q", "").split())[:MAX_QUERY_LENGTH]


@dataclass(frozen=True)
class _HistoryPage:
    """What every history view reads from the query string: the period, the lines, the filter."""
    kind: str
    period: history.Period
    months: list[history.Month]
    query: str
    data: history.HistoryLines

    @property
    def title(self) -> str:
        return str(KINDS[self.kind].title)

    @property
    def columns(self):
        return KINDS[self.kind].columns()

    @property
    def params(self) -> dict:
        """The query string that gives this page again (its exports and prints follow it)."""
        period = ({"mois": self.period.first.key} if self.kind == "consumptions"
                  else {"du": self.period.first.key, "au": self.period.last.key})
        return {**period, **({"q": self.query} if self.query else {})}

    def filename(self, request, extension: str) -> str:
        return (f"{KINDS[self.kind].file}-{request.structure.slug}-{request.family.number}-{self.period.key}.{extension}"
                .replace(" ", "_"))


def _history_page(request, kind: str) -> _HistoryPage | HttpResponse:
    """The family's lines of the period asked for, or the polite 4xx page for a bad one."""
    period, months = _period_or_response(request, kind)
    if isinstance(period, HttpResponse):
        return period
    query = _query(request)
    if kind == "payments":
        data = history.payment_lines(family=request.family, period=period, query=query)
    else:
        data = history.consumption_lines(family=request.family, month=period.first, query=query)
    return _HistoryPage(kind=kind, period=period, months=months, query=query, data=data)


def _history(request, kind: str):
    page = _history_page(request, kind)
    if isinstance(page, HttpResponse):
        return page
    month, months = page.period.first, page.months
    # The other history: a consumption month's payments are that month and the next (the
    # guide's "Janvier 2017 - Février 2017"); a payments period's consumptions, its last month.
    payments_period = {"du": month.key, "au": min(month.next(), months[0]).key}
    return render(request, KINDS[kind].template, {
        "kind": kind,
        "title": page.title,
        "data": page.data,
        "period": page.period,
        "month": month,
        "months": months,
        "months_oldest_first": list(reversed(months)),
        "previous_month": month.previous() if month.previous() >= months[-1] else None,
        "next_month": month.next() if month.next() <= months[0] else None,
        "query": page.query,
        "params": urlencode(page.params),
        "payments_params": urlencode(payments_period),
        "consumptions_params": urlencode({"mois": page.period.last.key}),
    })


def _export(request, kind: str):
    page = _history_page(request, kind)
    if isinstance(page, HttpResponse):
        return page
    data, columns = page.data, page.columns
    file_format = request.GET.get("format", "xlsx")
    if file_format == "csv":
        content = build_csv(columns=columns, objects=data.lines, total=data.total)
        response = HttpResponse(content, content_type="text/csv; charset=utf-8")
    elif file_format == "xlsx":
        family = _("Famille %(payer)s (n° %(number)s)") % {"payer": request.family.payer_name, "number": request.family.number}
        title = f"{page.title} — {request.structure.name} — {family} — {page.period.label}"
        printed_at = timezone.localtime()
        subtitle = _("Édité le %(date)s à %(time)s") % {"date": printed_at.strftime("%d/%m/%Y"),
                                                        "time": printed_at.strftime("%H:%M")}
        if page.query:
            subtitle += " — " + _("filtre : « %(query)s »") % {"query": page.query}
        content = build_xlsx(title=title, subtitle=subtitle, columns=columns, objects=data.lines, total=data.total,
                             sheet_name=page.period.label)
        response = HttpResponse(content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    else:
        return _unavailable(request, page.months, status=400, reason=_("Ce format d'export n'existe pas (xlsx ou csv)."))
    response["Content-Disposition"] = f'attachment; filename="{page.filename(request, file_format)}"'
    return response


def _print(request, kind: str):
    page = _history_page(request, kind)
    if isinstance(page, HttpResponse):
        return page
    content = render_history_pdf(structure=request.structure, family=request.family, title=page.title,
                                 period=page.period.label, columns=page.columns, objects=page.data.lines,
                                 total=page.data.total, query=page.query)
    return _pdf_response(content, page.filename(request, "pdf"))


def _pdf_response(content: bytes, filename: str) -> HttpResponse:
    """A PDF shown in the browser's viewer (it can still be saved under this name)."""
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


@family_required
def consumptions(request):
    return _history(request, "consumptions")


@family_required
def payments(request):
    return _history(request, "payments")


@family_required
def consumptions_export(request):
    return _export(request, "consumptions")


@family_required
def payments_export(request):
    return _export(request, "payments")


@family_required
def consumptions_print(request):
    return _print(request, "consumptions")


@family_required
def payments_print(request):
    return _print(request, "payments")


@family_required
def payment_receipt(request, payment_id: int):
    """The receipt of one of the family's payments (PDF); another family's is a 404."""
    payment = history.payment_of_family_or_404(family=request.family, payment_id=payment_id)
    content = render_receipt_pdf(structure=request.structure, family=request.family, payment=payment)
    return _pdf_response(content, f"recu-{request.family.number}-{payment.date:%Y-%m-%d}-{payment.pk}.pdf")


@family_required
def balance(request):
    """'Consulter votre solde': balances, and the estimate of reservations up to a date."""
    today = dates.today()
    default_until = history.Month.of(today).last_day
    if "jusqu_au" in request.GET:
        form = BalanceEstimateForm(request.GET, today=today)
        valid = form.is_valid()
    else:
        form = BalanceEstimateForm(initial={"jusqu_au": default_until, "confirmees": True, "en_attente": False}, today=today)
        valid = False
    if valid:
        until = form.cleaned_data["jusqu_au"]
        include_confirmed, include_pending = form.cleaned_data["confirmees"], form.cleaned_data["en_attente"]
    else:
        until, include_confirmed, include_pending = default_until, True, False
    summary = balance_summary(family=request.family, until=until, include_confirmed=include_confirmed,
                                        include_pending=include_pending)
    status = 400 if form.is_bound and not valid else 200
    return render(request, "billing/balance.html", {
        "form": form, "summary": summary, "until": until,
        "include_confirmed": include_confirmed, "include_pending": include_pending,
        "followup_url": _optional_url("reservations:followup"),
    }, status=status)


def _optional_url(name: str) -> str | None:
    try:
        return reverse(name)
    except NoReverseMatch:
        return None

