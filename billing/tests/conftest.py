import datetime
from decimal import Decimal

import pytest

from billing.models import Wallet
from billing.tests.factories import ConsumptionFactory, PaymentAllocationFactory, PaymentFactory, WalletFactory

# The guide's screens are in January 2017; "today" is then mid-February 2017, so the
# default range (current and previous month) is January and February 2017.
FEB_15_2017 = datetime.datetime(2017, 2, 15, 10, 0, tzinfo=datetime.UTC)


@pytest.fixture
def wallets(family):
    return {
        "loisirs": WalletFactory(structure=family.structure, name="Accueil de Loisirs", position=1),
        "periscolaire": WalletFactory(structure=family.structure, name="Accueil Périscolaire", position=2),
        "restauration": WalletFactory(structure=family.structure, name="Restauration", position=3),
    }


@pytest.fixture
def january(family, wallets):
    """Four of the guide's January 2017 lines and its two payments."""
    emmy = family.children.get()
    lines = [
        (31, "periscolaire", "Garderie Soir Scolaire", "0.45", "7"),
        (31, "restauration", "Restauration Scolaire", "4.62", "1"),
        (30, "periscolaire", "Gouter", "0.81", "1"),
        (26, "periscolaire", "Garderie Soir Scolaire", "0.45", "10"),
    ]
    for day, wallet, label, price, quantity in lines:
        ConsumptionFactory(family=family, child=emmy, wallet=wallets[wallet], day=datetime.date(2017, 1, day),
                           activity_label=label, unit_price=Decimal(price), quantity=Decimal(quantity))
    internet = PaymentFactory(family=family, date=datetime.date(2017, 1, 29), mode="internet", piece_number="3150-N°AUTO:445401",
                              payer_name="POUR .GUIDE CARTE+", bank_name="PAR INTERNET", amount=Decimal("150.00"))
    PaymentAllocationFactory(payment=internet, wallet=wallets["restauration"], amount=Decimal("100.00"))
    PaymentAllocationFactory(payment=internet, wallet=wallets["periscolaire"], amount=Decimal("50.00"))
    cheque = PaymentFactory(family=family, date=datetime.date(2017, 2, 1), mode="cheque", piece_number="2578012",
                            payer_name="GUIDE DENIS", bank_name="CREDIT AGRICOLE", amount=Decimal("50.00"))
    PaymentAllocationFactory(payment=cheque, wallet=wallets["loisirs"], amount=Decimal("50.00"))
    return family


@pytest.fixture
def stranger(family, wallets):
    """Another family of the same structure with a line and a payment in January 2017."""
    other = ConsumptionFactory(wallet=wallets["restauration"], family__structure=family.structure,
                               day=datetime.date(2017, 1, 31), activity_label="Repas Confidentiel", child__first_name="Zoé")
    payment = PaymentFactory(family=other.family, date=datetime.date(2017, 1, 20), piece_number="SECRET-999",
                             amount=Decimal("77.00"))
    PaymentAllocationFactory(payment=payment, wallet=wallets["restauration"])
    return other.family


def invoiced(wallet: Wallet) -> Wallet:
    wallet.mode = Wallet.Mode.INVOICED
    wallet.save(update_fields=["mode"])
    return wallet
