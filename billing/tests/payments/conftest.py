from decimal import Decimal

import pytest

from billing.payments import services
from billing.tests.factories import WalletFactory
from billing.tests.payments.factories import ProviderConfigFactory
from billing.tests.payments.payfip_standin import PayFiPStandIn


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


@pytest.fixture
def standin():
    """The PayFiP stand-in on 127.0.0.1 (billing.tests.payments.payfip_standin)."""
    with PayFiPStandIn() as server:
        yield server


@pytest.fixture
def payfip(family, standin):
    family.email = "guide@example.org"
    family.save(update_fields=["email"])
    return ProviderConfigFactory(structure=family.structure, kind="payfip_ws", identifier="123456", secret_test="",
                                 secret_production="", service_url=standin.url)


@pytest.fixture
def sent(family, wallet, payfip):
    """A top-up of 20,00 € for which PayFiP gave an idOp."""
    return services.payment_attempt_start(family=family, wallet=wallet, purpose="topup", amount=Decimal("20.00"))
