"""What the providers answer, normalised (ProviderResult), where the browser goes (Redirect),
and the errors of the provider layer. Shared by billing.payments.providers and .payfip."""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

import eopayment

from .models import PaymentAttempt, ProviderConfig

State = PaymentAttempt.State
Kind = ProviderConfig.Kind
# ISO 4217 numeric codes the providers send (Systempay's vads_currency).
CURRENCIES = {"978": "EUR"}
SYSTEMPAY_KINDS = (Kind.SYSTEMPAY, Kind.PAYZEN)

_STATES = {
    eopayment.PAID: State.PAID,
    eopayment.ACCEPTED: State.PAID,
    eopayment.DENIED: State.REFUSED,
    eopayment.ERROR: State.REFUSED,
    eopayment.CANCELLED: State.CANCELLED,
    eopayment.EXPIRED: State.EXPIRED,
}


class ProviderUnavailable(Exception):
    """The provider cannot be used (dummy outside development, misconfigured, unreachable)."""


class ProviderResponseError(Exception):
    """What was received is not a provider's message at all (fields missing)."""


@dataclass(frozen=True)
class Redirect:
    """Where the parent's browser goes to pay: a URL, or a form to post there."""

    url: str
    fields: list[tuple[str, str]] = field(default_factory=list)

    @property
    def is_form(self) -> bool:
        return bool(self.fields)


@dataclass(frozen=True)
class ProviderResult:
    """A provider's answer about one transaction, normalised.

    ``state`` is None while the provider has no final answer yet. ``signed`` is the
    provider's proof (a signature checked, or its own web service asked)."""

    signed: bool
    state: str | None
    transaction_id: str
    bank_reference: str = ""
    authorisation_number: str = ""
    amount: Decimal | None = None
    currency: str | None = None
    status_text: str = ""
    test: bool = True
    data: dict = field(default_factory=dict)
    return_content: str | None = None


def money_from_cents(cents: Any) -> Decimal | None:
    try:
        return (Decimal(str(cents)) / 100).quantize(Decimal("0.01"))
    except (InvalidOperation, TypeError, ValueError):
        return None


def state_of(result: int) -> str | None:
    return _STATES.get(result)  # RECEIVED / WAITING: no final answer yet


