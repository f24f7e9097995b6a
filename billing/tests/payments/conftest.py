from decimal import Decimal

import pytest

from billing.payments import services
from billing.tests.factories import WalletFactory
from billing.tests.payments.factories import ProviderConfigFactory


@pytest.fixture
def provider(family):
    return ProviderConfigFactory(structure=family.structure)


@pytest.fixture
def wallet(family):
    return WalletFactory(structure=family.structure, name="Restauration")


@pytest.fixture
def started(family, wallet, provider):
    """A top-up of 20,00 € sent to Systempay: the attempt and the form the browser posts."""
    return services.payment_attempt_start(family=family, wallet=wallet, purpose="topup", amount=Decimal("20.00"))


def request_fields(started) -> dict[str, str]:
    return dict(started.redirect.fields)
