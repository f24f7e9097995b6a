"""Starting an attempt: the amount is the server's, within the structure's bounds."""
import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings

from billing.models import PaymentAttempt, Wallet
from billing.payments import services
from billing.payments.providers import ProviderUnavailable, check_allowed
from billing.tests.factories import ConsumptionFactory, WalletFactory
from billing.tests.payments.factories import ProviderConfigFactory


@pytest.mark.parametrize("amount", ["9.99", "500.01", "0"])
def test_a_topup_outside_the_structures_bounds_is_refused(family, wallet, provider, amount):
    with pytest.raises(ValidationError, match="compris entre"):
        services.payment_attempt_start(family=family, wallet=wallet, purpose="topup", amount=Decimal(amount))
    assert not PaymentAttempt.objects.exists()


def test_what_is_owed_is_computed_by_the_server(family, provider):
    wallet = WalletFactory(structure=family.structure, name="Périscolaire", mode=Wallet.Mode.INVOICED)
    ConsumptionFactory(family=family, wallet=wallet, unit_price=Decimal("12.34"), day=datetime.date(2026, 11, 2))
    started = services.payment_attempt_start(family=family, wallet=wallet, purpose="due")
    assert started.attempt.amount == Decimal("12.34")
    assert dict(started.redirect.fields)["vads_amount"] == "1234"


def test_nothing_owed_cannot_be_paid(family, wallet, provider):
    with pytest.raises(ValidationError, match="rien"):
        services.payment_attempt_start(family=family, wallet=wallet, purpose="due")


def test_an_invoiced_wallet_is_not_topped_up(family, provider):
    wallet = WalletFactory(structure=family.structure, name="Périscolaire", mode=Wallet.Mode.INVOICED)
    with pytest.raises(ValidationError, match="facture"):
        services.payment_attempt_start(family=family, wallet=wallet, purpose="topup", amount=Decimal("20"))


def test_another_structures_wallet_is_refused(family, provider):
    with pytest.raises(ValidationError):
        services.payment_attempt_start(family=family, wallet=WalletFactory(), purpose="topup", amount=Decimal("20"))


def test_without_an_active_provider_nothing_starts(family, wallet):
    with pytest.raises(ValidationError, match="pas proposé"):
        services.payment_attempt_start(family=family, wallet=wallet, purpose="topup", amount=Decimal("20"))


def test_the_dummy_backend_is_refused_when_debug_is_off(family, wallet):
    config = ProviderConfigFactory(structure=family.structure, kind="dummy", identifier="demo")
    with pytest.raises(ProviderUnavailable):
        check_allowed(config)
    with pytest.raises(ValidationError, match="développement"):
        services.payment_attempt_start(family=family, wallet=wallet, purpose="topup", amount=Decimal("20"))
    with override_settings(DEBUG=True):
        check_allowed(config)  # no error
