"""The parent's online payment pages: start a top-up or the payment of what is owed, go to the
provider's page; and, in development only, the dummy provider's bank page. The payment of one
invoice (billing.invoicing.views) ends on the same pages: ``bank_redirect``, ``payment_refused``.

Thin: parse, call billing.payments.services, render. The amount of "Payer" is computed by the
service (what is owed); the amount of "Recharger" is the parent's choice, checked against the
structure's bounds here and again by the service.
"""
from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from accounts.decorators import family_required
from billing.models import PaymentAttempt, Wallet

from . import selectors, services
from .forms import TopUpForm
from .models import AttemptEvent
from .providers import ProviderResponseError, dummy_notification_body, provider_response


def _wallet_or_404(request, wallet_id: int) -> Wallet:
    return get_object_or_404(Wallet, pk=wallet_id, structure_id=request.family.structure_id)


def bank_redirect(request, started: services.Started):
    """The page that sends the browser to the provider: a form it posts (Systempay), or a link
    (PayFiP). portal.js follows it at once; without JavaScript the parent clicks. The page's
    Content-Security-Policy lets its form go to the provider's address, nowhere else."""
    target = started.redirect
    response = render(request, "billing/online_redirect.html", {"attempt": started.attempt, "redirect": target})
    parts = urlsplit(target.url)
    if parts.scheme in ("http", "https") and parts.netloc:
        response._csp_update = {"form-action": [f"{parts.scheme}://{parts.netloc}"]}  # type: ignore[attr-defined]
    return response


def payment_refused(request, message: str, *, status: int = 400, back_url: str = ""):
    """Why a payment cannot start (French, 4xx), with the way back (the balance unless told)."""
    return render(request, "billing/online_refused.html", {"message": message, "back_url": back_url}, status=status)


@require_POST
@family_required
def topup(request, wallet_id: int):
    """'Recharger': the amount the parent chose, within the structure's minimum and maximum."""
    wallet = _wallet_or_404(request, wallet_id)
    config = selectors.active_provider(structure=request.family.structure)
    if config is None:
        raise Http404("no online payment here")
    form = TopUpForm(request.POST, minimum=config.topup_min, maximum=config.topup_max)
    if not form.is_valid():
        return payment_refused(request, " ".join(str(error) for error in form.errors["montant"]))
    try:
        started = services.payment_attempt_start(family=request.family, wallet=wallet, purpose=PaymentAttempt.Purpose.TOPUP,
                                                 amount=form.cleaned_data["montant"])
    except ValidationError as error:
        return payment_refused(request, " ".join(error.messages))
    return bank_redirect(request, started)


@require_POST
@family_required
def pay_due(request, wallet_id: int):
    """'Payer': what the family owes on the wallet, computed by the server (nothing read from the form)."""
    wallet = _wallet_or_404(request, wallet_id)
    try:
        started = services.payment_attempt_start(family=request.family, wallet=wallet, purpose=PaymentAttempt.Purpose.DUE)
    except ValidationError as error:
        return payment_refused(request, " ".join(error.messages))
    return bank_redirect(request, started)


@require_http_methods(["GET", "POST"])
@family_required
def dummy_bank(request):
    """The dummy provider's bank page (development only: 404 unless DEBUG). Its buttons post
    the dummy result in-process, as the dummy's notification would, then go back."""
    if not settings.DEBUG:
        raise Http404("development only")
    transaction_id = request.POST.get("transaction_id") or request.GET.get("transaction_id", "")
    attempt = PaymentAttempt.objects.filter(family=request.family, provider="dummy", transaction_id=transaction_id).first()
    if attempt is None:
        raise Http404("unknown transaction")
    if request.method == "POST" and not attempt.is_final:
        body = dummy_notification_body(transaction_id=transaction_id, amount=attempt.amount,
                                       paid=request.POST.get("choix") == "payer")
        try:
            result = provider_response(config=attempt.provider_config, body=body)
        except ProviderResponseError as error:
            return payment_refused(request, str(error))
        services.payment_attempt_record(attempt_id=attempt.pk, result=result, source=AttemptEvent.Source.NOTIFICATION)
    if request.method == "POST":
        return redirect(reverse("billing:online_return", args=[attempt.reference]))
    return render(request, "billing/online_dummy_bank.html", {"attempt": attempt, "transaction_id": transaction_id})
