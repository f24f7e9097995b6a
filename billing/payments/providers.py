"""The payment providers, through eopayment: one adapter turns a structure's ProviderConfig into
an eopayment backend, a request into where the browser goes, and whatever a provider sends
back into one ProviderResult the services can check (signature, amount, currency, references).

Nothing here writes to the database; billing.payments.services decides what a result means.
"""
from __future__ import annotations

import logging
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import eopayment
from django.conf import settings
from django.utils.translation import gettext as _

from . import payfip
from .models import PaymentAttempt, ProviderConfig
from .results import (
    CURRENCIES,
    SYSTEMPAY_KINDS,
    Kind,
    ProviderResponseError,
    ProviderResult,
    ProviderUnavailable,
    Redirect,
    money_from_cents,
    state_of,
)

logger = logging.getLogger(__name__)

def check_allowed(config: ProviderConfig) -> None:
    """The dummy backend (no real signature) is for a developer's machine only."""
    if config.kind == Kind.DUMMY and not settings.DEBUG:
        raise ProviderUnavailable(_("Le prestataire de simulation n'est utilisable qu'en développement (DEBUG)."))


def _options(config: ProviderConfig, *, notify_url: str, return_url: str) -> dict[str, Any]:
    if config.kind in SYSTEMPAY_KINDS:
        options: dict[str, Any] = {
            "vads_site_id": config.identifier,
            "vads_ctx_mode": "PRODUCTION" if config.production else "TEST",
            "secret_test": config.secret_test,
            "secret_production": config.secret_production,
            "signature_algo": config.signature_algo,
            "normal_return_url": return_url,
            "automatic_return_url": notify_url,
            # The browser comes back with a POST of the signed fields: a GET never changes a state.
            "vads_return_mode": "POST",
        }
        if config.service_url:
            options["service_url"] = config.service_url
        return options
    if config.kind == Kind.PAYFIP:
        return {"numcli": config.identifier, "saisie": "W" if config.production else "T",
                "normal_return_url": return_url, "automatic_return_url": notify_url}
    return {"normal_return_url": return_url, "automatic_return_url": notify_url, "origin": "Portail Famille"}


def backend(config: ProviderConfig, *, notify_url: str = "", return_url: str = "") -> eopayment.Payment:
    check_allowed(config)
    payment = eopayment.Payment(config.kind, _options(config, notify_url=notify_url, return_url=return_url))
    if config.kind == Kind.PAYFIP:
        payfip.point_at_service(payment, config)
    return payment


def dummy_page_url() -> str:
    from django.urls import reverse

    return settings.SITE_URL + reverse("billing:online_dummy_bank")


def provider_request(*, attempt: PaymentAttempt, notify_url: str, return_url: str, email: str) -> tuple[str, Redirect]:
    """Ask the provider for a transaction of the attempt's amount: (transaction id, redirect)."""
    config = attempt.provider_config
    payment = backend(config, notify_url=notify_url, return_url=return_url)
    kwargs: dict[str, Any] = {"email": email or None, "transaction_id": attempt.reference}
    if config.kind in SYSTEMPAY_KINDS:
        kwargs.update(orderid=attempt.reference, vads_cust_id=str(attempt.family.number)[:63])
    elif config.kind == Kind.PAYFIP:
        kwargs.update(subject=attempt.label or attempt.reference)
    try:
        transaction_id, kind, data = payment.request(attempt.amount, **kwargs)
    except (eopayment.PaymentException, ValueError, OSError) as error:
        logger.warning("payment provider %s refused the request for attempt %s: %s", config.kind, attempt.reference, error)
        raise ProviderUnavailable(_("Le service de paiement ne répond pas. Réessayez dans quelques minutes.")) from error
    if kind == eopayment.FORM:
        return str(transaction_id), Redirect(url=data.url, fields=[(f["name"], f["value"]) for f in data.fields])
    url = str(data)
    if config.kind == Kind.DUMMY:  # eopayment's dummy points at a public test site: use ours
        url = dummy_page_url() + "?" + urlsplit(url).query
    elif config.kind == Kind.PAYFIP:
        url = payfip.payment_page_url(config, url)
    return str(transaction_id), Redirect(url=url)


def transaction_of(config: ProviderConfig, body: str) -> str | None:
    """The transaction id a message says it is about, before anything is verified."""
    fields = {key: values[0] for key, values in parse_qs(body, keep_blank_values=True).items()}
    if config.kind in SYSTEMPAY_KINDS:
        return fields.get("vads_ext_info_eopayment_trans_id") or fields.get("vads_order_id")
    if config.kind == Kind.PAYFIP:
        return fields.get("idop") or fields.get("idOp")
    return fields.get("transaction_id")


def _systempay_result(response, config: ProviderConfig) -> ProviderResult:
    data = {key: str(value) for key, value in response.bank_data.items()}
    uuid = data.get("vads_trans_uuid", "")
    reference = uuid or f"{config.identifier}:{data.get('vads_trans_date', '')}_{data.get('vads_trans_id', '')}"
    return ProviderResult(
        signed=bool(response.signed), state=state_of(response.result), transaction_id=str(response.transaction_id),
        bank_reference=reference, authorisation_number=data.get("vads_auth_number", ""),
        amount=money_from_cents(data.get("vads_amount")),
        currency=CURRENCIES.get(data.get("vads_currency", ""), data.get("vads_currency")),
        status_text=str(response.bank_status or ""), test=bool(response.test), data=data,
        return_content=response.return_content,
    )


def _euros(text: Any) -> Decimal | None:
    try:
        return Decimal(str(text)).quantize(Decimal("0.01"))
    except (InvalidOperation, TypeError, ValueError):
        return None


def _dummy_result(response) -> ProviderResult:
    data = {key: (value[0] if isinstance(value, list) and value else str(value)) for key, value in response.bank_data.items()}
    return ProviderResult(
        signed=bool(response.signed), state=state_of(response.result), transaction_id=str(response.transaction_id),
        bank_reference=str(response.transaction_id), authorisation_number=data.get("authorisation", "DUMMY"),
        amount=_euros(data.get("amount")), currency="EUR",
        status_text=str(response.bank_status or ""), test=True, data=data, return_content=response.return_content,
    )


def provider_response(*, config: ProviderConfig, body: str) -> ProviderResult:
    """Read (and verify) what a provider posted: the notification, or the browser's return."""
    payment = backend(config)
    if config.kind == Kind.PAYFIP:
        idop = transaction_of(config, body)
        if not idop:
            raise ProviderResponseError("missing idop")
        return payfip.payfip_result(payment, idop=idop)
    try:
        response = payment.response(body)
    except eopayment.ResponseError as error:
        raise ProviderResponseError(str(error)) from error
    if config.kind in SYSTEMPAY_KINDS:
        return _systempay_result(response, config)
    return _dummy_result(response)


def provider_status(*, attempt: PaymentAttempt) -> ProviderResult | None:
    """Ask the provider about an attempt without an answer (PayFiP's web service). None when
    the provider has no such service (Systempay answers only by notification)."""
    config = attempt.provider_config
    if config.kind != Kind.PAYFIP:
        return None
    return payfip.payfip_result(backend(config), idop=attempt.transaction_id, started_at=attempt.sent_at or attempt.created_at)


def dummy_notification_body(*, transaction_id: str, amount: Decimal, paid: bool) -> str:
    """What the development bank page posts back (eopayment's dummy format)."""
    fields = {"transaction_id": transaction_id, "amount": str(amount), "signed": "1"}
    if paid:
        fields["ok"] = "1"
    else:
        fields["reason"] = "refused"
    return urlencode(fields)
