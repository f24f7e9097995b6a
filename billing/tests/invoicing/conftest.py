import datetime
from decimal import Decimal

import pytest

from accounts.tests.factories import ChildFactory, FamilyFactory
from billing.models import Wallet
from billing.tests.factories import ConsumptionFactory, WalletFactory

NOV = datetime.date(2026, 11, 1)


@pytest.fixture
def invoiced_wallets(family):
    return {
        "restauration": WalletFactory(structure=family.structure, name="Restauration", mode=Wallet.Mode.INVOICED, position=1),
        "periscolaire": WalletFactory(structure=family.structure, name="Accueil Périscolaire", mode=Wallet.Mode.INVOICED,
                                      position=2),
        "prepaid": WalletFactory(structure=family.structure, name="Accueil de Loisirs", mode=Wallet.Mode.PREPAID, position=3),
    }


def consume(family, wallet, day, label="Restauration Scolaire", price="4.62", quantity="1", child=None):
    child = child or family.children.first()
    return ConsumptionFactory(family=family, child=child, wallet=wallet, day=day, activity_label=label,
                              unit_price=Decimal(price), quantity=Decimal(quantity))


@pytest.fixture
def november(family, invoiced_wallets):
    """Emmy and her brother Noé at the canteen and the after-school club in November 2026."""
    emmy = family.children.get()
    noe = ChildFactory(family=family, first_name="Noé", last_name="GUIDE")
    w = invoiced_wallets
    for day in (2, 3, 5):
        consume(family, w["restauration"], datetime.date(2026, 11, day), child=emmy)
    for day in (2, 9):
        consume(family, w["restauration"], datetime.date(2026, 11, day), child=noe)
    consume(family, w["periscolaire"], datetime.date(2026, 11, 4), label="Garderie Soir", price="0.45", quantity="7", child=emmy)
    consume(family, w["periscolaire"], datetime.date(2026, 11, 18), label="Garderie Soir", price="0.45", quantity="3",
            child=emmy)
    consume(family, w["prepaid"], datetime.date(2026, 11, 12), label="Mercredi", price="12.00", child=emmy)
    return family


def other_family(structure, **kwargs):
    family = FamilyFactory(structure=structure, **kwargs)
    ChildFactory(family=family)
    return family
