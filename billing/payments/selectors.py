"""Reads of online payment shared by its views, services and apps above billing."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.http import Http404

from billing.ledger.balance import wallet_balances
from billing.models import Wallet

from .models import PaymentAttempt, ProviderConfig

ZERO = Decimal("0.00")


def active_provider(*, structure) -> ProviderConfig | None:
    return ProviderConfig.objects.filter(structure=structure, is_active=True).first()


def usable_provider(*, structure) -> ProviderConfig | None:
    """The active provider, if families can use it here (the dummy one only in development)."""
    config = active_provider(structure=structure)
    if config is None or (config.kind == ProviderConfig.Kind.DUMMY and not settings.DEBUG):
        return None
    return config


def amount_owed(*, family, wallet: Wallet) -> Decimal:
    """What the family owes on the wallet (0 when its balance is not negative)."""
    for row in wallet_balances(family=family):
        if row.wallet.pk == wallet.pk:
            return -row.balance if row.balance < 0 else ZERO
    return ZERO


def absolute_url(path: str) -> str:
    """Providers call back and send the browser back to the site's public address."""
    return settings.SITE_URL + path


def attempt_of_family_or_404(*, family, reference: str) -> PaymentAttempt:
    attempt = (PaymentAttempt.objects.select_related("wallet", "payment", "invoice")
               .filter(family=family, reference=reference).first())
    if attempt is None:
        raise Http404("no such attempt")
    return attempt


def attempt_for_transaction(*, config: ProviderConfig, transaction_id: str) -> PaymentAttempt | None:
    """The attempt a provider's message is about: by our reference or the provider's id."""
    if not transaction_id:
        return None
    attempts = PaymentAttempt.objects.filter(provider_config=config)
    return (attempts.filter(reference=transaction_id).first()
            or attempts.filter(transaction_id=transaction_id).first())


@dataclass(frozen=True)
class Offer:
    """What the balance page offers for one wallet: a top-up (prepaid) and/or paying what is owed."""

    wallet: Wallet
    balance: Decimal
    topup_min: Decimal | None
    topup_max: Decimal | None
    owed: Decimal


def online_offers(*, family, wallets) -> list[Offer]:
    """Per wallet row of the balance page (billing.ledger.balance.WalletBalance), what can be
    paid online; empty when the structure has no usable provider."""
    config = usable_provider(structure=family.structure)
    if config is None:
        return []
    offers = []
    for row in wallets:
        owed = -row.balance if row.balance < 0 else ZERO
        prepaid = row.wallet.is_prepaid
        if prepaid or owed > 0:
            offers.append(Offer(wallet=row.wallet, balance=row.balance, owed=owed,
                                topup_min=config.topup_min if prepaid else None,
                                topup_max=config.topup_max if prepaid else None))
    return offers
