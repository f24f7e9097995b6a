"""Online payment pages. Thin: parse, call one service, render.

The provider's notification and the browser's return are POSTs whose content is verified
(signature, or PayFiP's web service asked); a GET never changes an attempt's state.
Both are exempt from CSRF (they come from the provider's site) and need no login (the
return's cross-site POST carries no session cookie); the status page needs the family.
"""
from __future__ import annotations

import logging
from urllib.parse import urlencode

from django.http import HttpResponse, HttpResponseBadRequest, HttpResponseNotFound, RawPostDataException
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from accounts import throttle
from accounts.decorators import family_required

from . import selectors, services
from .models import AttemptEvent, PaymentAttempt, ProviderConfig
from .providers import ProviderResponseError, ProviderUnavailable, check_allowed, provider_response, transaction_of

logger = logging.getLogger(__name__)
Source = AttemptEvent.Source


def _body(request) -> str:
    """The posted fields as a query string (what eopayment reads)."""
    try:
        return request.body.decode("utf-8", errors="replace")
    except RawPostDataException:  # a multipart body (never a provider's), already parsed
        return urlencode(list(request.POST.lists()), doseq=True)


def _receive(*, config: ProviderConfig, attempt: PaymentAttempt, body: str, source: str):
    """Verify and record one message about ``attempt``: the outcome, or an HTTP error."""
    try:
        result = provider_response(config=config, body=body)
    except (ProviderResponseError, ProviderUnavailable) as error:
        services.payment_attempt_flag(attempt_id=attempt.pk, source=source,
                                      reason=_("Message illisible du prestataire : %(error)s") % {"error": error})
        return HttpResponseBadRequest("unreadable message", content_type="text/plain")
    if result.signed and result.transaction_id not in (attempt.reference, attempt.transaction_id):
        services.payment_attempt_flag(attempt_id=attempt.pk, source=source, reason=_(
            "Message signé au sujet d'une autre transaction (%(id)s) : refusé.") % {"id": result.transaction_id})
        return HttpResponseBadRequest("transaction mismatch", content_type="text/plain")
    outcome = services.payment_attempt_record(attempt_id=attempt.pk, result=result, source=source)
    if outcome == services.Outcome.BAD_SIGNATURE:
        return HttpResponseBadRequest("bad signature", content_type="text/plain")
    if outcome == services.Outcome.MISMATCH:
        return HttpResponseBadRequest("refused: flagged for staff", content_type="text/plain")
    return result


def _sender_locked(request) -> tuple[list, bool]:
    """The sender's counter of refused messages, and whether it is cooling down. A provider never
    sends a forged or unreadable message: an address that keeps sending them is answered without
    being read, so it cannot keep flagging attempts (noise for staff) or make us ask PayFiP."""
    subjects = throttle.subjects(scope=throttle.PAYMENT_MESSAGE, request=request)
    return subjects, throttle.seconds_locked(subjects) > 0


@csrf_exempt
@require_POST
def notification(request, config_id: int):
    """The provider's server-to-server notification (Systempay's IPN, PayFiP's urlnotif)."""
    subjects, locked = _sender_locked(request)
    if locked:
        return HttpResponse("too many refused messages", status=429, content_type="text/plain")
    response = _notification_answer(request, config_id)
    if 400 <= response.status_code < 500:
        throttle.record_failure(subjects)
    return response


def _notification_answer(request, config_id: int) -> HttpResponse:
    config = get_object_or_404(ProviderConfig, pk=config_id)
    try:
        check_allowed(config)
    except ProviderUnavailable:
        return HttpResponseNotFound("unknown provider", content_type="text/plain")
    body = _body(request)
    attempt = selectors.attempt_for_transaction(config=config, transaction_id=transaction_of(config, body) or "")
    if attempt is None:
        logger.warning("online payment notification for an unknown transaction (provider %s)", config.pk)
        return HttpResponseNotFound("unknown transaction", content_type="text/plain")
    outcome = _receive(config=config, attempt=attempt, body=body, source=Source.NOTIFICATION)
    if isinstance(outcome, HttpResponse):
        return outcome
    return HttpResponse(outcome.return_content or "OK", content_type="text/plain")


@csrf_exempt
@require_http_methods(["GET", "POST"])
def online_return(request, reference: str):
    """The browser back from the provider. A POST carries the signed result (Systempay's
    return mode POST): verified and recorded like a notification. Then, as for a GET, the
    browser goes to the status page."""
    attempt = get_object_or_404(PaymentAttempt, reference=reference)
    body = _body(request)
    subjects, locked = _sender_locked(request)
    # A locked sender's result is not read: the notification and the poll still record the
    # payment, so a parent behind the same address only waits on the status page.
    if request.method == "POST" and body and not locked:
        outcome = _receive(config=attempt.provider_config, attempt=attempt, body=body, source=Source.RETURN)
        if isinstance(outcome, HttpResponse) and outcome.status_code == 400:
            throttle.record_failure(subjects)
            return render(request, "billing/online_return_refused.html", status=400)
    return redirect(reverse("billing:online_status", args=[attempt.reference]), permanent=False)


@family_required
def online_status(request, reference: str):
    """'Paiement en cours': follows the attempt until it is paid, refused, cancelled or expired."""
    attempt = selectors.attempt_of_family_or_404(family=request.family, reference=reference)
    return render(request, "billing/online_status.html", {"attempt": attempt, "State": PaymentAttempt.State})
